import path from 'node:path';
import { DEFAULT_SCORED, parseScoredModel, queueScore } from '../src/backtest/queue-score.ts';
import { DEFAULT_MODELS, loadBacktestData, runBacktest } from '../src/backtest/runner.ts';
import { loadProject } from '../src/config/project.ts';
import { SimClock } from '../src/core/clock.ts';
import { createLogger } from '../src/core/logger.ts';
import { Scheduler } from '../src/core/scheduler.ts';
import { applyMbo } from '../src/lob/mbo-actions.ts';
import { OrderBookL3, type OrderId } from '../src/lob/order-book-l3.ts';
import { EV_LAST } from '../src/venues/replay/event-columns.ts';
import { L3Exchange } from '../src/venues/sim/l3-exchange.ts';
import { ConstantLatency } from '../src/venues/sim/latency-model.ts';
import { decodeMbo } from '../test/venues/replay/dbn-file.ts';
import { benchChild } from './child.ts';

/** L3 book throughput on CME ESH4 MBO records. */
export interface L3Figure {
  file: string;
  records: number;
  passes: number;
  best_ms: number;
  events_per_s: number;
}

/**
 * The L3 book fed every MBO record of the ESH4 day (snapshot + live), its L2 view kept up to date
 * per record: records decoded once up front (the decoder the L3 equality test uses; the DBN
 * reader folds records into L2 and keeps none), then best of `passes` replays, each from a clear book.
 */
export function benchL3(dataDir: string, row: (name: string, value: string) => void, passes = 20): L3Figure {
  const file = 'esh4-glbx-mdp3-20231225.mbo.dbn.zst';
  const recs = decodeMbo(path.join(dataDir, file));
  const n = recs.length;
  const action = new Uint8Array(n);
  const side = new Int8Array(n);
  const price = new Float64Array(n);
  const size = new Float64Array(n);
  const ids: OrderId[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = recs[i];
    action[i] = r.action.charCodeAt(0);
    side[i] = r.side === 'B' ? 1 : r.side === 'A' ? -1 : 0;
    price[i] = Number(r.price / 10_000_000n);
    size[i] = r.size;
    ids[i] = r.orderId <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(r.orderId) : r.orderId;
  }
  const book = new OrderBookL3();
  let best = Number.POSITIVE_INFINITY;
  let check = 0;
  for (let p = 0; p < passes; p++) {
    book.clear();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) applyMbo(book, action[i], ids[i], side[i] as 1 | -1 | 0, price[i], size[i]);
    best = Math.min(best, performance.now() - t0);
    check += book.bestBid + book.bestAsk; // keeps the loop's result alive
  }
  if (!(check > 0)) throw new Error('L3 bench: empty book at the end of the day');
  const f = {
    file,
    records: n,
    passes,
    best_ms: Math.round(best * 10) / 10,
    events_per_s: Math.round(n / (best / 1000)),
  };
  row(
    `L3 book ${file}`,
    `${(f.events_per_s / 1e6).toFixed(2)} M events/s (${n} MBO records, best of ${passes})`,
  );
  return f;
}

/** Backtests on ESH4 MBO with the touch quoter (examples/), L3 exchange against L2; the L3 model alone; queue-score. */
export interface L3BacktestFigure {
  file: string;
  events: number;
  l3_records: number;
  passes: number;
  /** Whole backtest (replay, exchange model, trading system, touch-es): events / wall s, best pass. */
  l3_events_per_s: number;
  l3_fills: number;
  l2_events_per_s: number;
  l2_fills: number;
  /** The L3 exchange model alone over the day's messages (no orders): L3 records / s, best pass. */
  l3_model_records_per_s: number;
  /** hft backtest queue-score with its defaults (8 L2 models + the truth), wall s. */
  queue_score_s: number;
  queue_score_probes: number;
  /** Peak resident set of the bench process so far (MiB), from process.resourceUsage(). */
  peak_rss_mib: number;
}

export async function benchL3Backtest(
  root: string,
  dataDir: string,
  row: (name: string, value: string) => void,
  passes = 7,
): Promise<L3BacktestFigure> {
  const file = 'esh4-glbx-mdp3-20231225.mbo.dbn.zst';
  const data = path.join(dataDir, file);
  const project = path.join(root, 'examples');
  const { settings, symbols, strategies } = loadProject({ root: project, env: 'test', envVars: {} });
  const cfg = { settings, root: project, symbols, strategies };
  const log = createLogger('silent');
  const replay = await loadBacktestData(cfg, [data]);
  const run = async (exchange: 'l2' | 'l3') => {
    let best = Number.POSITIVE_INFINITY;
    let events = 0;
    let fills = 0;
    for (let p = 0; p < passes; p++) {
      const r = await runBacktest(cfg, {
        strategyId: 'touch-es',
        data: [data],
        models: { ...DEFAULT_MODELS, exchange },
        log,
        replay,
      });
      best = Math.min(best, r.run.wall_s);
      events = r.run.events;
      fills = r.summary.trades;
    }
    return { eps: Math.round(events / best), events, fills };
  };
  const l3 = await run('l3');
  const l2 = await run('l2');
  const c = replay.streams[0].columns;
  const records = c.l3?.n ?? 0;
  let modelBest = Number.POSITIVE_INFINITY;
  for (let p = 0; p < passes; p++) {
    const ex = new L3Exchange({
      symbols: [replay.symbols[0]],
      scheduler: new Scheduler(new SimClock(c.exchTs[0])),
      latency: new ConstantLatency(0, 0),
    });
    const t0 = performance.now();
    for (let start = 0, i = 0; i < c.n; i++) {
      if ((c.flags[i] & EV_LAST) !== 0) {
        ex.onMessage(0, c, start, i);
        start = i + 1;
      }
    }
    modelBest = Math.min(modelBest, (performance.now() - t0) / 1000);
  }
  const q0 = performance.now();
  const qs = queueScore(file, c, replay.symbols[0], {
    every: 200,
    lots: 1,
    horizonNs: 60e9,
    orderLatencyNs: 0,
    checkpointsNs: [1e9, 10e9, 30e9],
    models: DEFAULT_SCORED.map(parseScoredModel),
  });
  const qsS = (performance.now() - q0) / 1000;
  const f: L3BacktestFigure = {
    file,
    events: l3.events,
    l3_records: records,
    passes,
    l3_events_per_s: l3.eps,
    l3_fills: l3.fills,
    l2_events_per_s: l2.eps,
    l2_fills: l2.fills,
    l3_model_records_per_s: Math.round(records / modelBest),
    queue_score_s: Math.round(qsS * 100) / 100,
    queue_score_probes: qs.probes,
    peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  row(
    `backtest: touch quoter on ${file}, --exchange l3`,
    `${f.l3_events_per_s} events/s best of ${passes} (${f.events} events, ${f.l3_records} order records, ${f.l3_fills} fills); --exchange l2: ${f.l2_events_per_s} events/s (${f.l2_fills} fills); the quoter's 100 ms timer runs through the file's 35 h of data time`,
  );
  row('L3 exchange model alone, same day', `${f.l3_model_records_per_s} order records/s`);
  row(
    'queue-score ESH4 (truth + 8 L2 models)',
    `${f.queue_score_s} s wall, ${f.queue_score_probes} probes; peak RSS of the bench so far ${f.peak_rss_mib} MiB`,
  );
  return f;
}

/** One child run of the replay-memory bench (bench/replay-memory-child.ts). */
export interface ReplayMemoryRun {
  days: number;
  mode: 'mm' | 'none';
  events: number;
  order_events: number;
  wall_s: number;
  peak_rss_mib: number;
  end_heap_mib: number;
  end_external_mib: number;
}

/**
 * Peak RSS of streamed multi-day replays, each in a fresh process: the two TXF days repeated to 2
 * and 30 days with no strategy (the data and the runtime: what streaming bounds), and 2 days with
 * the market maker (what its records add: equity samples and fills; the order log behind
 * orders.csv is spilled to disk as `hft backtest run` does).
 */
export interface ReplayMemoryFigure {
  runs: ReplayMemoryRun[];
  /** Peak RSS added per day from 2 to 30 days, no strategy (MiB/day): ~0 when the data is streamed. */
  data_mib_per_day: number;
  /** Peak RSS of the market maker over 2 days minus the same days without a strategy (MiB). */
  mm_records_mib_2_days: number;
}

export function benchReplayMemory(
  root: string,
  dataDir: string,
  row: (name: string, value: string) => void,
): ReplayMemoryFigure {
  const files = ['taifex-txf-20260408.parquet', 'taifex-txf-20260410.parquet'].map((f) =>
    path.join(dataDir, f),
  );
  const child = (days: number, mode: 'mm' | 'none'): ReplayMemoryRun => {
    return benchChild(
      root,
      path.join(root, 'bench/replay-memory-child.ts'),
      [root, String(days), mode, ...files],
      ['--expose-gc'],
    );
  };
  const d2 = child(2, 'none');
  const d30 = child(30, 'none');
  const mm = child(2, 'mm');
  const f: ReplayMemoryFigure = {
    runs: [d2, d30, mm],
    data_mib_per_day: Math.round(((d30.peak_rss_mib - d2.peak_rss_mib) / 28) * 10) / 10,
    mm_records_mib_2_days: mm.peak_rss_mib - d2.peak_rss_mib,
  };
  row(
    'replay peak RSS, TXF days streamed, no strategy: 2 / 30 days',
    `${d2.peak_rss_mib} / ${d30.peak_rss_mib} MiB (${d2.events} / ${d30.events} events, ${f.data_mib_per_day} MiB per extra day; 30 days in ${d30.wall_s} s)`,
  );
  row(
    'backtest peak RSS, market maker, 2 days',
    `${mm.peak_rss_mib} MiB (+${f.mm_records_mib_2_days} MiB over no strategy: the run's records, ${mm.order_events} order events)`,
  );
  return f;
}
