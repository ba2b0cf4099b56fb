import { Epoch } from '../core/clock.ts';
import { RowWriter } from './row-writer.ts';

/**
 * The wire layout of market-data rows: RowBinary whose values are 8 bytes and 8-byte aligned, so the trading
 * loop records a book snapshot with plain typed-array stores (several times cheaper than encoding Int64
 * RowBinary in JS). The two timestamps are exact Int64 ns since 1970 (the run's epoch added on the loop,
 * without allocation: the row means the same to any process that loads it from the WAL); the other values are
 * float64, converted to the table's Int64 columns later and off the loop: in ClickHouse itself for the embedded
 * store (INSERT ... SELECT with column casts), in the worker for a server.
 *
 *   symbol FixedString(32) | exch_ts ingest_ts: Int64 | kind seq price volume price_scale: Float64
 *   | 4 x (7 pad bytes, then Array(Float64): 1-byte length n < 128 and n values): bid px, bid qty, ask px, ask qty
 *   | rid UInt64 | run String (appended by the worker; rows recorded before run ids end at rid)
 */

export const SYMBOL_BYTES = 32;
const SCALARS = 7;
const HEAD_BYTES = SYMBOL_BYTES + 8 * SCALARS;
/** Kind slot values. */
export const KIND_DEPTH = 0;
export const KIND_TRADE = 1;
/** Arrays carry a 1-byte length. */
export const MAX_LEVELS = 127;
const LIMIT = 9.2e18;

/** Most bytes a row with up to `levels` levels per side takes (without its rid). */
export function marketRowBound(levels: number): number {
  return HEAD_BYTES + 4 * 8 * (1 + levels);
}

/** Finite and within Int64. */
const ok = (v: number) => v > -LIMIT && v < LIMIT;

/** Writes one array (pad, length byte, values) at byte `o`; returns the next offset, or -1 on a bad value. */
function writeArray(
  f64: Float64Array,
  bytes: Uint8Array,
  o: number,
  a: ArrayLike<number>,
  n: number,
): number {
  bytes[o + 7] = n;
  const s = (o >> 3) + 1;
  let good = true;
  for (let k = 0; k < n; k++) {
    const v = a[k];
    good &&= ok(v);
    f64[s + k] = v;
  }
  return good ? o + 8 + 8 * n : -1;
}

/**
 * Writes one row at byte offset `at` (8-aligned) of the memory behind `f64`/`bytes`; returns its length, or -1
 * when a value cannot be stored (NaN, Infinity, out of Int64) or the symbol is longer than 32 bytes. Times are
 * Nanos on `epoch`.
 */
export function writeMarketRow(
  f64: Float64Array,
  bytes: Uint8Array,
  at: number,
  symbol: string,
  priceScale: number,
  kind: number,
  exchTs: number,
  localTs: number,
  seq: number,
  price: number,
  volume: number,
  n: number,
  bidPx: ArrayLike<number>,
  bidQty: ArrayLike<number>,
  askPx: ArrayLike<number>,
  askQty: ArrayLike<number>,
  epoch: Epoch = Epoch.ZERO,
): number {
  const i = at >> 3;
  // The symbol: 32 zero bytes, then its characters (ASCII fast path).
  f64[i] = 0;
  f64[i + 1] = 0;
  f64[i + 2] = 0;
  f64[i + 3] = 0;
  const len = symbol.length;
  let c = 0;
  for (let k = 0; k < len && k < SYMBOL_BYTES; k++) {
    const ch = symbol.charCodeAt(k);
    c |= ch;
    bytes[at + k] = ch;
  }
  if (c >= 128 || len > SYMBOL_BYTES) {
    if (Buffer.byteLength(symbol) > SYMBOL_BYTES) return -1;
    (bytes as Buffer).write(symbol, at, 'utf8');
  }
  const s = i + 4;
  if (!(ok(exchTs) && ok(localTs))) return -1;
  epoch.writeInt64LE(bytes, at + SYMBOL_BYTES, exchTs);
  epoch.writeInt64LE(bytes, at + SYMBOL_BYTES + 8, localTs);
  f64[s + 2] = kind;
  f64[s + 3] = seq;
  f64[s + 4] = price;
  f64[s + 5] = volume;
  f64[s + 6] = priceScale;
  if (!(seq >= 0 && ok(seq) && ok(price) && ok(volume))) return -1;
  if (!(priceScale >= 0 && priceScale < 4294967296)) return -1;
  let o = at + HEAD_BYTES;
  o = writeArray(f64, bytes, o, bidPx, n);
  if (o >= 0) o = writeArray(f64, bytes, o, bidQty, n);
  if (o >= 0) o = writeArray(f64, bytes, o, askPx, n);
  if (o >= 0) o = writeArray(f64, bytes, o, askQty, n);
  return o < 0 ? -1 : o - at;
}

const LEGACY_STRUCTURE = [
  `symbol FixedString(${SYMBOL_BYTES})`,
  'exch_ts Int64',
  'ingest_ts Int64',
  ...['kind', 'seq', 'price', 'volume', 'price_scale'].map((c) => `${c} Float64`),
  ...['bid_px', 'bid_qty', 'ask_px', 'ask_qty'].flatMap((a) => [
    `${a}_pad FixedString(7)`,
    `${a} Array(Float64)`,
  ]),
  'rid UInt64',
].join(', ');

/** The layout as a ClickHouse structure (for the file() table function). */
export const MARKET_STRUCTURE = `${LEGACY_STRUCTURE}, run String`;
/** The layout of rows recorded before run ids (no `run` after `rid`). */
export const MARKET_LEGACY_STRUCTURE = LEGACY_STRUCTURE;

const LEGACY_SELECT = [
  'toStringCutToZero(symbol)',
  'exch_ts',
  'ingest_ts',
  `if(kind = ${KIND_TRADE}, 'trade', 'depth')`,
  'toUInt64(seq)',
  'toInt64(price)',
  'toInt64(volume)',
  ...['bid_px', 'bid_qty', 'ask_px', 'ask_qty'].map((a) => `CAST(${a}, 'Array(Int64)')`),
  'toUInt32(price_scale)',
  'rid',
].join(', ');

/** SELECT list turning the layout into hft.market_data's columns (in TOPICS column order). */
export const MARKET_SELECT = `${LEGACY_SELECT}, run`;
/** The same for rows recorded before run ids (topic.legacyColumns). */
export const MARKET_LEGACY_SELECT = LEGACY_SELECT;

/**
 * Converts `rows` layout rows (each followed by its rid and, unless `legacy`, its run) to RowBinary in
 * hft.market_data's column order.
 */
export function marketToRowBinary(raw: Buffer, rows: number, legacy = false): Buffer {
  const out = Buffer.allocUnsafe(raw.length + rows * 16);
  const w = new RowWriter(out.buffer, out.byteOffset, out.length);
  const levels = new Float64Array(MAX_LEVELS);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    let end = at;
    while (end < at + SYMBOL_BYTES && raw[end] !== 0) end++;
    w.str(raw.toString('utf8', at, end));
    const f = (k: number) => raw.readDoubleLE(at + SYMBOL_BYTES + 8 * k);
    w.raw(raw.subarray(at + SYMBOL_BYTES, at + SYMBOL_BYTES + 16)); // exch_ts, ingest_ts: Int64 already
    w.str(f(2) === KIND_TRADE ? 'trade' : 'depth');
    w.u64(f(3));
    w.i64(f(4));
    w.i64(f(5));
    let o = at + HEAD_BYTES;
    for (let a = 0; a < 4; a++) {
      const n = raw[o + 7];
      for (let k = 0; k < n; k++) levels[k] = raw.readDoubleLE(o + 8 + 8 * k);
      w.i64Array(levels, n);
      o += 8 + 8 * n;
    }
    w.u32(f(6));
    let next = o + 8;
    if (!legacy) {
      // The run: a RowBinary String (LEB128 length, then its bytes), copied as it is.
      let len = 0;
      let shift = 0;
      let b: number;
      do {
        b = raw[next++];
        len |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80);
      next += len;
    }
    w.raw(raw.subarray(o, next));
    at = next;
  }
  return out.subarray(0, w.pos);
}
