import { basename } from 'node:path';
import { MdKind } from '../../contracts/market.ts';
import { Epoch } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { EV_SNAPSHOT, EventColumnsBuilder } from './event-columns.ts';
import { L3_CLEAR, L3ColumnsBuilder } from './l3-columns.ts';
import { badFile, Rejects, type ReplayData, readBytes } from './replay-data.ts';
import { plausibleAbs } from './time-screen.ts';
import { zstdDecompress } from './zstd.ts';

const RECORD_LEN = 56;
const RTYPE_MBO = 0xa0;
const F_LAST = 0x80;
const F_SNAPSHOT = 0x20;
const UNDEF_PRICE = 0x7fff_ffff_ffff_ffffn;
/** DBN prices are 1e-9 units; priceScale 100 => divide by 1e7 (ES tick 0.25 -> 25). */
const PRICE_SCALE = 100;
const PRICE_DIV = 10_000_000n;

interface Order {
  side: 1 | -1;
  price: number;
  size: number;
}

/** Reads a Databento DBN v1 MBO file (see parseDbn). */
export async function readDbn(path: string): Promise<ReplayData> {
  return parseDbn(await readBytes(path), path);
}

/** A zstd frame's magic number, little-endian. */
export function isZstd(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd;
}

/**
 * Parses a Databento DBN v1 MBO file (zstd-compressed or plain, told by its magic) into L2 events: an L3 book (order id -> side,
 * price, size) turns each add/cancel/modify into Level events carrying the new aggregate size at the
 * price; T is a Trade (side = aggressor), R a Clear; F (fill) changes nothing, since Databento sends
 * the cancel that reduces the resting order. A snapshot (F_SNAPSHOT run) gets a Clear when it does not
 * start with R, and is closed as one message. exchTs = ts_event, localTs = ts_recv, exact (the
 * columns' epoch is the UTC midnight before the first plausible ts_recv). A record with a price off the 0.01 grid or not positive, an add without a side or size, or an
 * unknown action is dropped and counted in `rejects` (its order is then unknown to later records).
 * The records themselves (but N) come as `columns.l3`, each tied to its message: an OrderBookL3 fed
 * them (applyMbo) holds the exchange's order-level book, equal to the L2 events at every message.
 */
export function parseDbn(bytes: Uint8Array, path: string): ReplayData {
  const file = basename(path);
  let raw = bytes;
  if (isZstd(raw)) {
    try {
      // DBN compresses a few times over; far more than that is a corrupt header, not data.
      raw = zstdDecompress(raw, Math.min(2 ** 31 - 1, 256 * raw.length + (1 << 20)));
    } catch (e) {
      throw badFile(path, 'not a complete zstd stream', e);
    }
  }
  if (raw.length < 8 || raw[0] !== 0x44 || raw[1] !== 0x42 || raw[2] !== 0x4e) {
    throw new UserError(`${file}: not a DBN file (missing "DBN" magic)`);
  }
  if (raw[3] !== 1) throw new UserError(`${file}: DBN version ${raw[3]} not supported (version 1 only)`);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const metaLen = dv.getUint32(4, true);
  const first = 8 + metaLen;
  if (metaLen < 108 || first > raw.length) throw new UserError(`${file}: DBN metadata truncated`);
  const schema = dv.getUint16(8 + 16, true);
  if (schema !== 0) throw new UserError(`${file}: DBN schema ${schema} is not MBO (0)`);
  const symbol = firstSymbol(raw, dv, 8, metaLen);

  const b = new EventColumnsBuilder(((raw.length - first) / RECORD_LEN) * 1.2);
  for (let off = first; off + RECORD_LEN <= raw.length && off < first + 64 * RECORD_LEN; off += RECORD_LEN) {
    const recv = dv.getBigUint64(off + 40, true);
    if (b.epoch === Epoch.ZERO || plausibleAbs(recv)) b.epoch = Epoch.midnightBefore(recv);
    if (plausibleAbs(recv)) break;
  }
  const epoch = b.epoch;
  b.repairCrossed = false; // order by order: a crossed book is the market's (pre-open)
  const l3 = new L3ColumnsBuilder((raw.length - first) / RECORD_LEN);
  b.l3 = l3;
  const orders = new Map<number | bigint, Order>();
  const levels = { 1: new Map<number, number>(), [-1]: new Map<number, number>() };
  const stats = { snapshotRecords: 0, liveRecords: 0, unknownOrders: 0, otherRecords: 0, overCancels: 0 };
  const rejects = new Rejects();
  let instrument = -1;
  let inSnapshot = false;

  const level = (o: Order, delta: number, exchTs: number, localTs: number, flags: number) => {
    const m = levels[o.side];
    const q = (m.get(o.price) ?? 0) + delta;
    if (q > 0) m.set(o.price, q);
    else m.delete(o.price);
    b.push(MdKind.Level, o.side, exchTs, localTs, o.price, Math.max(q, 0), flags);
  };

  for (let off = first; off < raw.length; off += raw[off] * 4) {
    const len = raw[off] * 4;
    if (len === 0 || off + len > raw.length) throw new UserError(`${file}: record at byte ${off} truncated`);
    if (raw[off + 1] !== RTYPE_MBO || len !== RECORD_LEN) {
      stats.otherRecords++;
      continue;
    }
    const inst = dv.getUint32(off + 4, true);
    if (instrument < 0) instrument = inst;
    else if (inst !== instrument)
      throw new UserError(`${file}: several instruments (${instrument}, ${inst}); one expected`);
    // u64 times as two u32 halves, relative to the epoch: exact, no BigInt per record.
    const exchTs = epoch.fromParts(dv.getUint32(off + 12, true), dv.getUint32(off + 8, true));
    const idBig = dv.getBigUint64(off + 16, true);
    const id = idBig <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(idBig) : idBig;
    const rawPrice = dv.getBigInt64(off + 24, true);
    const price = scalePrice(rawPrice);
    const size = dv.getUint32(off + 32, true);
    const rflags = raw[off + 36];
    const action = raw[off + 38];
    const sideChar = raw[off + 39];
    const localTs = epoch.fromParts(dv.getUint32(off + 44, true), dv.getUint32(off + 40, true));
    const side = sideChar === 0x42 ? 1 : sideChar === 0x41 ? -1 : 0; // 'B' / 'A' / 'N'
    const why = refusal(action, price, size, side);
    if (why !== '') {
      rejects.add(
        why,
        `byte ${off}`,
        `action ${String.fromCharCode(action)}, price ${rawPrice}, size ${size}`,
      );
      if (rflags & F_LAST) b.endMessage();
      continue;
    }

    const snap = (rflags & F_SNAPSHOT) !== 0;
    if (snap) stats.snapshotRecords++;
    else stats.liveRecords++;
    if (inSnapshot && !snap) b.endMessage(); // a snapshot is one message even without F_LAST
    if (snap && !inSnapshot && action !== 0x52) {
      orders.clear();
      levels[1].clear();
      levels[-1].clear();
      b.push(MdKind.Clear, 0, exchTs, localTs, 0, 0, EV_SNAPSHOT);
      l3.push(L3_CLEAR, 0, 0, 0, 0);
    }
    inSnapshot = snap;
    // Every usable record, as it is (N changes nothing); OrderBookL3 applies them (lob/mbo-actions.ts).
    if (action !== 0x4e) l3.push(action, side, l3.idOf(id), Number.isNaN(price) ? 0 : price, size);
    const flags = snap ? EV_SNAPSHOT : 0;

    switch (action) {
      case 0x41: {
        // A: add
        const o: Order = { side: side as 1 | -1, price, size };
        orders.set(id, o);
        level(o, size, exchTs, localTs, flags);
        break;
      }
      case 0x43: {
        // C: cancel `size` of the order (partial or full)
        const o = orders.get(id);
        if (!o) {
          stats.unknownOrders++;
          break;
        }
        const cut = Math.min(size, o.size);
        if (cut < size) stats.overCancels++;
        o.size -= cut;
        if (o.size === 0) orders.delete(id);
        level(o, -cut, exchTs, localTs, flags);
        break;
      }
      case 0x4d: {
        // M: modify to a new price and size; an unknown order is an add (as in Databento's book example)
        const o = orders.get(id);
        if (!o) {
          stats.unknownOrders++;
          if (side === 0) break;
          const n: Order = { side, price, size };
          orders.set(id, n);
          level(n, size, exchTs, localTs, flags);
          break;
        }
        if (o.price !== price) {
          level(o, -o.size, exchTs, localTs, flags);
          o.price = price;
          o.size = size;
          level(o, size, exchTs, localTs, flags);
        } else {
          const delta = size - o.size;
          o.size = size;
          level(o, delta, exchTs, localTs, flags);
        }
        if (o.size === 0) orders.delete(id);
        break;
      }
      case 0x54:
        // T: trade, side = aggressor
        if (price > 0) b.push(MdKind.Trade, side, exchTs, localTs, price, size, 0);
        break;
      case 0x52:
        // R: clear
        orders.clear();
        levels[1].clear();
        levels[-1].clear();
        b.push(MdKind.Clear, 0, exchTs, localTs, 0, 0, flags);
        break;
      // F (fill) and N (none) do not change the book.
    }
    if (rflags & F_LAST) b.endMessage();
  }
  return {
    format: 'dbn-mbo',
    paths: [path],
    symbol,
    priceScale: PRICE_SCALE,
    qtyScale: 1,
    tick: 25,
    records: stats.snapshotRecords + stats.liveRecords + stats.otherRecords,
    columns: b.finish(),
    rejects,
    stats,
    notes: [
      'L3 (order by order) folded into L2 Level events; the records kept as columns.l3',
      'exchTs = ts_event, localTs = ts_recv',
    ],
  };
}

/** 1e-9 units -> scaled by PRICE_SCALE, exactly; 0 for the undefined-price sentinel, NaN off the grid. */
function scalePrice(p: bigint): number {
  if (p === UNDEF_PRICE) return 0;
  if (p % PRICE_DIV !== 0n) return Number.NaN;
  return Number(p / PRICE_DIV);
}

/** Why a record cannot be used ('' when it can): the actions that carry a price need a good one. */
function refusal(action: number, price: number, size: number, side: number): string {
  switch (action) {
    case 0x41: // A
    case 0x4d: // M
      if (Number.isNaN(price)) return 'price finer than 0.01';
      if (!(price > 0)) return 'price not positive';
      if (side === 0) return 'order without a side';
      if (action === 0x41 && size === 0) return 'add of size 0';
      return '';
    case 0x54: // T (the undefined price, 0, is a trade without a price: skipped)
      if (Number.isNaN(price)) return 'price finer than 0.01';
      return price !== 0 && (price < 0 || size === 0) ? 'trade without a size or a positive price' : '';
    case 0x43: // C
    case 0x52: // R
    case 0x46: // F
    case 0x4e: // N
      return '';
    default:
      return 'unknown action';
  }
}

/** The first requested symbol of a v1 metadata block (22-byte C strings after a fixed 104-byte head). */
function firstSymbol(raw: Uint8Array, dv: DataView, at: number, len: number): string {
  const schemaDefLen = dv.getUint32(at + 100, true);
  const countAt = at + 104 + schemaDefLen;
  if (countAt + 4 > at + len || dv.getUint32(countAt, true) === 0) return 'UNKNOWN';
  const s = raw.subarray(countAt + 4, countAt + 4 + 22);
  const end = s.indexOf(0);
  return new TextDecoder().decode(end < 0 ? s : s.subarray(0, end));
}
