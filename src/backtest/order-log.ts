import type { Side } from '../contracts/market.ts';
import type { OrderEventKind, OrderRecord } from '../recorder/rows.ts';
import { SampleLog } from './sample-log.ts';

/** Order event kinds in the order they are coded. */
export const ORDER_EVENTS = ['new', 'ack', 'reject', 'partial', 'fill', 'canceled', 'cancel_reject'] as const;

/** The code of an event kind (its index in ORDER_EVENTS): a switch, not a keyed lookup by a varying string. */
function codeOf(event: OrderEventKind): number {
  switch (event) {
    case 'new':
      return 0;
    case 'ack':
      return 1;
    case 'reject':
      return 2;
    case 'partial':
      return 3;
    case 'fill':
      return 4;
    case 'canceled':
      return 5;
    case 'cancel_reject':
      return 6;
  }
}

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
    c[off + 3] = codeOf(event);
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
