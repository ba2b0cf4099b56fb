import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import type { Epoch } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { readParquetColumns } from '../venues/replay/parquet-columns.ts';

/**
 * The experiment ledger: every validation is a run, written once into `<base>/runs/<run_id>/` and
 * never changed (append-only). A run folder holds meta.json (identity, config and its hash,
 * metrics, gate results), scorecard.json, backtest_report.json (Gate C), report.json (the whole
 * validation result), and signals / equity / fills as Parquet (exch_ts as Int64 ns since 1970).
 */

/** meta.json of a run (the original's keys, and ours). */
export interface RunMeta {
  run_id: string;
  alpha_id: string;
  config_hash: string;
  /** ISO 8601 UTC. */
  timestamp: string;
  /** The platform that ran it: hft-platform@<version>[+<commit>]. */
  code_version: string;
  data_paths: string[];
  /** The configuration hashed into config_hash (canonical JSON). */
  config: Record<string, unknown>;
  metrics: Record<string, number | null>;
  gate_status: Record<string, boolean>;
  passed: boolean;
  scorecard_path: string | null;
  backtest_report_path: string;
  report_path: string;
  signals_path: string | null;
  equity_path: string | null;
  fills_path: string | null;
}

/** A column for a Parquet artifact: exch_ts (ns relative to `epoch`) and float columns. */
export interface SeriesColumns {
  epoch: Epoch;
  ts: ArrayLike<number>;
  columns: Record<string, ArrayLike<number>>;
}

/** The metrics that meta.json carries and `experiments compare|best` read. */
export const LEDGER_METRICS = [
  'sharpe_is',
  'sharpe_oos',
  'sortino_oos',
  'ic_mean',
  'ic_std',
  'ic_t',
  'turnover',
  'max_drawdown',
  'capacity_estimate',
  'dsr',
  'sharpe_oos_per_bar',
  'pnl_total',
  'pnl_oos',
] as const;

/** JSON with object keys sorted at every level (the original's sort_keys), for the ledger's files and the alpha commands' output. */
export function sortedJson(value: unknown, indent?: number): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = norm((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(norm(value), null, indent);
}

/** Writes JSON with sorted keys and a newline (the original's indent=2, sort_keys). */
export function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${sortedJson(value, 2)}\n`);
}

/** The ledger under `base` (research/experiments). */
export class ExperimentLedger {
  readonly runsDir: string;

  constructor(readonly base: string) {
    this.runsDir = path.join(base, 'runs');
  }

  /**
   * Writes a run: its files into a temporary folder, renamed into place at the end, so a run is
   * complete or absent. Returns the run folder.
   */
  write(
    meta: Omit<
      RunMeta,
      | 'scorecard_path'
      | 'backtest_report_path'
      | 'report_path'
      | 'signals_path'
      | 'equity_path'
      | 'fills_path'
    >,
    files: {
      scorecard: unknown | null;
      backtestReport: unknown;
      report: unknown;
      signals: SeriesColumns | null;
      equity: SeriesColumns | null;
      fills: SeriesColumns | null;
    },
  ): { dir: string; meta: RunMeta } {
    const dir = path.join(this.runsDir, meta.run_id);
    if (existsSync(dir)) throw new Error(`experiment run ${meta.run_id} exists`);
    const tmp = path.join(this.runsDir, `.${meta.run_id}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const at = (name: string) => path.join(dir, name);
    const full: RunMeta = {
      ...meta,
      scorecard_path: files.scorecard === null ? null : at('scorecard.json'),
      backtest_report_path: at('backtest_report.json'),
      report_path: at('report.json'),
      signals_path: files.signals === null ? null : at('signals.parquet'),
      equity_path: files.equity === null ? null : at('equity.parquet'),
      fills_path: files.fills === null ? null : at('fills.parquet'),
    };
    try {
      if (files.scorecard !== null) writeJson(path.join(tmp, 'scorecard.json'), files.scorecard);
      writeJson(path.join(tmp, 'backtest_report.json'), files.backtestReport);
      writeJson(path.join(tmp, 'report.json'), files.report);
      if (files.signals !== null) writeSeries(path.join(tmp, 'signals.parquet'), files.signals);
      if (files.equity !== null) writeSeries(path.join(tmp, 'equity.parquet'), files.equity);
      if (files.fills !== null) writeSeries(path.join(tmp, 'fills.parquet'), files.fills);
      writeJson(path.join(tmp, 'meta.json'), full);
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    return { dir, meta: full };
  }

  /** Every readable run (optionally of one alpha), newest first; unreadable meta.json files are skipped. */
  list(alphaId?: string): RunMeta[] {
    if (!existsSync(this.runsDir)) return [];
    const out: RunMeta[] = [];
    for (const d of readdirSync(this.runsDir, { withFileTypes: true })) {
      if (!d.isDirectory() || d.name.startsWith('.')) continue;
      try {
        const meta = JSON.parse(
          readFileSync(path.join(this.runsDir, d.name, 'meta.json'), 'utf8'),
        ) as RunMeta;
        if (typeof meta.run_id !== 'string' || typeof meta.alpha_id !== 'string') continue;
        if (alphaId === undefined || meta.alpha_id === alphaId) out.push(meta);
      } catch {}
    }
    return out.sort((a, b) =>
      a.timestamp === b.timestamp ? b.run_id.localeCompare(a.run_id) : b.timestamp.localeCompare(a.timestamp),
    );
  }

  /** One run by id; a UserError when absent. */
  get(runId: string): RunMeta {
    const file = path.join(this.runsDir, runId, 'meta.json');
    if (!existsSync(file)) throw new UserError(`no experiment run ${runId} in ${this.runsDir}`);
    return JSON.parse(readFileSync(file, 'utf8')) as RunMeta;
  }

  /**
   * The trials of an alpha for the Deflated Sharpe Ratio: the per-bar OOS Sharpe ratio of its newest
   * run of every configuration other than `exceptHash` that reached Gate C.
   */
  otherTrials(alphaId: string, exceptHash: string): number[] {
    const seen = new Set<string>([exceptHash]);
    const out: number[] = [];
    for (const r of this.list(alphaId)) {
      if (seen.has(r.config_hash)) continue;
      seen.add(r.config_hash);
      const sr = r.metrics?.sharpe_oos_per_bar;
      if (typeof sr === 'number' && Number.isFinite(sr)) out.push(sr);
    }
    return out;
  }
}

/** Writes exch_ts (Int64 ns since 1970) and float64 columns as Parquet. */
export function writeSeries(file: string, s: SeriesColumns): void {
  const n = s.ts.length;
  const ts = new BigInt64Array(n);
  for (let i = 0; i < n; i++) ts[i] = s.epoch.toAbs(s.ts[i]);
  parquetWriteFile({
    filename: file,
    columnData: [
      { name: 'exch_ts', data: ts, type: 'INT64', nullable: false, encoding: 'PLAIN' },
      ...Object.entries(s.columns).map(([name, v]) => ({
        name,
        data: Float64Array.from(v),
        type: 'DOUBLE' as const,
        nullable: false,
        encoding: 'PLAIN' as const,
      })),
    ],
    codec: 'SNAPPY',
    statistics: false,
  });
}

/** Reads a Parquet artifact of the ledger with the platform's own reader: exch_ts exact, relative to its epoch. */
export function readSeries(
  file: string,
  names: readonly string[],
): { rows: number; epoch: Epoch | undefined; ts: Float64Array; columns: Map<string, Float64Array> } {
  const r = readParquetColumns(readFileSync(file), ['exch_ts', ...names], {
    relative: { exch_ts: () => true },
  });
  return {
    rows: r.rows,
    epoch: r.epochs.get('exch_ts'),
    ts: r.columns.get('exch_ts') ?? new Float64Array(0),
    columns: r.columns,
  };
}
