import type { Rng } from '../../core/rng.ts';

/**
 * Reconnect delays: exponential from `minMs` to `maxMs` with full jitter (a uniform draw in
 * [delay/2, delay], seeded), reset after a connection has stayed up. Many clients reconnecting
 * at once do not hit the venue in lockstep (Binance caps connection attempts per IP).
 */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly rng: Rng,
  ) {
    if (!(minMs > 0) || !(maxMs >= minMs)) throw new Error(`backoff: bad range ${minMs}..${maxMs} ms`);
  }

  /** Delay before the next attempt, ms. */
  next(): number {
    const cap = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(cap / 2 + (this.rng.next() * cap) / 2);
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The connection is healthy again: start from `minMs` next time. */
  reset(): void {
    this.attempt = 0;
  }
}
