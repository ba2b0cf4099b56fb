import { basename, dirname, join } from 'node:path';
import { MdKind } from '../../contracts/market.ts';
import { Epoch } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { BookChecksBuilder } from './book-checks.ts';
import { EV_SNAPSHOT, EventColumnsBuilder } from './event-columns.ts';
import { L3_ADD, L3_CANCEL, L3_CLEAR, L3_FILL, L3_MODIFY, L3_TRADE, L3ColumnsBuilder } from './l3-columns.ts';
import { type ReadOptions, Rejects, type ReplayData, readBytes } from './replay-data.ts';
import { parseSecondsToNs } from './scaled-decimal.ts';

const NAME = /^([A-Za-z0-9.]+)_(\d{4}-\d{2}-\d{2})_\d+_\d+_(message|orderbook)_(\d+)\.csv$/;
/** LOBSTER prices are USD x 10000 already. */
const PRICE_SCALE = 10_000;
/** Orderbook placeholder for an empty level (±9999999999, size 0). */
const EMPTY = 9_999_999_999;

/** Reads a LOBSTER sample from either of its two paths (see parseLobster). */
export async function readLobster(path: string, opts: ReadOptions = {}): Promise<ReplayData> {
  const { msgPath, bookPath } = lobsterPair(path);
  const text = async (p: string) => new TextDecoder().decode(await readBytes(p));
  return parseLobster(await text(msgPath), await text(bookPath), msgPath, bookPath, opts);
}

/** How a LOBSTER sample's file names end: `_message_<L>.csv` or `_orderbook_<L>.csv`. */
export const LOBSTER_FILE = /_(message|orderbook)_\d+\.csv$/;

/** The message and orderbook paths of a LOBSTER sample, from either one's name. */
export function lobsterPair(path: string): { msgPath: string; bookPath: string; levels: number } {
  const m = NAME.exec(basename(path));
  if (!m)
    throw new UserError(
      `${basename(path)}: expected a LOBSTER name like AAPL_2012-06-21_34200000_57600000_message_10.csv`,
    );
  const L = Number(m[4]);
  const stem = basename(path).replace(LOBSTER_FILE, '');
  return {
    msgPath: join(dirname(path), `${stem}_message_${L}.csv`),
    bookPath: join(dirname(path), `${stem}_orderbook_${L}.csv`),
    levels: L,
  };
}

/**
 * Parses a LOBSTER sample (`<SYM>_<date>_<start>_<end>_message_<L>.csv` and its
 * `_orderbook_<L>.csv`: symbol, date and L come from the names). Each message is one exchange
 * message: 1 submit adds size at the price, 2 partial cancel / 3 delete / 4 visible execution remove
 * it, 4 and 5 (hidden) are also a Trade (aggressor = opposite of the resting order's direction),
 * 6 cross is a Trade without side, 7 halt emits nothing. Times are seconds after midnight
 * America/New_York on the file's date (the columns' epoch, so times are exact); localTs = exchTs +
 * opts.feedLatencyNs (default 0).
 *
 * The messages only cover orders entered during the sample: orders resting from before it enter the
 * 10 visible levels without a message. So the reader starts from the first orderbook row (message 0
 * undone) and, after each message, emits the Level events (flagged EV_SNAPSHOT) that bring the visible
 * levels to the orderbook row: counted as `reveals` when the level came from beyond the previous row's
 * deepest level, else as `anomalies` (a change no message explains). The orderbook file is returned
 * as truth (the L levels after every message) but it is not independent of the replayed book, which
 * is fitted to it: `messagesOnly` gives the independent figure, a book built from the messages alone
 * (from the same start) compared with the orderbook file after every message.
 *
 * Order by order (`columns.l3`): submits are adds, partial cancels and deletes cancels, visible
 * executions a fill then a cancel of the resting order, hidden executions and crosses trades.
 * Liquidity from before the sample (the starting book, revealed levels) is one placeholder order per
 * level (negative id, see placeholderId), which a message naming an unknown order reduces; where the
 * orderbook file cuts a level below the orders the messages put there (an anomaly), the newest are
 * cut. An OrderBookL3 fed these records equals the L2 events at every message.
 *
 * Bad rows (not L integers within 2^53, an unknown type or direction, a visible order's price off
 * the 0.01 tick) are dropped and counted in `rejects`; a bad orderbook row is not used.
 */
export function parseLobster(
  msgText: string,
  bookText: string,
  msgPath: string,
  bookPath: string,
  opts: ReadOptions = {},
): ReplayData {
  const m = NAME.exec(basename(msgPath));
  if (!m) throw new UserError(`${basename(msgPath)}: expected a LOBSTER message file name`);
  const [, symbol, date, , levelsText] = m;
  const L = Number(levelsText);
  const latency = opts.feedLatencyNs ?? 0;
  const midnight = nyMidnightNs(date);
  const rejects = new Rejects();
  const msgName = basename(msgPath);
  const bookName = basename(bookPath);

  const msgRows = csvRows(msgText);
  const bookRows = csvRows(bookText);
  const n = msgRows.length;
  if (n === 0) throw new UserError(`${msgName}: no messages`);
  if (bookRows.length !== n) {
    throw new UserError(`${bookName}: ${bookRows.length} rows for ${n} messages in ${msgName}`);
  }
  const time = new Float64Array(n);
  const type = new Int8Array(n); // 0: refused
  const size = new Float64Array(n);
  const price = new Float64Array(n);
  const dir = new Int8Array(n);
  const ids = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const { line, fields: r } = msgRows[i];
    const why = badMessage(r);
    if (why !== '') {
      rejects.add(why, `${msgName}: line ${line}`, r.join(',').slice(0, 80));
      continue;
    }
    type[i] = Number(r[1]);
    size[i] = Number(r[3]);
    price[i] = Number(r[4]);
    dir[i] = Number(r[5]);
    ids[i] = Number(r[2]);
    time[i] = parseSecondsToNs(r[0]); // on the midnight epoch: exact
  }
  // Truth rows: per level ask price, ask size, bid price, bid size. A bad row repeats the last good one.
  const truth = new BookChecksBuilder(L);
  const visible: (Visible | null)[] = [];
  for (let i = 0; i < n; i++) {
    const { line, fields: r } = bookRows[i];
    const v = r.length === 4 * L ? r.map(Number) : [];
    if (
      v.length === 0 ||
      v.some((x, k) => !Number.isSafeInteger(x) || (k % 2 === 1 ? x < 0 : x <= 0 && x !== -EMPTY))
    ) {
      rejects.add('bad orderbook row', `${bookName}: line ${line}`, r.join(',').slice(0, 80));
      visible.push(null);
      continue;
    }
    const row: Visible = {
      bid: new Float64Array(L),
      bidQty: new Float64Array(L),
      ask: new Float64Array(L),
      askQty: new Float64Array(L),
    };
    for (let k = 0; k < L; k++) {
      row.ask[k] = Math.abs(v[4 * k]) === EMPTY ? 0 : v[4 * k];
      row.askQty[k] = row.ask[k] === 0 ? 0 : v[4 * k + 1];
      row.bid[k] = Math.abs(v[4 * k + 2]) === EMPTY ? 0 : v[4 * k + 2];
      row.bidQty[k] = row.bid[k] === 0 ? 0 : v[4 * k + 3];
    }
    visible.push(row);
  }
  const row0 = visible.find((v) => v !== null);
  if (row0 === undefined) throw new UserError(`${bookName}: no usable orderbook row`);

  const start = startingBook(row0, visible[0] === null ? 0 : type[0], size[0], price[0], dir[0]);
  const b = new EventColumnsBuilder(2 * n + 64);
  b.epoch = new Epoch(midnight);
  b.repairCrossed = false; // order by order
  const l3 = new LobsterL3(n);
  b.l3 = l3.cols;
  const firstGood = type.findIndex((ty) => ty !== 0);
  const t0 = firstGood < 0 ? 0 : time[firstGood];
  b.push(MdKind.Clear, 0, t0, t0 + latency, 0, 0, EV_SNAPSHOT);
  l3.cols.push(L3_CLEAR, 0, 0, 0, 0);
  for (const side of [1, -1] as const) {
    for (const [p, q] of start[side]) {
      b.push(MdKind.Level, side, t0, t0 + latency, p, q, EV_SNAPSHOT);
      l3.fit(side, p, q);
    }
  }
  b.endMessage();
  const book = start;
  const alone = startingBook(row0, visible[0] === null ? 0 : type[0], size[0], price[0], dir[0]);
  const only = { points: 0, mismatches: 0, firstMismatch: '', bboMismatches: 0, firstBboMismatch: '' };
  const stats = { hiddenExecutions: 0, crosses: 0, halts: 0, reveals: 0, anomalies: 0 };
  let prev: Visible = row0;
  let t = t0;
  for (let i = 0; i < n; i++) {
    const ty = type[i];
    if (ty !== 0) t = time[i]; // a refused message keeps the last good time
    const side = dir[i] as 1 | -1;
    if (ty === 4 || ty === 5) b.push(MdKind.Trade, -side, t, t + latency, price[i], size[i]);
    if (ty === 5) stats.hiddenExecutions++;
    if (ty === 6) {
      stats.crosses++;
      b.push(MdKind.Trade, 0, t, t + latency, price[i], size[i]);
    }
    if (ty === 7) stats.halts++;
    if (ty !== 0) l3.message(ty, ids[i], side, price[i], size[i]);
    if (ty >= 1 && ty <= 4) {
      b.push(MdKind.Level, side, t, t + latency, price[i], applyMessage(book[side], ty, price[i], size[i]));
      applyMessage(alone[side], ty, price[i], size[i]);
    }
    const v = visible[i];
    if (v !== null) {
      for (const s of [1, -1] as const) {
        reconcile(book[s], s, v, prev, (p, q, reveal) => {
          if (reveal) stats.reveals++;
          else stats.anomalies++;
          b.push(MdKind.Level, s, t, t + latency, p, q, EV_SNAPSHOT);
          l3.fit(s, p, q);
        });
      }
      only.points++;
      const diff = compareTop(alone, v);
      if (diff !== '' && only.mismatches++ === 0) only.firstMismatch = `message ${i + 1}: ${diff}`;
      const l1 = compareTop(alone, v, 1);
      if (l1 !== '' && only.bboMismatches++ === 0) only.firstBboMismatch = `message ${i + 1}: ${l1}`;
    }
    b.endMessage();
    if (v !== null) {
      truth.push(b.n - 1, t + latency, v.bid, v.bidQty, v.ask, v.askQty);
      prev = v;
    }
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
    truthIndependent: false,
    messagesOnly: only,
    rejects,
    stats,
    notes: [
      'starting book and levels entering the visible window without a message taken from the orderbook file',
      `no receive time in the source: localTs = exchTs + ${latency} ns (feedLatencyNs)`,
    ],
  };
}

/** The placeholder order holding a level's liquidity from before the sample (LOBSTER ids are positive). */
export function placeholderId(side: 1 | -1, price: number): number {
  return -(price * 2 + (side === 1 ? 1 : 0)) - 1;
}

/** LOBSTER messages and book fits as L3 records (see parseLobster). */
class LobsterL3 {
  readonly cols: L3ColumnsBuilder;
  private readonly orders = new Map<number, { side: 1 | -1; price: number; size: number }>();
  /** Known (message-entered) order ids per level, oldest first; placeholder sizes per level. */
  private readonly queues = { 1: new Map<number, number[]>(), [-1]: new Map<number, number[]>() };
  private readonly held = { 1: new Map<number, number>(), [-1]: new Map<number, number>() };

  constructor(messages: number) {
    this.cols = new L3ColumnsBuilder(2 * messages + 64);
  }

  /** One good message (type 1-7). */
  message(type: number, id: number, side: 1 | -1, price: number, size: number): void {
    if (type === 1) {
      if (this.orders.has(id)) return;
      this.orders.set(id, { side, price, size });
      const q = this.queues[side].get(price);
      if (q) q.push(id);
      else this.queues[side].set(price, [id]);
      this.cols.push(L3_ADD, side, id, price, size);
    } else if (type >= 2 && type <= 4) {
      const o = this.orders.get(id);
      const oid = o ? id : placeholderId(side, price);
      if (type === 4) this.cols.push(L3_FILL, side, oid, price, size);
      if (o) this.reduce(id, o, type === 3 ? o.size : size);
      else {
        const h = this.held[side].get(price) ?? 0;
        const cut = Math.min(h, size);
        this.setHeld(side, price, h - cut);
        if (cut > 0) this.cols.push(L3_CANCEL, side, oid, price, cut);
      }
    } else if (type === 5 || type === 6) {
      this.cols.push(L3_TRADE, type === 5 ? -side : 0, 0, price, size);
    }
  }

  /** The reader set the level at `price` to `qty` from the orderbook file. */
  fit(side: 1 | -1, price: number, qty: number): void {
    const q = this.queues[side].get(price) ?? [];
    let known = 0;
    for (const id of q) known += this.orders.get(id)!.size;
    const h = this.held[side].get(price) ?? 0;
    const target = qty - known;
    if (target >= 0) {
      if (target !== h) {
        this.cols.push(h === 0 ? L3_ADD : L3_MODIFY, side, placeholderId(side, price), price, target);
        this.setHeld(side, price, target);
      }
      return;
    }
    if (h > 0) {
      this.cols.push(L3_MODIFY, side, placeholderId(side, price), price, 0);
      this.setHeld(side, price, 0);
    }
    // Which order changed is unknown: take it from the newest.
    for (let k = q.length - 1, over = -target; k >= 0 && over > 0; k--) {
      const id = q[k];
      const o = this.orders.get(id)!;
      const cut = Math.min(o.size, over);
      over -= cut;
      this.reduce(id, o, cut);
    }
  }

  private reduce(id: number, o: { side: 1 | -1; price: number; size: number }, size: number): void {
    const cut = Math.min(size, o.size);
    o.size -= cut;
    this.cols.push(L3_CANCEL, o.side, id, o.price, cut);
    if (o.size > 0) return;
    this.orders.delete(id);
    const q = this.queues[o.side].get(o.price)!;
    q.splice(q.indexOf(id), 1);
    if (q.length === 0) this.queues[o.side].delete(o.price);
  }

  private setHeld(side: 1 | -1, price: number, size: number): void {
    if (size > 0) this.held[side].set(price, size);
    else this.held[side].delete(price);
  }
}

/** Why a message row cannot be used ('' when it can). */
function badMessage(r: string[]): string {
  if (r.length !== 6) return `${r.length} columns, expected 6`;
  const t = parseSecondsToNs(r[0]);
  const v = r.slice(1).map(Number);
  if (!Number.isFinite(t)) return 'bad time';
  if (v.some((x) => !Number.isSafeInteger(x))) return 'not integers within 2^53';
  const [type, , size, price, dir] = v;
  if (type < 1 || type > 7) return `unknown type ${type}`;
  if (dir !== 1 && dir !== -1) return `unknown direction ${dir}`;
  if (type === 7) return '';
  if (size <= 0 || price <= 0) return 'size or price not positive';
  if (type <= 4 && price % 100 !== 0) return 'price off the 0.01 tick';
  return '';
}

/** Applies a visible-order message (1 submit, 2-4 remove) to one side; returns the level's new size. */
function applyMessage(lv: Map<number, number>, type: number, price: number, size: number): number {
  // Below zero only where the level holds orders from before the sample that we cannot see yet.
  const q = Math.max(0, (lv.get(price) ?? 0) + (type === 1 ? size : -size));
  if (q > 0) lv.set(price, q);
  else lv.delete(price);
  return q;
}

/** First difference between a book's top `depth` levels and an orderbook row ('' when equal). */
function compareTop(book: Record<1 | -1, Map<number, number>>, row: Visible, depth = row.bid.length): string {
  for (const side of [1, -1] as const) {
    const px = side > 0 ? row.bid : row.ask;
    const qty = side > 0 ? row.bidQty : row.askQty;
    const top = [...book[side].keys()].sort(side > 0 ? (a, b) => b - a : (a, b) => a - b);
    for (let k = 0; k < depth; k++) {
      const p = top[k] ?? 0;
      const q = p === 0 ? 0 : (book[side].get(p) as number);
      if (p !== px[k] || q !== qty[k]) {
        return `${side > 0 ? 'bid' : 'ask'} level ${k}: messages ${q}@${p}, orderbook ${qty[k]}@${px[k]}`;
      }
    }
  }
  return '';
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

/** Non-empty lines of a comma-separated text, with their line numbers. */
function csvRows(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line !== '') rows.push({ line: i + 1, fields: line.split(',') });
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
