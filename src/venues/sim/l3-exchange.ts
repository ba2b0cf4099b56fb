import type { Side } from '../../contracts/market.ts';
import type { SymbolSpec } from '../../contracts/symbols.ts';
import type { PriceLevels } from '../../core/price-levels.ts';
import type { Scheduler } from '../../core/scheduler.ts';
import { OrderBookL3 } from '../../lob/order-book-l3.ts';
import { EV_INDICATIVE, type EventColumns } from '../replay/event-columns.ts';
import {
  L3_ADD,
  L3_CANCEL,
  L3_CLEAR,
  L3_FILL,
  L3_MODIFY,
  L3_TRADE,
  type L3Columns,
} from '../replay/l3-columns.ts';
import type { ExchangeModel } from '../replay/replay-venue.ts';
import type { LatencyModel } from './latency-model.ts';
import { type OrderEntryCounters, OrderEntryExchange, type SimBook, type SimOrder } from './order-entry.ts';

export interface L3ExchangeOptions {
  /** Symbols by dense id (symbols[i].id === i). */
  symbols: readonly SymbolSpec[];
  /** Shared scheduler; its clock is the exchange clock. */
  scheduler: Scheduler;
  latency: LatencyModel;
}

export interface L3ExchangeCounters extends OrderEntryCounters {
  /** Order-level records applied to the books. */
  records: number;
  /** Own orders filled because a real order behind them at their price was filled (FIFO). */
  queueFills: number;
  /** Own orders filled because a trade printed at a worse price or the other side came onto theirs. */
  throughFills: number;
  /** Call-auction messages (EV_INDICATIVE) seen: they set the book, fill nothing. */
  indicativeMessages: number;
}

interface OwnOrder extends SimOrder {
  /** Time priority drawn from the book when the order joined its queue (OrderBookL3.nextPriority). */
  priority: number;
  /** Quantity of real orders ahead of it at its price: exact, from the order ids. */
  ahead: number;
  book: Book;
}

/** Per symbol: the exchange's order-level book from the data, and the own orders resting beside it. */
interface Book extends SimBook<OwnOrder> {
  l3: OrderBookL3;
  /** The book was cleared: own orders rejoin at the back once the message (the snapshot) is applied. */
  rejoin: boolean;
  /** Stream whose records are being applied, and the next record of it. */
  cols: L3Columns | null;
  next: number;
}

/**
 * Exchange model over order-level (L3, market-by-order) data: hftbacktest's L3 FIFO queue model on
 * the ExchangeModel contract of the L2 exchange (same order and response latency, reports, rejects,
 * post-only and call-auction rules), so `hft backtest run --exchange l3` runs any strategy on L3 data.
 *
 * It keeps the data's order book per symbol (every add, cancel, modify and clear of `columns.l3`,
 * applied at exchange time message by message) and our orders beside it, each with the time
 * priority of the moment it reached the exchange (after the order latency): every real order then
 * resting at its price is ahead of it, every later one behind. So the queue position is exact:
 * `ahead` falls by exactly what the orders ahead lose (fills, cancels, modifies that lose their
 * place). An own order is filled, whole (hftbacktest's no-partial-fill L3 exchange), when
 * - a real order *behind* it at its price is filled (a fill record naming that order): the aggressor
 *   went through everything ahead of it, ours included;
 * - a fill or trade prints at a worse price than ours (the print went through our price);
 * - a real order on the other side joins at or through our price (it would have traded with us).
 * A new order that crosses takes the displayed opposite levels, best first (taker; the data book is
 * not changed by our fills: no market impact, as in the L2 model). Our orders are never in the
 * data's book, so what the strategy sees (the L2 feed) is the market's alone.
 */
export class L3Exchange extends OrderEntryExchange<OwnOrder, Book> implements ExchangeModel {
  readonly counters: L3ExchangeCounters = {
    acks: 0,
    rejects: 0,
    takerFills: 0,
    makerFills: 0,
    canceled: 0,
    cancelRejects: 0,
    unknownSymbol: 0,
    records: 0,
    queueFills: 0,
    throughFills: 0,
    indicativeMessages: 0,
  };
  constructor(opts: L3ExchangeOptions) {
    super(opts.scheduler, opts.latency, 'L3');
    opts.symbols.forEach((spec, i) => {
      if (spec.id !== i) throw new Error(`L3Exchange: symbol ${spec.code} has id ${spec.id}, expected ${i}`);
      this.books.push({
        spec,
        l3: new OrderBookL3(),
        own: [],
        ownBuys: 0,
        ownSells: 0,
        done: 0,
        auction: false,
        rejoin: false,
        cols: null,
        next: 0,
      });
    });
  }

  /** One exchange message: applies the order-level records tied to it (columns.l3), then matches. */
  onMessage(symbolId: number, c: EventColumns, start: number, end: number): void {
    const b = this.books[symbolId];
    if (b === undefined) {
      this.counters.unknownSymbol++;
      return;
    }
    const l3 = c.l3;
    if (l3 === undefined) {
      throw new Error(`L3Exchange: ${b.spec.code} data has no order-level records (L3 data only)`);
    }
    if (b.cols !== l3) {
      // The next stream of this symbol (streams of one symbol never overlap in time).
      b.cols = l3;
      b.next = 0;
    }
    this.ts = c.exchTs[end];
    const auction = (c.flags[start] & EV_INDICATIVE) !== 0;
    if (auction) this.counters.indicativeMessages++;
    let j = b.next;
    const n = l3.n;
    const msgEnd = l3.msgEnd;
    while (j < n && msgEnd[j] <= end) this.onRecord(b, l3, j++, auction);
    this.counters.records += j - b.next;
    b.next = j;
    if (b.rejoin) this.rejoin(b);
    if (auction) b.auction = true;
    else if (b.auction) {
      // Continuous trading opened: own orders the opening book crosses trade at their price.
      b.auction = false;
      this.fillCrossedByBook(b);
    }
    if (b.done > 0) this.compact(b);
  }

  /** Best bid/ask of the data book (0 when that side is empty). */
  bestBid(symbolId: number): number {
    return this.books[symbolId].l3.bestBid;
  }

  bestAsk(symbolId: number): number {
    return this.books[symbolId].l3.bestAsk;
  }

  /** The data's order-level book of a symbol (read it; do not change it). */
  book(symbolId: number): OrderBookL3 {
    return this.books[symbolId].l3;
  }

  /** Exact quantity of real orders ahead of a working own order, or -1 when it is not resting. */
  queueAhead(orderId: number): number {
    const o = this.working(orderId);
    return o === undefined || !o.book.own.includes(o) ? -1 : o.ahead;
  }

  /** Time priority of a resting own order in its book's sequence (OrderBookL3.priorityOf), -1 when not resting. */
  queuePriority(orderId: number): number {
    const o = this.working(orderId);
    return o === undefined || !o.book.own.includes(o) ? -1 : o.priority;
  }

  private onRecord(b: Book, l3: L3Columns, j: number, auction: boolean): void {
    const book = b.l3;
    const id = l3.id[j];
    const side = l3.side[j];
    const price = l3.price[j];
    const size = l3.size[j];
    const watch = b.own.length > 0;
    switch (l3.action[j]) {
      case L3_ADD:
        if (side !== 1 && side !== -1) return;
        if (book.add(id, side, price, size) && watch && !auction) this.crossedBy(b, side, price);
        return;
      case L3_CANCEL: {
        if (!watch) {
          book.cancel(id, size);
          return;
        }
        const s = book.sideOf(id);
        if (s === 0) return;
        const p = book.priceOf(id);
        const pri = book.priorityOf(id);
        const cut = book.cancel(id, size);
        if (cut > 0) this.advance(b, s, p, pri, cut);
        return;
      }
      case L3_MODIFY: {
        const s = book.sideOf(id);
        if (s === 0) {
          // An unknown order is an add (Databento's book rule).
          if ((side === 1 || side === -1) && size > 0 && book.add(id, side, price, size) && watch && !auction)
            this.crossedBy(b, side, price);
          return;
        }
        if (!watch) {
          book.modify(id, price, size);
          return;
        }
        const p = book.priceOf(id);
        const pri = book.priorityOf(id);
        const old = book.sizeOf(id);
        book.modify(id, price, size);
        const kept = book.priorityOf(id) === pri;
        // Its place kept: the orders behind gain what it lost; else it left its place whole.
        const lost = kept ? old - book.sizeOf(id) : old;
        if (lost > 0) this.advance(b, s, p, pri, lost);
        if (!kept && book.has(id) && !auction) this.crossedBy(b, s, price);
        return;
      }
      case L3_CLEAR:
        book.clear();
        if (watch) b.rejoin = true;
        return;
      case L3_FILL:
        if (watch && !auction) this.onFill(b, id, side, price);
        return;
      case L3_TRADE:
        // The resting side's fills name their orders (F); a print alone fills only through our price.
        if (watch && !auction && side !== 0) this.through(b, side === 1 ? -1 : 1, price);
        return;
    }
  }

  /** Real order(s) ahead of our orders at (side, price) with priority before `pri` lost `qty`. */
  private advance(b: Book, side: Side, price: number, pri: number, qty: number): void {
    const own = b.own;
    for (let i = 0; i < own.length; i++) {
      const o = own[i];
      if (o.side === side && o.price === price && o.priority > pri && o.leaves > 0) {
        o.ahead = o.ahead > qty ? o.ahead - qty : 0;
      }
    }
  }

  /** A fill of real order `id` (resting side `side` when the book does not know it) at `price`. */
  private onFill(b: Book, id: number, side: number, price: number): void {
    const book = b.l3;
    const known = book.sideOf(id);
    const s = known !== 0 ? known : side;
    if (s !== 1 && s !== -1) return;
    const pri = known !== 0 ? book.priorityOf(id) : -1;
    const own = b.own;
    for (let i = 0; i < own.length; i++) {
      const o = own[i];
      if (o.side !== s || o.leaves === 0) continue;
      if (s === 1 ? o.price > price : o.price < price) {
        this.counters.throughFills++;
        this.fill(o, o.price, o.leaves, false);
      } else if (o.price === price && pri >= 0 && o.priority < pri) {
        this.counters.queueFills++;
        this.fill(o, o.price, o.leaves, false);
      }
    }
  }

  /** A print at `price` on resting side `passive`: own orders there priced better were gone through. */
  private through(b: Book, passive: Side, price: number): void {
    const own = b.own;
    for (let i = 0; i < own.length; i++) {
      const o = own[i];
      if (o.side === passive && o.leaves > 0 && (passive === 1 ? o.price > price : o.price < price)) {
        this.counters.throughFills++;
        this.fill(o, o.price, o.leaves, false);
      }
    }
  }

  /** A real order joined `side` at `price`: own orders on the other side at or through it would have traded. */
  private crossedBy(b: Book, side: number, price: number): void {
    if ((side === 1 ? b.ownSells : b.ownBuys) === 0) return;
    const own = b.own;
    for (let i = 0; i < own.length; i++) {
      const o = own[i];
      if (o.side === side || o.leaves === 0) continue;
      if (o.side === 1 ? o.price >= price : o.price <= price) {
        this.counters.throughFills++;
        this.fill(o, o.price, o.leaves, false);
      }
    }
  }

  /** At the open after a call auction: own orders the book crosses trade at their price. */
  private fillCrossedByBook(b: Book): void {
    const bid = b.l3.bestBid;
    const ask = b.l3.bestAsk;
    const own = b.own;
    for (let i = 0; i < own.length; i++) {
      const o = own[i];
      if (o.leaves === 0) continue;
      if (o.side === 1 ? ask > 0 && o.price >= ask : bid > 0 && o.price <= bid) {
        this.counters.throughFills++;
        this.fill(o, o.price, o.leaves, false);
      }
    }
  }

  /** After a clear and the snapshot that follows it: own orders rejoin at the back of their price. */
  private rejoin(b: Book): void {
    b.rejoin = false;
    for (const o of b.own) {
      if (o.leaves === 0) continue;
      o.priority = b.l3.nextPriority();
      o.ahead = (o.side === 1 ? b.l3.bids : b.l3.asks).qtyAt(o.price);
    }
  }

  protected levels(b: Book, side: Side): PriceLevels {
    return side === 1 ? b.l3.bids : b.l3.asks;
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
      return { orderId, venueOrderId, side, price, leaves: qty, priority: 0, ahead: 0, book: b };
    spare.orderId = orderId;
    spare.venueOrderId = venueOrderId;
    spare.side = side;
    spare.price = price;
    spare.leaves = qty;
    spare.priority = 0;
    spare.ahead = 0;
    spare.book = b;
    return spare;
  }

  /** Behind every real order resting at its price now, ahead of every later one. */
  protected rest(o: OwnOrder, b: Book): void {
    o.priority = b.l3.nextPriority();
    o.ahead = (o.side === 1 ? b.l3.bids : b.l3.asks).qtyAt(o.price);
  }
}
