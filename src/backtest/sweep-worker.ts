import { parentPort } from 'node:worker_threads';
import { createLogger } from '../core/logger.ts';
import type { LoadedReplay } from '../venues/replay/replay-sources.ts';
import { writeReport } from './report-files.ts';
import { loadBacktestData, runBacktest } from './runner.ts';
import type { SweepReply, SweepTask } from './sweep.ts';

if (parentPort === null) throw new Error('sweep-worker must run in a worker thread');
const port = parentPort;
const log = createLogger(process.env.HFT_LOG_LEVEL ?? 'warn');

/** The data of the last task: every grid point of a sweep replays the same files, read once per worker. */
let loaded: { key: string; replay: Promise<LoadedReplay> } | null = null;

/** Runs one grid point per message, one at a time, and answers with its summary or its error. */
port.on('message', async (t: SweepTask) => {
  const t0 = performance.now();
  let reply: SweepReply;
  try {
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
    });
    writeReport(t.out, r);
    reply = { index: t.index, summary: r.summary, wallS: (performance.now() - t0) / 1000 };
  } catch (err) {
    reply = { index: t.index, error: (err as Error).message };
  }
  port.postMessage(reply);
});
