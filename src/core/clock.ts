/** Nanoseconds since the Unix epoch, as a float64 (exact to 256 ns at today's epoch; see README). */
export type Nanos = number;

/** All time in the platform comes from an injected clock, so the same code runs live and simulated. */
export interface Clock {
  nowNs(): Nanos;
  /** True when time only moves when the scheduler advances it. */
  readonly simulated: boolean;
}

/** Wall clock with sub-microsecond resolution from the monotonic performance timer. */
export class RealClock implements Clock {
  readonly simulated = false;
  private readonly originNs = performance.timeOrigin * 1e6;
  nowNs(): Nanos {
    return this.originNs + performance.now() * 1e6;
  }
}

/** Clock whose time is set by the scheduler (backtests, simulated-time runs, tests). */
export class SimClock implements Clock {
  readonly simulated = true;
  constructor(private t: Nanos = 0) {}
  nowNs(): Nanos {
    return this.t;
  }
  set(t: Nanos): void {
    if (t < this.t) throw new Error(`SimClock cannot go back in time (${t} < ${this.t})`);
    this.t = t;
  }
}

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;
