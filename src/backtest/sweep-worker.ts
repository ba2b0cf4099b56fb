import { parentPort } from 'node:worker_threads';
import { createLogger } from '../core/logger.ts';
import { writeReport } from './report-files.ts';
import { runBacktest } from './runner.ts';
import type { SweepReply, SweepTask } from './sweep.ts';

if (parentPort === null) throw new Error('sweep-worker must run in a worker thread');
const port = parentPort;
const log = createLogger(process.env.HFT_LOG_LEVEL ?? 'warn');

/** Runs one grid point per message, one at a time, and answers with its summary or its error. */
port.on('message', async (t: SweepTask) => {
  const t0 = performance.now();
  let reply: SweepReply;
  try {
    const r = await runBacktest(t.cfg, {
      strategyId: t.strategyId,
      data: t.data,
      models: t.models,
      params: t.params,
      log,
    });
    writeReport(t.out, r);
    reply = { index: t.index, summary: r.summary, wallS: (performance.now() - t0) / 1000 };
  } catch (err) {
    reply = { index: t.index, error: (err as Error).message };
  }
  port.postMessage(reply);
});
