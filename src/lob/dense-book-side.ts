import { BookSide } from './book-side.ts';

/** Ticks a dense side spans by default (a power of two): 256 KiB of quantities. */
export const DENSE_WIDTH = 1 << 15;

/**
 * One side of a deep L2 book (a full-depth diff stream: thousands of levels a side) indexed by
 * price. Levels within a window of `width` ticks live in a quantity array at their tick's index,
 * with a two-level occupancy bitmap to find the next level; an update is an index and a store, no
 * search and no shift, so it touches one or two cache lines however deep the book (a sorted side
 * touches a dozen in its search and moves the levels behind it). Levels worse than the window are
 * kept in a sorted `BookSide` behind it; a level better than the window moves the window (rare: a
 * move of a quarter of its width). Reads counted from the best (`levelPx(i)`) walk the bitmap,
 * constant-time when read in order.
 *
 * Prices must lie on the `tick` grid. One that does not (a wrong tick in the symbol's config) turns
 * the side into a sorted side for good, counted in `offGrid`: the book stays right, only slower.
 */
export class DenseBookSide {
  /** Levels held (window and behind it). */
  n = 0;
  /** Prices off the tick grid set (the first turns the side sorted). */
  offGrid = 0;
  private readonly qty: Float64Array;
  /** Bit i: a level at index i. */
  private readonly bits: Uint32Array;
  /** Bit w: `bits[w]` is not empty. */
  private readonly summary: Uint32Array;
  /** Levels worse than the window (all of them, once `sorted`). */
  private readonly behind: BookSide;
  /** Key of index 0; a price's key is `dir * price / tick`, larger is better on both sides. */
  private base = 0;
  /** Index of the best level in the window, -1 when the window is empty. */
  private top = -1;
  private inWindow = 0;
  private sorted = false;
  /** The last level read in order (`levelPx`/`levelQty`) and its index; reset by every change. */
  private cursorLevel = -1;
  private cursorIndex = -1;

  constructor(
    /** +1 bids (best = highest), -1 asks (best = lowest). */
    readonly dir: 1 | -1,
    /** Tick size, scaled like the prices. */
    private readonly tick: number,
    private readonly width = DENSE_WIDTH,
  ) {
    if (!(tick > 0) || width < 1024 || (width & (width - 1)) !== 0)
      throw new Error(`dense book side: tick ${tick} must be > 0, width ${width} a power of two >= 1024`);
    this.qty = new Float64Array(width);
    this.bits = new Uint32Array(width >>> 5);
    this.summary = new Uint32Array(width >>> 10);
    this.behind = new BookSide(64, dir);
  }

  /** Levels held in the window (the rest are behind it, sorted). */
  get windowed(): number {
    return this.inWindow;
  }

  /** Best price, 0 when empty. */
  get bestPx(): number {
    return this.top >= 0 ? this.priceAt(this.top) : this.behind.bestPx;
  }

  /** Quantity at the best price, 0 when empty. */
  get bestQty(): number {
    return this.top >= 0 ? this.qty[this.top] : this.behind.bestQty;
  }

  /** Price of level `i` counted from the best (0 when absent). */
  levelPx(i: number): number {
    if (i >= this.inWindow) return this.behind.levelPx(i - this.inWindow);
    return this.priceAt(this.seek(i));
  }

  /** Quantity of level `i` counted from the best (0 when absent). */
  levelQty(i: number): number {
    if (i >= this.inWindow) return this.behind.levelQty(i - this.inWindow);
    return this.qty[this.seek(i)];
  }

  /** Sum of quantity over the best `k` levels. */
  depth(k: number): number {
    let sum = 0;
    let idx = this.top;
    const m = Math.min(k, this.inWindow);
    for (let j = 0; j < m; j++) {
      sum += this.qty[idx];
      idx = this.below(idx - 1);
    }
    return k > m ? sum + this.behind.depth(k - m) : sum;
  }

  clear(): void {
    this.clearWindow();
    this.behind.clear();
    this.n = 0;
  }

  /** Sets the quantity at `price` (0 removes the level). */
  set(price: number, qty: number): void {
    this.cursorLevel = -1;
    const key = (this.dir * price) / this.tick;
    if (!Number.isInteger(key)) {
      this.offGrid++;
      if (!this.sorted) this.toSorted();
    }
    if (this.sorted) {
      this.behind.set(price, qty);
      this.n = this.behind.n;
      return;
    }
    if (this.n === 0 && qty > 0) {
      // An empty side: room for the best to improve by a quarter of the window.
      this.base = key - ((this.width * 3) >>> 2);
    }
    let i = key - this.base;
    if (i >= this.width) {
      if (!(qty > 0)) return; // no level is better than the window
      this.shiftUp(key);
      i = key - this.base;
    }
    if (i < 0) this.behind.set(price, qty);
    else if (qty > 0) {
      if (this.qty[i] === 0) this.place(i, qty);
      else this.qty[i] = qty;
    } else if (this.qty[i] !== 0) {
      this.qty[i] = 0;
      this.unmark(i);
      this.inWindow--;
      if (i === this.top) {
        this.top = this.below(i - 1);
        if (this.top < 0 && this.behind.n > 0) this.shiftDown();
      }
    }
    this.n = this.inWindow + this.behind.n;
  }

  /**
   * Replaces the side with the `levels` entries of a best-first snapshot (entries with a zero
   * quantity or price are skipped).
   */
  replace(px: Float64Array, qty: Float64Array, levels: number): void {
    this.clear();
    for (let i = 0; i < levels; i++) if (qty[i] > 0 && px[i] > 0) this.set(px[i], qty[i]);
  }

  /** Removes every level at or through `price` (levels the other side has traded through); returns how many. */
  removeThrough(price: number): number {
    let removed = 0;
    while (this.n > 0 && (this.bestPx - price) * this.dir >= 0) {
      this.set(this.bestPx, 0);
      removed++;
    }
    return removed;
  }

  private priceAt(i: number): number {
    return this.dir * (this.base + i) * this.tick;
  }

  /** Index of level `i` (< inWindow) counted from the best; in order from the last read, one step. */
  private seek(i: number): number {
    let level = this.cursorLevel;
    let idx = this.cursorIndex;
    if (level < 0 || level > i) {
      level = 0;
      idx = this.top;
    }
    while (level < i) {
      idx = this.below(idx - 1);
      level++;
    }
    this.cursorLevel = level;
    this.cursorIndex = idx;
    return idx;
  }

  private mark(i: number): void {
    const w = i >>> 5;
    this.bits[w] |= 1 << (i & 31);
    this.summary[w >>> 5] |= 1 << (w & 31);
  }

  private unmark(i: number): void {
    const w = i >>> 5;
    const m = this.bits[w] & ~(1 << (i & 31));
    this.bits[w] = m;
    if (m === 0) this.summary[w >>> 5] &= ~(1 << (w & 31));
  }

  /** The highest index at or below `i` holding a level, -1 when none. */
  private below(i: number): number {
    if (i < 0) return -1;
    let w = i >>> 5;
    const m = this.bits[w] & (0xffffffff >>> (31 - (i & 31)));
    if (m !== 0) return (w << 5) + 31 - Math.clz32(m);
    let sw = w >>> 5;
    let sm = (w & 31) === 0 ? 0 : this.summary[sw] & (0xffffffff >>> (32 - (w & 31)));
    while (sm === 0) {
      if (--sw < 0) return -1;
      sm = this.summary[sw];
    }
    w = (sw << 5) + 31 - Math.clz32(sm);
    return (w << 5) + 31 - Math.clz32(this.bits[w]);
  }

  /** Empties the window (not the levels behind it). */
  private clearWindow(): void {
    const s = this.summary;
    for (let sw = 0; sw < s.length; sw++) {
      let sm = s[sw];
      while (sm !== 0) {
        const w = (sw << 5) + 31 - Math.clz32(sm);
        sm &= ~(1 << (w & 31));
        let m = this.bits[w];
        while (m !== 0) {
          const b = 31 - Math.clz32(m);
          m &= ~(1 << b);
          this.qty[(w << 5) + b] = 0;
        }
        this.bits[w] = 0;
      }
      s[sw] = 0;
    }
    this.top = -1;
    this.inWindow = 0;
    this.cursorLevel = -1;
  }

  /** Every level of the window, best first, as (price, qty) pairs; the window left empty. */
  private drain(): number[] {
    const out: number[] = [];
    for (let idx = this.top; idx >= 0; idx = this.below(idx - 1)) out.push(this.priceAt(idx), this.qty[idx]);
    this.clearWindow();
    return out;
  }

  /** The window moves up so that `key` lies a quarter of it below its top; levels left below go behind. */
  private shiftUp(key: number): void {
    const levels = this.drain();
    this.base = key - ((this.width * 3) >>> 2);
    // Worst first: each level that goes behind is better than every level there (appended).
    for (let j = levels.length - 2; j >= 0; j -= 2) this.put(levels[j], levels[j + 1]);
  }

  /** The window is empty and levels are behind it: it moves down to hold the best of them. */
  private shiftDown(): void {
    const behind = this.behind;
    this.base = (this.dir * behind.bestPx) / this.tick - ((this.width * 3) >>> 2);
    while (behind.n > 0) {
      const i = (this.dir * behind.bestPx) / this.tick - this.base;
      if (i < 0) break;
      const q = behind.bestQty;
      behind.n--; // the best level is the sorted side's last
      this.place(i, q);
    }
  }

  /** A level absent from the side, put where it belongs (window or behind). */
  private put(price: number, qty: number): void {
    const i = (this.dir * price) / this.tick - this.base;
    if (i < 0) this.behind.set(price, qty);
    else this.place(i, qty);
  }

  /** A new level at window index `i`. */
  private place(i: number, qty: number): void {
    this.qty[i] = qty;
    this.mark(i);
    this.inWindow++;
    if (i > this.top) this.top = i;
  }

  /** An off-grid price: every level moves into the sorted side, which holds the book from now on. */
  private toSorted(): void {
    const levels = this.drain();
    this.sorted = true;
    for (let j = 0; j < levels.length; j += 2) this.behind.set(levels[j], levels[j + 1]);
  }
}
