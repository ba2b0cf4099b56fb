import type { Recorder } from '../../src/recorder/recorder.ts';
import type { FillRecord, OrderRecord } from '../../src/recorder/rows.ts';

// Exactly representable ns timestamps (float64 spacing is 256 ns at this epoch).
const T0 = 1_700_000_000_000_000_000;
const PX = new Float64Array([3_300_000, 3_299_900, 3_299_800]);
const QTY = new Float64Array([5, 6, 7]);

/**
 * Records numbered traffic into a recorder: per step one order, one fill (both with order id = the step
 * number + 1, so a table can be checked for every id exactly once) and one book snapshot.
 */
export class Traffic {
  /** Steps recorded so far. */
  n = 0;
  private readonly order: OrderRecord = {
    ts: 0,
    orderId: 0,
    venueOrderId: '',
    strategyId: 'mm',
    symbol: 'TXFD6',
    event: 'new',
    side: 1,
    price: 3_300_000,
    qty: 1,
    cumQty: 0,
    leavesQty: 1,
    reason: '',
    priceScale: 100,
  };
  private readonly fill: FillRecord = {
    ts: 0,
    ingestTs: 0,
    orderId: 0,
    venueOrderId: '',
    strategyId: 'mm',
    symbol: 'TXFD6',
    side: 1,
    price: 3_300_000,
    qty: 1,
    fee: 100,
    tax: 0,
    taker: false,
    priceScale: 100,
  };

  constructor(private readonly rec: Recorder) {}

  /** Records `steps` more steps. */
  send(steps: number): void {
    for (let i = 0; i < steps; i++, this.n++) {
      const ts = T0 + this.n * 1024;
      this.order.ts = ts;
      this.order.orderId = this.n + 1;
      this.order.venueOrderId = `V${this.n}`;
      this.rec.recordOrder(this.order);
      this.fill.ts = ts;
      this.fill.ingestTs = ts + 256;
      this.fill.orderId = this.n + 1;
      this.rec.recordFill(this.fill);
      this.rec.recordDepth('TXFD6', 100, ts, ts + 256, this.n, 3, PX, QTY, PX, QTY);
    }
  }
}
