import type { Side } from '../../contracts/market.ts';
import { blankCommand, type OrderCommand, type RejectReason } from '../../contracts/orders.ts';
import type { SymbolSpec } from '../../contracts/symbols.ts';
import type { VenueExecEvent } from '../../contracts/venue.ts';
import type { PriceLevels } from '../../core/price-levels.ts';
import { RecentIdSet } from '../../core/recent-ids.ts';
import type { Scheduler } from '../../core/scheduler.ts';
import type { LatencyModel } from './latency-model.ts';
import { validateOrder } from './order-checks.ts';
import { OrderLink } from './order-link.ts';

/** Counters every simulated exchange keeps for its order entry. */
export interface OrderEntryCounters {
  acks: number;
  rejects: number;
  /** Fills (partial or complete) that took liquidity / rested. */
  takerFills: number;
  makerFills: number;
  canceled: number;
  cancelRejects: number;
  /** Market events or messages for a symbol id this exchange does not list. */
  unknownSymbol: number;
}

/** An own order at a simulated exchange (each model adds its queue state). */
export interface SimOrder {
  orderId: number;
  venueOrderId: string;
  side: Side;
  price: number;
  leaves: number;
  book: SimBook<SimOrder>;
}

/** Per symbol: the own orders resting at the exchange, in arrival (time-priority) order. */
export interface SimBook<O> {
  spec: SymbolSpec;
  own: O[];
  ownBuys: number;
  ownSells: number;
  /** Own orders finished during the current event; compacted out of `own` after it. */
  done: number;
  /** The last data message was a call auction's (EV_INDICATIVE): orders arriving now rest unmatched. */
  auction: boolean;
}

/** How many finished own orders are remembered, to answer a late cancel with TOO_LATE_TO_CANCEL. */
const FINISHED_MEMORY = 65_536;
/** Slots of the working-order index (client id mod LIVE_SLOTS). */
const LIVE_SLOTS = 4096;

/**
 * Order entry shared by the L2 and L3 exchange models: new orders and cancels reach the book after
 * the order latency (OrderLink), are checked (order-checks, a client id working once, post-only
 * that would take is rejected as Binance does, -5022), take the displayed opposite levels when they
 * cross (taker, best first), IOC leaves are canceled, the rest join the model's queue (`rest`); every
 * answer goes back after the response latency. A model supplies its books, the displayed levels of
 * a side and how an order joins its queue; it fills resting orders through `fill`.
 */
export abstract class OrderEntryExchange<O extends SimOrder, B extends SimBook<O>> {
  abstract readonly counters: OrderEntryCounters;
  /** Books by symbol id. */
  protected readonly books: B[] = [];
  protected readonly scheduler: Scheduler;
  protected readonly link: OrderLink;
  /**
   * Working own orders by client order id: in slot `id % LIVE_SLOTS`, or in `overflow` when another
   * working order holds that slot. A slot is cleared when its order finishes (nothing keeps a
   * finished order alive), so a lookup is an array access and no hash table churns per order.
   */
  private readonly liveSlots: (O | undefined)[] = new Array(LIVE_SLOTS).fill(undefined);
  private readonly overflow = new Map<number, O>();
  private liveCount = 0;
  /** Own order records no book or index holds any more, reused by `newOrder`. */
  protected readonly spare: O[] = [];
  /** Client ids of the last FINISHED_MEMORY finished own orders. */
  private readonly finished = new RecentIdSet(FINISHED_MEMORY);
  private onExec: (e: VenueExecEvent) => void = () => {};
  private venueSeq = 0;
  /** Exchange time of the data event (or order) being applied: fills are reported at it. A field, not an argument: a float passed to a call is a heap allocation. */
  protected ts = 0;
  /** Net filled quantity of own orders per symbol id (the account's position at the exchange). */
  private readonly netPos = new Map<number, number>();

  constructor(
    scheduler: Scheduler,
    latency: LatencyModel,
    /** Prefix of venue order ids ('L2' -> L2-1, L2-2, ...). */
    private readonly venuePrefix: string,
  ) {
    this.scheduler = scheduler;
    this.link = new OrderLink(scheduler, latency, (e) => this.onExec(e));
  }

  /** The displayed (data) levels of one side of a book. */
  protected abstract levels(b: B, side: Side): PriceLevels;

  /**
   * A new own order, not yet in any book (its queue fields at their start values): `spare` reset,
   * or a fresh record when there is none.
   */
  protected abstract newOrder(
    spare: O | undefined,
    orderId: number,
    venueOrderId: string,
    side: Side,
    price: number,
    qty: number,
    b: B,
  ): O;

  /** Sets the queue place of an order about to rest in `b` (it is pushed to `b.own` after). */
  protected abstract rest(o: O, b: B): void;

  /**
   * Where exec events go (the venue forwards them to the runtime). `transient`: the receiver reads
   * each event during the call only (VenueHandlers.transientExec), so report objects are reused.
   */
  connect(onExec: (e: VenueExecEvent) => void, transient = false): void {
    this.onExec = onExec;
    this.link.transient = transient;
  }

  /** `submit` keeps a copy of the command (from a pool), so the sender may reuse its object. */
  readonly copiesCommands = true;
  /** Commands that reached the book, reused for later submits. */
  private readonly commands: OrderCommand[] = [];

  /** Sends a new order (or a cancel intent) now; it reaches the book after the order latency. */
  submit(cmd: OrderCommand): void {
    const c = this.commands.pop() ?? blankCommand();
    const src = cmd.intent;
    const it = c.intent;
    c.orderId = cmd.orderId;
    c.ts = cmd.ts;
    it.intentId = src.intentId;
    it.strategyId = src.strategyId;
    it.symbolId = src.symbolId;
    it.action = src.action;
    it.side = src.side;
    it.price = src.price;
    it.qty = src.qty;
    it.tif = src.tif;
    it.targetOrderId = src.targetOrderId;
    it.ts = src.ts;
    this.scheduler.at(this.link.arrivalTs(), this.arriveOrder, c);
  }

  /** A command reaches the book; the book keeps nothing of it, so it goes back to the pool. */
  private readonly arriveOrder = (cmd: OrderCommand): void => {
    this.onOrder(cmd);
    this.commands.push(cmd);
  };

  /** Requests a cancel now; it reaches the book after the order latency, in order with submits. */
  cancel(orderId: number): void {
    this.scheduler.at(this.link.arrivalTs(), this.onCancel, orderId);
  }

  /** Own orders resting at the exchange. */
  get workingCount(): number {
    return this.liveCount;
  }

  /** A working own order by client id. */
  protected working(orderId: number): O | undefined {
    const o = this.liveSlots[orderId % LIVE_SLOTS];
    if (o !== undefined && o.orderId === orderId) return o;
    return this.overflow.size === 0 ? undefined : this.overflow.get(orderId);
  }

  /** Net position per symbol id over all own fills (the venue's account view, for reconciliation). */
  positions(): ReadonlyMap<number, number> {
    return this.netPos;
  }

  /** Client ids of own orders working at the exchange. */
  openOrderIds(): ReadonlySet<number> {
    // Every working order rests in its book (one that did not rest finished on arrival).
    const ids = new Set<number>();
    for (const b of this.books)
      if (b !== undefined) for (const o of b.own) if (o.leaves > 0) ids.add(o.orderId);
    return ids;
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
    if (reason === '' && (it.action !== 'new' || this.working(cmd.orderId) !== undefined))
      reason = 'VENUE_REJECT';
    // A post-only order that would take is rejected, as Binance does (-5022), never filled as a taker.
    if (reason === '' && it.tif === 'POST_ONLY' && this.crosses(b, it.side, it.price))
      reason = 'POST_ONLY_WOULD_TAKE';
    if (b === undefined || reason !== '') {
      this.counters.rejects++;
      this.link.report('reject', cmd.orderId, '', 0, 0, 0, false, reason, now);
      return;
    }
    const o = this.newOrder(
      this.spare.pop(),
      cmd.orderId,
      `${this.venuePrefix}-${++this.venueSeq}`,
      it.side,
      it.price,
      it.qty,
      b,
    );
    const slot = o.orderId % LIVE_SLOTS;
    if (this.liveSlots[slot] === undefined) this.liveSlots[slot] = o;
    else this.overflow.set(o.orderId, o);
    this.liveCount++;
    this.counters.acks++;
    this.link.report('ack', o.orderId, o.venueOrderId, 0, 0, o.leaves, false, '', now);
    this.ts = now;
    if (!b.auction) this.take(o, b);
    if (o.leaves === 0) {
      // Filled on arrival: it never rested.
      this.spare.push(o);
      return;
    }
    if (it.tif === 'IOC') {
      this.finish(o);
      this.counters.canceled++;
      this.link.report('canceled', o.orderId, o.venueOrderId, 0, 0, 0, false, '', now);
      this.spare.push(o);
      return;
    }
    this.rest(o, b);
    b.own.push(o);
    if (o.side === 1) b.ownBuys++;
    else b.ownSells++;
  };

  /** True when a limit order at `price` meets the displayed opposite best level. */
  private crosses(b: B, side: Side, price: number): boolean {
    const opp = this.levels(b, side === 1 ? -1 : 1);
    if (opp.n === 0) return false;
    return side === 1 ? opp.px[0] <= price : opp.px[0] >= price;
  }

  /** Fills the crossing part of a new order against the displayed opposite levels, best first. */
  private take(o: O, b: B): void {
    const opp = this.levels(b, o.side === 1 ? -1 : 1);
    const lot = b.spec.lotSize;
    for (let i = 0; i < opp.n && o.leaves > 0; i++) {
      const px = opp.px[i];
      if (o.side === 1 ? px > o.price : px < o.price) break;
      const q = Math.floor(Math.min(opp.qty[i], o.leaves) / lot) * lot;
      if (q > 0) this.fill(o, px, q, true);
    }
  }

  private readonly onCancel = (orderId: number): void => {
    const now = this.scheduler.clock.nowNs();
    const o = this.working(orderId);
    if (o === undefined) {
      const reason = this.finished.has(orderId) ? 'TOO_LATE_TO_CANCEL' : 'UNKNOWN_ORDER';
      this.counters.cancelRejects++;
      this.link.report('cancel_reject', orderId, '', 0, 0, 0, false, reason, now);
      return;
    }
    this.finish(o);
    this.compact(o.book);
    this.counters.canceled++;
    this.link.report('canceled', o.orderId, o.venueOrderId, 0, 0, 0, false, '', now);
  };

  /** Fills `qty` of an own order at `price`, reported at `ts` (the event being applied). */
  protected fill(o: O, price: number, qty: number, taker: boolean): void {
    o.leaves -= qty;
    if (taker) this.counters.takerFills++;
    else this.counters.makerFills++;
    const leaves = o.leaves;
    const sid = o.book.spec.id;
    this.netPos.set(sid, (this.netPos.get(sid) ?? 0) + o.side * qty);
    if (leaves === 0) this.finish(o);
    this.link.report('fill', o.orderId, o.venueOrderId, price, qty, leaves, taker, '', this.ts);
  }

  /** Takes an order out of the live set; a resting one is compacted out of its book's list later. */
  private finish(o: O): void {
    const b = o.book;
    if (b.own.includes(o)) {
      if (o.side === 1) b.ownBuys--;
      else b.ownSells--;
      b.done++;
    }
    o.leaves = 0;
    const slot = o.orderId % LIVE_SLOTS;
    if (this.liveSlots[slot] === o) this.liveSlots[slot] = undefined;
    else this.overflow.delete(o.orderId);
    this.liveCount--;
    this.finished.add(o.orderId);
  }

  /** Drops finished orders from a book's own list, keeping the others in time priority; their records are reused. */
  protected compact(b: SimBook<SimOrder>): void {
    const own = b.own;
    let k = 0;
    for (let i = 0; i < own.length; i++) {
      const o = own[i];
      if (o.leaves > 0) own[k++] = o;
      else this.spare.push(o as O);
    }
    // pop, not `length = k`: setting length is a runtime call, and this runs on every cancel.
    while (own.length > k) own.pop();
    b.done = 0;
  }
}
