export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Consecutive venue failures that open the breaker; 0 disables it. */
  failureThreshold: number;
  /** How long it stays open before letting probe orders through (ns). */
  openNs: number;
  /** Orders let through while half-open; one success closes the breaker, one failure reopens it. */
  halfOpenProbes: number;
}

export type BreakerListener = (from: BreakerState, to: BreakerState, reason: string, now: number) => void;

/**
 * Circuit breaker on venue errors (venue rejects, ack timeouts): closed -> open after
 * `failureThreshold` consecutive failures; open -> half-open after `openNs`; half-open lets
 * `halfOpenProbes` orders through and closes on the first success or reopens on a failure.
 */
export class CircuitBreaker {
  state: BreakerState = 'closed';
  /** Consecutive failures while closed. */
  failures = 0;
  opens = 0;
  private openedAt = 0;
  private probes = 0;
  private readonly listeners: BreakerListener[] = [];

  constructor(private readonly o: BreakerOptions) {}

  onChange(fn: BreakerListener): void {
    this.listeners.push(fn);
  }

  /** True when a new order may go at `now`; while half-open each allowed order is a probe. */
  allow(now: number): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (now - this.openedAt < this.o.openNs) return false;
      this.set('half_open', 'open period elapsed', now);
    }
    if (this.probes >= this.o.halfOpenProbes) return false;
    this.probes++;
    return true;
  }

  /** The venue accepted an order. */
  success(now: number): void {
    this.failures = 0;
    if (this.state === 'half_open') this.set('closed', 'probe acknowledged', now);
  }

  /** The venue failed an order (reject for a venue error, or no ack in time). */
  failure(now: number, reason: string): void {
    if (this.o.failureThreshold <= 0) return;
    if (this.state === 'half_open') {
      this.trip(`probe failed: ${reason}`, now);
      return;
    }
    if (this.state === 'open') return;
    this.failures++;
    if (this.failures >= this.o.failureThreshold) {
      this.trip(`${this.failures} consecutive venue failures, last: ${reason}`, now);
    }
  }

  private trip(reason: string, now: number): void {
    this.openedAt = now;
    this.opens++;
    this.set('open', reason, now);
  }

  private set(to: BreakerState, reason: string, now: number): void {
    const from = this.state;
    this.state = to;
    this.probes = 0;
    if (to === 'closed') this.failures = 0;
    for (const fn of this.listeners) fn(from, to, reason, now);
  }
}
