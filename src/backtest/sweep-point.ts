import type { Logger } from '../core/logger.ts';
import type { LoadedReplay } from '../venues/replay/replay-sources.ts';
import { writeReport } from './report-files.ts';
import { loadBacktestData, runBacktest } from './runner.ts';
import type { BacktestSummary } from './summary.ts';
import type { SweepTask } from './sweep.ts';

/**
 * Runs sweep points one after another, as a sweep's worker thread and `hft worker` do: each point
 * is one backtest written to its report folder. Every point of a sweep replays the same files, so
 * the data of the last point is kept and read again only when a point names other data.
 */
export function sweepPointRunner(log: Logger): (t: SweepTask) => Promise<BacktestSummary> {
  let loaded: { key: string; replay: Promise<LoadedReplay> } | null = null;
  return async (t) => {
    const key = JSON.stringify([t.data, t.cfg.settings.feed, t.cfg.root, t.cfg.symbols]);
    if (loaded === null || loaded.key !== key) loaded = { key, replay: loadBacktestData(t.cfg, t.data) };
    const r = await runBacktest(t.cfg, {
      strategyId: t.strategyId,
      data: t.data,
      models: t.models,
      params: t.params,
      guard: t.guard,
      log,
      replay: await loaded.replay,
      spillDir: t.out,
    });
    writeReport(t.out, r);
    return r.summary;
  };
}
