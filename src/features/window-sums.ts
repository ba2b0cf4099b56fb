/**
 * Rolling sums over a time window: rows of `width` values stamped with a time, kept in a
 * preallocated ring; `evict(now)` drops rows at or before now − windowNs. Sums use Neumaier
 * compensation so that adding and later subtracting the same floats leaves no drift (integer
 * inputs stay exact), and reset to exactly 0 when the window empties.
 */
export class WindowSums {
  private ts: Float64Array;
  private vals: Float64Array;
  private mask: number;
  private head = 0;
  private tail = 0;
  private readonly sum: Float64Array;
  private readonly comp: Float64Array;

  constructor(
    readonly windowNs: number,
    readonly width: number,
    capacity = 1024,
  ) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.mask = cap - 1;
    this.ts = new Float64Array(cap);
    this.vals = new Float64Array(cap * width);
    this.sum = new Float64Array(width);
    this.comp = new Float64Array(width);
  }

  /** Rows currently in the window. */
  get size(): number {
    return this.tail - this.head;
  }

  /** Adds a row stamped `ts` (the first `width` entries of `row`). */
  push(ts: number, row: Float64Array): void {
    if (this.tail - this.head > this.mask) this.grow();
    const slot = this.tail & this.mask;
    const w = this.width;
    this.ts[slot] = ts;
    for (let k = 0; k < w; k++) {
      const v = row[k];
      this.vals[slot * w + k] = v;
      this.add(k, v);
    }
    this.tail++;
  }

  /** Drops the rows that left the window at time `now`. */
  evict(now: number): void {
    const cutoff = now - this.windowNs;
    const w = this.width;
    if (this.head === this.tail) return;
    while (this.head < this.tail) {
      const slot = this.head & this.mask;
      if (this.ts[slot] > cutoff) return;
      for (let k = 0; k < w; k++) this.add(k, -this.vals[slot * w + k]);
      this.head++;
    }
    // Emptied: exactly zero, whatever rounding the compensation left.
    for (let k = 0; k < w; k++) this.sum[k] = this.comp[k] = 0;
  }

  /** Sum of column k over the window. */
  total(k: number): number {
    return this.sum[k] + this.comp[k];
  }

  clear(): void {
    this.head = this.tail = 0;
    this.sum.fill(0);
    this.comp.fill(0);
  }

  private add(k: number, x: number): void {
    const s = this.sum[k];
    const t = s + x;
    if (Math.abs(s) >= Math.abs(x)) this.comp[k] += s - t + x;
    else this.comp[k] += x - t + s;
    this.sum[k] = t;
  }

  /** Doubles the ring (only when a window holds more rows than ever before). */
  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const w = this.width;
    const ts = new Float64Array(cap);
    const vals = new Float64Array(cap * w);
    for (let i = this.head, j = 0; i < this.tail; i++, j++) {
      const slot = i & this.mask;
      ts[j] = this.ts[slot];
      for (let k = 0; k < w; k++) vals[j * w + k] = this.vals[slot * w + k];
    }
    this.tail -= this.head;
    this.head = 0;
    this.ts = ts;
    this.vals = vals;
    this.mask = cap - 1;
  }
}
