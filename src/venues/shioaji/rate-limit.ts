import { LIMITS, type LimitCategory } from './protocol.ts';

/**
 * Exact sliding-window call counter: at most `budget` calls in any `windowMs`. The broker counts
 * calls in windows whose alignment it does not document, so only a sliding window is safe; a
 * ring of the last `budget` call times answers "may I call now" in O(1).
 */
export class SlidingWindow {
  private readonly times: Float64Array;
  private head = 0;
  private n = 0;
  /** Calls refused because the window was full. */
  refused = 0;
  taken = 0;

  constructor(
    readonly budget: number,
    readonly windowMs: number,
  ) {
    if (!(Number.isInteger(budget) && budget >= 1)) throw new Error(`SlidingWindow: bad budget ${budget}`);
    this.times = new Float64Array(budget);
  }

  /** ms until a call is allowed (0 = now). */
  waitMs(nowMs: number): number {
    if (this.n < this.budget) return 0;
    const oldest = this.times[this.head];
    return Math.max(0, oldest + this.windowMs - nowMs);
  }

  /** Takes a slot when one is free at `nowMs`. */
  tryTake(nowMs: number): boolean {
    if (this.waitMs(nowMs) > 0) {
      this.refused++;
      return false;
    }
    if (this.n < this.budget) {
      this.times[(this.head + this.n) % this.budget] = nowMs;
      this.n++;
    } else {
      this.times[this.head] = nowMs;
      this.head = (this.head + 1) % this.budget;
    }
    this.taken++;
    return true;
  }

  /** Calls in the window ending at `nowMs`. */
  inWindow(nowMs: number): number {
    let c = 0;
    for (let i = 0; i < this.n; i++)
      if (this.times[(this.head + i) % this.budget] > nowMs - this.windowMs) c++;
    return c;
  }
}

/** Our share of each broker limit (config shioaji.rate_limit_fraction): headroom for clock skew and retries. */
export const DEFAULT_FRACTION = 0.9;

/**
 * The three Shioaji call budgets of one login, enforced on our side so the account is never
 * suspended, plus the suspension itself: after a 503 ban answer every call is refused locally
 * for the ban's minute (retrying during a ban prolongs it; reference §8).
 */
export class ShioajiLimits {
  readonly windows: Record<LimitCategory, SlidingWindow>;
  bannedUntilMs = 0;
  bans = 0;

  constructor(fraction = DEFAULT_FRACTION) {
    if (!(fraction > 0 && fraction <= 1))
      throw new Error(`rate limit fraction must be in (0, 1], got ${fraction}`);
    const w = (l: { count: number; windowMs: number }) =>
      new SlidingWindow(Math.max(1, Math.floor(l.count * fraction)), l.windowMs);
    this.windows = { orders: w(LIMITS.orders), data: w(LIMITS.data), portfolio: w(LIMITS.portfolio) };
  }

  banned(nowMs: number): boolean {
    return nowMs < this.bannedUntilMs;
  }

  /** A slot in `cat` now, unless banned or the window is full. */
  tryTake(cat: LimitCategory, nowMs: number): boolean {
    if (this.banned(nowMs)) return false;
    return this.windows[cat].tryTake(nowMs);
  }

  /** ms until `cat` may be called (the ban included). */
  waitMs(cat: LimitCategory, nowMs: number): number {
    return Math.max(this.bannedUntilMs - nowMs, this.windows[cat].waitMs(nowMs), 0);
  }

  /** The server answered with the ban: nothing is sent until it has passed. */
  ban(nowMs: number): void {
    this.bans++;
    this.bannedUntilMs = Math.max(this.bannedUntilMs, nowMs + LIMITS.banMs);
  }
}
