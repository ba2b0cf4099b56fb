import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { UserError } from '../core/errors.ts';
import { workerUrl } from '../core/worker-url.ts';
import type { GuardMode } from '../services/trading-system.ts';
import { taipeiIso } from './format.ts';
import type { BacktestConfig, ModelOptions } from './runner.ts';
import type { BacktestSummary } from './summary.ts';

/** Grid keys that choose exchange models rather than strategy parameters or settings. */
const MODEL_KEYS: Record<string, keyof ModelOptions> = {
  exchange: 'exchange',
  queue: 'queue',
  queue_func: 'queueFunc',
  queue_n: 'queueN',
  latency_file: 'latencyFile',
};

/** One parameter of a grid and its values, in the order given. */
export interface GridAxis {
  key: string;
  values: unknown[];
}

/** One grid point: the values by key, and how they apply to a backtest. */
export interface GridPoint {
  index: number;
  values: Record<string, unknown>;
  /** Strategy parameter overrides (keys without a dot). */
  params: Record<string, unknown>;
  /** Settings overrides (dotted keys, as --set takes them). */
  settings: { key: string; value: unknown }[];
  models: Partial<ModelOptions>;
  /** StormGuard mode of this point (grid key `guard`), else the --guard flag's. */
  guard?: unknown;
}

/** The most points a sweep takes: each is a backtest (seconds to minutes), checked before any runs. */
export const MAX_GRID_POINTS = 10_000;

/** Parses `key=v1,v2,...` flags; values are YAML scalars via `parse` (numbers, booleans, strings). */
export function parseGrid(flags: readonly string[], parse: (raw: string) => unknown): GridAxis[] {
  if (flags.length === 0) throw new UserError('sweep: give at least one --grid key=v1,v2,...');
  const seen = new Set<string>();
  const axes = flags.map((f) => {
    const i = f.indexOf('=');
    const key = i > 0 ? f.slice(0, i).trim() : '';
    const raw =
      i > 0
        ? f
            .slice(i + 1)
            .split(',')
            .map((v) => v.trim())
        : [];
    if (key === '' || raw.length === 0 || raw.some((v) => v === '')) {
      throw new UserError(`--grid expects key=v1,v2,... got '${f}'`);
    }
    if (seen.has(key)) throw new UserError(`--grid ${key} given twice`);
    seen.add(key);
    return { key, values: raw.map(parse) };
  });
  // Refused before expanding: 10 keys of 10 values ran out of memory after a minute of checking.
  const n = axes.reduce((k, a) => k * a.values.length, 1);
  if (n > MAX_GRID_POINTS)
    throw new UserError(
      `--grid: ${axes.map((a) => a.values.length).join(' x ')} = ${n.toLocaleString('en-US')} points, more than a sweep takes (${MAX_GRID_POINTS.toLocaleString('en-US')}); split the grid into several sweeps`,
    );
  return axes;
}

/** Every combination of the axes, the first axis varying slowest. */
export function expandGrid(axes: readonly GridAxis[]): GridPoint[] {
  const points: GridPoint[] = [];
  const n = axes.reduce((k, a) => k * a.values.length, 1);
  for (let index = 0; index < n; index++) {
    const p: GridPoint = { index, values: {}, params: {}, settings: [], models: {} };
    let rest = index;
    for (let a = axes.length - 1; a >= 0; a--) {
      const ax = axes[a];
      const v = ax.values[rest % ax.values.length];
      rest = Math.floor(rest / ax.values.length);
      p.values[ax.key] = v;
      const model = MODEL_KEYS[ax.key];
      if (ax.key === 'guard') p.guard = v;
      else if (model !== undefined) (p.models as Record<string, unknown>)[model] = v;
      else if (ax.key.includes('.')) p.settings.push({ key: ax.key, value: v });
      else p.params[ax.key] = v;
    }
    p.values = Object.fromEntries(axes.map((ax) => [ax.key, p.values[ax.key]]));
    points.push(p);
  }
  return points;
}

/** A grid point ready to run: its resolved config and models. */
export interface SweepTask {
  index: number;
  cfg: BacktestConfig;
  strategyId: string;
  data: string[];
  models: ModelOptions;
  params: Record<string, unknown>;
  guard: GuardMode;
  /** Report folder of this point. */
  out: string;
}

/** What a worker sends back for one task. */
export type SweepReply =
  | { index: number; summary: BacktestSummary; wallS: number }
  | { index: number; error: string };

/** Worker default: both cores (all cores up to 2). */
export function defaultWorkers(): number {
  return Math.min(2, availableParallelism());
}

/**
 * Runs the tasks on `workers` worker threads (each runs one backtest at a time and writes its
 * report folder); returns the summaries in task order. `onDone` sees each as it finishes.
 */
export async function runSweep(
  tasks: readonly SweepTask[],
  workers: number,
  onDone?: (r: SweepReply, done: number) => void,
): Promise<SweepReply[]> {
  const results: SweepReply[] = new Array(tasks.length);
  let next = 0;
  let done = 0;
  const pool = Math.max(1, Math.min(workers, tasks.length));
  const runOne = (w: Worker): Promise<void> =>
    new Promise((resolve, reject) => {
      const feed = () => {
        if (next >= tasks.length) {
          resolve();
          return;
        }
        w.postMessage(tasks[next++]);
      };
      w.on('message', (r: SweepReply) => {
        results[r.index] = r;
        onDone?.(r, ++done);
        feed();
      });
      w.on('error', reject);
      w.on('exit', (code) => {
        if (next < tasks.length || done < tasks.length)
          reject(new Error(`sweep worker exited with code ${code}`));
      });
      feed();
    });
  const ws = Array.from({ length: pool }, () => new Worker(workerUrl('sweep-worker', import.meta.url)));
  try {
    await Promise.all(ws.map(runOne));
  } finally {
    await Promise.all(ws.map((w) => w.terminate()));
  }
  return results;
}

/** The columns of results.csv and the table, after the grid's own columns. */
const METRICS: [string, (s: BacktestSummary) => number][] = [
  ['net_pnl', (s) => s.pnl.net],
  ['sharpe', (s) => s.sharpe],
  ['sortino', (s) => s.sortino],
  ['max_drawdown', (s) => s.max_drawdown],
  ['trades', (s) => s.trades],
  ['fill_ratio', (s) => s.fill_ratio],
  ['maker_share', (s) => s.maker_share],
  ['turnover', (s) => s.turnover],
  ['fees', (s) => s.pnl.fees],
  ['taxes', (s) => s.pnl.taxes],
  ['position_limit_hits', (s) => s.position_limit_hits],
  ['refused', (s) => s.refused.total],
];

/**
 * What StormGuard did at a point: its mode, the worst state and when it was reached (Taipei
 * time): `observe:STORM@2026-04-08 13:05:38` would have gone STORM there (not applied),
 * `on:STORM@...` did (reduce-only from then), `observe:NORMAL` never left NORMAL.
 */
function guardCell(s: BacktestSummary): string {
  const g = s.guard;
  if (g.mode === 'off') return 'off';
  const first = g.transitions.find((t) => t.to === g.worst);
  return `${g.mode}:${g.worst}${first ? `@${taipeiIso(first.time)}` : ''}`;
}

/** The most frequent refusal reason and its count, or ''. */
function topRefusal(s: BacktestSummary): string {
  const [k, v] = Object.entries(s.refused.by_reason)[0] ?? [];
  return k === undefined ? '' : `${k}:${v.count}`;
}

/** Tabulates the results: writes results.csv into `out` and returns the table for the terminal. */
export function tabulate(
  out: string,
  axes: readonly GridAxis[],
  points: readonly GridPoint[],
  results: readonly SweepReply[],
): string {
  mkdirSync(out, { recursive: true });
  const header = [
    'point',
    ...axes.map((a) => a.key),
    ...METRICS.map(([k]) => k),
    'top_refusal',
    'guard',
    'error',
  ];
  const rows = points.map((p, i) => {
    const r = results[i];
    const grid = axes.map((a) => String(p.values[a.key]));
    if (r === undefined || 'error' in r)
      return [String(i), ...grid, ...METRICS.map(() => ''), '', '', r ? r.error : 'not run'];
    return [
      String(i),
      ...grid,
      ...METRICS.map(([, f]) => fmt(f(r.summary))),
      topRefusal(r.summary),
      guardCell(r.summary),
      '',
    ];
  });
  const csvCell = (c: string) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  const csv = [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n');
  writeFileSync(path.join(out, 'results.csv'), `${csv}\n`);
  const shown = header.slice(0, -1);
  const anyError = rows.some((r) => r[r.length - 1] !== '');
  const cols = anyError ? header : shown;
  const table = [cols, ...rows.map((r) => (anyError ? r : r.slice(0, -1)))];
  const width = cols.map((_, c) => Math.max(...table.map((r) => r[c].length)));
  return table
    .map((r) => r.map((c, k) => (k === 0 ? c.padEnd(width[k]) : c.padStart(width[k]))).join('  '))
    .join('\n');
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 10_000) / 10_000);
}
