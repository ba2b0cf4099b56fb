import type { Side } from '../contracts/market.ts';
import type { ExecType } from '../contracts/orders.ts';

/** Order lifecycle events stored in hft.orders. */
export type OrderEventKind = 'new' | ExecType;

/** One order lifecycle event (a row of hft.orders). Prices scaled by `priceScale`, ts in ns. */
export interface OrderRecord {
  ts: number;
  orderId: number;
  venueOrderId: string;
  strategyId: string;
  symbol: string;
  event: OrderEventKind;
  side: Side;
  price: number;
  qty: number;
  cumQty: number;
  leavesQty: number;
  reason: string;
  priceScale: number;
}

/** One own fill (a row of hft.trades). Fee and tax in money units (MONEY_SCALE). */
export interface FillRecord {
  ts: number;
  ingestTs: number;
  orderId: number;
  venueOrderId: string;
  strategyId: string;
  symbol: string;
  side: Side;
  price: number;
  qty: number;
  fee: number;
  tax: number;
  taker: boolean;
  priceScale: number;
}

/** Preallocated ring slot for hft.market_data: a depth snapshot (levels > 0 in the arrays) or a trade print. */
export class MarketSlot {
  symbol = '';
  type: 'depth' | 'trade' = 'depth';
  priceScale = 0;
  exchTs = 0;
  ingestTs = 0;
  seq = 0;
  price = 0;
  volume = 0;
  levels = 0;
  readonly bidPx: Float64Array;
  readonly bidQty: Float64Array;
  readonly askPx: Float64Array;
  readonly askQty: Float64Array;

  constructor(maxLevels: number) {
    this.bidPx = new Float64Array(maxLevels);
    this.bidQty = new Float64Array(maxLevels);
    this.askPx = new Float64Array(maxLevels);
    this.askQty = new Float64Array(maxLevels);
  }
}

/** Empty order record, used to preallocate ring slots. */
export function emptyOrder(): OrderRecord {
  return {
    ts: 0,
    orderId: 0,
    venueOrderId: '',
    strategyId: '',
    symbol: '',
    event: 'new',
    side: 1,
    price: 0,
    qty: 0,
    cumQty: 0,
    leavesQty: 0,
    reason: '',
    priceScale: 0,
  };
}

/** Empty fill record, used to preallocate ring slots. */
export function emptyFill(): FillRecord {
  return {
    ts: 0,
    ingestTs: 0,
    orderId: 0,
    venueOrderId: '',
    strategyId: '',
    symbol: '',
    side: 1,
    price: 0,
    qty: 0,
    fee: 0,
    tax: 0,
    taker: false,
    priceScale: 0,
  };
}

/** Field-by-field copy, so the caller may reuse its record object. */
export function copyOrder(dst: OrderRecord, src: OrderRecord): void {
  dst.ts = src.ts;
  dst.orderId = src.orderId;
  dst.venueOrderId = src.venueOrderId;
  dst.strategyId = src.strategyId;
  dst.symbol = src.symbol;
  dst.event = src.event;
  dst.side = src.side;
  dst.price = src.price;
  dst.qty = src.qty;
  dst.cumQty = src.cumQty;
  dst.leavesQty = src.leavesQty;
  dst.reason = src.reason;
  dst.priceScale = src.priceScale;
}

/** Field-by-field copy, so the caller may reuse its record object. */
export function copyFill(dst: FillRecord, src: FillRecord): void {
  dst.ts = src.ts;
  dst.ingestTs = src.ingestTs;
  dst.orderId = src.orderId;
  dst.venueOrderId = src.venueOrderId;
  dst.strategyId = src.strategyId;
  dst.symbol = src.symbol;
  dst.side = src.side;
  dst.price = src.price;
  dst.qty = src.qty;
  dst.fee = src.fee;
  dst.tax = src.tax;
  dst.taker = src.taker;
  dst.priceScale = src.priceScale;
}

export const MARKET_DATA_COLUMNS = [
  'symbol',
  'exch_ts',
  'ingest_ts',
  'type',
  'seq',
  'price',
  'volume',
  'bids_price',
  'bids_vol',
  'asks_price',
  'asks_vol',
  'price_scale',
] as const;

export const ORDER_COLUMNS = [
  'ts',
  'order_id',
  'venue_order_id',
  'strategy_id',
  'symbol',
  'event',
  'side',
  'price',
  'qty',
  'cum_qty',
  'leaves_qty',
  'reason',
  'price_scale',
] as const;

export const TRADE_COLUMNS = [
  'ts',
  'ingest_ts',
  'order_id',
  'venue_order_id',
  'strategy_id',
  'symbol',
  'side',
  'price',
  'qty',
  'fee',
  'tax',
  'taker',
  'price_scale',
] as const;

const TSV_SPECIAL = /[\\\t\n\r\0]/;
const TSV_SPECIAL_ALL = /[\\\t\n\r\0]/g;
const TSV_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
};

/** Escapes a string field for ClickHouse TSV. */
export function escapeTsv(s: string): string {
  return TSV_SPECIAL.test(s) ? s.replace(TSV_SPECIAL_ALL, (c) => TSV_ESCAPES[c]) : s;
}

// Set by the number encoders when a value cannot be stored; the row encoders reset and check it.
let invalid = false;
const INT64_LIMIT = 9.2e18;

/** Int64 field: rounds (timestamps can carry float noise); NaN, Infinity or overflow mark the row invalid. */
function i64(v: number): number {
  if (Number.isFinite(v) && Math.abs(v) < INT64_LIMIT) return Math.round(v);
  invalid = true;
  return 0;
}

/** Unsigned field: as i64, and negative values mark the row invalid. */
function u64(v: number): number {
  if (v < 0) invalid = true;
  return i64(v);
}

function i64Array(a: Float64Array, n: number): string {
  let out = '[';
  for (let i = 0; i < n; i++) out += i === 0 ? i64(a[i]) : `,${i64(a[i])}`;
  return `${out}]`;
}

/** One TSV line for hft.market_data, or null when a value cannot be stored. */
export function marketTsv(r: MarketSlot): string | null {
  invalid = false;
  const depth = r.type === 'depth';
  const n = depth ? r.levels : 0;
  const line =
    `${escapeTsv(r.symbol)}\t${i64(r.exchTs)}\t${i64(r.ingestTs)}\t${r.type}\t${u64(r.seq)}\t` +
    `${i64(r.price)}\t${i64(r.volume)}\t${i64Array(r.bidPx, n)}\t${i64Array(r.bidQty, n)}\t` +
    `${i64Array(r.askPx, n)}\t${i64Array(r.askQty, n)}\t${u64(r.priceScale)}\n`;
  return invalid ? null : line;
}

/** One TSV line for hft.orders, or null when a value cannot be stored. */
export function orderTsv(r: OrderRecord): string | null {
  invalid = false;
  const line =
    `${i64(r.ts)}\t${u64(r.orderId)}\t${escapeTsv(r.venueOrderId)}\t${escapeTsv(r.strategyId)}\t` +
    `${escapeTsv(r.symbol)}\t${escapeTsv(r.event)}\t${i64(r.side)}\t${i64(r.price)}\t${i64(r.qty)}\t` +
    `${i64(r.cumQty)}\t${i64(r.leavesQty)}\t${escapeTsv(r.reason)}\t${u64(r.priceScale)}\n`;
  return invalid ? null : line;
}

/** One TSV line for hft.trades, or null when a value cannot be stored. */
export function fillTsv(r: FillRecord): string | null {
  invalid = false;
  const line =
    `${i64(r.ts)}\t${i64(r.ingestTs)}\t${u64(r.orderId)}\t${escapeTsv(r.venueOrderId)}\t` +
    `${escapeTsv(r.strategyId)}\t${escapeTsv(r.symbol)}\t${i64(r.side)}\t${i64(r.price)}\t${i64(r.qty)}\t` +
    `${i64(r.fee)}\t${i64(r.tax)}\t${r.taker ? 1 : 0}\t${u64(r.priceScale)}\n`;
  return invalid ? null : line;
}
