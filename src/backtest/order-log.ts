import type { Side } from '../contracts/market.ts';
import type { ExecType } from '../contracts/orders.ts';

/** Order event kinds in the order they are coded. */
export const ORDER_EVENTS = ['new', 'ack', 'reject', 'partial', 'fill', 'canceled', 'cancel_reject'] as const;
export type OrderEvent = 'new' | ExecType;
const CODE: Record<OrderEvent, number> = {
  new: 0,
  ack: 1,
  reject: 2,
  partial: 3,
  fill: 4,
  canceled: 5,
  cancel_reject: 6,
};

/**
 * Every order lifecycle event of a run (the columns of hft.orders) in growable typed columns:
 * a backtest sends hundreds of thousands of orders, and one object per event would feed the GC.
 */
export class OrderLog {
  length = 0;
  ts = new Float64Array(1024);
  orderId = new Float64Array(1024);
  symbolId = new Int32Array(1024);
  event = new Uint8Array(1024);
  side = new Int8Array(1024);
  price = new Float64Array(1024);
  qty = new Float64Array(1024);
  cumQty = new Float64Array(1024);
  leavesQty = new Float64Array(1024);
  /** Reject reasons by row; rows without one are absent. */
  readonly reasons = new Map<number, string>();

  push(
    ts: number,
    orderId: number,
    symbolId: number,
    event: OrderEvent,
    side: Side,
    price: number,
    qty: number,
    cumQty: number,
    leavesQty: number,
    reason: string,
  ): void {
    if (this.length === this.ts.length) this.grow();
    const i = this.length++;
    this.ts[i] = ts;
    this.orderId[i] = orderId;
    this.symbolId[i] = symbolId;
    this.event[i] = CODE[event];
    this.side[i] = side;
    this.price[i] = price;
    this.qty[i] = qty;
    this.cumQty[i] = cumQty;
    this.leavesQty[i] = leavesQty;
    if (reason !== '') this.reasons.set(i, reason);
  }

  eventAt(i: number): OrderEvent {
    return ORDER_EVENTS[this.event[i]];
  }

  private grow(): void {
    const n = this.ts.length * 2;
    const g = <T extends Float64Array | Int32Array | Uint8Array | Int8Array>(a: T, b: T): T => {
      b.set(a as never);
      return b;
    };
    this.ts = g(this.ts, new Float64Array(n));
    this.orderId = g(this.orderId, new Float64Array(n));
    this.symbolId = g(this.symbolId, new Int32Array(n));
    this.event = g(this.event, new Uint8Array(n));
    this.side = g(this.side, new Int8Array(n));
    this.price = g(this.price, new Float64Array(n));
    this.qty = g(this.qty, new Float64Array(n));
    this.cumQty = g(this.cumQty, new Float64Array(n));
    this.leavesQty = g(this.leavesQty, new Float64Array(n));
  }
}
