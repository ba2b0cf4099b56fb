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
  /** False while no market data is due (SupervisedSystem.feedExpected): no feed gap accrues. Absent: always due. */
  feedExpected?(): boolean;
}

/** How the guard's timer lag becomes its latency input. */
export interface LagOptions {
  /**
   * Run-clock ns per wall-clock ns: 1 live, x in a replay paced at `--speed x`, 0 in simulated
   * time. Lag is a wall-clock quantity (how long the event loop kept the timer waiting): it is
   * divided by the rate, and in simulated time, where the scheduler is never late, it does not
   * apply (NaN).
   */
  rate: number;
  /** The guard's evaluation period, run-clock ns. */
  intervalNs: number;
  /** Wall ns after the first sample during which lag is not judged (start-up: module loading, JIT, store). */
  graceNs: number;
  /**
   * Evaluations the lag must hold over, so one hiccup of a busy machine is not a stall: the input
   * is the smallest lag of the last `sustain` evaluations, or, when one evaluation came so late
   * that it stands for the ones it displaced, its lag less `sustain - 1` periods (a loop stuck for
   * 2 s is stalled even though the guard ran only once in that time).
   */
  sustain: number;
}

/** The historical behaviour: every lag judged as it is, from the first evaluation. */
const RAW_LAG: LagOptions = { rate: 1, intervalNs: 0, graceNs: 0, sustain: 1 };

/**
 * Turns cumulative counters into StormGuard inputs at each evaluation: drawdown from the
 * equity peak, venue reject rate over a sliding window of evaluations, time since the market-data
 * counter last moved, and the timer lag handed in by the guard, on the wall clock (LagOptions).
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
  private lastEquity = Number.NaN;
  /** Consecutive evaluations in which no counter moved. */
  private idleEvals = 0;
  /** Run-clock time of the first sample (the grace period counts from it). */
  private firstTs = Number.NaN;
  /** The last `sustain` wall lags, ns (a ring). */
  private readonly lags: Float64Array;
  private lagCount = 0;
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
    private readonly lag: LagOptions = RAW_LAG,
  ) {
    this.capital = capital * MONEY_SCALE;
    this.lags = new Float64Array(Math.max(1, lag.sustain));
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
    const moved = events !== this.lastEvents;
    if (moved) {
      this.lastEvents = events;
      this.lastEventTs = now;
    } else if (!Number.isNaN(this.lastEventTs) && s.feedExpected?.() === false) {
      // Between sessions the gap restarts at the open (a feed not started yet still has none).
      this.lastEventTs = now;
    }
    o.feedGapS = Number.isNaN(this.lastEventTs) ? 0 : (now - this.lastEventTs) / NS_PER_S;
    o.latencyUs = this.wallLagUs(now, lagNs);
    const errors = s.strategyErrors();
    o.strategyErrors = errors - this.lastErrors;
    this.idleEvals =
      moved || eq !== this.lastEquity || di !== 0 || dr !== 0 || errors !== this.lastErrors
        ? 0
        : this.idleEvals + 1;
    this.lastErrors = errors;
    this.lastEquity = eq;
    return o;
  }

  /** Nothing moved for a whole reject window: the next inputs equal these until other work runs. */
  idle(): boolean {
    return this.idleEvals >= this.dIntents.length;
  }

  /** Sustained wall-clock lag in us (LagOptions), NaN when not judged (simulated time, grace, too few samples). */
  private wallLagUs(now: Nanos, lagNs: number): number {
    const l = this.lag;
    if (l.rate <= 0) return Number.NaN;
    if (Number.isNaN(this.firstTs)) this.firstTs = now;
    if ((now - this.firstTs) / l.rate < l.graceNs) return Number.NaN;
    const lag = lagNs / l.rate;
    const ring = this.lags;
    ring[this.lagCount++ % ring.length] = lag;
    let held = Number.NaN;
    if (this.lagCount >= ring.length) {
      held = ring[0];
      for (let i = 1; i < ring.length; i++) if (ring[i] < held) held = ring[i];
    }
    const stuck = lag - ((ring.length - 1) * l.intervalNs) / l.rate;
    if (stuck > 0 && !(stuck <= held)) held = stuck;
    return held / NS_PER_US;
  }

  rebase(): void {
    this.peak = this.src.equity();
    this.dIntents.fill(0);
    this.dRejects.fill(0);
    this.sumIntents = 0;
    this.sumRejects = 0;
  }
}
