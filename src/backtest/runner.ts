import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import type { Settings } from '../config/schema.ts';
import type { StrategyConfig } from '../config/strategies.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { type Epoch, NS_PER_S, NS_PER_US } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { DeadLetter } from '../order/dead-letter-queue.ts';
import { prepareStrategy } from '../services/strategy-registry.ts';
import type { RunSummary } from '../services/summary.ts';
import { type GuardMode, loadReplayData, TradingSystem } from '../services/trading-system.ts';
import type { StrategyClass } from '../strategy/sdk.ts';
import type { LoadedReplay } from '../venues/replay/replay-sources.ts';
import type { ReplayVenue } from '../venues/replay/replay-venue.ts';
import { L2Exchange } from '../venues/sim/l2-exchange.ts';
import { L3Exchange } from '../venues/sim/l3-exchange.ts';
import { ConstantLatency, type LatencyModel, parseLatencyCsv } from '../venues/sim/latency-model.ts';
import { createQueueModel, type QueueFunc } from '../venues/sim/queue-model.ts';
import { type BacktestSummary, summarize } from './summary.ts';
import { BacktestTracker } from './tracker.ts';

/** Settings, symbol table and strategies, as loaded from config (see cli/context.ts). */
export interface BacktestConfig {
  settings: Settings;
  root: string;
  symbols: SymbolSpec[];
  strategies: StrategyConfig[];
}

/** Exchange-model choices of a backtest; latencies default to sim.latency (the simulated exchange's). */
export interface ModelOptions {
  /** l2 (default): queue position estimated by `queue`; l3: exact FIFO position from L3 data's order ids. */
  exchange?: 'l2' | 'l3';
  queue: 'risk_averse' | 'prob';
  queueFunc: QueueFunc;
  queueN: number;
  /** CSV of recorded latencies (ts, order_latency_ns, response_latency_ns); replaces the constants. */
  latencyFile?: string;
}

export const DEFAULT_MODELS: ModelOptions = {
  exchange: 'l2',
  queue: 'risk_averse',
  queueFunc: 'power',
  queueN: 3,
};

export interface BacktestOptions {
  strategyId: string;
  /** Replay sources (files or store:<dir>), as `feed.data` takes them. */
  data: string[];
  models: ModelOptions;
  /** Strategy parameter overrides (a sweep's grid point). */
  params?: Record<string, unknown>;
  log: Logger;
  /** Called about every 200 ms of wall time with events replayed so far and in total. */
  onProgress?: (done: number, total: number) => void;
  /** `data` already read (loadBacktestData), reused instead of reading the files again. */
  replay?: LoadedReplay;
  /**
   * A folder (created if absent) where the order log keeps its rows while the run goes instead of
   * in memory, until writeReport writes orders.csv: what `hft backtest run` and sweeps do with the
   * report folder, so a long run's memory does not grow with its orders.
   */
  spillDir?: string;
  /**
   * StormGuard (default observe): a backtest measures the strategy, so the live guard is
   * evaluated and reported but gates nothing; `on` applies it as live trading would, `off` skips it.
   */
  guard?: GuardMode;
  /** Strategy classes by `class:` name beyond the shipped ones and plugins (alpha validation's own). */
  strategyClasses?: Record<string, StrategyClass>;
}

export interface BacktestResult {
  summary: BacktestSummary;
  tracker: BacktestTracker;
  symbols: SymbolSpec[];
  run: RunSummary;
  /** Order requests the adapter could not send (the run's dead-letter queue, not written to orders.dlq_dir). */
  deadLetters: readonly DeadLetter[];
  /** Origin of every time in the tracker and the dead letters (the run clock's epoch). */
  epoch: Epoch;
}

/**
 * Backtest: the whole TradingSystem in simulated time over replayed data, with an L2Exchange (or,
 * models.exchange 'l3', an L3Exchange on order-level data) answering orders (the same runtime as `hft run sim --feed replay --speed max`), watched by a
 * BacktestTracker. Only the named strategy runs.
 */
export async function runBacktest(cfg: BacktestConfig, opts: BacktestOptions): Promise<BacktestResult> {
  const strategy = pickStrategy(cfg.strategies, opts.strategyId, opts.params);
  const settings = backtestSettings(cfg.settings, opts.data);
  const latency = latencyModel(settings, cfg.root, opts.models.latencyFile);
  const m = opts.models;
  // Everything that can be checked before the data is read (the data loads first here).
  await prepareStrategy(strategy, cfg.root, opts.strategyClasses);
  // Read here (not by the system): multi-day data is then streamed file by file.
  const replay = opts.replay ?? (await loadBacktestData(cfg, opts.data, true));
  if (m.exchange === 'l3') {
    const l2only = replay.streams
      .map((st, i) => (st.columns.l3 === undefined ? replay.sources[i].source : ''))
      .filter((s) => s !== '');
    if (l2only.length > 0) {
      throw new UserError(
        `--exchange l3 needs order-level data (DBN MBO, LOBSTER); ${l2only.join(', ')} ${l2only.length === 1 ? 'has' : 'have'} price levels only (use --exchange l2)`,
      );
    }
  }
  const sys = await TradingSystem.create({
    settings,
    root: cfg.root,
    symbols: cfg.symbols,
    // The others stay configured (limits files name them) but disabled.
    strategies: cfg.strategies.map((s) => (s.id === strategy.id ? strategy : { ...s, enabled: false })),
    log: opts.log,
    strategyClasses: opts.strategyClasses,
    record: false,
    runKind: 'backtest',
    // A backtest's dead letters belong to its report, not to the live dead-letter directory.
    flushDeadLetters: false,
    replay,
    guard: opts.guard ?? 'observe',
    exchange: (symbols, scheduler) =>
      m.exchange === 'l3'
        ? new L3Exchange({ symbols, scheduler, latency: latency(scheduler.clock.epoch) })
        : new L2Exchange({
            symbols,
            scheduler,
            latency: latency(scheduler.clock.epoch),
            queue: createQueueModel(m.queue, m.queueFunc, m.queueN),
          }),
  });
  if (sys.runner.strategies.length === 0) {
    throw new UserError(
      `strategy ${strategy.id} trades ${strategy.symbols.join(', ')}, none of which is in the data ` +
        `(${sys.symbols.map((s) => s.code).join(', ')})`,
    );
  }
  let spillFile: string | undefined;
  if (opts.spillDir !== undefined) {
    mkdirSync(opts.spillDir, { recursive: true });
    spillFile = path.join(opts.spillDir, `.orders-${process.pid}-${threadId}-${++spills}.spill`);
  }
  const tracker = new BacktestTracker(sys, NS_PER_S, spillFile);
  tracker.start();
  const venue = sys.venue as ReplayVenue;
  const progress =
    opts.onProgress === undefined
      ? null
      : setInterval(() => opts.onProgress!(venue.counters.events, venue.totalEvents), 200);
  let run: RunSummary;
  try {
    run = await sys.run(0);
  } catch (err) {
    tracker.orders.close();
    throw err;
  } finally {
    if (progress !== null) clearInterval(progress);
  }
  opts.onProgress?.(venue.counters.events, venue.totalEvents);
  tracker.finish();
  const summary = summarize({
    strategy,
    data: opts.data,
    settings,
    models: opts.models,
    symbols: sys.symbols,
    tracker,
    run,
    positionLimitHits: sys.risk.counters.byReason.MAX_POSITION ?? 0,
    epoch: sys.clock.epoch,
    guard: { mode: sys.guardMode, evaluations: sys.stormGuard.evaluations },
  });
  return {
    summary,
    tracker,
    symbols: sys.symbols,
    run,
    deadLetters: sys.orders.dlq.entries(),
    epoch: sys.clock.epoch,
  };
}

/** Spill files made by this thread (names must not collide within a folder). */
let spills = 0;

/** The strategy to backtest, enabled, with `params` merged over its configured ones. */
function pickStrategy(
  strategies: readonly StrategyConfig[],
  id: string,
  params: Record<string, unknown> = {},
): StrategyConfig {
  const sc = strategies.find((s) => s.id === id);
  if (sc === undefined) {
    throw new UserError(
      `unknown strategy '${id}' (configured: ${strategies.map((s) => s.id).join(', ') || 'none'})`,
    );
  }
  return { ...sc, enabled: true, params: { ...sc.params, ...params } };
}

/** Settings of a backtest: replay of `data` in simulated time, as fast as possible, without recording. */
export function backtestSettings(s: Settings, data: string[]): Settings {
  if (data.length === 0) throw new UserError('backtest: no data given (--data <path...>)');
  return {
    ...s,
    run: { ...s.run, clock: 'sim', duration_s: 0 },
    feed: { ...s.feed, kind: 'replay', data, speed: 'max' },
    recorder: { ...s.recorder, enabled: false },
    metrics: { ...s.metrics, enabled: false },
  };
}

/**
 * Reads the data of a backtest: in memory, for several runs over it (a sweep worker, the benchmark)
 * or for its columns (alpha validation, search, RL). With `stream`, several TAIFEX or DBN files of
 * one symbol (days) are checked and counted here, their events read again when the replay reaches
 * each and dropped after it (bounded memory, one run: `hft backtest run`).
 */
export function loadBacktestData(cfg: BacktestConfig, data: string[], stream = false): Promise<LoadedReplay> {
  return loadReplayData(backtestSettings(cfg.settings, data), cfg.symbols, cfg.root, stream);
}

/** Constant latencies from sim.latency, or recorded ones from a CSV file (absolute times, put on the run's epoch). */
function latencyModel(s: Settings, root: string, file: string | undefined): (epoch: Epoch) => LatencyModel {
  if (file === undefined) {
    const constant = new ConstantLatency(
      s.sim.latency.order_us * NS_PER_US,
      s.sim.latency.response_us * NS_PER_US,
    );
    return () => constant;
  }
  const full = path.resolve(root, file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (e) {
    throw new UserError(`latency file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  parseLatencyCsv(text, file); // errors before the run starts
  return (epoch) => parseLatencyCsv(text, file, epoch);
}
