import { KIND_TRADE, marketRowBound, writeMarketRow } from '../../src/recorder/market-layout.ts';
import { RowWriter } from '../../src/recorder/row-writer.ts';
import { writeOrder, writeSpan } from '../../src/recorder/rows.ts';
import { TOPIC_BY_NAME } from '../../src/recorder/topics.ts';
import type { WalWriter } from '../../src/recorder/wal/writer.ts';

export const MD = TOPIC_BY_NAME.market_data;
export const ORDERS = TOPIC_BY_NAME.orders;
const T0 = 1_700_000_000_000_000_000;
const NONE = new Float64Array(0);

/** Market-data trade rows (wire layout) with seq = first .. first+rows-1, each followed by record id (hi, lo). */
export function tradeBatch(ridHi: number, ridLo: number, first: number, rows: number): Buffer {
  const mem = new ArrayBuffer(rows * (marketRowBound(0) + 8));
  const f64 = new Float64Array(mem);
  const bytes = Buffer.from(mem);
  let at = 0;
  for (let i = 0; i < rows; i++) {
    const seq = first + i;
    const ts = T0 + seq * 1024;
    at += writeMarketRow(
      f64,
      bytes,
      at,
      'TXFD6',
      1,
      KIND_TRADE,
      ts,
      ts,
      seq,
      33_000 + (seq % 50),
      1 + (seq % 7),
      0,
      NONE,
      NONE,
      NONE,
      NONE,
    );
    bytes.writeUInt32LE(ridLo, at);
    bytes.writeUInt32LE(ridHi, at + 4);
    at += 8;
  }
  return bytes.subarray(0, at);
}

/** Appends one market-data batch of `rows` rows from `first`; returns its record id. */
export function appendTrades(wal: WalWriter, first: number, rows: number): { hi: number; lo: number } {
  const lo = wal.nextRid();
  const hi = wal.ridHi;
  wal.append(MD, hi, lo, 0, rows, tradeBatch(hi, lo, first, rows));
  return { hi, lo };
}

export const SPANS = TOPIC_BY_NAME.latency_spans;

/** Appends one latency-span batch (ts = T0 + i, ns = i for i in first .. first+rows-1); returns its record id. */
export function appendSpans(wal: WalWriter, first: number, rows: number): { hi: number; lo: number } {
  const lo = wal.nextRid();
  const hi = wal.ridHi;
  const buf = Buffer.alloc(rows * 64);
  const w = new RowWriter(buf.buffer, buf.byteOffset, buf.length);
  for (let i = first; i < first + rows; i++) {
    writeSpan(w, T0 + i, 'tick_to_intent', i);
    w.u64Parts(hi, lo);
  }
  wal.append(SPANS, hi, lo, 0, rows, buf.subarray(0, w.pos));
  return { hi, lo };
}

/** Appends one orders batch (order ids first .. first+rows-1); returns its record id. */
export function appendOrders(wal: WalWriter, first: number, rows: number): { hi: number; lo: number } {
  const lo = wal.nextRid();
  const hi = wal.ridHi;
  const buf = Buffer.alloc(rows * 128);
  const w = new RowWriter(buf.buffer, buf.byteOffset, buf.length);
  for (let i = first; i < first + rows; i++) {
    writeOrder(w, {
      ts: 1024 * i,
      orderId: i,
      venueOrderId: `V${i}`,
      strategyId: 'mm',
      symbol: 'TXFD6',
      event: 'new',
      side: 1,
      price: 3_300_000,
      qty: 1,
      cumQty: 0,
      leavesQty: 1,
      reason: '',
      priceScale: 100,
    });
    w.u64Parts(hi, lo);
  }
  wal.append(ORDERS, hi, lo, 0, rows, buf.subarray(0, w.pos));
  return { hi, lo };
}
