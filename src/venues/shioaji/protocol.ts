/**
 * The Shioaji HTTP/SSE protocol as this adapter speaks it: paths, field names, codes and limits in
 * one place. Facts are from `shared/reference/shioaji-http-api.md`; every point that reference marks
 * UNCONFIRMED is a named constant or a list of accepted spellings here, so a correction found on the
 * real server (its /openapi.json) is a one-line change. The fake server in the test tree imports
 * the same table, so the two cannot drift apart silently: where the real server differs, both move.
 */

export const API = '/api/v1';

export const PATH = {
  health: `${API}/health`,
  info: `${API}/info`,
  accounts: `${API}/auth/accounts`,
  subscribeTrade: `${API}/auth/subscribe_trade`,
  contract: (code: string) => `${API}/data/contracts/${encodeURIComponent(code)}`,
  subscribe: `${API}/stream/subscribe`,
  unsubscribe: `${API}/stream/unsubscribe`,
  /** Combined market-data stream (every quote channel). */
  streamData: `${API}/stream/data`,
  streamOrders: `${API}/stream/data/order_event`,
  placeOrder: `${API}/order/place_order`,
  cancelOrder: `${API}/order/cancel_order`,
  updatePrice: `${API}/order/update_price`,
  updateQty: `${API}/order/update_qty`,
  trades: `${API}/order/trades`,
  positions: `${API}/portfolio/position_unit`,
  margin: `${API}/portfolio/margin`,
  accountBalance: `${API}/portfolio/account_balance`,
} as const;

/** SSE event names. */
export const EVENT = {
  tickFop: 'tick_fop',
  bidaskFop: 'bidask_fop',
  tickStk: 'tick_stk',
  bidaskStk: 'bidask_stk',
  orderEvent: 'order_event',
  heartbeat: 'heartbeat',
} as const;

/** Rate limits of one login (reference §8), and the count we allow ourselves in each window. */
export const LIMITS = {
  /** place/cancel/update_price/update_qty/trades (update_status). */
  orders: { count: 250, windowMs: 10_000 },
  /** subscribe/unsubscribe, contracts, snapshots, ticks, kbars. */
  data: { count: 50, windowMs: 5_000 },
  /** positions, margin, account_balance, profit/loss. */
  portfolio: { count: 25, windowMs: 5_000 },
  subscriptions: 200,
  connections: 5,
  /** A breach suspends the account for this long (503 on every call). */
  banMs: 60_000,
} as const;

export type LimitCategory = 'orders' | 'data' | 'portfolio';

/** The text of the upstream 503 during a rate-limit suspension (reference §8). */
export const BAN_TEXT = '操作異常，請1分鐘後再重新登入';

/** Heartbeat interval of every SSE stream (reference §7.2). */
export const HEARTBEAT_MS = 30_000;

/** `operation.op_code` of a successful order operation; anything else is a rejection. */
export const OP_OK = '00';

/** Known exchange rejection codes and what they mean (reference §4.1, §12). */
export const OP_CODES: Readonly<Record<string, string>> = {
  '9938': 'MKT + ROD is not accepted by TAIFEX',
};

/** `order_event` envelope `state` values. */
export const STATE = {
  stockOrder: 'StockOrder',
  stockDeal: 'StockDeal',
  futuresOrder: 'FuturesOrder',
  futuresDeal: 'FuturesDeal',
} as const;

/** `operation.op_type` values. UNCONFIRMED: a deal-driven `Deal` op_type seen in classic samples. */
export const OP_TYPE = {
  new: 'New',
  cancel: 'Cancel',
  updatePrice: 'UpdatePrice',
  updateQty: 'UpdateQty',
} as const;

/** `status.status` of a Trade; `Inactive` (classic SDK) is UNCONFIRMED over HTTP and treated as Failed. */
export const TRADE_STATUS = {
  pendingSubmit: 'PendingSubmit',
  preSubmitted: 'PreSubmitted',
  submitted: 'Submitted',
  partFilled: 'PartFilled',
  filled: 'Filled',
  cancelled: 'Cancelled',
  failed: 'Failed',
  inactive: 'Inactive',
} as const;

/** Trade statuses of an order still working at the exchange. */
export const WORKING_STATUSES: ReadonlySet<string> = new Set([
  TRADE_STATUS.pendingSubmit,
  TRADE_STATUS.preSubmitted,
  TRADE_STATUS.submitted,
  TRADE_STATUS.partFilled,
]);

/**
 * UNCONFIRMED: `update_qty`'s `quantity` is the amount to cancel (reduce by), as the classic SDK's
 * `update_order(qty=)`, not the new total. Flip this if the server says otherwise.
 */
export const UPDATE_QTY_REDUCES_BY = true;

/**
 * Field spellings that differ between server versions (reference §7.3, §7.5, §13): the first
 * present name wins. Stocks use the upstream names (`vol_sum`), FOP v1.7 the new ones.
 */
export const FIELD = {
  totalVolume: ['total_volume', 'vol_sum'],
  priceChange: ['price_chg', 'diff_price'],
} as const;

/**
 * UNCONFIRMED: a Position's `direction` spelling; both the enum name and its value are accepted.
 * Anything else is a malformed row (counted, the poll is not applied).
 */
export const DIRECTION_BUY: ReadonlySet<string> = new Set(['Buy', 'buy', 'B']);
export const DIRECTION_SELL: ReadonlySet<string> = new Set(['Sell', 'sell', 'S']);

/**
 * UNCONFIRMED: the HTTP status of a cancel/update naming an unknown trade_id (the fake answers
 * 400 by default). Both are read as "the server does not know this order".
 */
export const UNKNOWN_TRADE_STATUSES: ReadonlySet<number> = new Set([400, 404]);

/** Taipei is UTC+8 with no daylight saving: SSE `date`/`time` are Taipei wall time. */
export const TAIPEI_OFFSET_MS = 8 * 3_600_000;

// ---- JSON shapes (the subset this adapter reads) ----

export interface ErrorBody {
  code: number;
  message: string;
  details: unknown;
}

export interface InfoBody {
  name: string;
  version: string;
  simulation: boolean;
}

export interface HealthBody {
  status: string;
  token_stale?: boolean;
  ca_expired?: boolean;
}

export interface AccountBody {
  account_type: 'S' | 'F' | 'H';
  person_id: string;
  broker_id: string;
  account_id: string;
  signed: boolean;
  username: string;
}

export interface ContractBody {
  security_type: string;
  exchange: string;
  code: string;
  category?: string;
  delivery_month?: string;
  target_code?: string | null;
}

export interface ContractRef {
  security_type: string;
  exchange: string;
  code: string;
  target_code?: string | null;
}

export interface TradeBody {
  contract: { security_type: string; exchange: string; code: string };
  order: {
    id: string;
    seqno: string;
    ordno: string;
    action: 'Buy' | 'Sell';
    price: number;
    quantity: number;
    price_type: string;
    order_type: string;
    order_lot?: string;
    custom_field?: string;
  };
  status: {
    id: string;
    status: string;
    status_code: string;
    msg: string;
    order_quantity: number;
    deal_quantity: number;
    cancel_quantity: number;
    modified_price: number;
    deals: { seq: string; price: number; quantity: number; ts: number }[];
  };
}

export interface PositionBody {
  id: number;
  code: string;
  direction: string;
  quantity: number;
  price: number;
}

export interface SubscribeBody {
  security_type: string;
  exchange: string;
  code: string;
  target_code: string | null;
  quote_type: 'Tick' | 'BidAsk';
  intraday_odd: boolean;
}
