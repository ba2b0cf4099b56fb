import type { Side } from '../contracts/market.ts';

/** One side of an L2 book: price levels kept sorted best-first in typed arrays. */
class BookSide {
  px: Float64Array;
  qty: Float64Array;
  n = 0;

  constructor(
    capacity: number,
    /** +1 bids (descending prices), -1 asks (ascending). */
    readonly dir: Side,
  ) {
    this.px = new Float64Array(capacity);
    this.qty = new Float64Array(capacity);
  }

  /** Index where `price` is or would be inserted (best-first order). */
  private find(price: number): number {
    let lo = 0;
    let hi = this.n;
    const px = this.px;
    const d = this.dir;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((px[mid] - price) * d > 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Sets the quantity at `price`; 0 removes the level. */
  set(price: number, qty: number): void {
    const i = this.find(price);
    const found = i < this.n && this.px[i] === price;
    if (qty === 0) {
      if (found) {
        this.px.copyWithin(i, i + 1, this.n);
        this.qty.copyWithin(i, i + 1, this.n);
        this.n--;
      }
      return;
    }
    if (found) {
      this.qty[i] = qty;
      return;
    }
    if (this.n === this.px.length) this.grow();
    this.px.copyWithin(i + 1, i, this.n);
    this.qty.copyWithin(i + 1, i, this.n);
    this.px[i] = price;
    this.qty[i] = qty;
    this.n++;
  }

  /** Replaces the side with `levels` entries (zero-quantity entries are skipped). */
  replace(px: Float64Array, qty: Float64Array, levels: number): void {
    if (levels > this.px.length) this.grow(levels);
    let k = 0;
    for (let i = 0; i < levels; i++) {
      if (qty[i] > 0 && px[i] > 0) {
        this.px[k] = px[i];
        this.qty[k] = qty[i];
        k++;
      }
    }
    this.n = k;
  }

  /** Removes every level at or through `price` (used to uncross: levels the other side has traded through). */
  removeThrough(price: number): number {
    let k = 0;
    while (k < this.n && (this.px[k] - price) * this.dir >= 0) k++;
    if (k > 0) {
      this.px.copyWithin(0, k, this.n);
      this.qty.copyWithin(0, k, this.n);
      this.n -= k;
    }
    return k;
  }

  private grow(min = 0): void {
    const cap = Math.max(min, this.px.length * 2);
    const px = new Float64Array(cap);
    const qty = new Float64Array(cap);
    px.set(this.px.subarray(0, this.n));
    qty.set(this.qty.subarray(0, this.n));
    this.px = px;
    this.qty = qty;
  }
}

/**
 * L2 order book of one symbol (prices and quantities are scaled integers). Sides are kept
 * sorted best-first; updates allocate nothing unless a side outgrows its capacity.
 */
export class OrderBook {
  readonly bids: BookSide;
  readonly asks: BookSide;

  constructor(
    readonly symbolId: number,
    capacity = 64,
  ) {
    this.bids = new BookSide(capacity, 1);
    this.asks = new BookSide(capacity, -1);
  }

  get bestBid(): number {
    return this.bids.n > 0 ? this.bids.px[0] : 0;
  }
  get bestAsk(): number {
    return this.asks.n > 0 ? this.asks.px[0] : 0;
  }
  get bestBidQty(): number {
    return this.bids.n > 0 ? this.bids.qty[0] : 0;
  }
  get bestAskQty(): number {
    return this.asks.n > 0 ? this.asks.qty[0] : 0;
  }

  /** True when both sides exist and best bid >= best ask (crossed or locked). */
  get crossed(): boolean {
    return this.bids.n > 0 && this.asks.n > 0 && this.bids.px[0] >= this.asks.px[0];
  }

  setLevel(side: Side, price: number, qty: number): void {
    (side === 1 ? this.bids : this.asks).set(price, qty);
  }

  replace(
    bidPx: Float64Array,
    bidQty: Float64Array,
    askPx: Float64Array,
    askQty: Float64Array,
    levels: number,
  ): void {
    this.bids.replace(bidPx, bidQty, levels);
    this.asks.replace(askPx, askQty, levels);
  }

  clear(): void {
    this.bids.n = 0;
    this.asks.n = 0;
  }

  /** Price at level `i` of a side (0 when absent). */
  price(side: Side, i: number): number {
    const s = side === 1 ? this.bids : this.asks;
    return i < s.n ? s.px[i] : 0;
  }

  /** Quantity at level `i` of a side (0 when absent). */
  qty(side: Side, i: number): number {
    const s = side === 1 ? this.bids : this.asks;
    return i < s.n ? s.qty[i] : 0;
  }

  levels(side: Side): number {
    return side === 1 ? this.bids.n : this.asks.n;
  }

  /** Sum of quantity over the best `k` levels of a side. */
  depth(side: Side, k: number): number {
    const s = side === 1 ? this.bids : this.asks;
    const m = Math.min(k, s.n);
    let sum = 0;
    for (let i = 0; i < m; i++) sum += s.qty[i];
    return sum;
  }
}
