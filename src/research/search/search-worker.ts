import { parentPort } from 'node:worker_threads';
import { columnsOf } from './evaluate.ts';
import { LocalEvaluator, type WorkerInit } from './evaluator.ts';

if (parentPort === null) throw new Error('search-worker must run in a worker thread');
const port = parentPort;
let local: LocalEvaluator | null = null;

/** `{ init }` once, then `{ formulas }` batches answered with their scores in order. */
port.on('message', (m: { init?: WorkerInit; formulas?: string[] }) => {
  try {
    if (m.init !== undefined) {
      const i = m.init;
      const cols = columnsOf(Object.fromEntries(i.names.map((k, j) => [k, i.cols[j]])));
      const base = new LocalEvaluator(cols, i.target, [], 0);
      const poolSignals = i.pool.map((f) => base.signalOf(f));
      local = new LocalEvaluator(cols, i.target, poolSignals, i.poolPenalty);
      port.postMessage({ ok: true });
      return;
    }
    if (local === null) throw new Error('not initialised');
    port.postMessage({ ok: true, value: (m.formulas ?? []).map((f) => local!.scoreOne(f)) });
  } catch (e) {
    port.postMessage({ ok: false, error: (e as Error).message });
  }
});
