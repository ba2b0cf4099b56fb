import { type LobStats, type MarketEvent, MdKind } from '../contracts/market.ts';
import { OrderBook } from './order-book.ts';

/** Levels over which depth and imbalance statistics are computed. */
export const STATS_LEVELS = 5;

/** Counters of what the LOB refused or repaired. */
export interface LobCounters {
  applied: number;
  /** Books found crossed/locked after an update (kept out of stats until repaired). */
  crossed: number;
  /** Crossed books repaired by a later snapshot. */
  repaired: number;
  unknownSymbol: number;
}

/**
 * Per-symbol books and their statistics. `apply` updates one book and refreshes its
 * stats object in place (no allocation); the caller reads `stats(symbolId)`.
 */
export class LobEngine {
  readonly books: OrderBook[] = [];
  private readonly statsBySymbol: LobStats[] = [];
  /** Books currently known to be crossed: their stats are stale until a snapshot repairs them. */
  private readonly broken: boolean[] = [];
  readonly counters: LobCounters = { applied: 0, crossed: 0, repaired: 0, unknownSymbol: 0 };

  constructor(symbolCount: number, capacity = 64) {
    for (let i = 0; i < symbolCount; i++) {
      this.books.push(new OrderBook(i, capacity));
      this.broken.push(false);
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
      });
    }
  }

  book(symbolId: number): OrderBook {
    return this.books[symbolId];
  }

  stats(symbolId: number): LobStats {
    return this.statsBySymbol[symbolId];
  }

  /** Applies one event. Returns true when the book changed and its stats are valid. */
  apply(ev: MarketEvent, endOfMessage = true): boolean {
    const book = this.books[ev.symbolId];
    if (book === undefined) {
      this.counters.unknownSymbol++;
      return false;
    }
    switch (ev.kind) {
      case MdKind.Depth:
        book.replace(ev.bidPx, ev.bidQty, ev.askPx, ev.askQty, ev.levels);
        if (this.broken[ev.symbolId] && !book.crossed) {
          this.broken[ev.symbolId] = false;
          this.counters.repaired++;
        }
        break;
      case MdKind.Level:
        book.setLevel(ev.side, ev.price, ev.qty);
        break;
      case MdKind.Clear:
        book.clear();
        if (this.broken[ev.symbolId]) {
          this.broken[ev.symbolId] = false;
          this.counters.repaired++;
        }
        return false;
      case MdKind.Trade:
        return false;
    }
    this.counters.applied++;
    if (!endOfMessage) return false;
    if (book.crossed) {
      if (!this.broken[ev.symbolId]) {
        this.broken[ev.symbolId] = true;
        this.counters.crossed++;
      }
      return false;
    }
    if (this.broken[ev.symbolId]) {
      this.broken[ev.symbolId] = false;
      this.counters.repaired++;
    }
    this.refresh(book, this.statsBySymbol[ev.symbolId], ev.exchTs, ev.localTs);
    return true;
  }

  /** True while the symbol's book is crossed and awaiting repair. */
  isBroken(symbolId: number): boolean {
    return this.broken[symbolId];
  }

  private refresh(book: OrderBook, s: LobStats, exchTs: number, localTs: number): void {
    s.exchTs = exchTs;
    s.localTs = localTs;
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
  }
}
