/**
 * A venue's fixed-window rate limit (Binance: request weight per minute, orders per 10 s;
 * Shioaji: orders per 10 s, queries per 5 s), enforced on our side: `tryTake` refuses what would
 * exceed `limit x (1 - headroom)` in the current window, so the venue's own counter is never
 * exceeded. `observe` aligns the count with the venue's (a response header such as
 * X-MBX-USED-WEIGHT-1M): the count only moves up, since our own requests in flight are not in it.
 */
export class WindowLimit {
  private windowStart = 0;
  private used = 0;
  /** Requests refused because the window was full. */
  throttled = 0;
  /** Highest count reached in any window (for tests and the summary). */
  peak = 0;
  readonly cap: number;

  constructor(
    readonly name: string,
    readonly limit: number,
    readonly windowMs: number,
    headroom = 0.1,
  ) {
    if (!(limit > 0) || !(windowMs > 0))
      throw new Error(`rate limit ${name}: bad limit ${limit}/${windowMs} ms`);
    this.cap = Math.max(1, Math.floor(limit * (1 - headroom)));
  }

  private roll(nowMs: number): void {
    // Windows are aligned to multiples of their length, as Binance's are (per minute, per 10 s).
    const start = nowMs - (nowMs % this.windowMs);
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.used = 0;
    }
  }

  /** Takes `n` units now; false (and nothing taken) when they would exceed the cap. */
  tryTake(n: number, nowMs: number): boolean {
    this.roll(nowMs);
    if (this.used + n > this.cap) {
      this.throttled++;
      return false;
    }
    this.used += n;
    if (this.used > this.peak) this.peak = this.used;
    return true;
  }

  /** The venue says `used` units are spent in the current window. */
  observe(used: number, nowMs: number): void {
    this.roll(nowMs);
    if (used > this.used) this.used = used;
    if (this.used > this.peak) this.peak = this.used;
  }

  /** Ms until the window rolls over (when a refused request may be retried). */
  msToReset(nowMs: number): number {
    this.roll(nowMs);
    return this.windowStart + this.windowMs - nowMs;
  }

  /** Units spent in the current window. */
  usedAt(nowMs: number): number {
    this.roll(nowMs);
    return this.used;
  }
}
