/**
 * Levels moved by a plain loop up to this many, by one `copyWithin` (memmove, ~20 ns of fixed
 * cost) beyond.
 */
const LONG_SHIFT = 32;

/**
 * One side of an L2 book as its readers and writers see it: levels counted from the best. Two
 * forms: `BookSide` (sorted arrays, for books of a few levels) and `DenseBookSide` (indexed by
 * price, for full-depth books of thousands of levels). A process uses one form for all its books
 * in practice (by venue), so calls through this type stay monomorphic.
 */
export interface BookLevels {
  readonly dir: 1 | -1;
  /** Levels held. */
  readonly n: number;
  /** Best price, 0 when empty. */
  readonly bestPx: number;
  /** Quantity at the best price, 0 when empty. */
  readonly bestQty: number;
  /** Price of level `i` counted from the best (0 when absent). */
  levelPx(i: number): number;
  /** Quantity of level `i` counted from the best (0 when absent). */
  levelQty(i: number): number;
  /** Sum of quantity over the best `k` levels. */
  depth(k: number): number;
  /** Sets the quantity at `price` (0 removes the level). */
  set(price: number, qty: number): void;
  /** Replaces the side with a best-first snapshot's `levels` entries (empty entries skipped). */
  replace(px: Float64Array, qty: Float64Array, levels: number): void;
  /** Removes every level at or through `price`; returns how many. */
  removeThrough(price: number): number;
  clear(): void;
}

/**
 * One side of an L2 book (scaled integer prices and quantities in typed arrays), sorted
 * worst-first: the best level is at index n - 1. Most updates land near the touch; a best-first
 * array moves every level behind such an update, here it moves the few between the update and
 * the touch (a full-depth Binance book holds thousands of levels a side). Level i counted from the
 * best (`levelPx(i)`, `levelQty(i)`) is index n - 1 - i.
 */
export class BookSide implements BookLevels {
  px: Float64Array;
  qty: Float64Array;
  n = 0;

  constructor(
    capacity: number,
    /** +1 bids (best = highest), -1 asks (best = lowest). */
    readonly dir: 1 | -1,
  ) {
    this.px = new Float64Array(Math.max(1, capacity));
    this.qty = new Float64Array(Math.max(1, capacity));
  }

  /** Best price, 0 when empty. */
  get bestPx(): number {
    return this.n > 0 ? this.px[this.n - 1] : 0;
  }

  /** Quantity at the best price, 0 when empty. */
  get bestQty(): number {
    return this.n > 0 ? this.qty[this.n - 1] : 0;
  }

  /** Price of level `i` counted from the best (0 when absent). */
  levelPx(i: number): number {
    return i < this.n ? this.px[this.n - 1 - i] : 0;
  }

  /** Quantity of level `i` counted from the best (0 when absent). */
  levelQty(i: number): number {
    return i < this.n ? this.qty[this.n - 1 - i] : 0;
  }

  /** Sum of quantity over the best `k` levels. */
  depth(k: number): number {
    const n = this.n;
    const stop = n - Math.min(k, n);
    const q = this.qty;
    let sum = 0;
    for (let i = n - 1; i >= stop; i--) sum += q[i];
    return sum;
  }

  clear(): void {
    this.n = 0;
  }

  /** Sets the quantity at `price` (0 removes the level). */
  set(price: number, qty: number): void {
    const px = this.px;
    const d = this.dir;
    // First index whose price is at or better than `price` (worst-first order).
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((px[mid] - price) * d < 0) lo = mid + 1;
      else hi = mid;
    }
    const n = this.n;
    const q = this.qty;
    if (lo < n && px[lo] === price) {
      if (qty > 0) q[lo] = qty;
      else {
        if (n - lo > LONG_SHIFT) {
          px.copyWithin(lo, lo + 1, n);
          q.copyWithin(lo, lo + 1, n);
        } else
          for (let k = lo + 1; k < n; k++) {
            px[k - 1] = px[k];
            q[k - 1] = q[k];
          }
        this.n = n - 1;
      }
      return;
    }
    if (!(qty > 0)) return;
    if (n === px.length) this.grow(n + 1);
    const p2 = this.px;
    const q2 = this.qty;
    if (n - lo > LONG_SHIFT) {
      p2.copyWithin(lo + 1, lo, n);
      q2.copyWithin(lo + 1, lo, n);
    } else
      for (let k = n; k > lo; k--) {
        p2[k] = p2[k - 1];
        q2[k] = q2[k - 1];
      }
    p2[lo] = price;
    q2[lo] = qty;
    this.n = n + 1;
  }

  /**
   * Replaces the side with the `levels` entries of a best-first snapshot (entries with a zero
   * quantity or price are skipped).
   */
  replace(px: Float64Array, qty: Float64Array, levels: number): void {
    let k = 0;
    for (let i = 0; i < levels; i++) if (qty[i] > 0 && px[i] > 0) k++;
    if (k > this.px.length) this.grow(k);
    const p2 = this.px;
    const q2 = this.qty;
    let j = k;
    for (let i = 0; i < levels; i++) {
      if (qty[i] > 0 && px[i] > 0) {
        j--;
        p2[j] = px[i];
        q2[j] = qty[i];
      }
    }
    this.n = k;
  }

  /** Removes every level at or through `price` (levels the other side has traded through); returns how many. */
  removeThrough(price: number): number {
    const px = this.px;
    let n = this.n;
    const d = this.dir;
    const n0 = n;
    while (n > 0 && (px[n - 1] - price) * d >= 0) n--;
    this.n = n;
    return n0 - n;
  }

  private grow(min: number): void {
    const cap = Math.max(min, this.px.length * 2);
    const px = new Float64Array(cap);
    const qty = new Float64Array(cap);
    px.set(this.px.subarray(0, this.n));
    qty.set(this.qty.subarray(0, this.n));
    this.px = px;
    this.qty = qty;
  }
}
