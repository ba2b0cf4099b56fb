import type { Side } from '../contracts/market.ts';

/**
 * Levels moved by a plain loop up to this many; a longer shift is one `copyWithin` (memmove).
 * `copyWithin` costs ~20 ns a call in fixed overhead, several times the work of moving five
 * levels, but a full-depth book (Binance: thousands of levels a side, most updates near the
 * touch) shifts thousands per update.
 */
const LONG_SHIFT = 32;

/**
 * One side of an L2 book: price levels sorted best-first in typed arrays (scaled integer prices
 * and quantities). Shared by the LOB and the backtest exchange model.
 */
export class PriceLevels {
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

  /** Best price (0 when the side is empty). */
  get best(): number {
    return this.n > 0 ? this.px[0] : 0;
  }

  /** Quantity shown at `price` (0 when no level). */
  qtyAt(price: number): number {
    const i = this.find(price);
    return i < this.n && this.px[i] === price ? this.qty[i] : 0;
  }

  /** Index where `price` is or would be inserted (best-first order). */
  find(price: number): number {
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

  /** Sets the quantity at `price` (0 removes the level); returns the quantity it had. */
  set(price: number, qty: number): number {
    const i = this.find(price);
    const n = this.n;
    const px = this.px;
    const q = this.qty;
    if (i < n && px[i] === price) {
      const prev = q[i];
      if (qty > 0) q[i] = qty;
      else {
        if (n - i > LONG_SHIFT) {
          px.copyWithin(i, i + 1, n);
          q.copyWithin(i, i + 1, n);
        } else {
          for (let k = i + 1; k < n; k++) {
            px[k - 1] = px[k];
            q[k - 1] = q[k];
          }
        }
        this.n = n - 1;
      }
      return prev;
    }
    if (qty > 0) {
      if (n === px.length) this.grow();
      const p2 = this.px;
      const q2 = this.qty;
      if (n - i > LONG_SHIFT) {
        p2.copyWithin(i + 1, i, n);
        q2.copyWithin(i + 1, i, n);
      } else {
        for (let k = n; k > i; k--) {
          p2[k] = p2[k - 1];
          q2[k] = q2[k - 1];
        }
      }
      p2[i] = price;
      q2[i] = qty;
      this.n = n + 1;
    }
    return 0;
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
