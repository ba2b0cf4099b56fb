/**
 * Nanoseconds relative to the run's epoch (`Clock.epoch`), as a float64: exact to the nanosecond
 * within ±2^53 ns (±104 days) of it, so the hot path keeps plain doubles and typed arrays while
 * exchange timestamps stay exact (see docs/architecture.md, "Time").
 */
export type Nanos = number;

const TWO_32 = 4294967296;
const NS_PER_DAY = 86_400_000_000_000n;
const NS_PER_MS_BIG = 1_000_000n;

/**
 * The absolute origin of a run's `Nanos`: integer nanoseconds since 1970-01-01T00:00:00Z. A run's
 * epoch is the UTC midnight at or before its first event (replays), of `sim.start_time`
 * (simulated runs) or of the process start (real-clock runs); Epoch.ZERO makes Nanos absolute
 * again (synthetic test data with small times). Conversions to and from absolute time are exact;
 * `writeInt64LE` is the one for the hot path (no BigInt, no allocation).
 */
export class Epoch {
  static readonly ZERO = new Epoch(0n);
  /** ns since 1970 (UTC). */
  readonly ns: bigint;
  /** `ns` as 32-bit halves (hi signed), for exact Int64 arithmetic on doubles. */
  private readonly hi: number;
  private readonly lo: number;
  /** ms since 1970, for display (a float: exact for whole-ms epochs such as midnights). */
  private readonly ms: number;

  constructor(ns: bigint) {
    this.ns = ns;
    this.hi = Number(BigInt.asIntN(64, ns) >> 32n);
    this.lo = Number(BigInt.asUintN(32, ns));
    this.ms = Number(ns) / 1e6;
  }

  /** The UTC midnight at or before the absolute time `absNs`. */
  static midnightBefore(absNs: bigint): Epoch {
    let day = absNs / NS_PER_DAY;
    if (absNs < 0n && day * NS_PER_DAY !== absNs) day -= 1n;
    return new Epoch(day * NS_PER_DAY);
  }

  /** The UTC midnight at or before `ms` (ms since 1970, e.g. Date.parse or Date.now()). */
  static midnightBeforeMs(ms: number): Epoch {
    return Epoch.midnightBefore(BigInt(Math.floor(ms)) * NS_PER_MS_BIG);
  }

  /** Absolute ns since 1970 of `t` (rounded to the ns), exactly. */
  toAbs(t: Nanos): bigint {
    return this.ns + BigInt(Math.round(t));
  }

  /** `Nanos` of an absolute time (ns since 1970). */
  fromAbs(abs: bigint): Nanos {
    return Number(abs - this.ns);
  }

  /** `Nanos` of an integer millisecond time since 1970 (a venue's exchange time), exactly. */
  fromMs(ms: number): Nanos {
    return Number(BigInt(ms) * NS_PER_MS_BIG - this.ns);
  }

  /**
   * `Nanos` of an absolute time given as the two 32-bit halves of an Int64/UInt64 (a DataView's
   * getUint32 pair): exact without a BigInt while the result is within ±2^53 of the epoch.
   */
  fromParts(hi: number, lo: number): Nanos {
    return (hi - this.hi) * TWO_32 + (lo - this.lo);
  }

  /**
   * Writes the absolute time of `t` (rounded to the ns) as a little-endian Int64 at `bytes[at]`:
   * exact integer arithmetic on doubles, no allocation. `t` must be finite and within ±2^53.
   */
  writeInt64LE(bytes: Uint8Array, at: number, t: Nanos): void {
    const v = Math.round(t);
    const vhi = Math.floor(v / TWO_32);
    let lo = this.lo + (v - vhi * TWO_32);
    let hi = this.hi + vhi;
    if (lo >= TWO_32) {
      lo -= TWO_32;
      hi += 1;
    }
    bytes[at] = lo & 255;
    bytes[at + 1] = (lo >>> 8) & 255;
    bytes[at + 2] = (lo >>> 16) & 255;
    bytes[at + 3] = lo >>> 24;
    bytes[at + 4] = hi & 255;
    bytes[at + 5] = (hi >> 8) & 255;
    bytes[at + 6] = (hi >> 16) & 255;
    bytes[at + 7] = (hi >> 24) & 255;
  }

  /** Milliseconds since 1970 of `t`, as a float (charts, Date). */
  toMs(t: Nanos): number {
    return this.ms + t / 1e6;
  }

  /** ISO 8601 UTC of `t`, to the millisecond (truncated), like Date.toISOString. */
  toIso(t: Nanos): string {
    const abs = this.toAbs(t);
    let ms = abs / NS_PER_MS_BIG;
    if (abs < 0n && ms * NS_PER_MS_BIG !== abs) ms -= 1n;
    return new Date(Number(ms)).toISOString();
  }
}

/** All time in the platform comes from an injected clock, so the same code runs live and simulated. */
export interface Clock {
  /** Now, in ns relative to `epoch`. */
  nowNs(): Nanos;
  /** True when time only moves when the scheduler advances it. */
  readonly simulated: boolean;
  /** Absolute origin of this clock's Nanos (and of every timestamp of the run). */
  readonly epoch: Epoch;
}

/**
 * Wall clock: reads `startNs` + `speed` x the wall time elapsed since construction, with the
 * monotonic performance timer's sub-microsecond resolution. Defaults: now (epoch: the UTC midnight
 * before it), real time. A speed other than 1 paces recorded data (`--speed x`; `startNs` is then
 * the data's first time on `epoch`). Live, paced replays and the JIT warm-up all use this one
 * class, so hot call sites optimized during the warm-up stay valid afterwards.
 */
export class RealClock implements Clock {
  readonly simulated = false;
  readonly epoch: Epoch;
  private readonly wall0: number;
  private readonly startNs: Nanos;

  constructor(
    startNs?: Nanos,
    /** Clock ns per wall-clock ns. */
    readonly speed = 1,
    epoch?: Epoch,
    /** Wall time in ms (performance.now); tests inject their own to stall the loop without sleeping. */
    private readonly wallNow: () => number = perfNowMs,
  ) {
    if (!(speed > 0 && Number.isFinite(speed))) throw new Error(`clock speed must be > 0, got ${speed}`);
    this.wall0 = wallNow();
    const wallMs = performance.timeOrigin + this.wall0;
    this.epoch = epoch ?? (startNs === undefined ? Epoch.midnightBeforeMs(wallMs) : Epoch.ZERO);
    this.startNs = startNs ?? (wallMs - this.epoch.toMs(0)) * 1e6;
  }

  nowNs(): Nanos {
    return this.startNs + (this.wallNow() - this.wall0) * 1e6 * this.speed;
  }
}

function perfNowMs(): number {
  return performance.now();
}

/** Clock whose time is set by the scheduler (backtests, simulated-time runs, tests). */
export class SimClock implements Clock {
  readonly simulated = true;
  constructor(
    private t: Nanos = 0,
    readonly epoch: Epoch = Epoch.ZERO,
  ) {}
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
