import {
  type DepthEvent,
  type LobStats,
  type MarketEvent,
  type MdHeader,
  MdKind,
} from '../contracts/market.ts';
import { DenseBookSide } from './dense-book-side.ts';
import { OrderBook } from './order-book.ts';

/** Levels over which depth and imbalance statistics are computed. */
export const STATS_LEVELS = 5;

/** Counters of what the LOB applied, refused or repaired. */
export interface LobCounters {
  /** Book events (depth, level, clear) applied. */
  applied: number;
  /** Book events refused: zero/negative/non-integer price or size, bad side, unsorted depth, unknown kind. */
  rejected: number;
  /** Times a book became crossed or locked at the end of a message (published flagged, or repaired). */
  crossed: number;
  /** Crossed books repaired: by pruning stale levels, by a later snapshot/clear, or by a later update. */
  repaired: number;
  /** Stale levels removed by the prune rule (L2 diff feeds without snapshots, see LobEngine). */
  prunedLevels: number;
  unknownSymbol: number;
}

/**
 * Per-symbol books and their statistics. `apply` updates one book and refreshes its stats object
 * in place (no allocation); the caller reads `stats(symbolId)`.
 *
 * Updates are checked at the end of each exchange message (`endOfMessage`). A crossed or locked
 * book is the market's own state where the feed carries its book itself: an L3 feed (order by
 * order), a snapshot (Depth, or a Clear and its levels), a sequence-checked full-depth diff stream.
 * It is published as it is, flagged `stats.crossed` (CME pre-open, auctions). Only where levels can
 * go stale, an L2 diff feed without snapshots whose removal of a level can be lost (TAIFEX's 5-level
 * diffs; `setRepair(symbol, true)`, the default), is a crossed book repaired:
 * - A level set in the current message beats an older level it crosses: when exactly one side's
 *   best level was set in this message, the opposite side's levels at or through it are stale and
 *   are removed (counted in `prunedLevels`): the exchange cannot show a crossed book there.
 * - Otherwise (both sides fresh) the book is marked broken: its stats keep the last good values
 *   and no update is published until a snapshot, a clear or an update uncrosses it.
 */
export class LobEngine {
  readonly books: OrderBook[] = [];
  private readonly statsBySymbol: LobStats[] = [];
  /** 1: a crossed book of this symbol is repaired (stale levels possible), 0: published flagged. */
  private readonly repair: Uint8Array;
  /** The open message replaced the book (Depth or Clear): what follows is the feed's own state. */
  private readonly snapshotInMessage: Uint8Array;
  /** Books currently known to be crossed: their stats are stale until repaired (repair mode). */
  private readonly broken: Uint8Array;
  /** Books currently published crossed (the feed's own state). */
  private readonly crossedNow: Uint8Array;
  /** Book changed since the last message end. */
  private readonly dirty: Uint8Array;
  /** Best bid/ask price set (qty > 0) by a Level event in the open message; 0 = none. */
  private readonly freshBid: Float64Array;
  private readonly freshAsk: Float64Array;
  /**
   * Times of the message being closed, set before endMessage: fields, not arguments, since V8 boxes
   * a float passed to a call it does not inline (two exchange-epoch times per message).
   */
  private msgExchTs = 0;
  private msgLocalTs = 0;
  readonly counters: LobCounters = {
    applied: 0,
    rejected: 0,
    crossed: 0,
    repaired: 0,
    prunedLevels: 0,
    unknownSymbol: 0,
  };

  /**
   * `ticks[i]` > 0: symbol i's book is full depth (a venue streaming thousands of levels a side),
   * indexed by price on that tick (`DenseBookSide`); else sorted, `capacity` levels to start.
   */
  constructor(symbolCount: number, capacity = 64, ticks?: readonly number[]) {
    this.repair = new Uint8Array(symbolCount).fill(1);
    this.snapshotInMessage = new Uint8Array(symbolCount);
    this.broken = new Uint8Array(symbolCount);
    this.crossedNow = new Uint8Array(symbolCount);
    this.dirty = new Uint8Array(symbolCount);
    this.freshBid = new Float64Array(symbolCount);
    this.freshAsk = new Float64Array(symbolCount);
    for (let i = 0; i < symbolCount; i++) {
      this.books.push(new OrderBook(i, capacity, ticks?.[i] ?? 0));
      this.statsBySymbol.push({
        symbolId: i,
        exchTs: 0,
        localTs: 0,
        bestBid: 0,
        bestAsk: 0,
        bestBidQty: 0,
        bestAskQty: 0,
        mid: Number.NaN,
        spread: 0,
        imbalance: 0,
        bidDepth: 0,
        askDepth: 0,
        crossed: false,
      });
    }
  }

  /**
   * Whether a crossed book of `symbolId` is repaired (true, the default: an L2 diff feed without
   * snapshots, where a level's removal can be lost) or is the market's own state, published
   * flagged (false: L3, snapshot or sequence-checked full-depth feeds).
   */
  setRepair(symbolId: number, on: boolean): void {
    this.repair[symbolId] = on ? 1 : 0;
  }

  book(symbolId: number): OrderBook {
    return this.books[symbolId];
  }

  stats(symbolId: number): LobStats {
    return this.statsBySymbol[symbolId];
  }

  /**
   * Applies one event. Returns true when a message ended with a changed, uncrossed book: its stats
   * are refreshed and valid. A refused event is counted; the message it ends is still checked.
   */
  apply(ev: MarketEvent, endOfMessage = true): boolean {
    const sym = ev.symbolId;
    if (ev.kind === MdKind.Level)
      return this.applyLevel(sym, ev.side, ev.price, ev.qty, endOfMessage, ev.exchTs, ev.localTs);
    const book = this.books[sym];
    if (book === undefined) {
      this.counters.unknownSymbol++;
      return false;
    }
    switch (ev.kind) {
      case MdKind.Depth:
        if (!validDepth(ev)) {
          this.counters.rejected++;
          break;
        }
        book.replace(ev.bidPx, ev.bidQty, ev.askPx, ev.askQty, ev.levels);
        this.snapshot(sym);
        break;
      case MdKind.Clear:
        book.clear();
        this.snapshot(sym);
        break;
      case MdKind.Trade:
        return false;
      default:
        this.counters.rejected++;
    }
    if (!endOfMessage || this.dirty[sym] === 0) return false;
    this.msgExchTs = ev.exchTs;
    this.msgLocalTs = ev.localTs;
    return this.endMessage(sym, book);
  }

  /** `apply` of a Level event given as values (replayed columns: no event object). */
  applyLevel(
    sym: number,
    side: number,
    price: number,
    qty: number,
    endOfMessage: boolean,
    exchTs: number,
    localTs: number,
  ): boolean {
    this.setLevel(sym, side, price, qty);
    if (!endOfMessage) return false;
    this.msgExchTs = exchTs;
    this.msgLocalTs = localTs;
    return this.closeLevels(sym);
  }

  /**
   * One level update of a message, given as values; `endLevels` closes the message. Split from
   * applyLevel so the hot replay path passes timestamps once per message, not once per level
   * (each float argument to a call that is not inlined is a heap allocation).
   */
  setLevel(sym: number, side: number, price: number, qty: number): void {
    const book = this.books[sym];
    if (book === undefined) {
      this.counters.unknownSymbol++;
      return;
    }
    if (
      !((side === 1 || side === -1) && price > 0 && qty >= 0) ||
      !Number.isInteger(price) ||
      !Number.isInteger(qty)
    ) {
      this.counters.rejected++;
      return;
    }
    book.setLevel(side, price, qty);
    if (qty > 0) {
      if (side === 1) {
        if (price > this.freshBid[sym]) this.freshBid[sym] = price;
      } else if (this.freshAsk[sym] === 0 || price < this.freshAsk[sym]) {
        this.freshAsk[sym] = price;
      }
    }
    this.changed(sym);
  }

  /**
   * Ends a message of `setLevel` calls; `last` is its last event (symbol and times are read from
   * it, not passed as floats). True when the book changed and is uncrossed (stats refreshed).
   */
  endLevels(last: Readonly<MdHeader>): boolean {
    this.msgExchTs = last.exchTs;
    this.msgLocalTs = last.localTs;
    return this.closeLevels(last.symbolId);
  }

  /** Closes the message of `sym` at msgExchTs / msgLocalTs. */
  private closeLevels(sym: number): boolean {
    const book = this.books[sym];
    if (book === undefined || this.dirty[sym] === 0) return false;
    return this.endMessage(sym, book);
  }

  /**
   * Prices off their symbol's tick grid set in a price-indexed book (each such book then runs
   * sorted: right, only slower; a wrong tick in the symbol's config).
   */
  offGridPrices(): number {
    let n = 0;
    for (const b of this.books)
      for (const side of [b.bids, b.asks]) if (side instanceof DenseBookSide) n += side.offGrid;
    return n;
  }

  /** True while the symbol's book is crossed and awaiting repair. */
  isBroken(symbolId: number): boolean {
    return this.broken[symbolId] === 1;
  }

  private changed(sym: number): void {
    this.dirty[sym] = 1;
    this.counters.applied++;
  }

  /** A snapshot or clear: the book is the feed's own; levels set before it are no longer "fresh". */
  private snapshot(sym: number): void {
    this.freshBid[sym] = 0;
    this.freshAsk[sym] = 0;
    this.snapshotInMessage[sym] = 1;
    this.changed(sym);
  }

  /** Ends a message at msgExchTs / msgLocalTs: repairs a crossed book, refreshes the stats. */
  private endMessage(sym: number, book: OrderBook): boolean {
    this.dirty[sym] = 0;
    const freshBid = this.freshBid[sym];
    const freshAsk = this.freshAsk[sym];
    this.freshBid[sym] = 0;
    this.freshAsk[sym] = 0;
    const own = this.repair[sym] === 0 || this.snapshotInMessage[sym] === 1;
    this.snapshotInMessage[sym] = 0;
    if (!book.crossed) this.crossedNow[sym] = 0;
    else if (own) {
      // The market's own crossed book: published, flagged.
      if (this.crossedNow[sym] === 0 && this.broken[sym] === 0) this.counters.crossed++;
      this.crossedNow[sym] = 1;
    } else {
      if (this.broken[sym] === 0 && this.crossedNow[sym] === 0) this.counters.crossed++;
      this.broken[sym] = 1;
      this.crossedNow[sym] = 0;
      const bidFresh = freshBid !== 0 && book.bestBid === freshBid;
      const askFresh = freshAsk !== 0 && book.bestAsk === freshAsk;
      if (bidFresh && !askFresh) this.counters.prunedLevels += book.asks.removeThrough(book.bestBid);
      else if (askFresh && !bidFresh) this.counters.prunedLevels += book.bids.removeThrough(book.bestAsk);
      if (book.crossed) return false;
    }
    if (this.broken[sym] === 1) {
      this.broken[sym] = 0;
      this.counters.repaired++;
    }
    this.refresh(book, this.statsBySymbol[sym]);
    return true;
  }

  private refresh(book: OrderBook, s: LobStats): void {
    s.exchTs = this.msgExchTs;
    s.localTs = this.msgLocalTs;
    const bb = book.bestBid;
    const ba = book.bestAsk;
    const bq = book.bestBidQty;
    const aq = book.bestAskQty;
    s.bestBid = bb;
    s.bestAsk = ba;
    s.bestBidQty = bq;
    s.bestAskQty = aq;
    const both = bb > 0 && ba > 0;
    s.mid = both ? (bb + ba) / 2 : Number.NaN;
    s.spread = both ? ba - bb : 0;
    s.imbalance = bq + aq > 0 ? (bq - aq) / (bq + aq) : 0;
    s.bidDepth = book.depth(1, STATS_LEVELS);
    s.askDepth = book.depth(-1, STATS_LEVELS);
    s.crossed = both && bb >= ba;
  }
}

/**
 * A snapshot is usable when every level is empty (qty 0) or a positive integer price and size, and
 * the non-empty levels are strictly best-first on each side.
 */
function validDepth(ev: DepthEvent): boolean {
  const n = ev.levels;
  if (
    !(
      n >= 0 &&
      n <= ev.bidPx.length &&
      n <= ev.askPx.length &&
      n <= ev.bidQty.length &&
      n <= ev.askQty.length
    )
  )
    return false;
  return validSide(ev.bidPx, ev.bidQty, n, 1) && validSide(ev.askPx, ev.askQty, n, -1);
}

function validSide(px: Float64Array, qty: Float64Array, n: number, dir: number): boolean {
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const q = qty[i];
    if (q === 0) continue;
    const p = px[i];
    if (!(q > 0 && p > 0) || !Number.isInteger(p) || !Number.isInteger(q)) return false;
    if (prev !== 0 && (prev - p) * dir <= 0) return false;
    prev = p;
  }
  return true;
}
