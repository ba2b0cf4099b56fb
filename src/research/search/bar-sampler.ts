/**
 * Samples a feature stream on bars of data time: the sample of bar k is the feature values after
 * the last event whose exchange time falls in [k·bar, (k+1)·bar), emitted when the first event of
 * a later bar arrives (so it never reads an event after the bar's end). Bars without an event have
 * no sample. The search's data loader and the expression alpha use this one class, so a promoted
 * alpha sees exactly the samples its formula was searched on.
 *
 * Derived input `ret_1`: ln(mid_k / mid_{k−1}) of the samples' mids (0 on the first sample and
 * where a mid is missing); the mid of a sample is the last positive mid seen.
 */
export class BarSampler {
  private bar = -1;
  private readonly held: Float64Array;
  private lastMid = Number.NaN;
  private prevSampleMid = Number.NaN;
  /** The sample being emitted: the features in `names` order, non-finite values as 0. */
  readonly sample: Float64Array;

  /**
   * `width`: values per event (the feature set's); `midIndex`: the position of the mid among them
   * (-1: none, ret_1 is 0); `onSample(bar, values, mid, ret1)` receives the reused `sample` array.
   */
  constructor(
    readonly barNs: number,
    readonly width: number,
    private readonly midIndex: number,
    private readonly onSample: (bar: number, values: Float64Array, mid: number, ret1: number) => void,
  ) {
    this.held = new Float64Array(width);
    this.sample = new Float64Array(width);
  }

  /** One event at exchange time `ts` (ns), after which the features are `values` (read at once). */
  onEvent(ts: number, values: ArrayLike<number>): void {
    const bar = Math.floor(ts / this.barNs);
    if (bar !== this.bar) {
      if (this.bar >= 0) this.emit();
      this.bar = bar;
    }
    const h = this.held;
    for (let k = 0; k < this.width; k++) h[k] = values[k];
    if (this.midIndex >= 0) {
      const m = values[this.midIndex];
      if (m > 0) this.lastMid = m;
    }
  }

  /** Emits the last bar (at the end of the data; a running alpha never sees its last bar end). */
  flush(): void {
    if (this.bar >= 0) this.emit();
    this.bar = -1;
  }

  reset(): void {
    this.bar = -1;
    this.lastMid = Number.NaN;
    this.prevSampleMid = Number.NaN;
  }

  private emit(): void {
    const s = this.sample;
    for (let k = 0; k < this.width; k++) {
      const v = this.held[k];
      s[k] = Number.isFinite(v) ? v : 0;
    }
    const mid = this.lastMid;
    const prev = this.prevSampleMid;
    const ret1 = mid > 0 && prev > 0 ? Math.log(mid / prev) : 0;
    if (mid > 0) this.prevSampleMid = mid;
    this.onSample(this.bar, s, mid, ret1);
  }
}

/** The derived feature every sample has besides the feature set's. */
export const RET_1 = 'ret_1';
