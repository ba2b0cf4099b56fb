import type { Side } from '../contracts/market.ts';
import type { ExecReport, ExecType, RejectReason } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { VenueExecEvent } from '../contracts/venue.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { OrderAdapter } from '../order/order-adapter.ts';
import { isTerminal, type OrderState } from '../order/order-state.ts';
import { type FillCosts, fillCosts } from './fees.ts';
import { OrphanBook } from './orphans.ts';
import type { PositionStore } from './positions.ts';

/** Strategy id under which fills that belong to no known order are booked, so positions match the venue. */
export const UNATTRIBUTED = '_unattributed';

/** How many unresolved orphan callbacks are held before the oldest is settled early. */
const ORPHAN_CAPACITY = 10_000;

export interface RouterCounters {
  /** Callbacks received, by type (stale ones included). */
  acks: number;
  rejects: number;
  /** Fill callbacks that completed an order, and the other (partial or late) fill callbacks. */
  fills: number;
  partials: number;
  canceled: number;
  cancelRejects: number;
  /** Callbacks for orders we could not resolve when they arrived. */
  orphans: number;
  filledQty: number;
  /** Fill callbacks repeating a fill id already applied (dropped). */
  duplicateFills: number;
  /** Callbacks that arrived after the order moved past them (an ack after a fill or cancel): not re-applied. */
  stale: number;
  /** Fills for an order already canceled or rejected: applied (the money moved), logged. */
  lateFills: number;
  /** Fills taking the order's cumulative quantity above its quantity: applied, logged. */
  overfills: number;
  /** Orders finished by us rather than the venue (a held order canceled or dropped before sending). */
  localCancels: number;
  localRejects: number;
  /** Orphans matched to their order once it became known. */
  orphansMatched: number;
  /** Orphan fills never matched, booked under UNATTRIBUTED. */
  orphansBooked: number;
  /** Orphan fills that could not be booked (no symbol/side): kept in `unresolved` for the operator. */
  orphansUnresolved: number;
  /** Orphan non-fill callbacks dropped after their time to live (they carry no money). */
  orphansDiscarded: number;
}

export type ReportListener = (r: ExecReport, order: OrderState) => void;

/**
 * Turns venue callbacks into execution reports: advances the order record, prices fees and
 * taxes, updates positions, then tells listeners (strategy runner, recorder, ...). Out-of-order
 * and repeated callbacks are handled: a fill before its ack, a duplicate fill id, an ack after a
 * cancel, a cancel-reject after a fill. A callback for an unknown order is parked and matched
 * when the order becomes known, or booked as unattributed by reconciliation: never dropped.
 */
export class ExecutionRouter {
  readonly counters: RouterCounters = {
    acks: 0,
    rejects: 0,
    fills: 0,
    partials: 0,
    canceled: 0,
    cancelRejects: 0,
    orphans: 0,
    filledQty: 0,
    duplicateFills: 0,
    stale: 0,
    lateFills: 0,
    overfills: 0,
    localCancels: 0,
    localRejects: 0,
    orphansMatched: 0,
    orphansBooked: 0,
    orphansUnresolved: 0,
    orphansDiscarded: 0,
  };
  /** Venue rejects by reason (a reject without one counts as VENUE_REJECT). */
  readonly rejectsByReason: Record<string, number> = {};
  readonly orphans = new OrphanBook(ORPHAN_CAPACITY);
  /** Orphan fills that could not be booked anywhere. */
  readonly unresolved: VenueExecEvent[] = [];
  private readonly listeners: ReportListener[] = [];
  private readonly costs: FillCosts = { fee: 0, tax: 0 };
  /** Reports handed to listeners, reused per nesting depth (a listener may trigger another report): copy what you keep. */
  private readonly reports: ExecReport[] = [];
  private depth = 0;

  constructor(
    private readonly symbols: readonly SymbolSpec[],
    private readonly orders: OrderAdapter,
    private readonly positions: PositionStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    orders.onLocal = (o, type, reason) => this.finishLocally(o, type, reason);
  }

  listen(fn: ReportListener): void {
    this.listeners.push(fn);
  }

  readonly onExec = (e: VenueExecEvent): void => {
    const o = e.orderId > 0 ? this.orders.get(e.orderId) : undefined;
    // Most callbacks: a known order whose venue id (if any) is bound already. An orphan, or an
    // order's first callback with its venue id (and any callbacks parked for it), goes to resolve.
    if (o === undefined || (e.venueOrderId !== '' && o.venueOrderId !== e.venueOrderId)) this.resolve(o, e);
    else this.apply(o, e);
  };

  /** A callback for an order not yet known by client id, or carrying a venue id not yet bound. */
  private resolve(known: OrderState | undefined, e: VenueExecEvent): void {
    const o = known ?? (e.venueOrderId !== '' ? this.orders.byVenueId(e.venueOrderId) : undefined);
    if (o === undefined) {
      this.counters.orphans++;
      const pushedOut = this.orphans.park(e, this.clock.nowNs());
      if (pushedOut !== null) this.settle(pushedOut.e);
      this.log.warn(
        { orderId: e.orderId, venueOrderId: e.venueOrderId, type: e.type },
        'execution callback for unknown order kept as orphan',
      );
      return;
    }
    if (e.venueOrderId !== '' && o.venueOrderId !== e.venueOrderId) {
      this.orders.bindVenueId(o, e.venueOrderId);
      // Callbacks that arrived before this mapping existed happened first: apply them first.
      if (this.orphans.size > 0) {
        for (const parked of this.orphans.take(e.venueOrderId)) {
          this.counters.orphansMatched++;
          this.apply(o, parked.e);
        }
      }
    }
    this.apply(o, e);
  }

  /**
   * Finishes an order without a venue callback (a held order canceled or dropped by the adapter,
   * or an order reconciliation found the venue no longer has) and reports it.
   */
  finishLocally(o: OrderState, type: 'canceled' | 'reject', reason: RejectReason | ''): void {
    if (isTerminal(o)) return;
    o.status = type === 'canceled' ? 'canceled' : 'rejected';
    o.leavesQty = 0;
    if (type === 'canceled') this.counters.localCancels++;
    else this.counters.localRejects++;
    this.orders.closed(o);
    this.emit(type, o, 0, 0, false, 0, 0, reason, this.clock.nowNs());
  }

  /**
   * Settles orphans older than `ttlNs`: a fill with a known symbol and side is booked under
   * UNATTRIBUTED; one without stays in `unresolved`; other callbacks are dropped. Returns the
   * number of unresolved fills.
   */
  settleOrphans(now: number, ttlNs: number): number {
    for (const x of this.orphans.expire(now, ttlNs)) this.settle(x.e);
    return this.unresolved.length;
  }

  private settle(e: VenueExecEvent): void {
    if (e.type !== 'fill') {
      this.counters.orphansDiscarded++;
      return;
    }
    const spec = e.symbolId === undefined ? undefined : this.symbols[e.symbolId];
    if (spec === undefined || (e.side !== 1 && e.side !== -1)) {
      this.counters.orphansUnresolved++;
      this.unresolved.push(e);
      this.log.error({ orderId: e.orderId, venueOrderId: e.venueOrderId }, 'orphan fill cannot be booked');
      return;
    }
    this.counters.orphansBooked++;
    const side: Side = e.side;
    fillCosts(spec, side, e.lastPx, e.lastQty, this.costs);
    this.positions
      .get(UNATTRIBUTED, spec.id)
      .apply(side, e.lastPx, e.lastQty, this.costs.fee + this.costs.tax);
    this.counters.filledQty += e.lastQty;
    this.counters.partials++;
    this.log.error(
      { venueOrderId: e.venueOrderId, symbol: spec.code, side, qty: e.lastQty },
      'orphan fill booked as unattributed',
    );
    // A stand-in order record, so listeners (recorder) see the booked fill like any other.
    const o: OrderState = {
      orderId: e.orderId,
      intentId: 0,
      venueOrderId: e.venueOrderId,
      strategyId: UNATTRIBUTED,
      symbolId: spec.id,
      side,
      price: e.lastPx,
      qty: e.lastQty,
      tif: 'GTC',
      cumQty: e.lastQty,
      leavesQty: 0,
      status: 'filled',
      createdTs: e.exchTs,
      replaces: 0,
      queued: false,
      queuedTs: 0,
      venueSeen: true,
      execIds: null,
      slot: -1,
    };
    this.emit('fill', o, e.lastPx, e.lastQty, e.taker, this.costs.fee, this.costs.tax, '', e.exchTs);
  }

  private apply(o: OrderState, e: VenueExecEvent): void {
    const c = this.counters;
    o.venueSeen = true;
    let type: ExecType = e.type;
    let fee = 0;
    let tax = 0;
    switch (e.type) {
      case 'ack':
        c.acks++;
        this.orders.venueAck();
        if (o.status !== 'pending_new') {
          // After a fill (fill before ack) or a cancel: the order already moved on.
          c.stale++;
          return;
        }
        o.status = 'working';
        break;
      case 'reject':
        if (!this.rejected(o, e)) return;
        break;
      case 'fill': {
        const t = this.fill(o, e);
        if (t === null) return;
        type = t;
        fee = this.costs.fee;
        tax = this.costs.tax;
        break;
      }
      case 'canceled':
        if (isTerminal(o)) {
          c.stale++;
          return;
        }
        c.canceled++;
        o.status = 'canceled';
        o.leavesQty = 0;
        break;
      case 'cancel_reject':
        // Answers our cancel request; after a fill the order stays filled.
        c.cancelRejects++;
        if (o.status === 'pending_cancel') o.status = 'working';
        break;
    }
    if (isTerminal(o) && o.slot >= 0) this.orders.closed(o);
    this.emit(type, o, e.lastPx, e.lastQty, e.taker, fee, tax, e.reason, e.exchTs);
  }

  /**
   * Applies a fill to the order and its position (its fee and tax left in `costs`); returns the
   * report's type, or null for a duplicate (dropped).
   */
  private fill(o: OrderState, e: VenueExecEvent): ExecType | null {
    if (e.execId && this.duplicate(o, e.execId)) return null;
    if (o.cumQty + e.lastQty > o.qty) this.overfill(o, e.lastQty);
    const costs = this.costs;
    fillCosts(this.symbols[o.symbolId], o.side, e.lastPx, e.lastQty, costs);
    o.cumQty += e.lastQty;
    this.positions.get(o.strategyId, o.symbolId).apply(o.side, e.lastPx, e.lastQty, costs.fee + costs.tax);
    const c = this.counters;
    c.filledQty += e.lastQty;
    if (isTerminal(o)) return this.lateFill(o, e.leavesQty);
    o.leavesQty = e.leavesQty;
    if (e.leavesQty === 0) {
      o.status = 'filled';
      c.fills++;
      return 'fill';
    }
    c.partials++;
    if (o.status === 'pending_new') o.status = 'working';
    return 'partial';
  }

  /** A venue reject: counted by reason; false when the order had finished already (stale). */
  private rejected(o: OrderState, e: VenueExecEvent): boolean {
    const c = this.counters;
    c.rejects++;
    const why = e.reason === '' ? 'VENUE_REJECT' : e.reason;
    this.rejectsByReason[why] = (this.rejectsByReason[why] ?? 0) + 1;
    this.orders.venueReject(o, e.reason);
    if (isTerminal(o)) {
      c.stale++;
      return false;
    }
    o.status = 'rejected';
    o.leavesQty = 0;
    return true;
  }

  /** True when the fill `execId` was applied to `o` before (dropped); remembers it otherwise. */
  private duplicate(o: OrderState, execId: string): boolean {
    if (o.execIds?.has(execId)) {
      this.counters.duplicateFills++;
      this.log.warn({ orderId: o.orderId, execId }, 'duplicate fill dropped');
      return true;
    }
    (o.execIds ??= new Set()).add(execId);
    return false;
  }

  private overfill(o: OrderState, lastQty: number): void {
    this.counters.overfills++;
    this.log.error(
      { orderId: o.orderId, qty: o.qty, cumQty: o.cumQty, lastQty },
      'fill exceeds the order quantity',
    );
  }

  /** A fill after the venue canceled or rejected the order (crossing callbacks): the money moved. */
  private lateFill(o: OrderState, leavesQty: number): ExecType {
    this.counters.lateFills++;
    this.counters.partials++;
    this.log.warn({ orderId: o.orderId, status: o.status }, 'fill for a finished order applied');
    return leavesQty === 0 ? 'fill' : 'partial';
  }

  private emit(
    type: ExecType,
    o: OrderState,
    lastPx: number,
    lastQty: number,
    taker: boolean,
    fee: number,
    tax: number,
    reason: RejectReason | '',
    exchTs: number,
  ): void {
    const r = (this.reports[this.depth] ??= { ...BLANK_REPORT });
    r.type = type;
    r.orderId = o.orderId;
    r.venueOrderId = o.venueOrderId;
    r.strategyId = o.strategyId;
    r.symbolId = o.symbolId;
    r.side = o.side;
    r.price = o.price;
    r.qty = o.qty;
    r.lastPx = lastPx;
    r.lastQty = lastQty;
    r.cumQty = o.cumQty;
    r.leavesQty = o.leavesQty;
    r.taker = taker;
    r.fee = fee;
    r.tax = tax;
    r.reason = reason;
    r.exchTs = exchTs;
    r.localTs = this.clock.nowNs();
    this.depth++;
    try {
      for (let i = 0; i < this.listeners.length; i++) this.listeners[i](r, o);
    } finally {
      this.depth--;
    }
  }
}

const BLANK_REPORT: ExecReport = {
  type: 'ack',
  orderId: 0,
  venueOrderId: '',
  strategyId: '',
  symbolId: 0,
  side: 1,
  price: 0,
  qty: 0,
  lastPx: 0,
  lastQty: 0,
  cumQty: 0,
  leavesQty: 0,
  taker: false,
  fee: 0,
  tax: 0,
  reason: '',
  exchTs: 0,
  localTs: 0,
};
