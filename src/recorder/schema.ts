import type { Logger } from '../core/logger.ts';
import { Ddl, detectFeatures, type Features, type SqlRunner } from './features.ts';
import { TOPICS } from './topics.ts';

export type { SqlRunner } from './features.ts';

/** One versioned schema step; statements must be idempotent (IF NOT EXISTS) so a half-applied step can rerun. */
export interface Migration {
  version: number;
  name: string;
  /** The DDL for the engine's feature set (see Ddl: degraded on old servers). */
  statements: (d: Ddl) => readonly string[];
}

/** Created before anything else: the database and the table recording which migrations ran. */
const BOOTSTRAP: readonly string[] = [
  'CREATE DATABASE IF NOT EXISTS hft',
  `CREATE TABLE IF NOT EXISTS hft.schema_migrations (
    version UInt32,
    name String,
    applied_at DateTime DEFAULT now()
  ) ENGINE = ReplacingMergeTree ORDER BY version`,
];

const NS_TO_MINUTE = (col: string) => `toStartOfMinute(toDateTime(intDiv(${col}, 1000000000), 'UTC'))`;

/** The 1-minute views over market data and latency spans; `run` in the key from version 3 on. */
const ohlcv1m = (d: Ddl, run: boolean, populate = '') => `CREATE MATERIALIZED VIEW IF NOT EXISTS hft.ohlcv_1m
      ENGINE = AggregatingMergeTree ORDER BY (symbol, minute${run ? ', run' : ''})${d.dedup()}${populate}
      AS SELECT
        symbol,
        ${NS_TO_MINUTE('exch_ts')} AS minute,${run ? '\n        run,' : ''}
        argMinState(price, exch_ts) AS open,
        maxState(price) AS high,
        minState(price) AS low,
        argMaxState(price, exch_ts) AS close,
        sumState(volume) AS volume,
        countState() AS trades,
        maxState(price_scale) AS price_scale
      FROM hft.market_data WHERE type = 'trade' GROUP BY symbol, minute${run ? ', run' : ''}`;

const latencyStats1m = (
  d: Ddl,
  run: boolean,
  populate = '',
) => `CREATE MATERIALIZED VIEW IF NOT EXISTS hft.latency_stats_1m
      ENGINE = AggregatingMergeTree ORDER BY (stage, minute${run ? ', run' : ''})${d.dedup()}${populate}
      AS SELECT
        stage,
        ${NS_TO_MINUTE('ts')} AS minute,${run ? '\n        run,' : ''}
        countState() AS spans,
        sumState(ns) AS sum_ns,
        minState(ns) AS min_ns,
        maxState(ns) AS max_ns,
        quantilesTDigestState(0.5, 0.9, 0.99, 0.999)(ns) AS quantiles_ns
      FROM hft.latency_spans GROUP BY stage, minute${run ? ', run' : ''}`;

/**
 * The DDL, in order. Timestamps are Int64 ns; prices Int64 scaled by the row's price_scale; `rid` is the
 * id of the recorder batch / WAL record that carried the row. Append new versions; never edit an applied one.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'market_data, orders, trades',
    statements: (d) => [
      `CREATE TABLE IF NOT EXISTS hft.market_data (
        symbol ${d.lc()},
        exch_ts Int64,
        ingest_ts Int64,
        type ${d.lc()},
        seq UInt64,
        price Int64,
        volume Int64,
        bids_price Array(Int64),
        bids_vol Array(Int64),
        asks_price Array(Int64),
        asks_vol Array(Int64),
        price_scale UInt32
      ) ENGINE = MergeTree ORDER BY (symbol, exch_ts)`,
      `CREATE TABLE IF NOT EXISTS hft.orders (
        ts Int64,
        order_id UInt64,
        venue_order_id String,
        strategy_id ${d.lc()},
        symbol ${d.lc()},
        event ${d.lc()},
        side Int8,
        price Int64,
        qty Int64,
        cum_qty Int64,
        leaves_qty Int64,
        reason String,
        price_scale UInt32
      ) ENGINE = MergeTree ORDER BY (strategy_id, symbol, ts)`,
      `CREATE TABLE IF NOT EXISTS hft.trades (
        ts Int64,
        ingest_ts Int64,
        order_id UInt64,
        venue_order_id String,
        strategy_id ${d.lc()},
        symbol ${d.lc()},
        side Int8,
        price Int64,
        qty Int64,
        fee Int64,
        tax Int64,
        taker UInt8,
        price_scale UInt32
      ) ENGINE = MergeTree ORDER BY (strategy_id, symbol, ts)`,
    ],
  },
  {
    version: 2,
    name: 'record ids, latency spans, risk events, 1-minute views, WAL manifest, audit tables',
    statements: (d) => [
      ...['market_data', 'orders', 'trades'].flatMap((t) => [
        d.addColumn(`hft.${t}`, 'rid', 'UInt64'),
        ...(d.f.dedup
          ? [`ALTER TABLE hft.${t} MODIFY SETTING non_replicated_deduplication_window = 1000`]
          : []),
      ]),
      `CREATE TABLE IF NOT EXISTS hft.latency_spans (
        ts Int64${d.codec('DoubleDelta, LZ4')},
        stage ${d.lc()},
        ns Int64,
        rid UInt64,
        recorded_at DateTime DEFAULT now()
      ) ENGINE = MergeTree ORDER BY (stage, ts)${d.ttl('recorded_at + INTERVAL 30 DAY')}${d.dedup()}`,
      `CREATE TABLE IF NOT EXISTS hft.risk_events (
        ts Int64,
        kind ${d.lc()},
        from_state ${d.lc()},
        to_state ${d.lc()},
        reason String,
        rid UInt64
      ) ENGINE = MergeTree ORDER BY ts${d.dedup()}`,
      ohlcv1m(d, false),
      latencyStats1m(d, false),
      `CREATE TABLE IF NOT EXISTS hft.wal_manifest (
        segment String,
        topic ${d.lc()},
        rid UInt64,
        rows UInt32,
        found UInt8,
        loader String,
        loaded_at Int64
      ) ENGINE = MergeTree ORDER BY (segment, rid)`,
      'CREATE DATABASE IF NOT EXISTS audit',
      `CREATE TABLE IF NOT EXISTS audit.alpha_gate_log (
        ts Int64${d.codec('DoubleDelta, LZ4')},
        alpha_id String,
        run_id String,
        gate ${d.lc()},
        passed UInt8,
        config_hash String,
        details String,
        rid UInt64
      ) ENGINE = MergeTree ORDER BY (alpha_id, ts, gate)${d.dedup()}`,
      `CREATE TABLE IF NOT EXISTS audit.alpha_promotion_log (
        ts Int64${d.codec('DoubleDelta, LZ4')},
        alpha_id String,
        run_id String,
        approved UInt8,
        forced UInt8,
        gate_d_passed UInt8,
        gate_e_passed UInt8,
        canary_weight Float64,
        config_hash String,
        reasons String,
        scorecard String,
        rid UInt64
      ) ENGINE = MergeTree ORDER BY (alpha_id, ts)${d.dedup()}`,
      `CREATE TABLE IF NOT EXISTS audit.alpha_canary_log (
        ts Int64${d.codec('DoubleDelta, LZ4')},
        alpha_id String,
        action ${d.lc()},
        old_weight Float64,
        new_weight Float64,
        reason String,
        checks String,
        rid UInt64
      ) ENGINE = MergeTree ORDER BY (alpha_id, ts)${d.dedup()}`,
      `CREATE TABLE IF NOT EXISTS audit.orders_log (
        ts Int64${d.codec('DoubleDelta, LZ4')},
        strategy_id ${d.lc()},
        intent_id String,
        order_id String,
        symbol ${d.lc()},
        action ${d.lc()},
        price Int64,
        qty Int32,
        side Int8,
        status ${d.lc()},
        broker_msg String,
        latency_us UInt32,
        rid UInt64
      ) ENGINE = MergeTree ORDER BY (strategy_id, ts, symbol)${d.dedup()}`,
      `CREATE TABLE IF NOT EXISTS audit.risk_log (
        ts Int64${d.codec('DoubleDelta, LZ4')},
        strategy_id ${d.lc()},
        intent_id String,
        check_name ${d.lc()},
        approved UInt8,
        reason String,
        threshold Float64,
        value Float64,
        rid UInt64
      ) ENGINE = MergeTree ORDER BY (strategy_id, ts)${d.dedup()}`,
      `CREATE TABLE IF NOT EXISTS audit.guardrail_log (
        ts Int64${d.codec('DoubleDelta, LZ4')},
        strategy_id ${d.lc()},
        old_state ${d.lc()},
        new_state ${d.lc()},
        pnl_drawdown Float64,
        rid UInt64
      ) ENGINE = MergeTree ORDER BY (strategy_id, ts)${d.dedup()}`,
    ],
  },
  {
    version: 3,
    name: 'runs: a run id on every recorded row, hft.runs, 1-minute views per run',
    statements: (d) => [
      // Rows recorded before run ids keep an empty run.
      ...TOPICS.filter((t) => t.name !== 'runs').map((t) => d.addColumn(t.table, 'run', d.lc())),
      // One row at the start of a run and one at its end (the higher revision wins; read with argMax).
      `CREATE TABLE IF NOT EXISTS hft.runs (
        run String,
        revision UInt32,
        kind ${d.lc()},
        config_hash String,
        config String,
        code_version String,
        host String,
        pid UInt32,
        start_ts Int64,
        end_ts Int64,
        symbols Array(String),
        summary String,
        rid UInt64
      ) ENGINE = ReplacingMergeTree(revision) ORDER BY run${d.dedup()}`,
      // The views are rebuilt with the run in their key, from the rows already recorded.
      'DROP TABLE IF EXISTS hft.ohlcv_1m',
      ohlcv1m(d, true, ' POPULATE'),
      'DROP TABLE IF EXISTS hft.latency_stats_1m',
      latencyStats1m(d, true, ' POPULATE'),
    ],
  },
];

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export interface SchemaResult {
  /** Versions applied now. */
  applied: number[];
  features: Features;
}

/** The highest migration applied to the store, 0 for an empty one (one query, no DDL). */
export async function schemaVersion(db: SqlRunner): Promise<number> {
  const exists = await db.query(
    "SELECT count() FROM system.tables WHERE database = 'hft' AND name = 'schema_migrations'",
    'TSV',
  );
  if (exists.trim() === '0') return 0;
  return Number((await db.query('SELECT max(version) FROM hft.schema_migrations', 'TSV')).trim());
}

const ADD_COLUMN = /^ALTER TABLE (\w+)\.(\w+) ADD COLUMN IF NOT EXISTS (\w+) (.+)$/;

/**
 * Detects the engine's features, then applies every migration not yet recorded in hft.schema_migrations,
 * degrading the DDL where the engine lacks a feature (each degradation is logged once).
 */
export async function applySchema(
  db: SqlRunner,
  logger?: Logger,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<SchemaResult> {
  for (const sql of BOOTSTRAP) await db.exec(sql);
  const features = await detectFeatures(db, logger);
  const ddl = new Ddl(features);
  const done = new Set(
    (await db.query('SELECT DISTINCT version FROM hft.schema_migrations', 'TSV'))
      .split('\n')
      .filter((line) => line !== '')
      .map(Number),
  );
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    for (const sql of m.statements(ddl)) await execDdl(db, sql, features);
    await db.exec(
      `INSERT INTO hft.schema_migrations (version, name) VALUES (${m.version}, '${m.name.replace(/['\\]/g, '\\$&')}')`,
    );
    applied.push(m.version);
    logger?.info({ version: m.version, name: m.name }, 'schema migration applied');
  }
  return { applied, features };
}

/** Runs one DDL statement; without ADD COLUMN IF NOT EXISTS, the column is looked up first. */
async function execDdl(db: SqlRunner, sql: string, f: Features): Promise<void> {
  const m = f.addColumnIfNotExists ? null : ADD_COLUMN.exec(sql);
  if (m === null) return db.exec(sql);
  const [, database, table, column, type] = m;
  const n = await db.query(
    `SELECT count() FROM system.columns WHERE database = '${database}' AND table = '${table}' AND name = '${column}'`,
    'TSV',
  );
  if (n.trim() === '0') await db.exec(`ALTER TABLE ${database}.${table} ADD COLUMN ${column} ${type}`);
}
