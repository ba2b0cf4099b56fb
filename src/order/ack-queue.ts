import type { OrderState } from './order-state.ts';

/** Entries the queue starts with (it doubles when full). */
const FIRST_CAPACITY = 256;

/**
 * Sent orders waiting for the venue's first answer, oldest first, with their ack deadlines: a ring
 * over typed arrays that doubles when full, so watching an order allocates nothing once the ring
 * has grown to the number of orders in flight. Each entry keeps the client id it was pushed for:
 * by its deadline the record may have finished and been reused for a later order.
 */
export class AckQueue {
  private orders: (OrderState | undefined)[] = new Array(FIRST_CAPACITY).fill(undefined);
  private ids = new Float64Array(FIRST_CAPACITY);
  private deadlines = new Float64Array(FIRST_CAPACITY);
  private head = 0;
  length = 0;

  push(o: OrderState, deadline: number): void {
    if (this.length === this.ids.length) this.grow();
    const i = (this.head + this.length) & (this.ids.length - 1);
    this.orders[i] = o;
    this.ids[i] = o.orderId;
    this.deadlines[i] = deadline;
    this.length++;
  }

  /** Deadline of the oldest entry (the queue is not empty). */
  firstDeadline(): number {
    return this.deadlines[this.head];
  }

  /** Removes the oldest entry: its order, or undefined when the record now carries another order. */
  shift(): OrderState | undefined {
    const h = this.head;
    const o = this.orders[h]!;
    this.orders[h] = undefined;
    this.head = (h + 1) & (this.ids.length - 1);
    this.length--;
    return o.orderId === this.ids[h] ? o : undefined;
  }

  private grow(): void {
    const n = this.ids.length;
    const orders = new Array<OrderState | undefined>(2 * n).fill(undefined);
    const ids = new Float64Array(2 * n);
    const deadlines = new Float64Array(2 * n);
    for (let k = 0; k < n; k++) {
      const i = (this.head + k) & (n - 1);
      orders[k] = this.orders[i];
      ids[k] = this.ids[i];
      deadlines[k] = this.deadlines[i];
    }
    this.orders = orders;
    this.ids = ids;
    this.deadlines = deadlines;
    this.head = 0;
  }
}
