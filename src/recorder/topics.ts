/**
 * What the recorder records: one topic per table, each with its RowBinary column layout. Every row ends
 * with `rid`, the id of the batch (= WAL record) that carried it, and `run`, the id of the run that recorded
 * it (see core/run-id.ts), both appended by the worker: `rid` makes replay idempotent (a loader can ask the
 * table which records already landed); `run` travels inside the row, so a WAL segment loaded later by
 * another process keeps the run that wrote it.
 */

/** RowBinary types on the wire (LowCardinality(String) columns travel as String). */
export type WireType =
  | 'String'
  | 'Int64'
  | 'UInt64'
  | 'UInt32'
  | 'Int32'
  | 'Int8'
  | 'UInt8'
  | 'Float64'
  | 'Array(Int64)'
  | 'Array(String)';

export const TOPIC_NAMES = [
  'market_data',
  'orders',
  'trades',
  'latency_spans',
  'risk_events',
  'alpha_gate_log',
  'alpha_promotion_log',
  'alpha_canary_log',
  'orders_log',
  'risk_log',
  'guardrail_log',
  'runs',
] as const;

export type TopicName = (typeof TOPIC_NAMES)[number];
export type TopicCounts = Record<TopicName, number>;

export interface TopicSpec {
  id: number;
  name: TopicName;
  /** Fully qualified table. */
  table: string;
  /** The columns the trading thread writes, in row order (without the worker's `rid` and `run`). */
  fields: readonly (readonly [string, WireType])[];
  /** Columns in row order, ending with `rid` and `run`. */
  columns: readonly (readonly [string, WireType])[];
  /** Columns of rows recorded before run ids (WAL records without FLAG_RUN_ID): `rid` last, no `run`. */
  legacyColumns: readonly (readonly [string, WireType])[];
  /** Rows of this topic may be dropped under pressure (counted); the others never are. */
  sheddable: boolean;
  /** Share of recorder.ring_mb given to this topic's ring. */
  ringShare: number;
  /** Smallest ring for this topic, bytes (a ring holds rows up to about half its size). */
  minRingBytes: number;
}

type Cols = readonly (readonly [string, WireType])[];
const RID: readonly [string, WireType] = ['rid', 'UInt64'];
const RUN: readonly [string, WireType] = ['run', 'String'];

const COLUMNS: Record<TopicName, Cols> = {
  market_data: [
    ['symbol', 'String'],
    ['exch_ts', 'Int64'],
    ['ingest_ts', 'Int64'],
    ['type', 'String'],
    ['seq', 'UInt64'],
    ['price', 'Int64'],
    ['volume', 'Int64'],
    ['bids_price', 'Array(Int64)'],
    ['bids_vol', 'Array(Int64)'],
    ['asks_price', 'Array(Int64)'],
    ['asks_vol', 'Array(Int64)'],
    ['price_scale', 'UInt32'],
  ],
  orders: [
    ['ts', 'Int64'],
    ['order_id', 'UInt64'],
    ['venue_order_id', 'String'],
    ['strategy_id', 'String'],
    ['symbol', 'String'],
    ['event', 'String'],
    ['side', 'Int8'],
    ['price', 'Int64'],
    ['qty', 'Int64'],
    ['cum_qty', 'Int64'],
    ['leaves_qty', 'Int64'],
    ['reason', 'String'],
    ['price_scale', 'UInt32'],
  ],
  trades: [
    ['ts', 'Int64'],
    ['ingest_ts', 'Int64'],
    ['order_id', 'UInt64'],
    ['venue_order_id', 'String'],
    ['strategy_id', 'String'],
    ['symbol', 'String'],
    ['side', 'Int8'],
    ['price', 'Int64'],
    ['qty', 'Int64'],
    ['fee', 'Int64'],
    ['tax', 'Int64'],
    ['taker', 'UInt8'],
    ['price_scale', 'UInt32'],
  ],
  latency_spans: [
    ['ts', 'Int64'],
    ['stage', 'String'],
    ['ns', 'Int64'],
  ],
  risk_events: [
    ['ts', 'Int64'],
    ['kind', 'String'],
    ['from_state', 'String'],
    ['to_state', 'String'],
    ['reason', 'String'],
  ],
  alpha_gate_log: [
    ['ts', 'Int64'],
    ['alpha_id', 'String'],
    ['run_id', 'String'],
    ['gate', 'String'],
    ['passed', 'UInt8'],
    ['config_hash', 'String'],
    ['details', 'String'],
  ],
  alpha_promotion_log: [
    ['ts', 'Int64'],
    ['alpha_id', 'String'],
    ['run_id', 'String'],
    ['approved', 'UInt8'],
    ['forced', 'UInt8'],
    ['gate_d_passed', 'UInt8'],
    ['gate_e_passed', 'UInt8'],
    ['canary_weight', 'Float64'],
    ['config_hash', 'String'],
    ['reasons', 'String'],
    ['scorecard', 'String'],
  ],
  alpha_canary_log: [
    ['ts', 'Int64'],
    ['alpha_id', 'String'],
    ['action', 'String'],
    ['old_weight', 'Float64'],
    ['new_weight', 'Float64'],
    ['reason', 'String'],
    ['checks', 'String'],
  ],
  orders_log: [
    ['ts', 'Int64'],
    ['strategy_id', 'String'],
    ['intent_id', 'String'],
    ['order_id', 'String'],
    ['symbol', 'String'],
    ['action', 'String'],
    ['price', 'Int64'],
    ['qty', 'Int32'],
    ['side', 'Int8'],
    ['status', 'String'],
    ['broker_msg', 'String'],
    ['latency_us', 'UInt32'],
  ],
  risk_log: [
    ['ts', 'Int64'],
    ['strategy_id', 'String'],
    ['intent_id', 'String'],
    ['check_name', 'String'],
    ['approved', 'UInt8'],
    ['reason', 'String'],
    ['threshold', 'Float64'],
    ['value', 'Float64'],
  ],
  guardrail_log: [
    ['ts', 'Int64'],
    ['strategy_id', 'String'],
    ['old_state', 'String'],
    ['new_state', 'String'],
    ['pnl_drawdown', 'Float64'],
  ],
  // One row when a run starts (revision 0) and one when it ends (revision 1); the run id is the row's `run`.
  runs: [
    ['revision', 'UInt32'],
    ['kind', 'String'],
    ['config_hash', 'String'],
    ['config', 'String'],
    ['code_version', 'String'],
    ['host', 'String'],
    ['pid', 'UInt32'],
    ['start_ts', 'Int64'],
    ['end_ts', 'Int64'],
    ['symbols', 'Array(String)'],
    ['summary', 'String'],
  ],
};

const AUDIT: ReadonlySet<TopicName> = new Set([
  'alpha_gate_log',
  'alpha_promotion_log',
  'alpha_canary_log',
  'orders_log',
  'risk_log',
  'guardrail_log',
]);

const SHARE: Partial<Record<TopicName, number>> = {
  market_data: 0.6,
  orders: 0.1,
  trades: 0.1,
  latency_spans: 0.1,
  risk_events: 0.04,
};

export const TOPICS: readonly TopicSpec[] = TOPIC_NAMES.map((name, id) => ({
  id,
  name,
  table: `${AUDIT.has(name) ? 'audit' : 'hft'}.${name}`,
  fields: COLUMNS[name],
  columns: [...COLUMNS[name], RID, RUN],
  legacyColumns: [...COLUMNS[name], RID],
  sheddable: name === 'market_data' || name === 'latency_spans',
  ringShare: SHARE[name] ?? 0.01,
  // A run row carries the run's settings and summary as JSON.
  minRingBytes: name === 'runs' ? 1024 * 1024 : 64 * 1024,
}));

export const TOPIC_BY_NAME: Record<TopicName, TopicSpec> = Object.fromEntries(
  TOPICS.map((t) => [t.name, t]),
) as Record<TopicName, TopicSpec>;

/** Fresh per-topic counters, all zero. */
export function topicCounts(): TopicCounts {
  return Object.fromEntries(TOPIC_NAMES.map((n) => [n, 0])) as TopicCounts;
}
