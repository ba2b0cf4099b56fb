import type { ExecReport, ExecType } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { VenueExecEvent } from '../contracts/venue.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { OrderAdapter } from '../order/order-adapter.ts';
import type { OrderState } from '../order/order-state.ts';
import { type FillCosts, fillCosts } from './fees.ts';
import type { PositionStore } from './positions.ts';

export interface RouterCounters {
  acks: number;
  rejects: number;
  fills: number;
  partials: number;
  canceled: number;
  cancelRejects: number;
  /** Callbacks for orders we do not know (kept for reconciliation, never applied blindly). */
  orphans: number;
  filledQty: number;
}

export type ReportListener = (r: ExecReport, order: OrderState) => void;

/**
 * Turns venue callbacks into execution reports: advances the order record, prices fees and
 * taxes, updates positions, then tells listeners (strategy runner, recorder, ...).
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
  };
  /** Callbacks for unknown order ids, kept for reconciliation. */
  readonly orphans: VenueExecEvent[] = [];
  private readonly listeners: ReportListener[] = [];
  private readonly costs: FillCosts = { fee: 0, tax: 0 };

  constructor(
    private readonly symbols: readonly SymbolSpec[],
    private readonly orders: OrderAdapter,
    private readonly positions: PositionStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  listen(fn: ReportListener): void {
    this.listeners.push(fn);
  }

  readonly onExec = (e: VenueExecEvent): void => {
    const o = this.orders.get(e.orderId);
    if (o === undefined) {
      this.counters.orphans++;
      if (this.orphans.length < 10_000) this.orphans.push({ ...e });
      this.log.warn(
        { orderId: e.orderId, type: e.type },
        'execution callback for unknown order kept as orphan',
      );
      return;
    }
    if (e.venueOrderId) o.venueOrderId = e.venueOrderId;
    let type: ExecType = e.type === 'fill' ? 'fill' : e.type;
    let fee = 0;
    let tax = 0;
    switch (e.type) {
      case 'ack':
        if (o.status === 'pending_new') o.status = 'working';
        this.counters.acks++;
        break;
      case 'reject':
        o.status = 'rejected';
        o.leavesQty = 0;
        this.counters.rejects++;
        break;
      case 'fill': {
        const spec = this.symbols[o.symbolId];
        fillCosts(spec, o.side, e.lastPx, e.lastQty, this.costs);
        fee = this.costs.fee;
        tax = this.costs.tax;
        o.cumQty += e.lastQty;
        o.leavesQty = e.leavesQty;
        this.positions.get(o.strategyId, o.symbolId).apply(o.side, e.lastPx, e.lastQty, fee + tax);
        this.counters.filledQty += e.lastQty;
        if (o.leavesQty === 0) {
          o.status = 'filled';
          this.counters.fills++;
        } else {
          type = 'partial';
          this.counters.partials++;
        }
        break;
      }
      case 'canceled':
        o.status = 'canceled';
        o.leavesQty = 0;
        this.counters.canceled++;
        break;
      case 'cancel_reject':
        // A cancel that crossed a fill is answered after the order finished: the status stays terminal.
        if (o.status === 'pending_cancel') o.status = o.leavesQty > 0 ? 'working' : 'filled';
        this.counters.cancelRejects++;
        break;
    }
    // IOC remainder cancelled by the venue alongside a fill is reported by the venue as 'canceled'.
    const report: ExecReport = {
      type,
      orderId: o.orderId,
      venueOrderId: o.venueOrderId,
      strategyId: o.strategyId,
      symbolId: o.symbolId,
      side: o.side,
      price: o.price,
      qty: o.qty,
      lastPx: e.lastPx,
      lastQty: e.lastQty,
      cumQty: o.cumQty,
      leavesQty: o.leavesQty,
      taker: e.taker,
      fee,
      tax,
      reason: e.reason,
      exchTs: e.exchTs,
      localTs: this.clock.nowNs(),
    };
    if (o.status === 'filled' || o.status === 'canceled' || o.status === 'rejected') this.orders.closed(o);
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i](report, o);
  };
}
