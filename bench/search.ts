/**
 * Formula search throughput: trials per second on one TAIFEX day, the original's budget shape
 * (80 ms per trial on 16 features × 10,000 samples with 16 pool signals: target >= 100 trials/s).
 * Our data: the lob_core features + ret_1 of taifex-txf-20260408 on 1 s bars (12 features), the
 * first 10,000 bars, 16 pool signals; random search and a genetic search (each trial = evaluate the
 * formula, score it on the train part, correlate with the pool, append to the ledger).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadProject } from '../src/config/project.ts';
import { Rng } from '../src/core/rng.ts';
import { loadSearchData, type SearchData, searchDataOf } from '../src/research/search/data.ts';
import { formatExpr } from '../src/research/search/expr.ts';
import { grammarOf, randomExpr } from '../src/research/search/generate.ts';
import { runSearch } from '../src/research/search/search.ts';
import { TrialLedger } from '../src/research/search/trial-ledger.ts';

export interface SearchBench {
  file: string;
  samples: number;
  features: number;
  pool: number;
  random_trials_per_s: number;
  genetic_trials_per_s: number;
  random_trials: number;
  genetic_trials: number;
  /** After the genetic search: DSR of the listed results and PBO (CSCV, 16 blocks) over its trials. */
  genetic_analysis_s: number;
  load_avg_1m: number;
}

function firstSamples(d: SearchData, n: number): SearchData {
  const rows = { bar: [] as number[], values: [] as number[][], mid: [] as number[] };
  for (let i = 0; i < n; i++) {
    rows.bar.push(d.bar[i]);
    rows.values.push(d.names.map((name) => d.cols[name][i]));
    rows.mid.push(d.mid[i]);
  }
  return searchDataOf(d.names, rows, d);
}

export async function benchSearch(root: string, dataDir: string): Promise<SearchBench> {
  const file = 'taifex-txf-20260408.parquet';
  const cfg = loadProject({ root, env: 'test', envVars: {} });
  const full = await loadSearchData(cfg, [path.join(dataDir, file)], { barMs: 1000, featureSet: 'lob_core' });
  const data = firstSamples(full, 10_000);
  const r = new Rng(99);
  const g = grammarOf(data.names, 3);
  const pool = Array.from({ length: 16 }, () => formatExpr(randomExpr(r, g)));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bench-search-'));
  try {
    // Warm-up (JIT), then the measured runs on fresh ledgers.
    await runSearch({
      data,
      mode: 'random',
      seed: 1,
      trials: 50,
      pool,
      ledger: new TrialLedger(path.join(dir, 'w.jsonl')),
    });
    const rnd = await runSearch({
      data,
      mode: 'random',
      seed: 2,
      trials: 400,
      pool,
      ledger: new TrialLedger(path.join(dir, 'r.jsonl')),
    });
    const gen = await runSearch({
      data,
      mode: 'genetic',
      seed: 3,
      population: 40,
      generations: 10,
      pool,
      ledger: new TrialLedger(path.join(dir, 'g.jsonl')),
    });
    return {
      file,
      samples: data.n,
      features: data.names.length,
      pool: pool.length,
      random_trials_per_s: rnd.trials_per_s,
      genetic_trials_per_s: gen.trials_per_s,
      random_trials: rnd.trials,
      genetic_trials: gen.trials,
      genetic_analysis_s: gen.analysis_s,
      load_avg_1m: Number(os.loadavg()[0].toFixed(1)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
