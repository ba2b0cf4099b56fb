import type { OrderState } from './order-state.ts';

/** Holes (removed orders) tolerated before the array is squeezed, at least. */
const MIN_HOLES = 16;

/**
 * One strategy's open orders: the SDK's `ReadonlySet` (ctx.openOrders()) over a dense array in the
 * order the orders were made. Each order knows its index (OrderState.openSlot), so adding or
 * removing one is an array write instead of a hash-set entry per order, and `forEach` is a plain
 * loop the callback can be inlined into. A removed order leaves a hole; holes are squeezed out
 * when they outnumber the orders, never while an iteration runs, so an iteration sees what a Set
 * iteration would: every order present at its start and not removed since, and those added.
 */
export class OpenOrders implements ReadonlySet<OrderState> {
  size = 0;
  private readonly items: (OrderState | undefined)[] = [];
  /** Iterations running (forEach, iterators not yet done). */
  private iterating = 0;

  add(o: OrderState): void {
    const items = this.items;
    if (this.iterating === 0 && items.length - this.size >= Math.max(MIN_HOLES, this.size)) this.squeeze();
    o.openSlot = items.length;
    items.push(o);
    this.size++;
  }

  delete(o: OrderState): boolean {
    const i = o.openSlot;
    if (i < 0 || this.items[i] !== o) return false;
    this.items[i] = undefined;
    o.openSlot = -1;
    this.size--;
    return true;
  }

  has(o: OrderState): boolean {
    const i = o.openSlot;
    return i >= 0 && this.items[i] === o;
  }

  forEach(
    fn: (value: OrderState, value2: OrderState, set: ReadonlySet<OrderState>) => void,
    thisArg?: unknown,
  ): void {
    const items = this.items;
    this.iterating++;
    try {
      for (let i = 0; i < items.length; i++) {
        const o = items[i];
        if (o !== undefined) fn.call(thisArg, o, o, this);
      }
    } finally {
      this.iterating--;
    }
  }

  [Symbol.iterator](): SetIterator<OrderState> {
    return this.values();
  }

  values(): SetIterator<OrderState> {
    return this.walk() as SetIterator<OrderState>;
  }

  keys(): SetIterator<OrderState> {
    return this.values();
  }

  *entries(): SetIterator<[OrderState, OrderState]> {
    for (const o of this.walk()) yield [o, o];
  }

  private *walk(): Generator<OrderState, undefined, unknown> {
    const items = this.items;
    this.iterating++;
    try {
      for (let i = 0; i < items.length; i++) {
        const o = items[i];
        if (o !== undefined) yield o;
      }
    } finally {
      this.iterating--;
    }
  }

  /** Drops the holes, keeping the orders in order (and their indexes right). */
  private squeeze(): void {
    const items = this.items;
    let k = 0;
    for (let i = 0; i < items.length; i++) {
      const o = items[i];
      if (o === undefined) continue;
      o.openSlot = k;
      items[k++] = o;
    }
    // pop, not `length = k`: setting length is a runtime call.
    while (items.length > k) items.pop();
  }
}
