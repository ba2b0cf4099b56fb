import { MdKind, type Side } from '../../contracts/market.ts';
import type { SymbolSpec } from '../../contracts/symbols.ts';
import type { Nanos } from '../../core/clock.ts';
import { PriceLevels } from '../../core/price-levels.ts';
import type { Scheduler } from '../../core/scheduler.ts';
import { EV_INDICATIVE, type EventColumns } from '../replay/event-columns.ts';
import type { ExchangeModel } from '../replay/replay-venue.ts';
import type { LatencyModel } from './latency-model.ts';
import { type OrderEntryCounters, OrderEntryExchange, type SimBook, type SimOrder } from './order-entry.ts';
import type { QueueModel, QueuePos } from './queue-model.ts';

export interface L2ExchangeOptions {
  /** Symbols by dense id (symbols[i].id === i). */
  symbols: readonly SymbolSpec[];
  /** Shared scheduler; its clock is the exchange clock. */
  scheduler: Scheduler;
  latency: LatencyModel;
  queue: QueueModel;
}

export interface L2ExchangeCounters extends OrderEntryCounters {
  /** Call-auction prints (EV_INDICATIVE trades) seen and not used for fills. */
  indicativeTrades: number;
}

interface OwnOrder extends SimOrder, QueuePos {
  book: Book;
}

/** Per symbol: the data's book and the own orders resting in it, in arrival (time-priority) order. */
interface Book extends SimBook<OwnOrder> {
  bids: PriceLevels;
  asks: PriceLevels;
}

/**
 * Exchange model over replayed L2 data (hftbacktest's partial-fill exchange). It keeps the data's
 * book per symbol, applied at exchange time, and the own orders resting in it with an estimated
 * queue position. Orders and cancels reach it after the order latency; every answer goes back after
 * the response latency. An order crossing the book takes the displayed quantity level by level
 * (taker; the data book itself is not changed by own fills); a resting order fills when trades at its
 * price have consumed the queue ahead of it (the queue model), fully when a trade prints through its
 * price or the opposite side of the book moves onto it. A call auction's messages (EV_INDICATIVE:
 * pre-open prints and books) set the book and fill nothing; an order arriving then rests, and at
 * the first continuous message the own orders the book crosses are filled at their price. Money-
 * agnostic: fees and taxes are the execution plane's.
 */
export class L2Exchange extends OrderEntryExchange<OwnOrder, Book> implements ExchangeModel {
  readonly counters: L2ExchangeCounters = {
    acks: 0,
    rejects: 0,
    takerFills: 0,
    makerFills: 0,
    canceled: 0,
    cancelRejects: 0,
    unknownSymbol: 0,
    indicativeTrades: 0,
  };
  private readonly queue: QueueModel;

  constructor(opts: L2ExchangeOptions) {
    super(opts.scheduler, opts.latency, 'L2');
    this.queue = opts.queue;
    opts.symbols.forEach((spec, i) => {
      if (spec.id !== i) throw new Error(`L2Exchange: symbol ${spec.code} has id ${spec.id}, expected ${i}`);
      this.books.push({
        spec,
        bids: new PriceLevels(64, 1),
        asks: new PriceLevels(64, -1),
        own: [],
        ownBuys: 0,
        ownSells: 0,
        done: 0,
        auction: false,
      });
    });
  }

  /** One exchange message: events `start`..`end` of `c`, at exchange time (the replay venue's call). */
  onMessage(symbolId: number, c: EventColumns, start: number, end: number): void {
    const b = this.books[symbolId];
    // A call auction's prints and books (EV_INDICATIVE) are not trades: they set the book, fill nothing.
    const auction = b !== undefined && (c.flags[start] & EV_INDICATIVE) !== 0;
    if (auction) {
      b.auction = true;
      for (let k = start; k <= end; k++) {
        this.ts = c.exchTs[k];
        if (c.kind[k] === MdKind.Trade) this.counters.indicativeTrades++;
        else this.applyLevels(b, c.kind[k], c.side[k], c.price[k], c.qty[k]);
      }
      return;
    }
    for (let k = start; k <= end; k++) {
      this.ts = c.exchTs[k];
      this.onEvent(symbolId, c.kind[k], c.side[k], c.price[k], c.qty[k]);
    }
    if (b?.auction) {
      // Continuous trading opened: own orders that the opening book crosses are matched (as makers at
      // their price: the auction price is at least as good); the rest rest.
      b.auction = false;
      if (b.ownBuys > 0 && b.asks.best > 0) this.fillCrossed(b, 1, b.asks.best, 0);
      if (b.ownSells > 0 && b.bids.best > 0) this.fillCrossed(b, -1, b.bids.best, 0);
      if (b.done > 0) this.compact(b);
    }
  }

  /** A book event without matching (call auction): the data book changes, own orders do not. */
  private applyLevels(b: Book, kind: number, side: number, price: number, qty: number): void {
    if (kind === MdKind.Level) (side > 0 ? b.bids : b.asks).set(price, qty);
    else if (kind === MdKind.Clear) {
      b.bids.n = 0;
      b.asks.n = 0;
    }
  }

  /**
   * One data event at exchange time: kind is MdKind.Level (side = book side, qty = new level total,
   * 0 removes), Trade (side = aggressor, 0 unknown) or Clear. Updates the book and the own orders.
   */
  onMarketEvent(
    symbolId: number,
    kind: number,
    side: number,
    price: number,
    qty: number,
    exchTs: Nanos,
  ): void {
    this.ts = exchTs;
    this.onEvent(symbolId, kind, side, price, qty);
  }

  private onEvent(symbolId: number, kind: number, side: number, price: number, qty: number): void {
    const b = this.books[symbolId];
    if (b === undefined) {
      this.counters.unknownSymbol++;
      return;
    }
    if (kind === MdKind.Level) {
      if (side > 0) this.onBidLevel(b, price, qty);
      else this.onAskLevel(b, price, qty);
    } else if (kind === MdKind.Trade) {
      this.onTrade(b, side, price, qty);
    } else if (kind === MdKind.Clear) {
      // A snapshot follows; own orders keep their estimated place and re-clamp as levels come back.
      b.bids.n = 0;
      b.asks.n = 0;
    }
    if (b.done > 0) this.compact(b);
  }

  /** Best bid/ask of the data book (0 when that side is empty). */
  bestBid(symbolId: number): number {
    return this.books[symbolId].bids.best;
  }

  bestAsk(symbolId: number): number {
    return this.books[symbolId].asks.best;
  }

  /** Quantity the data book shows at a price. */
  levelQty(symbolId: number, side: Side, price: number): number {
    const b = this.books[symbolId];
    return (side === 1 ? b.bids : b.asks).qtyAt(price);
  }

  /** Estimated quantity ahead of a working own order, or -1 when it is not resting. */
  queueAhead(orderId: number): number {
    return this.working(orderId)?.ahead ?? -1;
  }

  private onBidLevel(b: Book, price: number, qty: number): void {
    const prevBest = b.bids.best;
    const prev = b.bids.set(price, qty);
    if (b.ownBuys > 0 && prev !== qty) this.levelChanged(b, 1, price, prev, qty);
    // The bid moved up onto own sells that sat below the old best bid: they were hit.
    if (b.ownSells > 0) {
      const best = b.bids.best;
      if (best > 0 && (prevBest === 0 || best > prevBest)) this.fillCrossed(b, -1, best, prevBest);
    }
  }

  private onAskLevel(b: Book, price: number, qty: number): void {
    const prevBest = b.asks.best;
    const prev = b.asks.set(price, qty);
    if (b.ownSells > 0 && prev !== qty) this.levelChanged(b, -1, price, prev, qty);
    if (b.ownBuys > 0) {
      const best = b.asks.best;
      if (best > 0 && (prevBest === 0 || best < prevBest)) this.fillCrossed(b, 1, best, prevBest);
    }
  }

  private levelChanged(b: Book, side: Side, price: number, prev: number, next: number): void {
    const own = b.own;
    for (let i = 0; i < own.length; i++) {
      const o = own[i];
      if (o.side === side && o.price === price && o.leaves > 0) this.queue.depth(o, prev, next);
    }
  }

  /**
   * The opposite best moved from `prevBest` to `best` (prevBest 0: the side was empty): own orders of
   * `side` priced at or through `best` but not through `prevBest` are filled in full, as makers.
   */
  private fillCrossed(b: Book, side: Side, best: number, prevBest: number): void {
    const own = b.own;
    for (let i = 0; i < own.length; i++) {
      const o = own[i];
      if (o.side !== side || o.leaves === 0) continue;
      const reached = side === 1 ? o.price >= best : o.price <= best;
      const wasThrough = prevBest !== 0 && (side === 1 ? o.price >= prevBest : o.price <= prevBest);
      if (reached && !wasThrough) this.fill(o, o.price, o.leaves, false);
    }
  }

  private onTrade(b: Book, side: number, price: number, qty: number): void {
    let aggressor = side;
    if (aggressor === 0) {
      // Unknown aggressor: a print at or above the mid lifted the ask, below it hit the bid.
      const bid = b.bids.best;
      const ask = b.asks.best;
      if (bid === 0 || ask === 0) return;
      aggressor = 2 * price >= bid + ask ? 1 : -1;
    }
    // A buyer lifts asks: own sells are the passive side.
    const passive: Side = aggressor > 0 ? -1 : 1;
    if ((passive === 1 ? b.ownBuys : b.ownSells) === 0) return;
    const lot = b.spec.lotSize;
    const own = b.own;
    let ownAhead = 0;
    for (let i = 0; i < own.length; i++) {
      const o = own[i];
      if (o.side !== passive || o.leaves === 0) continue;
      if (passive === 1 ? o.price > price : o.price < price) {
        // The print went through the order's price: everything at that price traded.
        this.fill(o, o.price, o.leaves, false);
      } else if (o.price === price) {
        const leaves = o.leaves;
        this.queue.trade(o, qty);
        if (o.ahead < 0) {
          // Own orders earlier at this price stand between the queue ahead and this one.
          const past = Math.min(-o.ahead - ownAhead, qty, leaves);
          const fillQty = past > 0 ? Math.floor(past / lot) * lot : 0;
          o.ahead = 0;
          if (fillQty > 0) this.fill(o, o.price, fillQty, false);
        }
        ownAhead += leaves;
      }
    }
  }

  protected levels(b: Book, side: Side): PriceLevels {
    return side === 1 ? b.bids : b.asks;
  }

  protected newOrder(
    spare: OwnOrder | undefined,
    orderId: number,
    venueOrderId: string,
    side: Side,
    price: number,
    qty: number,
    b: Book,
  ): OwnOrder {
    if (spare === undefined)
      return { orderId, venueOrderId, side, price, leaves: qty, book: b, ahead: 0, traded: 0 };
    spare.orderId = orderId;
    spare.venueOrderId = venueOrderId;
    spare.side = side;
    spare.price = price;
    spare.leaves = qty;
    spare.book = b;
    spare.ahead = 0;
    spare.traded = 0;
    return spare;
  }

  /** The queue model places it behind the displayed quantity at its price. */
  protected rest(o: OwnOrder, b: Book): void {
    this.queue.join(o, (o.side === 1 ? b.bids : b.asks).qtyAt(o.price));
  }
}
