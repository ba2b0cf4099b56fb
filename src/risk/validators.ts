import type { OrderIntent, RejectReason } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { NS_PER_S } from '../core/clock.ts';
import { tickAt } from '../core/ticks.ts';
import type { Limits } from './limits.ts';

/** An open order as risk sees it. */
export interface WorkingOrder {
  readonly strategyId: string;
  readonly symbolId: number;
  readonly side: 1 | -1;
  readonly price: number;
  readonly qty: number;
  readonly leavesQty: number;
}

/** What risk needs to know about current exposure; provided by the execution and order planes. */
export interface ExposureView {
  position(strategyId: string, symbolId: number): number;
  /** Quantity still working on one side (every open order of the strategy in the symbol). */
  openQty(strategyId: string, symbolId: number, side: 1 | -1): number;
  openCount(strategyId: string, symbolId: number): number;
  /** Most aggressive price of our own open orders on `side`, any strategy; 0 when none. */
  ownBest(symbolId: number, side: 1 | -1): number;
  /** Reference price (the mid, scaled; may be half a tick); NaN when there is none. */
  reference(symbolId: number): number;
  /** A live order by client id (pending or working, not being cancelled); undefined otherwise. */
  order(orderId: number): WorkingOrder | undefined;
}

/**
 * Per strategy and symbol: the limits and the state the stateful validators keep (a ring of
 * the last accepted order times, the last accepted order per side). Preallocated once.
 */
export class RiskSlot {
  /** Times of the last `maxOrdersPerS` accepted orders (ring). */
  readonly sent: Float64Array;
  head = 0;
  /** Last accepted new order per side, index 0 buy / 1 sell. */
  readonly lastPx = new Float64Array(2);
  readonly lastQty = new Float64Array(2);
  readonly lastTs = new Float64Array(2).fill(Number.NEGATIVE_INFINITY);
  readonly lastOrderId = new Float64Array(2);

  constructor(readonly lim: Limits) {
    this.sent = new Float64Array(Math.max(1, lim.maxOrdersPerS)).fill(Number.NEGATIVE_INFINITY);
  }
}

const sideIndex = (side: 1 | -1) => (side === 1 ? 0 : 1);

/** DUPLICATE_INTENT: the same order again while the first is still working, or a replace that changes nothing. */
export function checkDuplicate(it: OrderIntent, slot: RiskSlot, view: ExposureView): RejectReason | null {
  if (it.action === 'replace') {
    const t = view.order(it.targetOrderId);
    return t !== undefined && t.price === it.price && t.qty === it.qty ? 'DUPLICATE_INTENT' : null;
  }
  const w = slot.lim.duplicateWindowNs;
  if (w <= 0) return null;
  const i = sideIndex(it.side);
  if (
    slot.lastPx[i] === it.price &&
    slot.lastQty[i] === it.qty &&
    it.ts - slot.lastTs[i] <= w &&
    view.order(slot.lastOrderId[i]) !== undefined
  )
    return 'DUPLICATE_INTENT';
  return null;
}

/** RATE_LIMIT: more than maxOrdersPerS orders of this strategy in this symbol in the last second. */
export function checkOrderRate(it: OrderIntent, slot: RiskSlot): RejectReason | null {
  if (slot.lim.maxOrdersPerS <= 0) return null;
  // The oldest of the last N sends: if it is within 1 s, one more would make N+1.
  return it.ts - slot.sent[slot.head] < NS_PER_S ? 'RATE_LIMIT' : null;
}

/** MAX_OPEN_ORDERS: too many working orders of this strategy in this symbol (a replace keeps the count). */
export function checkOpenOrders(it: OrderIntent, lim: Limits, view: ExposureView): RejectReason | null {
  if (lim.maxOpenOrders <= 0 || it.action !== 'new') return null;
  return view.openCount(it.strategyId, it.symbolId) >= lim.maxOpenOrders ? 'MAX_OPEN_ORDERS' : null;
}

/** NO_REFERENCE_PRICE / PRICE_BAND: the price must lie within priceBandTicks of the mid. */
export function checkPriceBand(
  it: OrderIntent,
  spec: SymbolSpec,
  lim: Limits,
  view: ExposureView,
): RejectReason | null {
  const ref = view.reference(it.symbolId);
  if (!(ref > 0)) return 'NO_REFERENCE_PRICE';
  return Math.abs(it.price - ref) > lim.priceBandTicks * tickAt(spec, ref) ? 'PRICE_BAND' : null;
}

/**
 * MAX_POSITION, and REDUCE_ONLY when `reduceOnly`: worst case, every working order on this side
 * fills (a replaced order counts until its cancel is confirmed: cancel/replace is not atomic).
 */
export function checkPosition(
  it: OrderIntent,
  lim: Limits,
  view: ExposureView,
  reduceOnly: boolean,
): RejectReason | null {
  const pos = view.position(it.strategyId, it.symbolId);
  const onSide = view.openQty(it.strategyId, it.symbolId, it.side) + it.qty;
  // Reducing: against the position, and even if all of it fills the position does not flip.
  if (reduceOnly && !(pos !== 0 && Math.sign(pos) === -it.side && onSide <= Math.abs(pos)))
    return 'REDUCE_ONLY';
  return Math.abs(pos + it.side * onSide) > lim.maxPosition ? 'MAX_POSITION' : null;
}

/** SELF_TRADE: a buy at or above one of our own asks (a sell at or below our own bid), any strategy. */
export function checkSelfTrade(it: OrderIntent, lim: Limits, view: ExposureView): RejectReason | null {
  if (!lim.selfTradePrevention) return null;
  const opp = view.ownBest(it.symbolId, it.side === 1 ? -1 : 1);
  return opp > 0 && (it.price - opp) * it.side >= 0 ? 'SELF_TRADE' : null;
}

/** Records an accepted order in the slot (order-rate ring, duplicate detection). */
export function recordAccepted(it: OrderIntent, slot: RiskSlot, orderId: number): void {
  slot.sent[slot.head] = it.ts;
  slot.head = (slot.head + 1) % slot.sent.length;
  const i = sideIndex(it.side);
  slot.lastPx[i] = it.price;
  slot.lastQty[i] = it.qty;
  slot.lastTs[i] = it.ts;
  slot.lastOrderId[i] = orderId;
}
