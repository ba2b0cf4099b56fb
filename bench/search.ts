/**
 * Formula search throughput: trials per second on one TAIFEX day, the original's budget shape
 * (80 ms per trial on 16 features × 10,000 samples with 16 pool signals: target >= 100 trials/s).
 * Our data: the lob_core features + ret_1 of taifex-txf-20260408 on 1 s bars (12 features), the
 * first 10,000 bars, 16 pool signals; random search and a genetic search (each trial = evaluate the
 * formula, score it on the train part, correlate with the pool, append to the ledger).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

export interface SearchQueueBench {
  file: string;
  samples: number;
  features: number;
  pool: number;
  trials: number;
  /** Formulas per work item (--nats-chunk). */
  chunk: number;
  /** Trials per second (wall) of the same random search (seed, formulas) on each evaluator. */
  trials_per_s: Record<Mode, number>;
  /** CPU ms per trial, every process of the search counted (this one, its threads, the workers). */
  cpu_ms_per_trial: Record<Mode, number>;
  /**
   * (CPU on 1 hft worker and this process − CPU in this thread) / trials: what the queue adds per
   * trial at this chunk (with chunk 1, the cost of an item beyond its formula).
   */
  queue_cpu_ms_per_trial: number;
  load_avg_1m: number;
}

type Mode = 'thread_1' | 'threads_2' | 'worker_1' | 'workers_2';

/** CPU seconds (user + system) of another process so far, from /proc (Linux). */
function procCpuS(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime) in clock ticks of 1/100 s; rest[0] is field 3.
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

/**
 * hft alpha search --nats against worker threads: the whole TXF day on 1 s bars (the workers read
 * the file themselves, so the data is the file's, not a cut), a random search of `trials` formulas
 * with 16 pool signals on 1 thread, 2 threads, 1 and 2 `hft worker` processes over a loopback
 * nats-server. Each worker has read the data before the clock starts (a warm-up search), as on
 * a long search. CPU time is measured besides wall time: on a loaded machine it is the steadier
 * figure. Null without nats-server.
 */
export async function benchSearchQueue(
  root: string,
  dataDir: string,
  trials = 400,
  chunk = 8,
): Promise<SearchQueueBench | null> {
  const { natsServerBinary, startNatsServer } = await import('../test/helpers/nats-server.ts');
  const { spawn } = await import('node:child_process');
  if (natsServerBinary() === null) return null;
  const file = 'taifex-txf-20260408.parquet';
  const files = [path.join(dataDir, file)];
  const cfg = loadProject({ root, env: 'test', envVars: {} });
  const data = await loadSearchData(cfg, files, { barMs: 1000, featureSet: 'lob_core' });
  const r = new Rng(99);
  const g = grammarOf(data.names, 3);
  const pool = Array.from({ length: 16 }, () => formatExpr(randomExpr(r, g)));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bench-search-q-'));
  const server = await startNatsServer();
  const remote = (queue: string) => ({
    url: server.url,
    queue,
    chunk,
    cfg,
    files,
    barMs: 1000,
    featureSet: 'lob_core',
  });
  let runs = 0;
  const search = (n: number, opts: { workers?: number; queue?: string }) =>
    runSearch({
      data,
      mode: 'random',
      seed: 2,
      trials: n,
      pool,
      workers: opts.workers,
      remote: opts.queue === undefined ? undefined : remote(opts.queue),
      ledger: new TrialLedger(path.join(dir, `${runs++}.jsonl`)),
    });
  /** The measured search, with the CPU of this process and of `pids`. */
  const measured = async (opts: { workers?: number; queue?: string }, pids: number[] = []) => {
    const c0 = process.cpuUsage();
    const p0 = pids.map(procCpuS);
    const o = await search(trials, opts);
    const c = process.cpuUsage(c0);
    const cpuS = (c.user + c.system) / 1e6 + pids.reduce((a, p, i) => a + procCpuS(p) - p0[i], 0);
    return { o, cpuS };
  };
  const onWorkers = async (n: number, queue: string) => {
    const procs = Array.from({ length: n }, (_, i) =>
      spawn(
        process.execPath,
        [
          path.join(root, 'bin/hft.mjs'),
          'worker',
          '--nats',
          server.url,
          '--work-queue',
          queue,
          '--name',
          `b${i}`,
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      ),
    );
    try {
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((res) =>
              p.stdout!.on('data', (b: Buffer) => b.toString().includes('worker b') && res()),
            ),
        ),
      );
      // Warm-up: several items per worker, so that every worker has read and checked the day.
      await search(chunk * n * 4, { queue });
      return await measured(
        { queue },
        procs.map((p) => p.pid!),
      );
    } finally {
      for (const p of procs) p.kill('SIGTERM');
      await Promise.all(procs.map((p) => new Promise((res) => p.once('exit', res))));
    }
  };
  try {
    await search(50, {}); // JIT warm-up
    const m: Record<Mode, Awaited<ReturnType<typeof measured>>> = {
      thread_1: await measured({}),
      threads_2: await measured({ workers: 2 }),
      worker_1: await onWorkers(1, 'bench1'),
      workers_2: await onWorkers(2, 'bench2'),
    };
    const each = (f: (x: (typeof m)[Mode]) => number) =>
      Object.fromEntries(Object.entries(m).map(([k, v]) => [k, f(v)])) as Record<Mode, number>;
    return {
      file,
      samples: data.n,
      features: data.names.length,
      pool: pool.length,
      trials: m.thread_1.o.trials,
      chunk,
      trials_per_s: each((x) => x.o.trials_per_s),
      cpu_ms_per_trial: each((x) => Number(((x.cpuS / x.o.trials) * 1000).toFixed(2))),
      queue_cpu_ms_per_trial: Number(
        (((m.worker_1.cpuS - m.thread_1.cpuS) / m.thread_1.o.trials) * 1000).toFixed(2),
      ),
      load_avg_1m: Number(os.loadavg()[0].toFixed(1)),
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
