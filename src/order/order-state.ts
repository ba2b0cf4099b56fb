import type { Side } from '../contracts/market.ts';
import type { TimeInForce } from '../contracts/orders.ts';

export type OrderStatus = 'pending_new' | 'working' | 'pending_cancel' | 'filled' | 'canceled' | 'rejected';

/** Book-keeping record of one client order, created by the order adapter, advanced by the execution router. */
export interface OrderState {
  orderId: number;
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
}

export function isOpen(o: OrderState): boolean {
  return o.status === 'pending_new' || o.status === 'working' || o.status === 'pending_cancel';
}
