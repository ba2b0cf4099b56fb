/** Nanoseconds since the Unix epoch, as a float64 (exact to 256 ns at today's epoch; see docs/architecture.md). */
export type Nanos = number;

/** All time in the platform comes from an injected clock, so the same code runs live and simulated. */
export interface Clock {
  nowNs(): Nanos;
  /** True when time only moves when the scheduler advances it. */
  readonly simulated: boolean;
}

/**
 * Wall clock: reads `startNs` + `speed` x the wall time elapsed since construction, with the
 * monotonic performance timer's sub-microsecond resolution. Defaults: now, real time. A speed
 * other than 1 paces recorded data (`--speed x`). Live, paced replays and the JIT warm-up all
 * use this one class, so hot call sites optimized during the warm-up stay valid afterwards.
 */
export class RealClock implements Clock {
  readonly simulated = false;
  private readonly wall0 = performance.now();
  private readonly startNs: Nanos;

  constructor(
    startNs?: Nanos,
    private readonly speed = 1,
  ) {
    if (!(speed > 0 && Number.isFinite(speed))) throw new Error(`clock speed must be > 0, got ${speed}`);
    this.startNs = startNs ?? (performance.timeOrigin + this.wall0) * 1e6;
  }

  nowNs(): Nanos {
    return this.startNs + (performance.now() - this.wall0) * 1e6 * this.speed;
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
