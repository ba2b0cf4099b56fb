import { basename, dirname, join } from 'node:path';
import { MdKind } from '../../contracts/market.ts';
import { Epoch } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { BookChecksBuilder } from './book-checks.ts';
import { EV_SNAPSHOT, EventColumnsBuilder } from './event-columns.ts';
import type { ReadOptions, ReplayData } from './replay-data.ts';
import { readBytes } from './replay-data.ts';
import { parseSecondsToNs } from './scaled-decimal.ts';

const NAME = /^([A-Za-z0-9.]+)_(\d{4}-\d{2}-\d{2})_\d+_\d+_(message|orderbook)_(\d+)\.csv$/;
/** LOBSTER prices are USD x 10000 already. */
const PRICE_SCALE = 10_000;
/** Orderbook placeholder for an empty level (±9999999999, size 0). */
const EMPTY = 9_999_999_999;

/**
 * Reads a LOBSTER sample (`<SYM>_<date>_<start>_<end>_message_<L>.csv` plus its `_orderbook_<L>.csv`;
 * either path works). Each message is one exchange message: 1 submit adds size at the price,
 * 2 partial cancel / 3 delete / 4 visible execution remove it, 4 and 5 (hidden) are also a Trade
 * (aggressor = opposite of the resting order's direction), 6 cross is a Trade without side, 7 halt
 * emits nothing. Times are seconds after midnight America/New_York on the file's date (the columns'
 * epoch, so times are exact); localTs = exchTs + opts.feedLatencyNs (default 0).
 *
 * The messages only cover orders entered during the sample: orders resting from before it enter the
 * 10 visible levels without a message. So the reader starts from the first orderbook row (message 0
 * undone) and, after each message, emits the Level events (flagged EV_SNAPSHOT) that bring the visible
 * levels to the orderbook row: counted as `reveals` when the level came from beyond the previous row's
 * deepest level, else as `anomalies` (a change no message explains). The orderbook file is returned
 * as truth: the L levels after every message.
 */
export async function readLobster(path: string, opts: ReadOptions = {}): Promise<ReplayData> {
  const m = NAME.exec(basename(path));
  if (!m)
    throw new UserError(
      `${basename(path)}: expected a LOBSTER name like AAPL_2012-06-21_34200000_57600000_message_10.csv`,
    );
  const [, symbol, date, , levelsText] = m;
  const L = Number(levelsText);
  const stem = basename(path).replace(/_(message|orderbook)_\d+\.csv$/, '');
  const msgPath = join(dirname(path), `${stem}_message_${L}.csv`);
  const bookPath = join(dirname(path), `${stem}_orderbook_${L}.csv`);
  const latency = opts.feedLatencyNs ?? 0;
  const midnight = nyMidnightNs(date);

  const msgRows = await readCsv(msgPath, 6);
  const bookRows = await readCsv(bookPath, 4 * L);
  const n = msgRows.length;
  if (n === 0) throw new UserError(`${basename(msgPath)}: no messages`);
  if (bookRows.length !== n) {
    throw new UserError(
      `${basename(bookPath)}: ${bookRows.length} rows for ${n} messages in ${basename(msgPath)}`,
    );
  }
  const time = new Float64Array(n);
  const type = new Int8Array(n);
  const size = new Float64Array(n);
  const price = new Float64Array(n);
  const dir = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const r = msgRows[i];
    const t = parseSecondsToNs(r[0]);
    type[i] = Number(r[1]);
    size[i] = Number(r[3]);
    price[i] = Number(r[4]);
    dir[i] = Number(r[5]);
    const ok =
      Number.isFinite(t) && type[i] >= 1 && type[i] <= 7 && Number.isInteger(size[i]) && size[i] >= 0;
    if (!ok || !Number.isInteger(price[i]) || (dir[i] !== 1 && dir[i] !== -1)) {
      throw new UserError(`${basename(msgPath)}: line ${i + 1}: bad message ${r.join(',')}`);
    }
    time[i] = t;
  }
  // Truth rows: per level ask price, ask size, bid price, bid size.
  const truth = new BookChecksBuilder(L);
  const bp = new Float64Array(L);
  const bq = new Float64Array(L);
  const ap = new Float64Array(L);
  const aq = new Float64Array(L);
  const visible: Visible[] = [];
  for (let i = 0; i < n; i++) {
    const r = bookRows[i];
    for (let k = 0; k < L; k++) {
      const v = [r[4 * k], r[4 * k + 1], r[4 * k + 2], r[4 * k + 3]].map(Number);
      if (v.some((x) => !Number.isInteger(x)))
        throw new UserError(`${basename(bookPath)}: line ${i + 1}: not integers`);
      ap[k] = Math.abs(v[0]) === EMPTY ? 0 : v[0];
      aq[k] = ap[k] === 0 ? 0 : v[1];
      bp[k] = Math.abs(v[2]) === EMPTY ? 0 : v[2];
      bq[k] = bp[k] === 0 ? 0 : v[3];
    }
    visible.push({ bid: bp.slice(), bidQty: bq.slice(), ask: ap.slice(), askQty: aq.slice() });
  }

  const start = startingBook(visible[0], type[0], size[0], price[0], dir[0]);
  const b = new EventColumnsBuilder(2 * n + 64);
  b.epoch = new Epoch(midnight);
  const t0 = time[0];
  b.push(MdKind.Clear, 0, t0, t0 + latency, 0, 0, EV_SNAPSHOT);
  for (const side of [1, -1] as const) {
    for (const [p, q] of start[side]) b.push(MdKind.Level, side, t0, t0 + latency, p, q, EV_SNAPSHOT);
  }
  b.endMessage();
  const book = start;
  const stats = { hiddenExecutions: 0, crosses: 0, halts: 0, reveals: 0, anomalies: 0 };
  for (let i = 0; i < n; i++) {
    const t = time[i];
    const ty = type[i];
    const side = dir[i] as 1 | -1;
    if (ty === 4 || ty === 5) b.push(MdKind.Trade, -side, t, t + latency, price[i], size[i]);
    if (ty === 5) stats.hiddenExecutions++;
    if (ty === 6) {
      stats.crosses++;
      b.push(MdKind.Trade, 0, t, t + latency, price[i], size[i]);
    }
    if (ty === 7) stats.halts++;
    if (ty >= 1 && ty <= 4) {
      const lv = book[side];
      // Below zero only where the level holds orders from before the sample that we cannot see yet.
      const q = Math.max(0, (lv.get(price[i]) ?? 0) + (ty === 1 ? size[i] : -size[i]));
      if (q > 0) lv.set(price[i], q);
      else lv.delete(price[i]);
      b.push(MdKind.Level, side, t, t + latency, price[i], q);
    }
    for (const s of [1, -1] as const) {
      reconcile(book[s], s, visible[i], i > 0 ? visible[i - 1] : visible[0], (p, q, reveal) => {
        if (reveal) stats.reveals++;
        else stats.anomalies++;
        b.push(MdKind.Level, s, t, t + latency, p, q, EV_SNAPSHOT);
      });
    }
    b.endMessage();
    const v = visible[i];
    truth.push(b.n - 1, t + latency, v.bid, v.bidQty, v.ask, v.askQty);
  }
  return {
    format: 'lobster',
    paths: [msgPath, bookPath],
    symbol,
    priceScale: PRICE_SCALE,
    qtyScale: 1,
    tick: 100,
    records: n,
    columns: b.finish(),
    truth: truth.finish(),
    stats,
    notes: [
      'starting book and levels entering the visible window without a message taken from the orderbook file',
      `no receive time in the source: localTs = exchTs + ${latency} ns (feedLatencyNs)`,
    ],
  };
}

type Visible = { bid: Float64Array; bidQty: Float64Array; ask: Float64Array; askQty: Float64Array };

/** Book before message 0: the first orderbook row with message 0 undone. */
function startingBook(row: Visible, type: number, size: number, price: number, dir: number) {
  const book = { 1: new Map<number, number>(), [-1]: new Map<number, number>() } as Record<
    1 | -1,
    Map<number, number>
  >;
  for (let k = 0; k < row.bid.length; k++) {
    if (row.bid[k] > 0) book[1].set(row.bid[k], row.bidQty[k]);
    if (row.ask[k] > 0) book[-1].set(row.ask[k], row.askQty[k]);
  }
  if (type >= 1 && type <= 4) {
    const lv = book[dir as 1 | -1];
    const q = (lv.get(price) ?? 0) + (type === 1 ? -size : size);
    if (q > 0) lv.set(price, q);
    else lv.delete(price);
  }
  return book;
}

/**
 * Brings one side's visible window to the orderbook row: calls fix(price, qty, reveal) per difference.
 * reveal = the level came from beyond the previous row's deepest level (resting there since before
 * the sample); any other difference is a change no message explains.
 */
function reconcile(
  lv: Map<number, number>,
  side: 1 | -1,
  row: Visible,
  prev: Visible,
  fix: (price: number, qty: number, reveal: boolean) => void,
): void {
  const px = side > 0 ? row.bid : row.ask;
  const qty = side > 0 ? row.bidQty : row.askQty;
  const prevPx = side > 0 ? prev.bid : prev.ask;
  const L = px.length;
  const better = (a: number, b: number) => (side > 0 ? a > b : a < b);
  const prevFull = prevPx[L - 1] > 0;
  const worst = px[L - 1]; // 0 when the row shows fewer than L levels: the whole side is visible
  for (let k = 0; k < L && px[k] > 0; k++) {
    if (lv.get(px[k]) === qty[k]) continue;
    lv.set(px[k], qty[k]);
    fix(px[k], qty[k], prevFull && better(prevPx[L - 1], px[k]));
  }
  for (const p of lv.keys()) {
    if (worst > 0 && better(worst, p)) continue;
    if (px.indexOf(p) >= 0) continue;
    lv.delete(p);
    fix(p, 0, false);
  }
}

/** Reads a comma-separated file whose every line has `columns` fields. */
async function readCsv(path: string, columns: number): Promise<string[][]> {
  const text = new TextDecoder().decode(await readBytes(path));
  const rows: string[][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const r = line.split(',');
    if (r.length !== columns) {
      throw new UserError(`${basename(path)}: line ${i + 1} has ${r.length} columns, expected ${columns}`);
    }
    rows.push(r);
  }
  return rows;
}

/** ns since 1970 of midnight in New York on `date` (yyyy-mm-dd), DST-aware. */
function nyMidnightNs(date: string): bigint {
  const [y, mo, d] = date.split('-').map(Number);
  const utc = Date.UTC(y, mo - 1, d);
  const offsetMs = (at: number) => {
    const part = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      timeZoneName: 'shortOffset',
    })
      .formatToParts(new Date(at))
      .find((p) => p.type === 'timeZoneName')!.value; // "GMT-4"
    const [, sign, h, min] = /GMT([+-])(\d+)(?::(\d+))?/.exec(part) ?? ['', '+', '0', '0'];
    return (sign === '-' ? -1 : 1) * (Number(h) * 3600_000 + Number(min ?? 0) * 60_000);
  };
  // Midnight local = utc - offset; look the offset up at that instant (handles DST switch days).
  return BigInt(utc - offsetMs(utc - offsetMs(utc))) * 1_000_000n;
}
