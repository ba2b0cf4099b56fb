/**
 * One side of the adapter's copy of a Binance book, kept only to check bookTicker against it.
 * Levels are sorted worst-first, the best at index n - 1: a full-depth Binance book holds thousands
 * of levels a side and most updates land near the touch, where a best-first array (PriceLevels)
 * moves every level behind the update (~0.3 us a level on the recorded BTCUSDT-PERP stream);
 * here an update near the touch moves a few.
 */
/** Levels moved by a loop up to this many, by copyWithin (memmove, ~20 ns fixed cost) beyond. */
const LONG_SHIFT = 32;

export class TouchLevels {
  px: Float64Array;
  qty: Float64Array;
  n = 0;

  constructor(
    capacity: number,
    /** +1 bids (best = highest), -1 asks (best = lowest). */
    private readonly dir: 1 | -1,
  ) {
    this.px = new Float64Array(capacity);
    this.qty = new Float64Array(capacity);
  }

  /** Best price, 0 when empty. */
  get bestPx(): number {
    return this.n > 0 ? this.px[this.n - 1] : 0;
  }

  /** Quantity at the best price, 0 when empty. */
  get bestQty(): number {
    return this.n > 0 ? this.qty[this.n - 1] : 0;
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
    if (n === px.length) this.grow();
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

  private grow(): void {
    const px = new Float64Array(this.px.length * 2);
    const qty = new Float64Array(this.qty.length * 2);
    px.set(this.px);
    qty.set(this.qty);
    this.px = px;
    this.qty = qty;
  }
}
