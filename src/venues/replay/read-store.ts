import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MdKind } from '../../contracts/market.ts';
import { Epoch } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { openEmbeddedStore } from '../../recorder/store.ts';
import { EV_SNAPSHOT, type EventColumns, EventColumnsBuilder } from './event-columns.ts';

/** One symbol's market data read back from our own store (hft.market_data). */
export interface StoreData {
  format: 'hft-store';
  paths: string[];
  symbol: string;
  priceScale: number;
  /** Rows read. */
  records: number;
  columns: EventColumns;
}

export interface StoreQuery {
  /** Symbol codes to read; all symbols in the store when absent. */
  symbols?: string[];
  /** Exchange-time range [fromNs, toNs), ns since 1970. */
  fromNs?: bigint;
  toNs?: bigint;
}

const CODE = /^[A-Za-z0-9._-]+$/;

/**
 * Reads what our recorder wrote to the embedded ClickHouse store in `dataDir`, one StoreData per
 * symbol, rows in receive order. A depth row becomes one snapshot message (a Clear and the row's
 * levels, flagged EV_SNAPSHOT), a trade row one Trade (the store keeps no aggressor side: 0). The Int64
 * times are read exactly (as decimal strings), relative to the UTC midnight before the symbol's first row.
 * The store must not be open in another process: a running `hft run` locks it (UserError).
 */
export async function readStore(dataDir: string, q: StoreQuery = {}): Promise<StoreData[]> {
  const dir = resolve(dataDir);
  if (!existsSync(dir)) throw new UserError(`store ${dir}: no such directory`);
  // Opening a directory creates a store in it: only read what already is one.
  if (!existsSync(join(dir, 'metadata')))
    throw new UserError(`store ${dir}: not a ClickHouse store (no metadata/)`);
  const where: string[] = [];
  if (q.symbols && q.symbols.length > 0) {
    const bad = q.symbols.find((s) => !CODE.test(s));
    if (bad !== undefined) throw new UserError(`store ${dir}: bad symbol code '${bad}'`);
    where.push(`symbol IN (${q.symbols.map((s) => `'${s}'`).join(', ')})`);
  }
  if (q.fromNs !== undefined) where.push(`exch_ts >= ${q.fromNs}`);
  if (q.toNs !== undefined) where.push(`exch_ts < ${q.toNs}`);
  const sql =
    'SELECT symbol, type, toString(exch_ts), toString(ingest_ts), price, volume, bids_price, bids_vol, asks_price, asks_vol, ' +
    `price_scale FROM hft.market_data ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ` +
    'ORDER BY symbol, ingest_ts, seq SETTINGS output_format_json_quote_64bit_integers = 0';
  const store = await openEmbeddedStore(dir);
  let text: string;
  try {
    text = await store.query(sql, 'JSONCompactEachRow');
  } finally {
    await store.close();
  }

  const out: StoreData[] = [];
  let cur: { symbol: string; priceScale: number; records: number; b: EventColumnsBuilder } | null = null;
  const flush = () => {
    if (cur === null) return;
    const { symbol, priceScale, records, b } = cur;
    out.push({ format: 'hft-store', paths: [dir], symbol, priceScale, records, columns: b.finish() });
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
  if (out.length === 0) {
    const what = q.symbols?.length ? ` for ${q.symbols.join(', ')}` : '';
    throw new UserError(`store ${dir}: no market data${what} in the requested range`);
  }
  return out;
}
