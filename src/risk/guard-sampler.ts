import type { Nanos } from '../core/clock.ts';
import { NS_PER_S, NS_PER_US } from '../core/clock.ts';
import { MONEY_SCALE } from '../core/money.ts';
import type { GuardInputSource, GuardInputs } from './storm-guard.ts';

/** Cumulative counters StormGuard's inputs are derived from (wired by the services). */
export interface GuardSources {
  /** Net PnL of the account (realized + unrealized - fees), money units. */
  equity(): number;
  /** Orders sent to the venue so far. */
  orders(): number;
  /**
   * Of those, rejected by the venue. Risk and order-adapter refusals are left out: they are
   * policy working as intended, and a strategy's own rejections stay isolated to it.
   */
  rejects(): number;
  /** Market-data events processed so far. */
  marketEvents(): number;
  /** Strategy callback errors so far. */
  strategyErrors(): number;
}

/**
 * Turns cumulative counters into StormGuard inputs at each evaluation: drawdown from the
 * equity peak, venue reject rate over a sliding window of evaluations, time since the market-data
 * counter last moved, and the timer lag handed in by the guard.
 */
export class GuardSampler implements GuardInputSource {
  private peak = Number.NEGATIVE_INFINITY;
  private readonly capital: number;
  private readonly dIntents: Float64Array;
  private readonly dRejects: Float64Array;
  private head = 0;
  private sumIntents = 0;
  private sumRejects = 0;
  private lastIntents = 0;
  private lastRejects = 0;
  private lastEvents = 0;
  private lastEventTs = Number.NaN;
  private lastErrors = 0;
  private readonly out: GuardInputs = {
    drawdownBps: 0,
    rejectRate: Number.NaN,
    feedGapS: 0,
    latencyUs: 0,
    strategyErrors: 0,
  };

  constructor(
    private readonly src: GuardSources,
    /** Capital the drawdown is measured against, currency units. */
    capital: number,
    /** Evaluations in the reject-rate window. */
    windowEvals: number,
    private readonly minIntents: number,
  ) {
    this.capital = capital * MONEY_SCALE;
    this.dIntents = new Float64Array(Math.max(1, windowEvals));
    this.dRejects = new Float64Array(Math.max(1, windowEvals));
    this.lastErrors = src.strategyErrors();
  }

  sample(now: Nanos, lagNs: number): GuardInputs {
    const s = this.src;
    const o = this.out;
    const eq = s.equity();
    if (eq > this.peak) this.peak = eq;
    o.drawdownBps = ((this.peak - eq) / this.capital) * 10_000;

    const intents = s.orders();
    const rejects = s.rejects();
    // Window sums kept running: add this evaluation's deltas, drop the oldest slot's.
    const h = this.head;
    const di = intents - this.lastIntents;
    const dr = rejects - this.lastRejects;
    this.sumIntents += di - this.dIntents[h];
    this.sumRejects += dr - this.dRejects[h];
    this.dIntents[h] = di;
    this.dRejects[h] = dr;
    this.head = h + 1 === this.dIntents.length ? 0 : h + 1;
    this.lastIntents = intents;
    this.lastRejects = rejects;
    const n = this.sumIntents;
    const r = this.sumRejects;
    o.rejectRate = n >= this.minIntents ? r / n : Number.NaN;

    const events = s.marketEvents();
    if (events !== this.lastEvents) {
      this.lastEvents = events;
      this.lastEventTs = now;
    }
    o.feedGapS = Number.isNaN(this.lastEventTs) ? 0 : (now - this.lastEventTs) / NS_PER_S;
    o.latencyUs = lagNs / NS_PER_US;
    const errors = s.strategyErrors();
    o.strategyErrors = errors - this.lastErrors;
    this.lastErrors = errors;
    return o;
  }

  rebase(): void {
    this.peak = this.src.equity();
    this.dIntents.fill(0);
    this.dRejects.fill(0);
    this.sumIntents = 0;
    this.sumRejects = 0;
  }
}
