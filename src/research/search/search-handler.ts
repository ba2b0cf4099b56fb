import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BacktestConfig } from '../../backtest/runner.ts';
import { loadSearchData } from './data.ts';
import { LocalEvaluator } from './evaluator.ts';
import { makeTarget } from './fitness.ts';
import { columnsHash, encodeScores, fileSha256, type SearchTask } from './remote-task.ts';

/**
 * `hft worker`'s handler of search items: reads the data once per worker (the files as named, or
 * by base name in `dataDir`), refuses it when a file or the sampled columns differ from the
 * sender's, and scores the item's formulas with the same code as a local search.
 */
export function searchHandler(dataDir?: string): (task: unknown) => Promise<unknown> {
  // One data set and one evaluator kept (a worker serves one search at a time as a rule).
  let data: { key: string; d: ReturnType<typeof loadData> } | null = null;
  let ev: { key: string; e: LocalEvaluator } | null = null;
  return async (task) => {
    const t = task as SearchTask;
    const dkey = JSON.stringify([t.data.files, t.data.barMs, t.data.featureSet, t.data.columns]);
    if (data === null || data.key !== dkey) {
      data = { key: dkey, d: loadData(t, dataDir) };
      ev = null;
    }
    // A refusal is kept too: every item of that search fails at once with the same reason.
    const d = await data.d;
    const ekey = JSON.stringify([t.target, t.pool, t.poolPenalty]);
    if (ev === null || ev.key !== ekey) {
      const target = makeTarget(d.mid, d.samplesPerDay, t.target);
      const base = new LocalEvaluator(d, target, [], 0);
      ev = {
        key: ekey,
        e: new LocalEvaluator(
          d,
          target,
          t.pool.map((f) => base.signalOf(f)),
          t.poolPenalty,
        ),
      };
    }
    const e = ev.e;
    return encodeScores(t.formulas.map((f) => e.scoreOne(f)));
  };
}

async function loadData(t: SearchTask, dataDir?: string) {
  const files = t.data.files.map((f) => {
    const local =
      existsSync(f.path) || dataDir === undefined ? f.path : path.join(dataDir, path.basename(f.path));
    if (!existsSync(local))
      throw new Error(
        `data file ${f.path} is not on this worker${dataDir === undefined ? ' (hft worker --data-dir <dir> looks it up by name)' : ` (nor in ${dataDir})`}`,
      );
    const sha = fileSha256(local);
    if (sha !== f.sha256)
      throw new Error(
        `refused: ${local} on this worker differs from the searcher's ${path.basename(f.path)} (sha256 ${sha.slice(0, 12)} vs ${f.sha256.slice(0, 12)})`,
      );
    return local;
  });
  const cfg: BacktestConfig = { ...t.data.cfg, strategies: [] };
  const d = await loadSearchData(cfg, files, { barMs: t.data.barMs, featureSet: t.data.featureSet });
  const h = columnsHash(d);
  if (h !== t.data.columns)
    throw new Error(
      `refused: the same files sampled on this worker give other columns than the searcher's (sha256 ${h.slice(0, 12)} vs ${t.data.columns.slice(0, 12)}): another version of hft or of its configuration?`,
    );
  return d;
}
