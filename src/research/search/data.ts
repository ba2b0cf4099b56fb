import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { joinStreams } from '../../alpha/validation-context.ts';
import { type BacktestConfig, loadBacktestData } from '../../backtest/runner.ts';
import { NS_PER_MS } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { FeatureEngine } from '../../features/feature-engine.ts';
import { ROW_RESET, replayFeatures } from '../../features/replay-features.ts';
import { FEATURE_SETS, featureSet } from '../../features/sets.ts';
import { ParquetError, readParquetColumns } from '../../venues/replay/parquet-columns.ts';
import { BarSampler, RET_1 } from './bar-sampler.ts';
import type { Columns } from './evaluate.ts';

/** The inputs of a search: feature columns sampled on bars of data time, and the bars' mids. */
export interface SearchData extends Columns {
  /** Every feature a formula may name (the set's, then ret_1). */
  readonly names: readonly string[];
  readonly cols: Readonly<Record<string, Float64Array>>;
  /** The mid of each sample (the symbol's scaled price; NaN before the first). */
  readonly mid: Float64Array;
  /** Bar index of each sample (bar k covers [k·bar, (k+1)·bar) ns from the data's epoch). */
  readonly bar: Float64Array;
  readonly barMs: number;
  /** Samples per trading day (Taipei date) on average: periods per year = this × 252 / horizon. */
  readonly samplesPerDay: number;
  readonly featureSet: string;
  readonly symbol: string;
  /** The data files (base name and size): with the target, what makes trials comparable. */
  readonly sources: readonly { file: string; bytes: number }[];
}

/** Builds SearchData from sampled rows (tests and the loader). */
export function searchDataOf(
  names: readonly string[],
  rows: { bar: number[]; values: number[][]; mid: number[] },
  meta: Pick<SearchData, 'barMs' | 'featureSet' | 'symbol' | 'sources'>,
): SearchData {
  const n = rows.bar.length;
  const cols: Record<string, Float64Array> = {};
  names.forEach((name, k) => {
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = rows.values[i][k];
    cols[name] = c;
  });
  const bar = Float64Array.from(rows.bar);
  const dayOf = (b: number) => Math.floor((b * meta.barMs + 8 * 3600_000) / 86_400_000);
  const days = new Set<number>();
  for (let i = 0; i < n; i++) days.add(dayOf(bar[i]));
  return {
    ...meta,
    n,
    names,
    cols,
    mid: Float64Array.from(rows.mid),
    bar,
    samplesPerDay: days.size > 0 ? n / days.size : 0,
    column: (name) => cols[name],
  };
}

/**
 * Reads recordings of one symbol (several days are joined in time order, as `hft alpha validate`
 * does), runs them through the LOB and the feature set exactly as the runtime does, and samples the
 * features on bars of `barMs` of data time (BarSampler: the values after each bar's last event).
 */
export async function loadSearchData(
  cfg: BacktestConfig,
  data: string[],
  opts: { barMs: number; featureSet: string },
): Promise<SearchData> {
  if (!(Number.isInteger(opts.barMs) && opts.barMs > 0))
    throw new UserError(`--bar-ms expects a positive integer, got ${opts.barMs}`);
  const files = data.map((p) => path.resolve(cfg.root, p));
  if (files.length === 1 && isFeatureFile(files[0])) return loadFeatureFile(files[0], opts.barMs);
  const set = featureSet(opts.featureSet);
  const replay = await loadBacktestData(cfg, files);
  if (new Set(replay.streams.map((st) => st.symbolId)).size !== 1) {
    const got = replay.sources.map((s) => `${path.basename(s.source)}: ${s.symbol}`).join(', ');
    throw new UserError(`--data: give the data of one symbol (got ${got})`);
  }
  const columns = joinStreams(replay.streams.map((st) => st.columns));
  const symbol = replay.symbols[replay.streams[0].symbolId];
  const engine = new FeatureEngine(set, [symbol]);
  const names = [...engine.names, RET_1];
  const width = engine.names.length;
  const rows = { bar: [] as number[], values: [] as number[][], mid: [] as number[] };
  const sampler = new BarSampler(
    opts.barMs * NS_PER_MS,
    width,
    engine.names.indexOf('mid'),
    (b, v, mid, r) => {
      rows.bar.push(b);
      const row = Array.from(v);
      row.push(r);
      rows.values.push(row);
      rows.mid.push(mid);
    },
  );
  const values = engine.values(0);
  replayFeatures(columns, engine, (kind, i) => {
    if (kind !== ROW_RESET) sampler.onEvent(columns.exchTs[i], values);
  });
  sampler.flush();
  if (rows.bar.length < 10)
    throw new UserError(`--data gives ${rows.bar.length} bars of ${opts.barMs} ms: too few to search on`);
  return searchDataOf(names, rows, {
    barMs: opts.barMs,
    featureSet: engine.key,
    symbol: symbol.code,
    sources: files.map((f) => ({ file: path.basename(f), bytes: statSync(f).size })),
  });
}

/** What trials are compared on: the data, its sampling and the target. Trials of one key share a ledger count. */
export function dataKey(
  d: Pick<SearchData, 'sources' | 'barMs' | 'featureSet' | 'symbol'>,
  target: { horizon: number; split: number },
): string {
  const text = JSON.stringify({
    sources: d.sources,
    bar_ms: d.barMs,
    feature_set: d.featureSet,
    symbol: d.symbol,
    horizon: target.horizon,
    split: target.split,
  });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Columns `hft features compute` writes before the features. */
const FEATURE_FILE_HEAD = ['exch_ts', 'local_ts', 'symbol', 'price_scale', 'event'];

/** A Parquet file written by `hft features compute` (its head columns), not a recording. */
export function isFeatureFile(file: string): boolean {
  if (!file.endsWith('.parquet')) return false;
  try {
    const schema = readParquetColumns(readFileSync(file), []).schema;
    // String columns (symbol, event) are not listed by our reader: the numeric head tells.
    return ['exch_ts', 'local_ts', 'price_scale'].every((c) => schema.includes(c));
  } catch (e) {
    if (e instanceof ParquetError) return false;
    throw e;
  }
}

/**
 * The feature time series `hft features compute --out x.parquet` wrote (one row per book update or
 * trade, exact exch_ts): sampled on bars as a recording would be, so the columns equal those of the
 * recording it was computed from with the same feature set.
 */
function loadFeatureFile(file: string, barMs: number): SearchData {
  let cols: ReturnType<typeof readParquetColumns>;
  try {
    const bytes = readFileSync(file);
    const schema = readParquetColumns(bytes, []).schema;
    const names = schema.filter((c) => !FEATURE_FILE_HEAD.includes(c));
    cols = readParquetColumns(bytes, ['exch_ts', ...names], { relative: { exch_ts: () => true } });
  } catch (e) {
    if (e instanceof ParquetError) throw new UserError(`--data ${file}: ${e.message}`);
    throw e;
  }
  const names = cols.schema.filter((c) => !FEATURE_FILE_HEAD.includes(c));
  const set = Object.values(FEATURE_SETS).find(
    (st) => st.features.length === names.length && st.features.every((f, i) => f.id === names[i]),
  );
  const ts = cols.columns.get('exch_ts') as Float64Array;
  const feats = names.map((n) => cols.columns.get(n) as Float64Array);
  const rows = { bar: [] as number[], values: [] as number[][], mid: [] as number[] };
  const sampler = new BarSampler(barMs * NS_PER_MS, names.length, names.indexOf('mid'), (b, v, mid, r) => {
    rows.bar.push(b);
    const row = Array.from(v);
    row.push(r);
    rows.values.push(row);
    rows.mid.push(mid);
  });
  const values = new Float64Array(names.length);
  for (let i = 0; i < cols.rows; i++) {
    for (let k = 0; k < names.length; k++) values[k] = feats[k][i];
    sampler.onEvent(ts[i], values);
  }
  sampler.flush();
  if (rows.bar.length < 10)
    throw new UserError(`--data gives ${rows.bar.length} bars of ${barMs} ms: too few to search on`);
  return searchDataOf([...names, RET_1], rows, {
    barMs,
    featureSet: set === undefined ? `file:${path.basename(file)}` : `${set.id}@${set.version}`,
    symbol: path.basename(file),
    sources: [{ file: path.basename(file), bytes: statSync(file).size }],
  });
}
