import { KIND_TRADE, SYMBOL_BYTES } from './market-layout.ts';
import { TOPIC_BY_NAME } from './topics.ts';

/**
 * Market-data batches for the embedded engine as one ClickHouse Native block (columnar: each column's
 * values back to back), in hft.market_data's column order. The engine reads a Native block without the
 * row layout's casts: measured by bench/recorder.ts (embedded insert breakdown), the engine's parse and
 * conversion of a 5-level row costs about 0.5 us instead of 1.5 us, and building the columns here costs
 * the worker about 0.3 us.
 * Reads rows as writeMarketRow (market-layout.ts) wrote them, each followed by its rid and its run id (a
 * RowBinary String; `legacy` rows, recorded before run ids, end at the rid).
 */

const TWO32 = 4294967296;
/** Offsets in a layout row: symbol, then 8-byte slots. */
const EXCH_TS = SYMBOL_BYTES;
const KIND = SYMBOL_BYTES + 16;
const SEQ = SYMBOL_BYTES + 24;
const PRICE = SYMBOL_BYTES + 32;
const VOLUME = SYMBOL_BYTES + 40;
const SCALE = SYMBOL_BYTES + 48;
const ARRAYS = SYMBOL_BYTES + 56;

/** Growable column scratch: a byte view and, over the same memory, a u32 view for 8-byte integers. */
class Column {
  bytes = new Uint8Array(0);
  u32 = new Uint32Array(0);
  pos = 0;

  /** Empties the column, making room for `bytes`. */
  reset(bytes: number): void {
    if (this.bytes.length < bytes) {
      const mem = new ArrayBuffer((bytes + 7) & ~7);
      this.bytes = new Uint8Array(mem);
      this.u32 = new Uint32Array(mem);
    }
    this.pos = 0;
  }

  /** The bytes written so far. */
  get data(): Uint8Array {
    return this.bytes.subarray(0, this.pos);
  }

  /** Appends a String of `n` < 128 bytes (its length is one LEB128 byte) from `src` at `at`. */
  string(src: Uint8Array, at: number, n: number): void {
    const b = this.bytes;
    let p = this.pos;
    b[p++] = n;
    for (let k = 0; k < n; k++) b[p++] = src[at + k];
    this.pos = p;
  }

  /** Appends the bytes of `src`. */
  bytesOf(src: Uint8Array): void {
    this.bytes.set(src, this.pos);
    this.pos += src.length;
  }

  /**
   * Appends a float64 within Int64 (the layout checked it) as a little-endian 64-bit integer (two's
   * complement), rounded as the server path's RowWriter rounds.
   */
  i64(x: number): void {
    const v = Math.round(x);
    const hi = Math.floor(v / TWO32);
    const k = this.pos >> 2;
    this.u32[k] = v - hi * TWO32;
    this.u32[k + 1] = hi; // ToUint32: the high word in two's complement
    this.pos += 8;
  }
}

/** Reusable scratch for marketToNative (one per thread: it grows to the columns of the largest batch). */
export class NativeScratch {
  readonly symbol = new Column();
  readonly type = new Column();
  readonly run = new Column();
  /** exch_ts, ingest_ts, seq, price, volume, rid (8 bytes a row), price_scale (4). */
  readonly fixed = Array.from({ length: 7 }, () => new Column());
  readonly offsets = Array.from({ length: 4 }, () => new Column());
  readonly values = Array.from({ length: 4 }, () => new Column());
  /** The block's head: column and row counts. */
  head = new Uint8Array(0);
}

/** What this encoder writes, in order: it must be hft.market_data's wire columns (checked below). */
const WRITES = [
  'symbol String',
  'exch_ts Int64',
  'ingest_ts Int64',
  'type String',
  'seq UInt64',
  'price Int64',
  'volume Int64',
  'bids_price Array(Int64)',
  'bids_vol Array(Int64)',
  'asks_price Array(Int64)',
  'asks_vol Array(Int64)',
  'price_scale UInt32',
  'rid UInt64',
  'run String',
];
const MD = TOPIC_BY_NAME.market_data;
if (MD.columns.map(([n, t]) => `${n} ${t}`).join(', ') !== WRITES.join(', '))
  throw new Error('market-native.ts: hft.market_data columns changed; update the Native encoder');
/** Each column's name and type as a Native block spells them (LEB128 length, bytes). */
const HEADERS = MD.columns.map(([n, t]) =>
  Buffer.concat([leb(n.length), Buffer.from(n), leb(t.length), Buffer.from(t)]),
);
const TRADE = new Uint8Array([5, ...Buffer.from('trade')]);
const DEPTH = new Uint8Array([5, ...Buffer.from('depth')]);

function leb(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/**
 * Encodes `rows` layout rows of `raw` (each followed by its 8-byte rid and, unless `legacy`, its run) as a
 * Native block, returned as its pieces in order (to be written one after the other, e.g. with writev). The
 * pieces are views of the scratch: valid until the next call with it.
 */
export function marketToNative(raw: Buffer, rows: number, s: NativeScratch, legacy = false): Uint8Array[] {
  for (const c of s.fixed) c.reset(rows * 8);
  s.symbol.reset(rows * (SYMBOL_BYTES + 1));
  s.type.reset(rows * 6);
  s.run.reset(legacy ? rows : Math.min(raw.length, rows * 129));
  for (const c of s.offsets) c.reset(rows * 8);
  // All four arrays of a row have the same length: each column's values take at most a quarter of the rows.
  for (const c of s.values) c.reset(Math.ceil(raw.length / 4));
  encodeRows(raw, rows, s, legacy);
  const f = s.fixed;
  const v = s.values;
  const o = s.offsets;
  s.head = Buffer.concat([leb(HEADERS.length), leb(rows)]);
  const h = HEADERS;
  return [
    s.head,
    h[0],
    s.symbol.data,
    h[1],
    f[0].data,
    h[2],
    f[1].data,
    h[3],
    s.type.data,
    h[4],
    f[2].data,
    h[5],
    f[3].data,
    h[6],
    f[4].data,
    h[7],
    o[0].data,
    v[0].data,
    h[8],
    o[1].data,
    v[1].data,
    h[9],
    o[2].data,
    v[2].data,
    h[10],
    o[3].data,
    v[3].data,
    h[11],
    f[6].data,
    h[12],
    f[5].data,
    h[13],
    s.run.data,
  ];
}

/** Rows per call of encodeChunk: small calls are optimized early (on the wall clock) and as a whole. */
const CHUNK = 2048;

function encodeRows(raw: Buffer, rows: number, s: NativeScratch, legacy: boolean): void {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  let at = 0;
  for (let r = 0; r < rows; r += CHUNK)
    at = encodeChunk(dv, raw, at, r, Math.min(rows, r + CHUNK), s, legacy);
}

/** Rows [r0, r1) starting at byte `at` of `raw`; returns where the next row starts. */
function encodeChunk(
  dv: DataView,
  raw: Buffer,
  at: number,
  r0: number,
  r1: number,
  s: NativeScratch,
  legacy: boolean,
): number {
  const f = s.fixed;
  const scale = f[6].u32;
  for (let r = r0; r < r1; r++) {
    let n = 0;
    while (n < SYMBOL_BYTES && raw[at + n] !== 0) n++;
    s.symbol.string(raw, at, n);
    copy8(raw, at + EXCH_TS, f[0]);
    copy8(raw, at + EXCH_TS + 8, f[1]);
    s.type.bytesOf(dv.getFloat64(at + KIND, true) === KIND_TRADE ? TRADE : DEPTH);
    f[2].i64(dv.getFloat64(at + SEQ, true));
    f[3].i64(dv.getFloat64(at + PRICE, true));
    f[4].i64(dv.getFloat64(at + VOLUME, true));
    scale[r] = dv.getFloat64(at + SCALE, true);
    let o = at + ARRAYS;
    o = copyArray(dv, raw, o, s.values[0], s.offsets[0]);
    o = copyArray(dv, raw, o, s.values[1], s.offsets[1]);
    o = copyArray(dv, raw, o, s.values[2], s.offsets[2]);
    o = copyArray(dv, raw, o, s.values[3], s.offsets[3]);
    copy8(raw, o, f[5]);
    at = o + 8;
    if (legacy) s.run.string(raw, at, 0);
    else if (raw[at] < 128) {
      // The persister's run ids are at most 127 bytes: one length byte, then the bytes.
      const len = raw[at];
      s.run.string(raw, at + 1, len);
      at += 1 + len;
    } else at = copyLongString(raw, at, s.run);
  }
  f[6].pos = r1 * 4;
  return at;
}

/** One array of a row (pad, length byte, values) into its values and offsets columns; returns the next offset. */
function copyArray(dv: DataView, raw: Uint8Array, o: number, values: Column, offsets: Column): number {
  const len = raw[o + 7];
  for (let k = 0; k < len; k++) values.i64(dv.getFloat64(o + 8 + 8 * k, true));
  offsets.i64(values.pos / 8);
  return o + 8 + 8 * len;
}

/** Appends the 8 bytes at `at` of `raw` to `c`. */
function copy8(raw: Uint8Array, at: number, c: Column): void {
  const b = c.bytes;
  const p = c.pos;
  for (let k = 0; k < 8; k++) b[p + k] = raw[at + k];
  c.pos = p + 8;
}

/** A String of 128 bytes or more (multi-byte LEB128 length), copied as it is; returns where it ends. */
function copyLongString(raw: Uint8Array, at: number, c: Column): number {
  let len = 0;
  let shift = 0;
  let p = at;
  let b: number;
  do {
    b = raw[p++];
    len += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  const end = p + len;
  if (c.bytes.length < c.pos + end - at) {
    const grown = new ArrayBuffer((2 * (c.pos + end - at) + 7) & ~7);
    new Uint8Array(grown).set(c.bytes.subarray(0, c.pos));
    c.bytes = new Uint8Array(grown);
    c.u32 = new Uint32Array(grown);
  }
  c.bytes.set(raw.subarray(at, end), c.pos);
  c.pos += end - at;
  return end;
}
