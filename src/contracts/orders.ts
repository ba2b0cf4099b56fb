import type { Nanos } from '../core/clock.ts';
import type { Side } from './market.ts';

/**
 * GTC rests; IOC drops what does not fill at once; POST_ONLY (Binance GTX / LIMIT_MAKER) rests
 * only as a maker: a venue rejects it with POST_ONLY_WOULD_TAKE when it would cross on arrival.
 */
export type TimeInForce = 'GTC' | 'IOC' | 'POST_ONLY';

/** Every time in force, for validating untyped input (a JavaScript strategy, a config). */
export const TIMES_IN_FORCE: readonly TimeInForce[] = ['GTC', 'IOC', 'POST_ONLY'];

/** What a strategy asks for. Risk turns an accepted intent into an OrderCommand. */
export interface OrderIntent {
  /** Unique per run, assigned by the strategy context. */
  intentId: number;
  strategyId: string;
  symbolId: number;
  action: 'new' | 'cancel' | 'replace';
  side: Side;
  /** Limit price, scaled. */
  price: number;
  qty: number;
  tif: TimeInForce;
  /** For cancel/replace: the client order id to act on. */
  targetOrderId: number;
  ts: Nanos;
}

/** An intent with every field at its zero value: the starting state of a reused scratch intent. */
export function blankIntent(): OrderIntent {
  return {
    intentId: 0,
    strategyId: '',
    symbolId: 0,
    action: 'new',
    side: 1,
    price: 0,
    qty: 0,
    tif: 'GTC',
    targetOrderId: 0,
    ts: 0,
  };
}

/** An intent that passed risk, addressed to a venue with a client order id. */
export interface OrderCommand {
  orderId: number;
  intent: OrderIntent;
  ts: Nanos;
}

/** A command with every field at its zero value (a reused command's starting state). */
export function blankCommand(): OrderCommand {
  return { orderId: 0, intent: blankIntent(), ts: 0 };
}

/** Reason codes carried by every rejection, from risk or from the venue. */
export type RejectReason =
  | 'MAX_ORDER_QTY'
  | 'MAX_POSITION'
  | 'MAX_NOTIONAL'
  | 'PRICE_BAND'
  | 'PRICE_INVALID'
  | 'QTY_INVALID'
  | 'TICK_SIZE'
  | 'LOT_SIZE'
  | 'NO_REFERENCE_PRICE'
  | 'MAX_OPEN_ORDERS'
  | 'RATE_LIMIT'
  | 'SELF_TRADE'
  | 'DUPLICATE_INTENT'
  | 'HALTED'
  | 'UNKNOWN_SYMBOL'
  | 'UNKNOWN_ORDER'
  | 'VENUE_REJECT'
  | 'TOO_LATE_TO_CANCEL'
  /** StormGuard STORM: only orders that reduce the position pass. */
  | 'REDUCE_ONLY'
  /** The order adapter's circuit breaker is open after repeated venue errors. */
  | 'CIRCUIT_OPEN'
  /** The order adapter's token buckets (the broker's order-rate limits) are empty. */
  | 'BROKER_RATE_LIMIT'
  /** A post-only order would have crossed on arrival (Binance -5022 / -2010): rejected, never a taker. */
  | 'POST_ONLY_WOULD_TAKE'
  /** The time in force is unknown, or the venue has no such order type (e.g. no post-only). */
  | 'TIF_UNSUPPORTED'
  /** No order outside the venue's trading session (session calendar). */
  | 'OUTSIDE_SESSION'
  /** The order/risk gateway's own reasons (see src/gateway/envelope.ts, GatewayReason). */
  | 'DEDUP_IN_FLIGHT'
  | 'TTL_EXPIRED'
  | 'STARTUP_HOLDOFF'
  | 'HALT'
  | 'DEGRADE'
  | 'GLOBAL_EXPOSURE_LIMIT'
  | 'STRATEGY_EXPOSURE_LIMIT'
  | 'EXPOSURE_SYMBOL_LIMIT'
  | 'NOT_LEADER'
  | 'ORDER_QUEUE_FULL';

export type ExecType = 'ack' | 'reject' | 'partial' | 'fill' | 'canceled' | 'cancel_reject';

/** Venue callback normalized: every order state change is one of these. */
export interface ExecReport {
  type: ExecType;
  orderId: number;
  venueOrderId: string;
  strategyId: string;
  symbolId: number;
  side: Side;
  /** Order limit price, scaled. */
  price: number;
  /** Order quantity. */
  qty: number;
  /** For fills: this fill's price and quantity. */
  lastPx: number;
  lastQty: number;
  cumQty: number;
  leavesQty: number;
  /** True when this fill took liquidity. */
  taker: boolean;
  /** Fee and tax of this fill, money units (MONEY_SCALE). */
  fee: number;
  tax: number;
  reason: RejectReason | '';
  exchTs: Nanos;
  localTs: Nanos;
}

/** Position of one strategy in one symbol after a fill or a mark. Money in MONEY_SCALE units. */
export interface PositionUpdate {
  strategyId: string;
  symbolId: number;
  qty: number;
  /** Average entry price of the open quantity, scaled (0 when flat). */
  avgPrice: number;
  realizedPnl: number;
  unrealizedPnl: number;
  fees: number;
  ts: Nanos;
}
