import type { Side } from '../contracts/market.ts';
import type { ExecType } from '../contracts/orders.ts';
import { type RowWriter, strBound } from './row-writer.ts';
import { TOPIC_BY_NAME, type TopicName } from './topics.ts';

/** Order lifecycle events stored in hft.orders. */
export type OrderEventKind = 'new' | ExecType;

/** One order lifecycle event (a row of hft.orders). Prices scaled by `priceScale`; ts on the run's clock (stored as ns since 1970). */
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

/** Audit rows (reference: the original audit.sql), keyed by column name; ts in ns, JSON blobs as strings. */
export interface AuditRows {
  alpha_gate_log: {
    ts: number;
    alpha_id: string;
    run_id: string;
    gate: string;
    passed: boolean;
    config_hash: string;
    details: string;
  };
  alpha_promotion_log: {
    ts: number;
    alpha_id: string;
    run_id: string;
    approved: boolean;
    forced: boolean;
    gate_d_passed: boolean;
    gate_e_passed: boolean;
    canary_weight: number;
    config_hash: string;
    reasons: string;
    scorecard: string;
  };
  alpha_canary_log: {
    ts: number;
    alpha_id: string;
    action: string;
    old_weight: number;
    new_weight: number;
    reason: string;
    checks: string;
  };
  orders_log: {
    ts: number;
    strategy_id: string;
    intent_id: string;
    order_id: string;
    symbol: string;
    action: 'NEW' | 'AMEND' | 'CANCEL';
    price: number;
    qty: number;
    side: Side;
    status: string;
    broker_msg: string;
    latency_us: number;
  };
  risk_log: {
    ts: number;
    strategy_id: string;
    intent_id: string;
    check_name: string;
    approved: boolean;
    reason: string;
    threshold: number;
    value: number;
  };
  guardrail_log: {
    ts: number;
    strategy_id: string;
    old_state: string;
    new_state: string;
    pnl_drawdown: number;
  };
}

export type AuditTable = keyof AuditRows;

// Each writer below has a matching bound: the most bytes it can write (the ring reserves that much).

export function orderBound(r: OrderRecord): number {
  return (
    10 * 8 + strBound(r.venueOrderId) + strBound(r.strategyId) + strBound(r.symbol) + 20 + strBound(r.reason)
  );
}

export function writeOrder(w: RowWriter, r: OrderRecord): void {
  w.ts(r.ts);
  w.u64(r.orderId);
  w.str(r.venueOrderId);
  w.str(r.strategyId);
  w.str(r.symbol);
  w.str(r.event);
  w.i8(r.side);
  w.i64(r.price);
  w.i64(r.qty);
  w.i64(r.cumQty);
  w.i64(r.leavesQty);
  w.str(r.reason);
  w.u32(r.priceScale);
}

export function fillBound(r: FillRecord): number {
  return 10 * 8 + strBound(r.venueOrderId) + strBound(r.strategyId) + strBound(r.symbol);
}

export function writeFill(w: RowWriter, r: FillRecord): void {
  w.ts(r.ts);
  w.ts(r.ingestTs);
  w.u64(r.orderId);
  w.str(r.venueOrderId);
  w.str(r.strategyId);
  w.str(r.symbol);
  w.i8(r.side);
  w.i64(r.price);
  w.i64(r.qty);
  w.i64(r.fee);
  w.i64(r.tax);
  w.u8(r.taker ? 1 : 0);
  w.u32(r.priceScale);
}

export function spanBound(stage: string): number {
  return 16 + strBound(stage);
}

export function writeSpan(w: RowWriter, ts: number, stage: string, ns: number): void {
  w.ts(ts);
  w.str(stage);
  w.i64(ns);
}

export function riskBound(kind: string, from: string, to: string, reason: string): number {
  return 8 + strBound(kind) + strBound(from) + strBound(to) + strBound(reason);
}

export function writeRisk(
  w: RowWriter,
  ts: number,
  kind: string,
  from: string,
  to: string,
  reason: string,
): void {
  w.ts(ts);
  w.str(kind);
  w.str(from);
  w.str(to);
  w.str(reason);
}

/** Bound for an audit row: strings by length, every other column 8 bytes. */
export function auditBound(table: AuditTable, row: AuditRows[AuditTable]): number {
  const r = row as unknown as Record<string, unknown>;
  let n = 0;
  for (const [col, type] of TOPIC_BY_NAME[table as TopicName].columns) {
    n += type === 'String' ? strBound(String(r[col] ?? '')) : 8;
  }
  return n;
}

/** Writes an audit row by its table's column list; a missing or mistyped value marks the row invalid. */
export function writeAudit(w: RowWriter, table: AuditTable, row: AuditRows[AuditTable]): void {
  const r = row as unknown as Record<string, unknown>;
  for (const [col, type] of TOPIC_BY_NAME[table as TopicName].columns) {
    if (col === 'rid') continue;
    const v = r[col];
    if (type === 'String') {
      if (typeof v === 'string') w.str(v);
      else {
        w.invalid = true;
        w.str('');
      }
      continue;
    }
    const x = typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'number' ? v : Number.NaN;
    if (type === 'Float64') {
      if (typeof v !== 'number') w.invalid = true;
      w.f64(x);
    } else if (type === 'Int64') w.i64(x);
    else if (type === 'UInt8') w.u8(x);
    else if (type === 'Int8') w.i8(x);
    else if (type === 'Int32') w.i32(x);
    else if (type === 'UInt32') w.u32(x);
    else w.u64(x);
  }
}
