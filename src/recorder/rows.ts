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

/**
 * A row of hft.runs: written when a run starts (revision 0, endTs 0) and again when it ends (revision 1,
 * with its summary). The run id itself is the row's `run`, appended by the worker like every row's.
 */
export interface RunRecord {
  revision: number;
  /** sim, replay, backtest, live, record, shadow, ... (an open set). */
  kind: string;
  configHash: string;
  /** The canonical settings the hash is of (JSON, secrets removed). */
  config: string;
  codeVersion: string;
  host: string;
  pid: number;
  /** Wall-clock epoch ms (stored exactly as Int64 ns); endMs 0 until the run ends. */
  startMs: number;
  endMs: number;
  symbols: readonly string[];
  /** The run summary as JSON ('' until the run ends). */
  summary: string;
}

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

export function runBound(r: RunRecord): number {
  let n = 4 + 4 + 8 + 8 + 5;
  for (const x of [r.kind, r.configHash, r.config, r.codeVersion, r.host, r.summary]) n += strBound(x);
  for (const x of r.symbols) n += strBound(x);
  return n;
}

export function writeRun(w: RowWriter, r: RunRecord): void {
  w.u32(r.revision);
  w.str(r.kind);
  w.str(r.configHash);
  w.str(r.config);
  w.str(r.codeVersion);
  w.str(r.host);
  w.u32(r.pid);
  nsFromMs(w, r.startMs);
  nsFromMs(w, r.endMs);
  w.strArray(r.symbols);
  w.str(r.summary);
}

/** Int64 ns of an integer epoch-ms time, exact (a float product above 2^53 ns would round). */
function nsFromMs(w: RowWriter, ms: number): void {
  const ns = BigInt.asUintN(64, BigInt(Math.round(ms)) * 1_000_000n);
  w.u64Parts(Number(ns >> 32n), Number(ns & 0xffffffffn));
}

/** Bound for an audit row: strings by length, every other column 8 bytes. */
export function auditBound(table: AuditTable, row: AuditRows[AuditTable]): number {
  const r = row as unknown as Record<string, unknown>;
  let n = 0;
  for (const [col, type] of TOPIC_BY_NAME[table as TopicName].fields) {
    n += type === 'String' ? strBound(String(r[col] ?? '')) : 8;
  }
  return n;
}

/** Writes an audit row by its table's column list; a missing or mistyped value marks the row invalid. */
export function writeAudit(w: RowWriter, table: AuditTable, row: AuditRows[AuditTable]): void {
  const r = row as unknown as Record<string, unknown>;
  for (const [col, type] of TOPIC_BY_NAME[table as TopicName].fields) {
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
