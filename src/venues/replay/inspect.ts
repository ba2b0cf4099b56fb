import { basename } from 'node:path';
import { auctionWindows, calendarFor } from '../../calendar/session-calendar.ts';
import { MdKind } from '../../contracts/market.ts';
import { applyMbo } from '../../lob/mbo-actions.ts';
import { OrderBookL3 } from '../../lob/order-book-l3.ts';
import { markCallAuctions } from './call-auctions.ts';
import { EV_LAST, EV_SNAPSHOT, type EventColumns } from './event-columns.ts';
import { L3_ADD, L3_CANCEL, L3_CLEAR, L3_FILL, L3_MODIFY, L3_TRADE } from './l3-columns.ts';
import { readAny } from './read-any.ts';
import { ReferenceBook, verifyTruth } from './reference-book.ts';
import type { MessagesOnlyCheck, ReadOptions, ReplayData, ReplayFormat } from './replay-data.ts';
import { duration, iso, type TimeReport } from './time-screen.ts';

const BOOK_LEVELS = 5;

/** Top levels of the book after one event; prices and quantities scaled. */
export interface BookView {
  eventIndex: number;
  exchTs: string;
  bids: [price: number, qty: number][];
  asks: [price: number, qty: number][];
}

/** Plain summary of one recording (scaled integers, ISO times). */
export interface InspectSummary {
  file: string;
  format: ReplayFormat;
  symbol: string;
  priceScale: number;
  qtyScale: number;
  tick: number;
  records: number;
  events: number;
  byKind: { level: number; trade: number; clear: number };
  messages: number;
  snapshotEvents: number;
  firstExchTs: string | null;
  lastExchTs: string | null;
  bookPrice: { min: number; max: number } | null;
  tradePrice: { min: number; max: number } | null;
  /** Most price levels held per side at any point. */
  maxDepth: { bid: number; ask: number };
  /** Messages after which best bid >= best ask. */
  crossedMessages: number;
  /** Level and Trade events whose price is off the reader's (finest) tick. */
  offTick: number;
  /** Records or events refused (dropped), by reason, with the first places. */
  rejected: { total: number; byReason: Record<string, number>; examples: string[] };
  /** What the time screen found: outliers dropped, backward steps and long gaps kept. */
  time: TimeReport | null;
  /** After the first message that leaves both sides non-empty. */
  firstBook: BookView | null;
  lastBook: BookView | null;
  /**
   * The replayed book against the states the file publishes. `independent` is false where the
   * reader fits its book to those states (LOBSTER): see messagesOnly for the independent figure.
   */
  truth: {
    points: number;
    levels: number;
    mismatches: number;
    firstMismatch: string;
    independent: boolean;
  } | null;
  messagesOnly: MessagesOnlyCheck | null;
  /**
   * Events in the call auctions (pre-open, closing call) of the data's exchange calendar (TAIFEX
   * data): indicative prints and books, which backtests do not fill on (feed.exclude_preopen).
   */
  callAuctions: { market: string; windows: string; events: number; trades: number } | null;
  /** Order-level view of L3 sources (DBN MBO, LOBSTER); null for L2 data. */
  l3: L3Summary | null;
  stats: Record<string, number>;
  notes: string[];
}

/** One price level of the L3 book: aggregate size, resting orders, and the first orders of its queue. */
export interface L3LevelView {
  price: number;
  qty: number;
  orders: number;
  /** Front of the FIFO queue: [order id, size], first in line first. */
  queue: [id: number, size: number][];
}

/** What `hft data inspect` shows of an order-level (L3) source. */
export interface L3Summary {
  records: number;
  byAction: { add: number; cancel: number; modify: number; fill: number; trade: number; clear: number };
  /** Records naming an order the book does not hold (cancel, modify of an unknown id; a repeated add). */
  unknownOrders: number;
  /** Most orders resting per side at any message. */
  maxOrders: { bid: number; ask: number };
  /** Messages after which the L2 view of the L3 book differs from the reader's L2 events (0 expected). */
  l2Mismatches: number;
  firstL2Mismatch: string;
  /** At the end of the file: resting orders per side and the top levels with their queues. */
  orders: { bid: number; ask: number };
  top: { exchTs: string; bids: L3LevelView[]; asks: L3LevelView[] } | null;
}

const L3_QUEUE_SHOWN = 5;

/** Replays the L3 records into an OrderBookL3, message by message, checking its L2 view against the reader's. */
function summarizeL3(c: EventColumns): L3Summary | null {
  const l3c = c.l3;
  if (!l3c) return null;
  const book = new OrderBookL3();
  const ref = new ReferenceBook();
  const byAction = { add: 0, cancel: 0, modify: 0, fill: 0, trade: 0, clear: 0 };
  const names: Record<number, keyof typeof byAction> = {
    [L3_ADD]: 'add',
    [L3_CANCEL]: 'cancel',
    [L3_MODIFY]: 'modify',
    [L3_FILL]: 'fill',
    [L3_TRADE]: 'trade',
    [L3_CLEAR]: 'clear',
  };
  const maxOrders = { bid: 0, ask: 0 };
  let unknown = 0;
  let mismatches = 0;
  let first = '';
  let j = 0;
  let messages = 0;
  for (let i = 0; i < c.n; i++) {
    ref.apply(c, i);
    if ((c.flags[i] & EV_LAST) === 0) continue;
    messages++;
    for (; j < l3c.n && l3c.msgEnd[j] <= i; j++) {
      const a = l3c.action[j];
      const name = names[a];
      if (name) byAction[name]++;
      const ok = applyMbo(book, a, l3c.id[j], l3c.side[j] as 1 | -1 | 0, l3c.price[j], l3c.size[j]);
      if (!ok) unknown++;
    }
    maxOrders.bid = Math.max(maxOrders.bid, book.orders(1));
    maxOrders.ask = Math.max(maxOrders.ask, book.orders(-1));
    const d = l2Difference(book, ref);
    if (d !== '' && mismatches++ === 0) first = `message ${messages}: ${d}`;
  }
  const levels = (side: 1 | -1): L3LevelView[] => {
    const lv = side === 1 ? book.bids : book.asks;
    const out: L3LevelView[] = [];
    for (let k = 0; k < Math.min(lv.n, BOOK_LEVELS); k++) {
      const price = lv.px[k];
      const ids = k === 0 ? book.queue(side, price).slice(0, L3_QUEUE_SHOWN) : [];
      out.push({
        price,
        qty: lv.qty[k],
        orders: book.ordersAt(side, price),
        queue: ids.map((id) => [Number(id), book.sizeOf(id)]),
      });
    }
    return out;
  };
  return {
    records: l3c.n,
    byAction,
    unknownOrders: unknown,
    maxOrders,
    l2Mismatches: mismatches,
    firstL2Mismatch: first,
    orders: { bid: book.orders(1), ask: book.orders(-1) },
    top: c.n > 0 ? { exchTs: iso(c.epoch, c.exchTs[c.n - 1]), bids: levels(1), asks: levels(-1) } : null,
  };
}

/** First difference between the L3 book's L2 view and the reference book, all levels ('' when equal). */
function l2Difference(book: OrderBookL3, ref: ReferenceBook): string {
  for (const side of [1, -1] as const) {
    const lv = side === 1 ? book.bids : book.asks;
    const m = side === 1 ? ref.bids : ref.asks;
    let n = 0;
    for (const q of m.values()) if (q > 0) n++;
    if (n !== lv.n) return `${side === 1 ? 'bid' : 'ask'} levels: L3 ${lv.n}, L2 ${n}`;
    for (let k = 0; k < lv.n; k++) {
      if (m.get(lv.px[k]) !== lv.qty[k]) {
        return `${side === 1 ? 'bid' : 'ask'} ${lv.px[k]}: L3 ${lv.qty[k]}, L2 ${m.get(lv.px[k]) ?? 0}`;
      }
    }
  }
  return '';
}

/** Reads a recording and summarizes it, replaying it through a reference book. */
export async function inspectFile(path: string, opts: ReadOptions = {}): Promise<InspectSummary> {
  return summarize(await readAny(path, opts));
}

/** Summarizes already-read replay data. */
export function summarize(d: ReplayData): InspectSummary {
  const c = d.columns;
  const book = new ReferenceBook();
  const byKind = { level: 0, trade: 0, clear: 0 };
  let messages = 0;
  let snapshotEvents = 0;
  let crossed = 0;
  const maxDepth = { bid: 0, ask: 0 };
  let bookPrice: { min: number; max: number } | null = null;
  let tradePrice: { min: number; max: number } | null = null;
  let firstBook: BookView | null = null;
  let offTick = 0;
  for (let i = 0; i < c.n; i++) {
    book.apply(c, i);
    const kind = c.kind[i];
    const p = c.price[i];
    if (kind !== MdKind.Clear && p % d.tick !== 0) offTick++;
    if (kind === MdKind.Level) {
      byKind.level++;
      if (c.qty[i] > 0) bookPrice = widen(bookPrice, p);
      maxDepth.bid = Math.max(maxDepth.bid, book.bids.size);
      maxDepth.ask = Math.max(maxDepth.ask, book.asks.size);
    } else if (kind === MdKind.Trade) {
      byKind.trade++;
      tradePrice = widen(tradePrice, p);
    } else if (kind === MdKind.Clear) {
      byKind.clear++;
    }
    if (c.flags[i] & EV_SNAPSHOT) snapshotEvents++;
    if (c.flags[i] & EV_LAST) {
      messages++;
      const bid = book.best(1);
      const ask = book.best(-1);
      if (bid > 0 && ask > 0) {
        if (bid >= ask) crossed++;
        firstBook ??= view(book, iso(c.epoch, c.exchTs[i]), i);
      }
    }
  }
  let truth: InspectSummary['truth'] = null;
  if (d.truth) {
    const bad = verifyTruth(c, d.truth);
    truth = {
      points: d.truth.n,
      levels: d.truth.levels,
      mismatches: bad.length,
      firstMismatch: bad.length > 0 ? `check ${bad[0].row}: ${bad[0].reason}` : '',
      independent: d.truthIndependent !== false,
    };
  }
  return {
    file: d.paths.map((p) => basename(p)).join(' + '),
    format: d.format,
    symbol: d.symbol,
    priceScale: d.priceScale,
    qtyScale: d.qtyScale,
    tick: d.tick,
    records: d.records,
    events: c.n,
    byKind,
    messages,
    snapshotEvents,
    firstExchTs: c.n > 0 ? iso(c.epoch, c.exchTs[0]) : null,
    lastExchTs: c.n > 0 ? iso(c.epoch, c.exchTs[c.n - 1]) : null,
    bookPrice,
    tradePrice,
    maxDepth,
    crossedMessages: crossed,
    offTick,
    rejected: d.rejects.toJSON(),
    time: d.time ?? null,
    firstBook,
    lastBook: c.n > 0 ? view(book, iso(c.epoch, c.exchTs[c.n - 1]), c.n - 1) : null,
    truth,
    messagesOnly: d.messagesOnly ?? null,
    callAuctions: callAuctionsOf(d),
    l3: summarizeL3(c),
    stats: d.stats,
    notes: d.notes,
  };
}

/** Human-readable rendering of a summary (prices and quantities in natural units). */
export function formatInspect(s: InspectSummary): string {
  const px = (v: number) => unscale(v, s.priceScale);
  const qty = (v: number) => unscale(v, s.qtyScale);
  const range = (r: { min: number; max: number } | null) => (r ? `${px(r.min)} .. ${px(r.max)}` : '-');
  const n = (v: number) => v.toLocaleString('en-US');
  const lines = [
    `${s.file}  [${s.format}]`,
    `symbol      ${s.symbol}   tick ${px(s.tick)}   price scale ${s.priceScale}   qty scale ${s.qtyScale}`,
    `records     ${n(s.records)}   events ${n(s.events)} (level ${n(s.byKind.level)}, trade ${n(s.byKind.trade)}, ` +
      `clear ${n(s.byKind.clear)}; ${n(s.snapshotEvents)} from snapshots)   messages ${n(s.messages)}`,
    `time        ${s.firstExchTs ?? '-'} .. ${s.lastExchTs ?? '-'} (exchange)${timeNote(s.time)}`,
    `prices      book ${range(s.bookPrice)}   trades ${range(s.tradePrice)}` +
      (s.offTick > 0 ? `   ${n(s.offTick)} events off the ${px(s.tick)} tick` : ''),
    `max depth   bid ${n(s.maxDepth.bid)} levels, ask ${n(s.maxDepth.ask)} levels   crossed after ${n(s.crossedMessages)} messages`,
  ];
  const r = s.rejected;
  if (r.total > 0) {
    const reasons = Object.entries(r.byReason).map(([k, v]) => `${k} ${n(v)}`);
    lines.push(`refused     ${n(r.total)} (${reasons.join(', ')}); first: ${r.examples[0]}`);
  }
  if (s.truth) {
    lines.push(
      `truth       ${n(s.truth.points)} check points x ${s.truth.levels} levels: ${n(s.truth.mismatches)} mismatches` +
        (s.truth.firstMismatch ? ` (first: ${s.truth.firstMismatch})` : '') +
        (s.truth.independent ? '' : ' (not independent: the reader fits its book to these states)'),
    );
  }
  const m = s.messagesOnly;
  if (m) {
    lines.push(
      `independent book from the messages alone: best bid/ask differ from the published states at ${n(m.bboMismatches)} ` +
        `of ${n(m.points)}, the ${s.truth?.levels ?? ''} levels at ${n(m.mismatches)}` +
        (m.firstBboMismatch ? ` (first best bid/ask difference: ${m.firstBboMismatch})` : ''),
    );
  }
  const a = s.callAuctions;
  if (a) {
    lines.push(
      `sessions    ${a.market} call auctions (${a.windows}): ${n(a.trades)} indicative prints, ` +
        `${n(a.events - a.trades)} book events; not used for fills (--include-preopen to use them)`,
    );
  }
  const o = s.l3;
  if (o) {
    const a = o.byAction;
    lines.push(
      `L3          ${n(o.records)} order records (add ${n(a.add)}, cancel ${n(a.cancel)}, modify ${n(a.modify)}, ` +
        `fill ${n(a.fill)}, trade ${n(a.trade)}, clear ${n(a.clear)}); ${n(o.unknownOrders)} name an order not in the book`,
      `L3 orders   at the end bid ${n(o.orders.bid)}, ask ${n(o.orders.ask)}; at most bid ${n(o.maxOrders.bid)}, ask ${n(o.maxOrders.ask)}`,
      `L3 vs L2    the order book's levels differ from the L2 events after ${n(o.l2Mismatches)} of ${n(s.messages)} messages` +
        (o.firstL2Mismatch ? ` (first: ${o.firstL2Mismatch})` : ''),
    );
  }
  const stats = Object.entries(s.stats).map(([k, v]) => `${k} ${n(v)}`);
  if (stats.length > 0) lines.push(`reader      ${stats.join(', ')}`);
  for (const note of s.notes) lines.push(`note        ${note}`);
  for (const [title, b] of [
    ['first book', s.firstBook],
    ['last book', s.lastBook],
  ] as const) {
    if (!b) continue;
    lines.push(`${title} (after event ${n(b.eventIndex)}, ${b.exchTs}):`);
    lines.push(
      `  ${'bid qty'.padStart(12)} ${'bid'.padStart(12)} | ${'ask'.padEnd(12)} ${'ask qty'.padEnd(12)}`,
    );
    for (let k = 0; k < Math.max(b.bids.length, b.asks.length); k++) {
      const bid = b.bids[k];
      const ask = b.asks[k];
      lines.push(
        `  ${(bid ? qty(bid[1]) : '').padStart(12)} ${(bid ? px(bid[0]) : '').padStart(12)} | ` +
          `${(ask ? px(ask[0]) : '').padEnd(12)} ${ask ? qty(ask[1]) : ''}`,
      );
    }
  }
  if (o?.top) {
    lines.push(
      `L3 top of book (${o.top.exchTs}): size, orders, and the queue at the best price (id:size, first in line first):`,
    );
    for (const [name, lv] of [
      ['bid', o.top.bids],
      ['ask', o.top.asks],
    ] as const) {
      for (const l of lv) {
        const q = l.queue.map(([id, sz]) => `${id}:${qty(sz)}`).join(' ');
        lines.push(
          `  ${name} ${px(l.price).padStart(12)} ${qty(l.qty).padStart(8)} in ${String(l.orders).padStart(4)} orders` +
            (q ? `   queue ${q}${l.orders > l.queue.length ? ' ...' : ''}` : ''),
        );
      }
    }
  }
  return lines.join('\n');
}

function view(book: ReferenceBook, exchTs: string, eventIndex: number): BookView {
  return { eventIndex, exchTs, bids: book.top(1, BOOK_LEVELS), asks: book.top(-1, BOOK_LEVELS) };
}

function widen(r: { min: number; max: number } | null, v: number): { min: number; max: number } {
  if (!r) return { min: v, max: v };
  if (v < r.min) r.min = v;
  if (v > r.max) r.max = v;
  return r;
}

/** Call-auction events by the calendar of the data's exchange (known for TAIFEX files). */
function callAuctionsOf(d: ReplayData): InspectSummary['callAuctions'] {
  const cal = d.format === 'taifex-parquet' ? calendarFor('TAIFEX') : null;
  if (cal === null) return null;
  const k = markCallAuctions(d.columns, cal, false);
  return { market: cal.market, windows: auctionWindows(cal), events: k.events, trades: k.trades };
}

/** What the time screen found, for the `time` line ('' when nothing). */
function timeNote(t: TimeReport | null): string {
  if (t === null) return '';
  const parts: string[] = [];
  if (t.longGaps > 0) parts.push(`${t.longGaps} gap(s) over 1 h (longest ${duration(t.maxGapNs)})`);
  if (t.backSteps > 0) parts.push(`${t.backSteps} backward steps (largest ${duration(t.maxBackStepNs)})`);
  if (t.dropped > 0) parts.push(`${t.dropped} outlier event(s) dropped`);
  return parts.length > 0 ? `; ${parts.join('; ')}` : '';
}

/** Scaled integer -> decimal string, exactly (scale is a power of ten). */
function unscale(v: number, scale: number): string {
  const decimals = Math.round(Math.log10(scale));
  if (decimals <= 0) return String(v);
  const sign = v < 0 ? '-' : '';
  const digits = String(Math.abs(v)).padStart(decimals + 1, '0');
  const frac = digits.slice(-decimals).replace(/0+$/, '');
  return `${sign}${digits.slice(0, -decimals)}${frac ? `.${frac}` : ''}`;
}
