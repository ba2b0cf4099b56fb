import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { extname } from 'node:path';
import { query } from 'chdb';
import type { ReplayFormat } from '../contracts/market.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { NS_PER_US } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { EventColumns } from '../venues/replay/event-columns.ts';
import { loadReplay } from '../venues/replay/replay-sources.ts';
import { FeatureEngine } from './feature-engine.ts';
import { type ReplayCounts, ROW_BOOK, ROW_RESET, replayFeatures } from './replay-features.ts';
import { featureSet } from './sets.ts';

export interface ComputeOptions {
  /** Replay sources of one symbol, as `feed.data`: a file, consecutive Binance files, `store:<dir>`. */
  data: string[];
  /** Output file: .csv, or .parquet (converted from the CSV by embedded ClickHouse). */
  out: string;
  setId: string;
  /** The runtime's symbol table and data-symbol map (symbols.yaml, feed.symbols). */
  symbols: readonly SymbolSpec[];
  symbolMap: Record<string, string>;
  /** Relative paths resolve against it. */
  root: string;
  /** Receive time = exchange time + this, for data without receive times (TAIFEX, LOBSTER); default 0. */
  feedLatencyNs?: number;
  /** Format of the data files (default: told by each file's content). */
  format?: ReplayFormat;
}

export interface ComputeResult {
  set: string;
  symbol: string;
  features: readonly string[];
  rows: number;
  books: number;
  trades: number;
  resets: number;
  /** Remarks for the user (sequence gaps, no book at all). */
  notes: string[];
}

const ROWS_PER_WRITE = 4096;

/** Columns before the features: what a row is, when, and how to read its prices. */
const HEAD = ['exch_ts', 'local_ts', 'symbol', 'price_scale', 'event'] as const;
/** Their types in the Parquet file. */
const HEAD_TYPES = 'exch_ts Int64, local_ts Int64, symbol String, price_scale UInt32, event String';

/**
 * Runs a recording through the LOB and a feature set and writes the feature time series: one row
 * per book update or trade, columns exch_ts and local_ts (exact integer ns since 1970, UTC: the
 * exchange's time and the receive time), symbol, price_scale (price-valued features such as mid and
 * microprice are in the symbol's scaled units: divide by it), event (book|trade), then every feature
 * (float64; `nan` while warming up or undefined). The data is loaded as `hft run --feed replay` loads
 * it (same symbol, tick ladder and price scale), so the values are those strategies see in a replay.
 */
export async function computeFeatureFile(opts: ComputeOptions): Promise<ComputeResult> {
  const set = featureSet(opts.setId);
  const format = extname(opts.out).toLowerCase();
  if (format !== '.csv' && format !== '.parquet')
    throw new UserError(`--out ${opts.out}: expected a .csv or .parquet file name`);
  const replay = await loadReplay(opts.data, opts.symbols, {
    root: opts.root,
    symbolMap: opts.symbolMap,
    feedLatencyNs: opts.feedLatencyNs ?? 0,
    format: opts.format,
  });
  if (replay.streams.length !== 1) {
    const got = replay.sources.map((x) => `${x.source}: ${x.symbol}`).join(', ');
    throw new UserError(`--data: give the data of one symbol, one stream (got ${got})`);
  }
  const symbol = replay.symbols[0];
  const engine = new FeatureEngine(set, [symbol]);
  let written: { rows: number; counts: ReplayCounts };
  const columns = replay.streams[0].columns;
  if (format === '.csv') written = writeCsv(columns, engine, symbol, opts.out);
  else {
    const csv = `${opts.out}.${process.pid}.tmp.csv`;
    try {
      written = writeCsv(columns, engine, symbol, csv);
      toParquet(csv, opts.out, engine.names);
    } finally {
      rmSync(csv, { force: true });
    }
  }
  const { rows, counts } = written;
  const source = replay.sources[0];
  const notes: string[] = [];
  if (source.format === 'taifex-parquet' || source.format === 'lobster') {
    notes.push(
      `${source.source}: no receive time in the data: local_ts = exch_ts + ${(opts.feedLatencyNs ?? 0) / NS_PER_US} us (feed.latency_us)`,
    );
  }
  if (source.gaps > 0)
    notes.push(`${source.source}: ${source.gaps} sequence gap(s); the features restart after each`);
  if (counts.books === 0) {
    notes.push(
      `${source.source}: no book update, so book features are nan and only trade features are computed` +
        (source.format.startsWith('binance')
          ? ' (a Binance file without its own depth snapshot: give the preceding file too, --data <previous> --data <this>)'
          : ''),
    );
  }
  return {
    set: engine.key,
    symbol: symbol.code,
    features: engine.names,
    rows,
    books: counts.books,
    trades: counts.trades,
    resets: counts.resets,
    notes,
  };
}

/** Writes the feature rows of one symbol's events as CSV. */
function writeCsv(
  c: EventColumns,
  engine: FeatureEngine,
  symbol: SymbolSpec,
  path: string,
): { rows: number; counts: ReplayCounts } {
  const fd = openOut(path);
  const values = engine.values(0);
  let rows = 0;
  let chunk = `${[...HEAD, ...engine.names].join(',')}\n`;
  // The symbol code is written as a CSV field: quoted when it holds a comma or a quote.
  const code = /[",\n]/.test(symbol.code) ? `"${symbol.code.replace(/"/g, '""')}"` : symbol.code;
  const ident = `${code},${symbol.priceScale}`;
  try {
    const counts = replayFeatures(c, engine, (kind, i) => {
      if (kind === ROW_RESET) return;
      const t = `${c.epoch.toAbs(c.exchTs[i])},${c.epoch.toAbs(c.localTs[i])}`;
      let line = `${t},${ident},${kind === ROW_BOOK ? 'book' : 'trade'}`;
      for (let k = 0; k < values.length; k++) line += Number.isNaN(values[k]) ? ',nan' : `,${values[k]}`;
      chunk += `${line}\n`;
      if (++rows % ROWS_PER_WRITE === 0) {
        writeSync(fd, chunk);
        chunk = '';
      }
    });
    writeSync(fd, chunk);
    return { rows, counts };
  } finally {
    closeSync(fd);
  }
}

function openOut(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (e) {
    throw new UserError(
      `cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/**
 * CSV -> Parquet through embedded ClickHouse, with exact column types, zstd-compressed (what
 * pandas/pyarrow and our own Parquet reader, venues/replay/parquet-columns.ts, both read).
 */
function toParquet(csv: string, out: string, names: readonly string[]): void {
  const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const structure = `${HEAD_TYPES}, ${names.map((n) => `${n} Float64`).join(', ')}`;
  rmSync(out, { force: true });
  try {
    query(
      `INSERT INTO FUNCTION file(${quote(out)}, 'Parquet', ${quote(structure)}) ` +
        `SELECT * FROM file(${quote(csv)}, 'CSVWithNames', ${quote(structure)}) ` +
        "SETTINGS output_format_parquet_compression_method = 'zstd'",
      'CSV',
    );
  } catch (e) {
    throw new UserError(`cannot write ${out} as Parquet (${(e as Error).message})`);
  }
}
