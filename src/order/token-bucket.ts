import { NS_PER_S } from '../core/clock.ts';

/**
 * Token bucket: refills `ratePerS` tokens a second up to `burst`. Over any window of W seconds it
 * lets at most burst + rate x W orders through, so a broker's "N per W s" limit is mirrored by
 * picking burst + rate x W <= N. A rate of 0 disables the bucket (always allows).
 */
export class TokenBucket {
  private tokens: number;
  private lastNs = Number.NaN;
  /** A token counts as whole within 1 us of refill: epoch-ns timestamps in float64 resolve 256 ns. */
  private readonly full: number;

  constructor(
    readonly ratePerS: number,
    readonly burst: number,
  ) {
    if (!(ratePerS >= 0) || !(burst >= 1 || ratePerS === 0)) {
      throw new Error(`TokenBucket: need rate >= 0 and burst >= 1 (got ${ratePerS}, ${burst})`);
    }
    this.tokens = burst;
    this.full = 1 - ratePerS * 1e-6;
  }

  get unlimited(): boolean {
    return this.ratePerS === 0;
  }

  /** True when a token can be taken at `now` (ns). */
  ready(now: number): boolean {
    if (this.unlimited) return true;
    this.refill(now);
    return this.tokens >= this.full;
  }

  /** Takes one token; false when the bucket is empty. */
  tryTake(now: number): boolean {
    if (this.unlimited) return true;
    this.refill(now);
    if (this.tokens < this.full) return false;
    this.tokens = Math.max(0, this.tokens - 1);
    return true;
  }

  /** Nanoseconds until one token is available (0 when one is). */
  waitNs(now: number): number {
    if (this.unlimited) return 0;
    this.refill(now);
    return this.tokens >= this.full ? 0 : Math.ceil(((1 - this.tokens) * NS_PER_S) / this.ratePerS);
  }

  private refill(now: number): void {
    if (now > this.lastNs) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastNs) * this.ratePerS) / NS_PER_S);
      this.lastNs = now;
    } else if (Number.isNaN(this.lastNs)) this.lastNs = now;
  }
}
