import type { Side } from '../contracts/market.ts';
import type { TimeInForce } from '../contracts/orders.ts';

export type OrderStatus = 'pending_new' | 'working' | 'pending_cancel' | 'filled' | 'canceled' | 'rejected';

/** Book-keeping record of one client order, created by the order adapter, advanced by the execution router. */
export interface OrderState {
  orderId: number;
  /** Intent that created it (a replace edits a held order in place, keeping the first intent's id). */
  intentId: number;
  venueOrderId: string;
  strategyId: string;
  symbolId: number;
  side: Side;
  price: number;
  qty: number;
  tif: TimeInForce;
  cumQty: number;
  leavesQty: number;
  status: OrderStatus;
  createdTs: number;
  /** Client id of the order this one replaces (cancel/replace), 0 for a plain new order. */
  replaces: number;
  /** Held by the adapter's rate limiter, not yet at the venue: a later replace edits it in place. */
  queued: boolean;
  /** When it was queued (ns); queued orders expire after the adapter's max queue age. */
  queuedTs: number;
  /** The venue has answered this order at least once (ack, fill, cancel or reject). */
  venueSeen: boolean;
  /** Fill ids already applied, to drop duplicate fill callbacks (null until the first fill with an id). */
  execIds: Set<string> | null;
  /** Position in the adapter's per-symbol open list, -1 once closed. */
  slot: number;
}

export function isOpen(o: OrderState): boolean {
  return o.status === 'pending_new' || o.status === 'working' || o.status === 'pending_cancel';
}

export function isTerminal(o: OrderState): boolean {
  return o.status === 'filled' || o.status === 'canceled' || o.status === 'rejected';
}
