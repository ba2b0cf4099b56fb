import type { Settings } from '../config/schema.ts';
import { blankCommand, type OrderCommand, type OrderIntent, type RejectReason } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Venue } from '../contracts/venue.ts';
import { NS_PER_MS, NS_PER_S, NS_PER_US } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { RecentIds } from '../core/recent-ids.ts';
import type { Scheduler } from '../core/scheduler.ts';
import { AckQueue } from './ack-queue.ts';
import { type BreakerOptions, CircuitBreaker } from './circuit-breaker.ts';
import { DeadLetterQueue, type DeadLetterReason } from './dead-letter-queue.ts';
import { isOpen, type OrderState } from './order-state.ts';
import { TokenBucket } from './token-bucket.ts';

/** How many finished orders are remembered for late callbacks. */
const FINISHED_MEMORY = 8192;
/** Slots of the recent-orders index (OrderAdapter.recent). */
const RECENT_SLOTS = 8192;

export interface OrderAdapterOptions {
  /** Broker order-rate limits as token buckets (rate 0 = off); cancels are exempt. */
  globalPerS: number;
  globalBurst: number;
  symbolPerS: number;
  symbolBurst: number;
  /** Replacement orders held while throttled, at most; beyond it a replace is rejected. */
  maxQueued: number;
  /** A held order not sent within this long is dropped (ns). */
  maxQueueNs: number;
  /** An order the venue has not answered within this long counts as a venue failure (ns; 0 = off). */
  ackTimeoutNs: number;
  breaker: BreakerOptions;
  dlqCapacity: number;
}

/** Mirrors the Shioaji limits (250 orders / 10 s per account, 50 / 10 s per symbol); see docs/operations.md. */
export const DEFAULT_ADAPTER_OPTIONS: OrderAdapterOptions = {
  globalPerS: 20,
  globalBurst: 50,
  symbolPerS: 4,
  symbolBurst: 10,
  maxQueued: 256,
  maxQueueNs: 1000 * NS_PER_MS,
  ackTimeoutNs: 3000 * NS_PER_MS,
  breaker: { failureThreshold: 5, openNs: 60_000 * NS_PER_MS, halfOpenProbes: 1 },
  dlqCapacity: 10_000,
};

/** The `orders` settings in engine units. */
export function adapterOptions(o: Settings['orders']): OrderAdapterOptions {
  return {
    globalPerS: o.global_per_s,
    globalBurst: o.global_burst,
    symbolPerS: o.symbol_per_s,
    symbolBurst: o.symbol_burst,
    maxQueued: o.max_queued,
    maxQueueNs: o.max_queue_ms * NS_PER_MS,
    ackTimeoutNs: o.ack_timeout_ms * NS_PER_MS,
    breaker: {
      failureThreshold: o.breaker_failures,
      openNs: o.breaker_open_s * NS_PER_S,
      halfOpenProbes: o.breaker_half_open_probes,
    },
    dlqCapacity: o.dlq_capacity,
  };
}

export interface OrderAdapterCounters {
  sent: number;
  /** Cancels accepted: sent to the venue, or a held order dropped unsent (the count a HALT reports). */
  cancelsAccepted: number;
  cancelsSent: number;
  cancelsIgnored: number;
  replaces: number;
  /** Requests folded into a still-held order (a replace edits it, a cancel drops it unsent). */
  coalesced: number;
  /** Replacement orders that had to wait for the rate limiter. */
  queued: number;
  ackTimeouts: number;
  /** Requests the adapter refused, by reason. */
  rejected: number;
  byReason: Partial<Record<RejectReason, number>>;
}

/** The adapter finished a held order without the venue (dropped unsent, or canceled before sending). */
export type LocalOrderEvent = (o: OrderState, type: 'canceled' | 'reject', reason: RejectReason | '') => void;

/**
 * Sends risk-approved intents to the venue under client order ids, behind broker-mirroring
 * token buckets (global + per symbol; cancels exempt) and a circuit breaker on venue errors.
 * Cancel/replace = cancel now + a new order; when throttled the new leg waits in a bounded
 * queue where later requests supersede it (coalescing). What cannot be sent goes to the
 * dead-letter queue. Keeps the order-id map (client id <-> venue id) the router resolves against.
 */
export class OrderAdapter {
  private nextId = 1;
  /**
   * Open orders that lost their `recent` slot to a newer order (open for RECENT_SLOTS orders or
   * more): every other open order is found in `recent`, so this map is nearly always empty.
   */
  private readonly overflow = new Map<number, OrderState>();
  /** Recently finished orders, so late callbacks (a cancel-reject after the fill) still resolve. */
  private readonly finished = new RecentIds<OrderState>(FINISHED_MEMORY, (_id, old) => {
    // Empty for venues that report client ids (the simulated ones): no string-keyed lookup per order.
    if (this.byVenue.size > 0 && this.byVenue.get(old.venueOrderId) === old)
      this.byVenue.delete(old.venueOrderId);
    // No longer found by its id (get): it is about to carry another order.
    const slot = old.orderId % RECENT_SLOTS;
    if (this.recent[slot] === old) this.recent[slot] = undefined;
    this.spare.push(old);
  });
  /**
   * Order records pushed out of the finished memory, reused by `create`: an OrderState lives for
   * FINISHED_MEMORY more orders after it finished (long enough to be promoted out of the young
   * generation), and a backtest makes one per order. Nothing may keep an OrderState longer than that.
   */
  private readonly spare: OrderState[] = [];
  private readonly byVenue = new Map<string, OrderState>();
  /**
   * The last order created in each slot (client id mod RECENT_SLOTS), while it is open or in the
   * finished memory: `get` and the open-order lookups find recent orders (nearly every venue
   * callback's) with an array access instead of a hash table and the finished memory.
   */
  private readonly recent: (OrderState | undefined)[] = new Array(RECENT_SLOTS).fill(undefined);
  /** Sent orders not yet answered, oldest first, with their ack deadlines (see awaitAck). */
  private readonly awaiting = new AckQueue();
  /** Open orders per strategy, for its context and cancel-all. */
  private readonly open = new Map<string, Set<OrderState>>();
  /** Open orders per symbol (dense, swap-remove via OrderState.slot): risk aggregates scan these. */
  private readonly bySymbol: OrderState[][] = [];
  private readonly symbolBuckets: TokenBucket[] = [];
  private readonly globalBucket: TokenBucket;
  private readonly queue: OrderState[] = [];
  private flushAt = Number.POSITIVE_INFINITY;
  readonly breaker: CircuitBreaker;
  readonly dlq: DeadLetterQueue;
  readonly counters: OrderAdapterCounters = {
    sent: 0,
    cancelsAccepted: 0,
    cancelsSent: 0,
    cancelsIgnored: 0,
    replaces: 0,
    coalesced: 0,
    queued: 0,
    ackTimeouts: 0,
    rejected: 0,
    byReason: {},
  };
  /** The command handed to a venue that copies commands (Venue.copiesCommands); action and target stay 'new' / 0. */
  private readonly command: OrderCommand = blankCommand();
  /** Set by StormGuard: nothing new leaves the adapter (cancels still do). */
  halted = false;
  /** Reason of the last refused send/replace (valid right after one returned 0). */
  lastReject: RejectReason | '' = '';
  /** Called for every order handed to the venue (e.g. to record it). */
  onSent: ((o: OrderState) => void) | null = null;
  /** Set by the execution router, which reports these like venue callbacks. */
  onLocal: LocalOrderEvent | null = null;

  constructor(
    private readonly venue: Venue,
    private readonly symbols: readonly SymbolSpec[],
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
    private readonly opts: OrderAdapterOptions = DEFAULT_ADAPTER_OPTIONS,
  ) {
    this.globalBucket = new TokenBucket(opts.globalPerS, opts.globalBurst);
    for (let i = 0; i < symbols.length; i++) {
      this.bySymbol.push([]);
      this.symbolBuckets.push(new TokenBucket(opts.symbolPerS, opts.symbolBurst));
    }
    this.breaker = new CircuitBreaker(opts.breaker);
    this.breaker.onChange((from, to, reason) =>
      this.log.warn({ from, to, reason }, 'order circuit breaker changed state'),
    );
    this.dlq = new DeadLetterQueue(opts.dlqCapacity, scheduler.clock.epoch);
  }

  /**
   * Sends a new order; returns its client order id, or 0 (reason in `lastReject`). `orderId`
   * is the client order id to use (the gateway derives it from the intent), 0 = the next free
   * number; an id already used is refused DUPLICATE_INTENT (nothing goes to the venue twice).
   */
  send(it: OrderIntent, orderId = 0): number {
    const now = this.scheduler.clock.nowNs();
    if (orderId !== 0 && this.get(orderId) !== undefined) return this.refuse(it, 'DUPLICATE_INTENT', 0);
    const reason =
      it.tif === 'POST_ONLY' && this.venue.postOnly === false
        ? 'TIF_UNSUPPORTED'
        : this.admit(it.symbolId, now);
    if (reason !== null) return this.refuse(it, reason, 0);
    const o = this.create(it, 0, orderId);
    this.transmit(o, now);
    return o.orderId;
  }

  /**
   * Cancel/replace `it.targetOrderId` with a new order at `it.price`/`it.qty`: the cancel goes
   * at once; the new order goes too, or waits for the rate limiter. A replace of an order still
   * waiting edits it in place (returns its id). Returns the id of the order now standing for
   * the target, or 0 with the target untouched.
   */
  replace(it: OrderIntent, orderId = 0): number {
    const now = this.scheduler.clock.nowNs();
    if (orderId !== 0 && this.get(orderId) !== undefined)
      return this.refuse(it, 'DUPLICATE_INTENT', it.targetOrderId);
    const target = this.openOrder(it.targetOrderId);
    if (
      target === undefined ||
      target.strategyId !== it.strategyId ||
      (target.status !== 'working' && target.status !== 'pending_new')
    ) {
      return this.refuse(it, 'UNKNOWN_ORDER', it.targetOrderId);
    }
    if (this.halted) return this.refuse(it, 'HALTED', it.targetOrderId);
    this.counters.replaces++;
    if (target.queued) {
      target.price = it.price;
      target.qty = it.qty;
      target.leavesQty = it.qty;
      this.counters.coalesced++;
      return target.orderId;
    }
    const sym = this.symbolBuckets[it.symbolId];
    const throttled = !this.globalBucket.ready(now) || !sym.ready(now);
    if (throttled) {
      // Do not pull a live quote for an order that cannot be sent or held.
      if (this.breaker.state !== 'closed') return this.refuse(it, 'CIRCUIT_OPEN', it.targetOrderId);
      if (this.queue.length >= this.opts.maxQueued)
        return this.refuse(it, 'BROKER_RATE_LIMIT', it.targetOrderId, 'queue_full');
    } else {
      if (!this.breaker.allow(now)) return this.refuse(it, 'CIRCUIT_OPEN', it.targetOrderId);
      this.globalBucket.tryTake(now);
      sym.tryTake(now);
    }
    this.cancelOpen(target);
    const o = this.create(it, target.orderId, orderId);
    if (throttled) {
      o.queued = true;
      o.queuedTs = now;
      this.queue.push(o);
      this.counters.queued++;
      this.scheduleFlush(now);
    } else this.transmit(o, now);
    return o.orderId;
  }

  /** Requests a cancel (never rate-limited); false when the order is unknown or no longer cancellable. */
  cancel(orderId: number): boolean {
    const o = this.openOrder(orderId);
    if (o === undefined || (o.status !== 'working' && o.status !== 'pending_new')) {
      this.counters.cancelsIgnored++;
      return false;
    }
    this.cancelOpen(o);
    return true;
  }

  /** Cancels an open order (working or pending_new), found by the caller. */
  private cancelOpen(o: OrderState): void {
    this.counters.cancelsAccepted++;
    if (o.queued) {
      // Never sent: drop it here, the venue never hears of it.
      this.unqueue(o);
      this.counters.coalesced++;
      this.onLocal?.(o, 'canceled', '');
      return;
    }
    o.status = 'pending_cancel';
    this.counters.cancelsSent++;
    this.venue.cancel(o.orderId);
  }

  /** Cancels every open order (of one strategy, or all); returns how many cancels went out. */
  cancelAll(strategyId?: string): number {
    let n = 0;
    const sets = strategyId === undefined ? [...this.open.values()] : [this.openSet(strategyId)];
    for (const set of sets) for (const o of [...set]) if (this.cancel(o.orderId)) n++;
    return n;
  }

  /** A live order, or one finished recently (its status says which). */
  get(orderId: number): OrderState | undefined {
    const o = this.recent[orderId % RECENT_SLOTS];
    if (o !== undefined && o.orderId === orderId) return o;
    return (this.overflow.size > 0 ? this.overflow.get(orderId) : undefined) ?? this.finished.get(orderId);
  }

  /** An open order (tracked, not closed: `slot` >= 0 exactly while it is open). */
  private openOrder(orderId: number): OrderState | undefined {
    const o = this.recent[orderId % RECENT_SLOTS];
    if (o !== undefined && o.orderId === orderId) return o.slot >= 0 ? o : undefined;
    return this.overflow.size > 0 ? this.overflow.get(orderId) : undefined;
  }

  /** Resolves a venue order id (order-id map). */
  byVenueId(venueOrderId: string): OrderState | undefined {
    return this.byVenue.get(venueOrderId);
  }

  /**
   * Takes an order working at the venue since an earlier session as an open order of
   * `it.strategyId` (live startup reconciliation, startup_orders: adopt): it counts in risk's
   * exposure, cancelAll cancels it, its fills update positions. Returns its client order id.
   */
  adopt(it: OrderIntent, leavesQty: number, venueOrderId: string): OrderState {
    const o = this.create(it, 0, 0);
    o.status = 'working';
    o.venueSeen = true;
    o.cumQty = it.qty - leavesQty;
    o.leavesQty = leavesQty;
    this.bindVenueId(o, venueOrderId);
    return o;
  }

  /** Records the venue's id for an order (from its first callback that carries one). */
  bindVenueId(o: OrderState, venueOrderId: string): void {
    o.venueOrderId = venueOrderId;
    if (this.venue.reportsOrderIds !== true) this.byVenue.set(venueOrderId, o);
  }

  /** The venue answered an order: a success for the circuit breaker. */
  venueAck(): void {
    this.breaker.success(this.scheduler.clock.nowNs());
  }

  /** The venue rejected an order; venue errors (not business rejects) count against the breaker. */
  venueReject(o: OrderState, reason: RejectReason | ''): void {
    if (reason === 'VENUE_REJECT') this.breaker.failure(this.scheduler.clock.nowNs(), `order ${o.orderId}`);
  }

  /** Called by the router when an order reaches a terminal state. */
  closed(o: OrderState): void {
    // Every order was tracked in its strategy's set (openSet made it).
    this.openSet(o.strategyId).delete(o);
    if (o.queued) this.unqueue(o);
    if (o.slot < 0) return; // closed already
    const list = this.bySymbol[o.symbolId];
    const last = list.pop()!;
    if (last !== o) {
      list[o.slot] = last;
      last.slot = o.slot;
    }
    o.slot = -1;
    if (this.overflow.size > 0) this.overflow.delete(o.orderId);
    this.finished.set(o.orderId, o);
  }

  openOrders(strategyId: string): ReadonlySet<OrderState> {
    return this.openSet(strategyId);
  }

  /** Every open order (held ones included), strategy by strategy, each in the order they were made. */
  *allOpen(): IterableIterator<OrderState> {
    for (const set of this.open.values()) yield* set;
  }

  /** Quantity still working on one side of a symbol for a strategy. */
  openQty(strategyId: string, symbolId: number, side: 1 | -1): number {
    const list = this.bySymbol[symbolId];
    let q = 0;
    for (let i = 0; i < list.length; i++) {
      const o = list[i];
      if (o.side === side && o.strategyId === strategyId) q += o.leavesQty;
    }
    return q;
  }

  /** Number of open orders of a strategy in a symbol. */
  openCountOf(strategyId: string, symbolId: number): number {
    const list = this.bySymbol[symbolId];
    let n = 0;
    for (let i = 0; i < list.length; i++) if (list[i].strategyId === strategyId) n++;
    return n;
  }

  /** Most aggressive price among all own open orders on `side` of a symbol (any strategy); 0 if none. */
  ownBest(symbolId: number, side: 1 | -1): number {
    const list = this.bySymbol[symbolId];
    let best = 0;
    for (let i = 0; i < list.length; i++) {
      const o = list[i];
      if (o.side === side && (best === 0 || (o.price - best) * side > 0)) best = o.price;
    }
    return best;
  }

  get openCount(): number {
    let n = 0;
    for (const s of this.open.values()) n += s.size;
    return n;
  }

  private admit(symbolId: number, now: number): RejectReason | null {
    if (this.halted) return 'HALTED';
    const sym = this.symbolBuckets[symbolId];
    if (sym === undefined) return 'UNKNOWN_SYMBOL';
    if (!this.globalBucket.ready(now) || !sym.ready(now)) return 'BROKER_RATE_LIMIT';
    if (!this.breaker.allow(now)) return 'CIRCUIT_OPEN';
    this.globalBucket.tryTake(now);
    sym.tryTake(now);
    return null;
  }

  private create(it: OrderIntent, replaces: number, orderId: number): OrderState {
    const o = this.spare.pop();
    if (o === undefined) return this.track(this.fresh(it, replaces, orderId));
    o.orderId = orderId !== 0 ? orderId : this.nextId++;
    o.intentId = it.intentId;
    o.venueOrderId = '';
    o.strategyId = it.strategyId;
    o.symbolId = it.symbolId;
    o.side = it.side;
    o.price = it.price;
    o.qty = it.qty;
    o.tif = it.tif;
    o.cumQty = 0;
    o.leavesQty = it.qty;
    o.status = 'pending_new';
    o.createdTs = it.ts;
    o.replaces = replaces;
    o.queued = false;
    o.queuedTs = 0;
    o.venueSeen = false;
    o.execIds = null;
    o.slot = -1;
    return this.track(o);
  }

  private fresh(it: OrderIntent, replaces: number, orderId: number): OrderState {
    return {
      orderId: orderId !== 0 ? orderId : this.nextId++,
      intentId: it.intentId,
      venueOrderId: '',
      strategyId: it.strategyId,
      symbolId: it.symbolId,
      side: it.side,
      price: it.price,
      qty: it.qty,
      tif: it.tif,
      cumQty: 0,
      leavesQty: it.qty,
      status: 'pending_new',
      createdTs: it.ts,
      replaces,
      queued: false,
      queuedTs: 0,
      venueSeen: false,
      execIds: null,
      slot: -1,
    };
  }

  /** Indexes a new order as open. */
  private track(o: OrderState): OrderState {
    const slot = o.orderId % RECENT_SLOTS;
    const prev = this.recent[slot];
    // Still open: found through the overflow map from now on.
    if (prev !== undefined && prev.slot >= 0) this.overflow.set(prev.orderId, prev);
    this.recent[slot] = o;
    this.openSet(o.strategyId).add(o);
    const list = this.bySymbol[o.symbolId];
    o.slot = list.length;
    list.push(o);
    return o;
  }

  private transmit(o: OrderState, now: number): void {
    if (this.venue.copiesCommands === true) {
      // The venue copies what it keeps: one command object serves every order.
      const cmd = this.command;
      const it = cmd.intent;
      cmd.orderId = o.orderId;
      cmd.ts = now;
      it.intentId = o.intentId;
      it.strategyId = o.strategyId;
      it.symbolId = o.symbolId;
      it.side = o.side;
      it.price = o.price;
      it.qty = o.qty;
      it.tif = o.tif;
      it.ts = now;
      this.hand(o, cmd, now);
      return;
    }
    const cmd: OrderCommand = {
      orderId: o.orderId,
      intent: {
        intentId: o.intentId,
        strategyId: o.strategyId,
        symbolId: o.symbolId,
        action: 'new',
        side: o.side,
        price: o.price,
        qty: o.qty,
        tif: o.tif,
        targetOrderId: 0,
        ts: now,
      },
      ts: now,
    };
    this.hand(o, cmd, now);
  }

  private hand(o: OrderState, cmd: OrderCommand, now: number): void {
    this.counters.sent++;
    this.onSent?.(o);
    this.venue.submit(cmd);
    if (this.opts.ackTimeoutNs > 0) this.awaitAck(o, now + this.opts.ackTimeoutNs);
  }

  /**
   * Watches for the venue's first answer. Deadlines are send time + a constant, so they come in
   * order: a FIFO and one timer at the oldest deadline replace a scheduler task per order.
   */
  private awaitAck(o: OrderState, deadline: number): void {
    const q = this.awaiting;
    q.push(o, deadline);
    if (q.length === 1) this.scheduler.at(deadline, this.checkAcks);
  }

  private readonly checkAcks = (): void => {
    const q = this.awaiting;
    const now = this.scheduler.clock.nowNs();
    while (q.length > 0 && q.firstDeadline() <= now) {
      const o = q.shift();
      if (o !== undefined && !o.venueSeen && isOpen(o)) this.ackTimedOut(o, now);
    }
    if (q.length > 0) this.scheduler.at(q.firstDeadline(), this.checkAcks);
  };

  private ackTimedOut(o: OrderState, now: number): void {
    this.counters.ackTimeouts++;
    this.deadLetter(
      now,
      'ack_timeout',
      'new',
      o,
      0,
      `no answer within ${this.opts.ackTimeoutNs / NS_PER_MS} ms`,
    );
    this.log.warn({ orderId: o.orderId }, 'order not answered by the venue in time');
    this.breaker.failure(now, `ack timeout on order ${o.orderId}`);
  }

  private scheduleFlush(now: number): void {
    // The earliest moment a held order can go (its buckets refill) or must be dropped (it expires).
    let wait = Number.POSITIVE_INFINITY;
    for (const o of this.queue) {
      const refill = Math.max(this.globalBucket.waitNs(now), this.symbolBuckets[o.symbolId].waitNs(now));
      wait = Math.min(wait, refill, o.queuedTs + this.opts.maxQueueNs - now);
    }
    // At least 1 us: epoch-ns timestamps in float64 resolve only 256 ns.
    const at = now + Math.max(wait, NS_PER_US);
    if (at >= this.flushAt) return;
    this.flushAt = at;
    this.scheduler.at(at, this.flush);
  }

  /** Sends held orders whose buckets have refilled; drops the ones too old or blocked. */
  private readonly flush = (): void => {
    const now = this.scheduler.clock.nowNs();
    if (now < this.flushAt) return; // superseded by an earlier flush that already ran
    this.flushAt = Number.POSITIVE_INFINITY;
    const q = this.queue;
    let kept = 0;
    for (let i = 0; i < q.length; i++) {
      const o = q[i];
      let reason: RejectReason | null = null;
      let dl: DeadLetterReason = 'queue_expired';
      if (this.halted) {
        reason = 'HALTED';
        dl = 'halted';
      } else if (!this.globalBucket.ready(now) || !this.symbolBuckets[o.symbolId].ready(now)) {
        if (now - o.queuedTs < this.opts.maxQueueNs) {
          q[kept++] = o;
          continue;
        }
        reason = 'BROKER_RATE_LIMIT';
      } else if (!this.breaker.allow(now)) {
        reason = 'CIRCUIT_OPEN';
        dl = 'circuit_open';
      }
      o.queued = false;
      if (reason !== null) {
        this.count(reason);
        this.deadLetter(now, dl, 'replace', o, o.replaces, 'held replacement order dropped');
        this.onLocal?.(o, 'reject', reason);
        continue;
      }
      this.globalBucket.tryTake(now);
      this.symbolBuckets[o.symbolId].tryTake(now);
      this.transmit(o, now);
    }
    q.length = kept;
    if (kept > 0) this.scheduleFlush(now);
  };

  private unqueue(o: OrderState): void {
    o.queued = false;
    const i = this.queue.indexOf(o);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private refuse(it: OrderIntent, reason: RejectReason, target: number, dl?: DeadLetterReason): 0 {
    this.lastReject = reason;
    this.count(reason);
    const dlr: DeadLetterReason | null =
      dl ??
      (reason === 'BROKER_RATE_LIMIT'
        ? 'rate_limit'
        : reason === 'CIRCUIT_OPEN'
          ? 'circuit_open'
          : reason === 'HALTED'
            ? 'halted'
            : reason === 'UNKNOWN_ORDER'
              ? 'target_not_found'
              : null);
    if (dlr !== null) {
      this.dlq.push({
        ts: this.scheduler.clock.nowNs(),
        reason: dlr,
        action: it.action,
        strategyId: it.strategyId,
        symbol: this.symbols[it.symbolId]?.code ?? String(it.symbolId),
        side: it.side,
        price: it.price,
        qty: it.qty,
        orderId: 0,
        targetOrderId: target,
        detail: reason,
      });
    }
    return 0;
  }

  private count(reason: RejectReason): void {
    this.counters.rejected++;
    this.counters.byReason[reason] = (this.counters.byReason[reason] ?? 0) + 1;
  }

  private deadLetter(
    now: number,
    reason: DeadLetterReason,
    action: 'new' | 'replace',
    o: OrderState,
    target: number,
    detail: string,
  ): void {
    this.dlq.push({
      ts: now,
      reason,
      action,
      strategyId: o.strategyId,
      symbol: this.symbols[o.symbolId].code,
      side: o.side,
      price: o.price,
      qty: o.qty,
      orderId: o.orderId,
      targetOrderId: target,
      detail,
    });
  }

  private openSet(strategyId: string): Set<OrderState> {
    // One strategy sends most orders in a row (a backtest: all of them): no string-keyed lookup then.
    if (strategyId === this.lastStrategy) return this.lastOpen!;
    let s = this.open.get(strategyId);
    if (s === undefined) {
      s = new Set();
      this.open.set(strategyId, s);
    }
    this.lastStrategy = strategyId;
    this.lastOpen = s;
    return s;
  }

  /** The strategy of the last openSet lookup and its set (sets are never removed from `open`). */
  private lastStrategy: string | null = null;
  private lastOpen: Set<OrderState> | null = null;
}
