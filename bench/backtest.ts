/**
 * Backtest throughput on real data: `hft backtest run` (the whole TradingSystem in simulated time,
 * replay venue + L2 exchange model) with the market maker on a TAIFEX TXF day, single thread.
 * Also the exchange model alone over the same events, to show where the time goes.
 */
import path from 'node:path';
import { backtestSettings, DEFAULT_MODELS, runBacktest } from '../src/backtest/runner.ts';
import { loadProject } from '../src/config/project.ts';
import { SimClock } from '../src/core/clock.ts';
import { createLogger } from '../src/core/logger.ts';
import { Scheduler } from '../src/core/scheduler.ts';
import { TradingSystem } from '../src/services/trading-system.ts';
import { readTaifex } from '../src/venues/replay/read-taifex.ts';
import { L2Exchange } from '../src/venues/sim/l2-exchange.ts';
import { ConstantLatency } from '../src/venues/sim/latency-model.ts';
import { RiskAverseQueue } from '../src/venues/sim/queue-model.ts';

const FILE = 'taifex-txf-20260408.parquet';

export interface BacktestBench {
  file: string;
  events: number;
  fills: number;
  /** Whole backtest run (replay, exchange model, trading system): events / wall seconds, best pass. */
  events_per_s: number;
  wall_s: number;
  /** The same including reading and decoding the data file. */
  total_s: number;
  /** The same replay through the runtime with no strategy (no orders), events / s. */
  no_strategy_events_per_s: number;
  /** The L2 exchange model alone (book + queue bookkeeping), events / s. */
  exchange_events_per_s: number;
}

/** Runs the backtest `passes` times (the first warms the JIT) and reports the best pass. */
export async function benchBacktest(root: string, dataDir: string, passes = 3): Promise<BacktestBench> {
  const data = path.join(dataDir, FILE);
  const { settings, symbols, strategies } = loadProject({ root, env: 'test', envVars: {} });
  const log = createLogger('silent');
  let best = Number.POSITIVE_INFINITY;
  let total = Number.POSITIVE_INFINITY;
  let events = 0;
  let fills = 0;
  for (let pass = 0; pass < passes; pass++) {
    const t0 = performance.now();
    const r = await runBacktest(
      { settings, root, symbols, strategies },
      { strategyId: 'mm-txf', data: [data], models: DEFAULT_MODELS, log },
    );
    total = Math.min(total, (performance.now() - t0) / 1000);
    // Wall time of the run itself, without reading the file.
    best = Math.min(best, r.run.wall_s);
    events = r.run.events;
    fills = r.summary.trades;
  }

  // The runtime's data path alone: the same replay with every strategy disabled.
  let idle = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < passes; pass++) {
    const sys = await TradingSystem.create({
      settings: backtestSettings(settings, [data]),
      root,
      symbols,
      strategies: strategies.map((s) => ({ ...s, enabled: false })),
      log,
      record: false,
    });
    idle = Math.min(idle, (await sys.run(0)).wall_s);
  }

  // The exchange model alone over the same events (no runtime, no strategy orders).
  const d = await readTaifex(data, {});
  const c = d.columns;
  const spec = { ...symbols.find((s) => s.code === 'TXFD6')!, id: 0 };
  let exBest = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < passes; pass++) {
    const clock = new SimClock(c.exchTs[0]);
    const ex = new L2Exchange({
      symbols: [spec],
      scheduler: new Scheduler(clock),
      latency: new ConstantLatency(0, 0),
      queue: new RiskAverseQueue(),
    });
    const t0 = performance.now();
    for (let i = 0; i < c.n; i++)
      ex.onMarketEvent(0, c.kind[i], c.side[i], c.price[i], c.qty[i], c.exchTs[i]);
    exBest = Math.min(exBest, (performance.now() - t0) / 1000);
  }
  return {
    file: FILE,
    events,
    fills,
    events_per_s: Math.round(events / best),
    wall_s: best,
    total_s: Math.round(total * 1000) / 1000,
    no_strategy_events_per_s: Math.round(events / idle),
    exchange_events_per_s: Math.round(c.n / exBest),
  };
}
