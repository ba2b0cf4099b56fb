import type { OrderState } from './order-state.ts';

/** Holes (removed orders) tolerated before the array is squeezed, at least. */
const MIN_HOLES = 16;
/**
 * Holes beyond which the array is squeezed even while an iteration is open: an iterator left
 * unfinished (`openOrders().values().next()`) would otherwise keep every removed order's hole.
 */
const MAX_PINNED_HOLES = 4096;

/**
 * One strategy's open orders: the SDK's `ReadonlySet` (ctx.openOrders()) over a dense array in the
 * order the orders were made. Each order knows its index (OrderState.openSlot), so adding or
 * removing one is an array write instead of a hash-set entry per order, and `forEach` is a plain
 * loop the callback can be inlined into. A removed order leaves a hole; holes are squeezed out
 * when they outnumber the orders, never while an iteration runs, so an iteration sees what a Set
 * iteration would: every order present at its start and not removed since, and those added.
 * Past MAX_PINNED_HOLES an open iteration (in practice an abandoned one) no longer holds the
 * squeeze back: the orders move to a new array, and the iteration goes on over the old one,
 * yielding only orders still in the set (never a removed one, never one twice), without those
 * added after the squeeze.
 */
export class OpenOrders implements ReadonlySet<OrderState> {
  size = 0;
  private items: (OrderState | undefined)[] = [];
  /** Iterations running (forEach, iterators not yet done). */
  private iterating = 0;

  add(o: OrderState): void {
    const items = this.items;
    const holes = items.length - this.size;
    if (
      this.iterating === 0 ? holes >= Math.max(MIN_HOLES, this.size) : holes >= MAX_PINNED_HOLES + this.size
    )
      this.squeeze();
    o.openSlot = this.items.length;
    this.items.push(o);
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
        if (o !== undefined && this.has(o)) fn.call(thisArg, o, o, this);
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
        if (o !== undefined && this.has(o)) yield o;
      }
    } finally {
      this.iterating--;
    }
  }

  /**
   * Drops the holes, keeping the orders in order (and their indexes right): in place, or into a
   * new array while an iteration is open over this one.
   */
  private squeeze(): void {
    const items = this.items;
    const to = this.iterating === 0 ? items : [];
    let k = 0;
    for (let i = 0; i < items.length; i++) {
      const o = items[i];
      if (o === undefined) continue;
      o.openSlot = k;
      to[k++] = o;
    }
    // pop, not `length = k`: setting length is a runtime call.
    while (to.length > k) to.pop();
    this.items = to;
  }
}
