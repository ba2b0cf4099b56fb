import * as hdr from 'hdr-histogram-js';

/** Latency histogram (HdrHistogram, 3 significant digits) recording nanoseconds. */
export class LatencyHistogram {
  private readonly h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000,
    numberOfSignificantValueDigits: 3,
  });

  record(ns: number): void {
    this.h.recordValue(ns < 1 ? 1 : Math.round(ns));
  }

  get count(): number {
    return this.h.totalCount;
  }

  percentile(p: number): number {
    return this.h.totalCount === 0 ? 0 : this.h.getValueAtPercentile(p);
  }

  get max(): number {
    return this.h.maxValue;
  }

  reset(): void {
    this.h.reset();
  }
}
