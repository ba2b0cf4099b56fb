import type { Settings } from '../config/schema.ts';
import type { StrategyConfig } from '../config/strategies.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Epoch } from '../core/clock.ts';
import { MONEY_SCALE } from '../core/money.ts';
import { GUARD_STATES } from '../risk/storm-guard.ts';
import type { RunSummary } from '../services/summary.ts';
import type { GuardMode } from '../services/trading-system.ts';
import { bucketReturns, drawdown, periodsPerYear, sessionsOf, sharpe, sortino } from './metrics.ts';
import type { ModelOptions } from './runner.ts';
import type { BacktestTracker } from './tracker.ts';
import type { HoldingStats, MarkoutStats } from './trade-stats.ts';

/** Sharpe and Sortino use equity changes over buckets of this many seconds of data time. */
export const RATIO_BUCKET_S = 60;
/** Fewer buckets than this (half an hour of data) and the printed ratios carry a warning. */
export const MIN_RATIO_BUCKETS = 30;

/**
 * The run summary without its wall-clock figures and run id, so equal runs give files that differ only in
 * the top-level run_id.
 */
export type DeterministicRunSummary = Omit<
  RunSummary,
  'wall_s' | 'latency_us' | 'lob_update_ns' | 'recorder' | 'run_id' | 'kind'
>;

/** summary.json: money in currency units, ratios as plain numbers. */
export interface BacktestSummary {
  /** This backtest's run id (kind backtest; core/run-id.ts). */
  run_id: string;
  strategy: { id: string; class: string; symbols: string[]; params: Record<string, unknown> };
  data: string[];
  symbols: string[];
  models: {
    /** Exchange model: l2 (queue estimated by `queue`) or l3 (exact FIFO position; `queue` is then 'l3_fifo'). */
    exchange: 'l2' | 'l3';
    queue: string;
    latency: { order_us: number; response_us: number } | { file: string };
    feed_latency_us: number;
  };
  period: { start: string; end: string; data_s: number };
  pnl: { net: number; realized: number; unrealized: number; fees: number; taxes: number };
  sharpe: number;
  sortino: number;
  ratio_bucket_s: number;
  /** Buckets the ratios were computed over. */
  ratio_buckets: number;
  periods_per_year: number;
  max_drawdown: number;
  max_drawdown_duration_s: number;
  /** Traded value (price x quantity x multiplier), currency units. */
  turnover: number;
  volume: number;
  trades: number;
  orders: number;
  /** Filled quantity / quantity sent. */
  fill_ratio: number;
  /** Share of the filled quantity that rested (maker) or took liquidity (taker). */
  maker_share: number;
  taker_share: number;
  /** Orders refused by risk for the position limit. */
  position_limit_hits: number;
  final_position: Record<string, number>;
  /** Stretches of data between breaks of at least SESSION_BREAK_S without market data. */
  sessions: { start: string; end: string }[];
  /** What StormGuard did (mode on) or would have done (observe) in this run. */
  guard: GuardSummary;
  /** Orders refused before the venue (risk limits, rate limiter, breaker, guard), by reason. */
  refused: { total: number; by_reason: Record<string, { count: number; first: string; last: string }> };
  /** Per-trade statistics: markouts against the mid after each fill, holding times (FIFO). */
  markout: MarkoutStats[];
  holding: HoldingStats;
  run: DeterministicRunSummary;
}

export interface GuardSummary {
  /** on: applied (gated orders); observe: evaluated on the live config, nothing gated; off: not evaluated. */
  mode: GuardMode;
  /** Capital the drawdown thresholds are measured against (storm_guard.capital). */
  capital: number;
  evaluations: number;
  /** Highest state reached. */
  worst: string;
  /** Data seconds spent in each state (the period's span, gaps included). */
  seconds_in: Record<string, number>;
  transitions: { time: string; from: string; to: string; reason: string }[];
}

export interface SummaryInput {
  strategy: StrategyConfig;
  data: string[];
  settings: Settings;
  models: ModelOptions;
  symbols: readonly SymbolSpec[];
  tracker: BacktestTracker;
  run: RunSummary;
  positionLimitHits: number;
  /** The run clock's epoch (the tracker's times are on it). */
  epoch: Epoch;
  guard: { mode: GuardMode; evaluations: number };
}

/** A stretch without market data at least this long separates sessions (TAIFEX: 13:45 -> 14:50). */
export const SESSION_BREAK_S = 1800;

const money = (v: number) => v / MONEY_SCALE;
const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
/** Rounds a float statistic so the file does not carry noise digits. */
const r6 = (v: number) => Math.round(v * 1e6) / 1e6;

/** Computes the backtest statistics from what the tracker saw. */
export function summarize(x: SummaryInput): BacktestSummary {
  const t = x.tracker;
  const e = t.equity;
  const last = e.ts.length - 1;
  const returns = bucketReturns(e, RATIO_BUCKET_S * 1e9);
  const perYear = periodsPerYear(returns);
  const dd = drawdown(e);
  const { wall_s, latency_us, lob_update_ns, recorder, run_id, kind, ...run } = x.run;
  const finalPosition: Record<string, number> = {};
  x.symbols.forEach((s, i) => {
    finalPosition[s.code] = last >= 0 ? e.position[i][last] : 0;
  });
  const m = x.models;
  const lat = x.settings.sim.latency;
  return {
    run_id,
    strategy: {
      id: x.strategy.id,
      class: x.strategy.class,
      symbols: x.strategy.symbols,
      params: x.strategy.params,
    },
    data: x.data,
    symbols: x.symbols.map((s) => s.code),
    models: {
      exchange: m.exchange ?? 'l2',
      queue:
        m.exchange === 'l3'
          ? 'l3_fifo'
          : m.queue === 'risk_averse'
            ? 'risk_averse'
            : `prob:${m.queueFunc}${m.queueFunc.startsWith('power') ? `:${m.queueN}` : ''}`,
      latency: m.latencyFile
        ? { file: m.latencyFile }
        : { order_us: lat.order_us, response_us: lat.response_us },
      feed_latency_us: x.settings.feed.latency_us,
    },
    period: {
      start: last >= 0 ? x.epoch.toIso(e.ts[0]) : '',
      end: last >= 0 ? x.epoch.toIso(e.ts[last]) : '',
      data_s: last >= 0 ? Math.round((e.ts[last] - e.ts[0]) / 1e6) / 1e3 : 0,
    },
    pnl: {
      net: money(last >= 0 ? e.equity[last] : 0),
      realized: money(last >= 0 ? e.realized[last] : 0),
      unrealized: money(last >= 0 ? e.unrealized[last] : 0),
      fees: money(t.fees),
      taxes: money(t.taxes),
    },
    sharpe: r6(sharpe(returns.changes, perYear)),
    sortino: r6(sortino(returns.changes, perYear)),
    ratio_bucket_s: RATIO_BUCKET_S,
    ratio_buckets: returns.changes.length,
    periods_per_year: r6(perYear),
    max_drawdown: money(dd.max),
    max_drawdown_duration_s: Math.round(dd.longestNs / 1e6) / 1e3,
    turnover: money(t.turnover),
    volume: t.filledQty,
    trades: t.fills.length,
    orders: run.orders,
    fill_ratio: r6(ratio(t.filledQty, t.orderedQty)),
    maker_share: r6(ratio(t.filledQty - t.takerQty, t.filledQty)),
    taker_share: r6(ratio(t.takerQty, t.filledQty)),
    position_limit_hits: x.positionLimitHits,
    final_position: finalPosition,
    sessions: sessionsOf(e.ts, SESSION_BREAK_S * 1e9).map(([a, b]) => ({
      start: x.epoch.toIso(a),
      end: x.epoch.toIso(b),
    })),
    guard: guardSummary(x),
    refused: refusedSummary(x),
    markout: t.trades.markoutStats(),
    holding: t.trades.holdingStats(),
    run,
  };
}

function guardSummary(x: SummaryInput): GuardSummary {
  const t = x.tracker;
  const seconds: Record<string, number> = Object.fromEntries(GUARD_STATES.map((s) => [s, 0]));
  let worst = 0;
  let level = 0;
  let since = t.startTs;
  for (const c of t.guard) {
    seconds[GUARD_STATES[level]] += c.ts - since;
    level = c.level;
    since = c.ts;
    if (level > worst) worst = level;
  }
  if (!Number.isNaN(since)) seconds[GUARD_STATES[level]] += t.endTs - since;
  for (const k of GUARD_STATES) seconds[k] = Math.round(seconds[k] / 1e6) / 1e3;
  return {
    mode: x.guard.mode,
    capital: x.settings.storm_guard.capital,
    evaluations: x.guard.evaluations,
    worst: GUARD_STATES[worst],
    seconds_in: seconds,
    transitions: t.guard.map((c) => ({
      time: x.epoch.toIso(c.ts),
      from: GUARD_STATES[c.from],
      to: GUARD_STATES[c.level],
      reason: c.reason,
    })),
  };
}

function refusedSummary(x: SummaryInput): BacktestSummary['refused'] {
  const by: BacktestSummary['refused']['by_reason'] = {};
  let total = 0;
  for (const [reason, r] of [...x.tracker.refusals].sort(
    (a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1),
  )) {
    by[reason] = { count: r.count, first: x.epoch.toIso(r.first), last: x.epoch.toIso(r.last) };
    total += r.count;
  }
  return { total, by_reason: by };
}
