import type { Side } from '../contracts/market.ts';
import type { OrderEventKind, OrderRecord } from '../recorder/rows.ts';
import { SampleLog } from './sample-log.ts';

/** Order event kinds in the order they are coded. */
export const ORDER_EVENTS = ['new', 'ack', 'reject', 'partial', 'fill', 'canceled', 'cancel_reject'] as const;
const CODE = Object.fromEntries(ORDER_EVENTS.map((e, i) => [e, i])) as Record<OrderEventKind, number>;

/** One order lifecycle event: a row of hft.orders by symbol id, without the ids the log does not keep. */
export type OrderLogRow = Omit<OrderRecord, 'venueOrderId' | 'strategyId' | 'symbol' | 'priceScale'> & {
  symbolId: number;
};

/**
 * Every order lifecycle event of a run in float64 rows (SampleLog): a backtest sends hundreds of
 * thousands of orders, and one object per event would feed the GC.
 */
export class OrderLog {
  private readonly rows = new SampleLog(9);
  /** Reject reasons by row; rows without one are absent. */
  private readonly reasons = new Map<number, string>();

  get length(): number {
    return this.rows.length;
  }

  push(
    ts: number,
    orderId: number,
    symbolId: number,
    event: OrderEventKind,
    side: Side,
    price: number,
    qty: number,
    cumQty: number,
    leavesQty: number,
    reason: string,
  ): void {
    if (reason !== '') this.reasons.set(this.rows.length, reason);
    const off = this.rows.add();
    const c = this.rows.chunk;
    c[off] = ts;
    c[off + 1] = orderId;
    c[off + 2] = symbolId;
    c[off + 3] = CODE[event];
    c[off + 4] = side;
    c[off + 5] = price;
    c[off + 6] = qty;
    c[off + 7] = cumQty;
    c[off + 8] = leavesQty;
  }

  /** Row `i` as an object (for reports, not the hot path). */
  row(i: number): OrderLogRow {
    const r = this.rows;
    return {
      ts: r.get(i, 0),
      orderId: r.get(i, 1),
      symbolId: r.get(i, 2),
      event: ORDER_EVENTS[r.get(i, 3)],
      side: r.get(i, 4) as Side,
      price: r.get(i, 5),
      qty: r.get(i, 6),
      cumQty: r.get(i, 7),
      leavesQty: r.get(i, 8),
      reason: this.reasons.get(i) ?? '',
    };
  }
}
