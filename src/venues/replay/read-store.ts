import { resolve } from 'node:path';
import { MdKind } from '../../contracts/market.ts';
import { Epoch } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { RUN_ID } from '../../core/run-id.ts';
import { openEmbeddedStore, type Store } from '../../recorder/store.ts';
import { EV_SNAPSHOT, type EventColumns, EventColumnsBuilder } from './event-columns.ts';

/** One symbol's market data of one run, read back from our own store (hft.market_data). */
export interface StoreData {
  format: 'hft-store';
  /** `<dir>?run=<id>`: where the rows came from. */
  paths: string[];
  /** The run the rows belong to ('' for rows recorded before run ids). */
  run: string;
  symbol: string;
  priceScale: number;
  /** Rows read. */
  records: number;
  columns: EventColumns;
}

export interface StoreQuery {
  /** Symbol codes to read; all symbols of the run when absent. */
  symbols?: string[];
  /** Exchange-time range [fromNs, toNs), ns since 1970. */
  fromNs?: bigint;
  toNs?: bigint;
  /**
   * The run to read: `latest` (default: the newest run with market data for the symbols and range), a run
   * id or an unambiguous prefix of one, or `unknown` (rows recorded before run ids).
   */
  run?: string;
}

const CODE = /^[A-Za-z0-9._-]+$/;
const RUN_ARG = /^[0-9A-Za-z.-]+$/;
const USAGE = 'store:<dir>[?run=<id>|latest&symbols=A,B&from=<iso>&to=<iso>]';
/** How runs are named in messages. */
const runName = (run: string) => (run === '' ? 'unknown (recorded before run ids)' : run);

/**
 * Parses a `store:` source (see USAGE); a relative directory resolves against `root`.
 * Several runs are several sources: `store:./data?run=A store:./data?run=B`.
 */
export function parseStoreSource(src: string, root: string): { dir: string; query: StoreQuery } {
  const q = src.indexOf('?');
  const dir = src.slice('store:'.length, q < 0 ? undefined : q);
  if (dir === '') throw new UserError(`${src}: expected ${USAGE}`);
  const params = new URLSearchParams(q < 0 ? '' : src.slice(q + 1));
  const time = (key: string): bigint | undefined => {
    const v = params.get(key);
    if (v === null) return undefined;
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new UserError(`${src}: ${key}=${v} is not an ISO 8601 time`);
    return BigInt(ms) * 1_000_000n;
  };
  for (const k of params.keys()) {
    if (!['symbols', 'from', 'to', 'run'].includes(k))
      throw new UserError(`${src}: unknown parameter '${k}' (expected ${USAGE})`);
  }
  if (params.getAll('run').length > 1)
    throw new UserError(`${src}: one run per source; list several sources to replay several runs`);
  const run = params.get('run') ?? undefined;
  if (run !== undefined && !RUN_ARG.test(run))
    throw new UserError(`${src}: run=${run} is not a run id (see \`hft db runs\`), 'latest' or 'unknown'`);
  const symbols = params.get('symbols')?.split(',').filter(Boolean);
  return { dir: resolve(root, dir), query: { symbols, fromNs: time('from'), toNs: time('to'), run } };
}

/** A run's market data matching a query's symbols and range. */
interface Candidate {
  run: string;
  rows: number;
  /** Exchange-time bounds of those rows, as SQL integer literals (the primary key prunes by them). */
  lo: string;
  hi: string;
}

/**
 * Reads what our recorder wrote to the embedded ClickHouse store in `dataDir`: the market data of one run
 * (StoreQuery.run), one StoreData per symbol, rows in receive order. One run is one session: runs are never
 * joined into one replay. A depth row becomes one snapshot message (a Clear and the row's levels, flagged
 * EV_SNAPSHOT), a trade row one Trade (the store keeps no aggressor side: 0). The Int64 times are read
 * exactly (as decimal strings), relative to the UTC midnight before the symbol's first row. A missing run,
 * or a run without market data for the symbols, is a UserError; so is a store locked by a running `hft run`.
 */
export async function readStore(dataDir: string, q: StoreQuery = {}): Promise<StoreData[]> {
  const dir = resolve(dataDir);
  const filters: string[] = [];
  if (q.symbols && q.symbols.length > 0) {
    const bad = q.symbols.find((s) => !CODE.test(s));
    if (bad !== undefined) throw new UserError(`store ${dir}: bad symbol code '${bad}'`);
    filters.push(`symbol IN (${q.symbols.map((s) => `'${s}'`).join(', ')})`);
  }
  if (q.fromNs !== undefined) filters.push(`exch_ts >= ${q.fromNs}`);
  if (q.toNs !== undefined) filters.push(`exch_ts < ${q.toNs}`);
  const store = await openEmbeddedStore(dir, undefined, 'read');
  let text: string;
  let run: string;
  try {
    const c = await pickRun(store, dir, q, filters);
    run = c.run;
    const where = [...filters, `run = '${run}'`, `exch_ts >= ${c.lo}`, `exch_ts <= ${c.hi}`];
    text = await store.query(
      'SELECT symbol, type, toString(exch_ts), toString(ingest_ts), price, volume, bids_price, bids_vol, ' +
        'asks_price, asks_vol, ' +
        `price_scale FROM hft.market_data WHERE ${where.join(' AND ')} ` +
        'ORDER BY symbol, ingest_ts, seq SETTINGS output_format_json_quote_64bit_integers = 0',
      'JSONCompactEachRow',
    );
  } finally {
    await store.close();
  }
  return parseRows(text, dir, run);
}

/** The run a query reads, with its rows' time bounds; a UserError says why there is none. */
async function pickRun(store: Store, dir: string, q: StoreQuery, filters: string[]): Promise<Candidate> {
  const text = await store.query(
    'SELECT run, count() AS n, toString(min(exch_ts)) AS lo, toString(max(exch_ts)) AS hi FROM hft.market_data' +
      `${filters.length > 0 ? ` WHERE ${filters.join(' AND ')}` : ''} GROUP BY run`,
    'JSONEachRow',
  );
  const found = new Map<string, Candidate>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as { run: string; n: string | number; lo: string; hi: string };
    found.set(r.run, { run: r.run, rows: Number(r.n), lo: r.lo, hi: r.hi });
  }
  const what = `market data${q.symbols?.length ? ` for ${q.symbols.join(', ')}` : ''}${q.fromNs !== undefined || q.toNs !== undefined ? ' in the requested range' : ''}`;
  const arg = q.run ?? 'latest';
  if (arg === 'latest') {
    // Run ids sort by start time.
    const latest = [...found.keys()].filter((r) => r !== '').sort();
    if (latest.length > 0) return found.get(latest[latest.length - 1]) as Candidate;
    if (found.has('')) {
      throw new UserError(
        `store ${dir}: the ${what} was recorded before runs were tracked; select it with run=unknown ` +
          '(those rows may hold several sessions)',
      );
    }
    throw new UserError(`store ${dir}: no ${what}`);
  }
  const run = arg === 'unknown' ? '' : await resolveRunId(store, dir, arg);
  const c = found.get(run);
  if (c !== undefined) return c;
  const has = await store.query(
    `SELECT groupUniqArray(symbol) FROM hft.market_data WHERE run = '${run}'`,
    'JSONCompactEachRow',
  );
  const symbols = (JSON.parse(has.trim() || '[[]]') as string[][])[0] ?? [];
  throw new UserError(
    `store ${dir}: run ${runName(run)} holds no ${what}` +
      (symbols.length > 0
        ? ` (its market data: ${symbols.sort().join(', ')})`
        : ' (it recorded no market data: a replay or backtest run records orders and fills, not the data it replays)'),
  );
}

/** The run id that `arg` names (the id or an unambiguous prefix), among the store's runs. */
async function resolveRunId(store: Store, dir: string, arg: string): Promise<string> {
  const ids = (
    await store.query(
      "SELECT DISTINCT run FROM (SELECT run FROM hft.runs UNION ALL SELECT DISTINCT run FROM hft.market_data) WHERE run != ''",
      'TSV',
    )
  )
    .split('\n')
    .filter((r) => RUN_ID.test(r))
    .sort();
  if (ids.includes(arg)) return arg;
  const matches = ids.filter((id) => id.startsWith(arg));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1)
    throw new UserError(`store ${dir}: run=${arg} matches ${matches.length} runs: ${matches.join(', ')}`);
  const latest = ids.slice(-3).reverse();
  throw new UserError(
    `store ${dir}: no run ${arg}` +
      (latest.length > 0
        ? ` (latest: ${latest.join(', ')}; \`hft db runs\` lists them all)`
        : ' (no runs recorded)'),
  );
}

/** Rows (JSONCompactEachRow, ordered by symbol) into one StoreData per symbol. */
function parseRows(text: string, dir: string, run: string): StoreData[] {
  const out: StoreData[] = [];
  let cur: { symbol: string; priceScale: number; records: number; b: EventColumnsBuilder } | null = null;
  const flush = () => {
    if (cur === null) return;
    const { symbol, priceScale, records, b } = cur;
    out.push({
      format: 'hft-store',
      paths: [`${dir}?run=${run === '' ? 'unknown' : run}`],
      run,
      symbol,
      priceScale,
      records,
      columns: b.finish(),
    });
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [symbol, type, exchAbs, localAbs, price, volume, bp, bv, ap, av, scale] = JSON.parse(line) as [
      string,
      string,
      string,
      string,
      number,
      number,
      number[],
      number[],
      number[],
      number[],
      number,
    ];
    if (cur === null || cur.symbol !== symbol) {
      flush();
      cur = { symbol, priceScale: scale, records: 0, b: new EventColumnsBuilder() };
      cur.b.epoch = Epoch.midnightBefore(BigInt(localAbs));
      cur.b.repairCrossed = false; // every row a snapshot
    }
    if (scale !== cur.priceScale) {
      throw new UserError(
        `store ${dir}: ${symbol} rows have price scales ${cur.priceScale} and ${scale}; read one range at a time`,
      );
    }
    cur.records++;
    const b = cur.b;
    const exchTs = b.epoch.fromAbs(BigInt(exchAbs));
    const localTs = b.epoch.fromAbs(BigInt(localAbs));
    if (type === 'depth') {
      b.push(MdKind.Clear, 0, exchTs, localTs, 0, 0, EV_SNAPSHOT);
      for (let k = 0; k < bp.length; k++)
        if (bv[k] > 0) b.push(MdKind.Level, 1, exchTs, localTs, bp[k], bv[k], EV_SNAPSHOT);
      for (let k = 0; k < ap.length; k++)
        if (av[k] > 0) b.push(MdKind.Level, -1, exchTs, localTs, ap[k], av[k], EV_SNAPSHOT);
    } else if (type === 'trade') {
      b.push(MdKind.Trade, 0, exchTs, localTs, price, volume);
    } else {
      throw new UserError(`store ${dir}: unknown market_data type '${type}'`);
    }
    b.endMessage();
  }
  flush();
  return out;
}
