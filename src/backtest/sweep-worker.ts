import { parentPort } from 'node:worker_threads';
import { createLogger } from '../core/logger.ts';
import type { SweepReply, SweepTask } from './sweep.ts';
import { sweepPointRunner } from './sweep-point.ts';

if (parentPort === null) throw new Error('sweep-worker must run in a worker thread');
const port = parentPort;
const runPoint = sweepPointRunner(createLogger(process.env.HFT_LOG_LEVEL ?? 'warn'));

/** Runs one grid point per message, one at a time, and answers with its summary or its error. */
port.on('message', async (t: SweepTask) => {
  const t0 = performance.now();
  let reply: SweepReply;
  try {
    reply = { index: t.index, summary: await runPoint(t), wallS: (performance.now() - t0) / 1000 };
  } catch (err) {
    reply = { index: t.index, error: (err as Error).message };
  }
  port.postMessage(reply);
});
