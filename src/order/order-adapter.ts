import type { OrderCommand, OrderIntent } from '../contracts/orders.ts';
import type { Venue } from '../contracts/venue.ts';
import { isOpen, type OrderState } from './order-state.ts';

/** How many finished orders are remembered for late callbacks. */
const FINISHED_MEMORY = 8192;

export interface OrderAdapterCounters {
  sent: number;
  cancelsSent: number;
  cancelsIgnored: number;
}

/**
 * Sends risk-approved intents to the venue under client order ids, and keeps the id map
 * (client id -> order record) that the execution router resolves callbacks against.
 */
export class OrderAdapter {
  private nextId = 1;
  private readonly orders = new Map<number, OrderState>();
  /** Recently finished orders, so late callbacks (a cancel-reject after the fill) still resolve. */
  private readonly finished = new Map<number, OrderState>();
  /** Open orders per strategy, for exposure checks and cancel-all. */
  private readonly open = new Map<string, Set<OrderState>>();
  readonly counters: OrderAdapterCounters = { sent: 0, cancelsSent: 0, cancelsIgnored: 0 };
  /** Called for every order sent (e.g. to record it). */
  onSent: ((o: OrderState) => void) | null = null;

  constructor(private readonly venue: Venue) {}

  /** Sends a new order; returns its client order id. */
  send(intent: OrderIntent): OrderState {
    const orderId = this.nextId++;
    const order: OrderState = {
      orderId,
      venueOrderId: '',
      strategyId: intent.strategyId,
      symbolId: intent.symbolId,
      side: intent.side,
      price: intent.price,
      qty: intent.qty,
      tif: intent.tif,
      cumQty: 0,
      leavesQty: intent.qty,
      status: 'pending_new',
      createdTs: intent.ts,
    };
    this.orders.set(orderId, order);
    this.openSet(intent.strategyId).add(order);
    const cmd: OrderCommand = { orderId, intent, ts: intent.ts };
    this.counters.sent++;
    this.onSent?.(order);
    this.venue.submit(cmd);
    return order;
  }

  /** Requests a cancel; false when the order is unknown or no longer cancellable. */
  cancel(orderId: number): boolean {
    const o = this.orders.get(orderId);
    if (o === undefined || (o.status !== 'working' && o.status !== 'pending_new')) {
      this.counters.cancelsIgnored++;
      return false;
    }
    o.status = 'pending_cancel';
    this.counters.cancelsSent++;
    this.venue.cancel(orderId);
    return true;
  }

  /** A live order, or one finished recently (its status says which). */
  get(orderId: number): OrderState | undefined {
    return this.orders.get(orderId) ?? this.finished.get(orderId);
  }

  /** Called by the router when an order reaches a terminal state. */
  closed(o: OrderState): void {
    this.open.get(o.strategyId)?.delete(o);
    if (!this.orders.delete(o.orderId)) return;
    this.finished.set(o.orderId, o);
    if (this.finished.size > FINISHED_MEMORY) this.finished.delete(this.finished.keys().next().value!);
  }

  openOrders(strategyId: string): ReadonlySet<OrderState> {
    return this.openSet(strategyId);
  }

  /** Quantity still working on one side of a symbol for a strategy. */
  openQty(strategyId: string, symbolId: number, side: 1 | -1): number {
    let q = 0;
    for (const o of this.openSet(strategyId))
      if (o.symbolId === symbolId && o.side === side && isOpen(o)) q += o.leavesQty;
    return q;
  }

  get openCount(): number {
    let n = 0;
    for (const s of this.open.values()) n += s.size;
    return n;
  }

  private openSet(strategyId: string): Set<OrderState> {
    let s = this.open.get(strategyId);
    if (s === undefined) {
      s = new Set();
      this.open.set(strategyId, s);
    }
    return s;
  }
}
