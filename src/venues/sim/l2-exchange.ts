import { MdKind, type Side } from '../../contracts/market.ts';
import type { OrderCommand, RejectReason } from '../../contracts/orders.ts';
import type { SymbolSpec } from '../../contracts/symbols.ts';
import type { VenueExecEvent } from '../../contracts/venue.ts';
import type { Nanos } from '../../core/clock.ts';
import { PriceLevels } from '../../core/price-levels.ts';
import { RecentIds } from '../../core/recent-ids.ts';
import type { Scheduler } from '../../core/scheduler.ts';
import { EV_INDICATIVE, type EventColumns } from '../replay/event-columns.ts';
import type { ExchangeModel } from '../replay/replay-venue.ts';
import type { LatencyModel } from './latency-model.ts';
import { validateOrder } from './order-checks.ts';
import { OrderLink } from './order-link.ts';
import type { QueueModel, QueuePos } from './queue-model.ts';

export interface L2ExchangeOptions {
  /** Symbols by dense id (symbols[i].id === i). */
  symbols: readonly SymbolSpec[];
  /** Shared scheduler; its clock is the exchange clock. */
  scheduler: Scheduler;
  latency: LatencyModel;
  queue: QueueModel;
}

export interface L2ExchangeCounters {
  acks: number;
  rejects: number;
  /** Fills (partial or complete) that took liquidity / rested. */
  takerFills: number;
  makerFills: number;
  canceled: number;
  cancelRejects: number;
  /** Market events for a symbol id this exchange does not list. */
  unknownSymbol: number;
  /** Call-auction prints (EV_INDICATIVE trades) seen and not used for fills. */
  indicativeTrades: number;
}

/** How many finished own orders are remembered, to answer a late cancel with TOO_LATE_TO_CANCEL. */
const FINISHED_MEMORY = 65_536;

interface OwnOrder extends QueuePos {
  orderId: number;
  venueOrderId: string;
  side: Side;
  price: number;
  leaves: number;
  book: Book;
}

/** Per symbol: the data's book and the own orders resting in it, in arrival (time-priority) order. */
interface Book {
  spec: SymbolSpec;
  bids: PriceLevels;
  asks: PriceLevels;
  own: OwnOrder[];
  ownBuys: number;
  ownSells: number;
  /** Own orders finished during the current event; compacted out of `own` after it. */
  done: number;
  /** The last data message was a call auction's (EV_INDICATIVE): orders arriving now rest unmatched. */
  auction: boolean;
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
export class L2Exchange implements ExchangeModel {
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
  private readonly books: Book[] = [];
  private readonly scheduler: Scheduler;
  private readonly link: OrderLink;
  private readonly queue: QueueModel;
  /** Working own orders by client order id. */
  private readonly live = new Map<number, OwnOrder>();
  /** Client ids of the last FINISHED_MEMORY finished own orders. */
  private readonly finished = new RecentIds<true>(FINISHED_MEMORY);
  private onExec: (e: VenueExecEvent) => void = () => {};
  private venueSeq = 0;
  /** Exchange time of the data event being applied (a field, not an argument: see onMessage). */
  private ts = 0;
  /** Net filled quantity of own orders per symbol id (the account's position at the exchange). */
  private readonly netPos = new Map<number, number>();

  constructor(opts: L2ExchangeOptions) {
    this.scheduler = opts.scheduler;
    this.link = new OrderLink(this.scheduler, opts.latency, (e) => this.onExec(e));
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

  /** Where exec events go (the venue forwards them to the runtime). */
  connect(onExec: (e: VenueExecEvent) => void): void {
    this.onExec = onExec;
  }

  /** Sends a new order (or a cancel intent) now; it reaches the book after the order latency. */
  submit(cmd: OrderCommand): void {
    this.scheduler.at(this.link.arrivalTs(), this.onOrder, cmd);
  }

  /** Requests a cancel now; it reaches the book after the order latency, in order with submits. */
  cancel(orderId: number): void {
    this.scheduler.at(this.link.arrivalTs(), this.onCancel, orderId);
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
      if (b.done > 0) compact(b);
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
    if (b.done > 0) compact(b);
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
    return this.live.get(orderId)?.ahead ?? -1;
  }

  /** Own orders resting at the exchange. */
  get workingCount(): number {
    return this.live.size;
  }

  /** Net position per symbol id over all own fills (the venue's account view, for reconciliation). */
  positions(): ReadonlyMap<number, number> {
    return this.netPos;
  }

  /** Client ids of own orders working at the exchange. */
  openOrderIds(): ReadonlySet<number> {
    return new Set(this.live.keys());
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
      if (reached && !wasThrough) this.fill(o, o.price, o.leaves, false, this.ts);
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
        this.fill(o, o.price, o.leaves, false, this.ts);
      } else if (o.price === price) {
        const leaves = o.leaves;
        this.queue.trade(o, qty);
        if (o.ahead < 0) {
          // Own orders earlier at this price stand between the queue ahead and this one.
          const past = Math.min(-o.ahead - ownAhead, qty, leaves);
          const fillQty = past > 0 ? Math.floor(past / lot) * lot : 0;
          o.ahead = 0;
          if (fillQty > 0) this.fill(o, o.price, fillQty, false, this.ts);
        }
        ownAhead += leaves;
      }
    }
  }

  private readonly onOrder = (cmd: OrderCommand): void => {
    const it = cmd.intent;
    if (it.action === 'cancel') {
      this.onCancel(it.targetOrderId);
      return;
    }
    const now = this.scheduler.clock.nowNs();
    const b = this.books[it.symbolId];
    let reason: RejectReason | '' = b === undefined ? 'UNKNOWN_SYMBOL' : validateOrder(b.spec, it);
    // Replace is not a venue primitive here, and a client id may only be working once.
    if (reason === '' && (it.action !== 'new' || this.live.has(cmd.orderId))) reason = 'VENUE_REJECT';
    // A post-only order that would take is rejected, as Binance does (-5022), never filled as a taker.
    if (reason === '' && it.tif === 'POST_ONLY' && this.crosses(b!, it.side, it.price))
      reason = 'POST_ONLY_WOULD_TAKE';
    if (b === undefined || reason !== '') {
      this.counters.rejects++;
      this.link.report('reject', cmd.orderId, '', 0, 0, 0, false, reason, now);
      return;
    }
    const o: OwnOrder = {
      orderId: cmd.orderId,
      venueOrderId: `L2-${++this.venueSeq}`,
      side: it.side,
      price: it.price,
      leaves: it.qty,
      book: b,
      ahead: 0,
      traded: 0,
    };
    this.live.set(o.orderId, o);
    this.counters.acks++;
    this.link.report('ack', o.orderId, o.venueOrderId, 0, 0, o.leaves, false, '', now);
    if (!b.auction) this.take(o, now);
    if (o.leaves === 0) return;
    if (it.tif === 'IOC') {
      this.finish(o);
      this.counters.canceled++;
      this.link.report('canceled', o.orderId, o.venueOrderId, 0, 0, 0, false, '', now);
      return;
    }
    this.queue.join(o, (o.side === 1 ? b.bids : b.asks).qtyAt(o.price));
    b.own.push(o);
    if (o.side === 1) b.ownBuys++;
    else b.ownSells++;
  };

  /** True when a limit order at `price` meets the displayed opposite best level. */
  private crosses(b: Book, side: Side, price: number): boolean {
    const opp = side === 1 ? b.asks : b.bids;
    if (opp.n === 0) return false;
    return side === 1 ? opp.px[0] <= price : opp.px[0] >= price;
  }

  /** Fills the crossing part of a new order against the displayed opposite levels, best first. */
  private take(o: OwnOrder, ts: Nanos): void {
    const opp = o.side === 1 ? o.book.asks : o.book.bids;
    const lot = o.book.spec.lotSize;
    for (let i = 0; i < opp.n && o.leaves > 0; i++) {
      const px = opp.px[i];
      if (o.side === 1 ? px > o.price : px < o.price) break;
      const q = Math.floor(Math.min(opp.qty[i], o.leaves) / lot) * lot;
      if (q > 0) this.fill(o, px, q, true, ts);
    }
  }

  private readonly onCancel = (orderId: number): void => {
    const now = this.scheduler.clock.nowNs();
    const o = this.live.get(orderId);
    if (o === undefined) {
      const reason = this.finished.has(orderId) ? 'TOO_LATE_TO_CANCEL' : 'UNKNOWN_ORDER';
      this.counters.cancelRejects++;
      this.link.report('cancel_reject', orderId, '', 0, 0, 0, false, reason, now);
      return;
    }
    this.finish(o);
    compact(o.book);
    this.counters.canceled++;
    this.link.report('canceled', o.orderId, o.venueOrderId, 0, 0, 0, false, '', now);
  };

  private fill(o: OwnOrder, price: number, qty: number, taker: boolean, ts: Nanos): void {
    o.leaves -= qty;
    if (taker) this.counters.takerFills++;
    else this.counters.makerFills++;
    const leaves = o.leaves;
    const sid = o.book.spec.id;
    this.netPos.set(sid, (this.netPos.get(sid) ?? 0) + o.side * qty);
    if (leaves === 0) this.finish(o);
    this.link.report('fill', o.orderId, o.venueOrderId, price, qty, leaves, taker, '', ts);
  }

  /** Takes an order out of the live set; a resting one is compacted out of its book's list later. */
  private finish(o: OwnOrder): void {
    const b = o.book;
    if (b.own.includes(o)) {
      if (o.side === 1) b.ownBuys--;
      else b.ownSells--;
      b.done++;
    }
    o.leaves = 0;
    this.live.delete(o.orderId);
    this.finished.set(o.orderId, true);
  }
}

/** Drops finished orders from a book's own list, keeping the others in time priority. */
function compact(b: Book): void {
  const own = b.own;
  let k = 0;
  for (let i = 0; i < own.length; i++) if (own[i].leaves > 0) own[k++] = own[i];
  // pop, not `length = k`: setting length is a runtime call, and this runs on every cancel.
  while (own.length > k) own.pop();
  b.done = 0;
}
