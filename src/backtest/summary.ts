import type { Settings } from '../config/schema.ts';
import type { StrategyConfig } from '../config/strategies.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Epoch } from '../core/clock.ts';
import { MONEY_SCALE } from '../core/money.ts';
import type { RunSummary } from '../services/summary.ts';
import { bucketReturns, drawdown, periodsPerYear, sharpe, sortino } from './metrics.ts';
import type { ModelOptions } from './runner.ts';
import type { BacktestTracker } from './tracker.ts';

/** Sharpe and Sortino use equity changes over buckets of this many seconds of data time. */
export const RATIO_BUCKET_S = 60;

/** The run summary without its wall-clock figures, so equal runs give byte-identical files. */
export type DeterministicRunSummary = Omit<
  RunSummary,
  'wall_s' | 'latency_us' | 'lob_update_ns' | 'recorder'
>;

/** summary.json: money in currency units, ratios as plain numbers. */
export interface BacktestSummary {
  strategy: { id: string; class: string; symbols: string[]; params: Record<string, unknown> };
  data: string[];
  symbols: string[];
  models: {
    queue: string;
    latency: { order_us: number; response_us: number } | { file: string };
    feed_latency_us: number;
  };
  period: { start: string; end: string; data_s: number };
  pnl: { net: number; realized: number; unrealized: number; fees: number; taxes: number };
  sharpe: number;
  sortino: number;
  ratio_bucket_s: number;
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
  run: DeterministicRunSummary;
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
}

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
  const { wall_s, latency_us, lob_update_ns, recorder, ...run } = x.run;
  const finalPosition: Record<string, number> = {};
  x.symbols.forEach((s, i) => {
    finalPosition[s.code] = last >= 0 ? e.position[i][last] : 0;
  });
  const m = x.models;
  const lat = x.settings.sim.latency;
  return {
    strategy: {
      id: x.strategy.id,
      class: x.strategy.class,
      symbols: x.strategy.symbols,
      params: x.strategy.params,
    },
    data: x.data,
    symbols: x.symbols.map((s) => s.code),
    models: {
      queue:
        m.queue === 'risk_averse'
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
    run,
  };
}
