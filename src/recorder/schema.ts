/** One versioned schema step; statements must be idempotent (IF NOT EXISTS) so a half-applied step can rerun. */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

/** Minimal SQL surface the schema needs, so any sink (embedded or server) can be migrated. */
export interface SqlRunner {
  exec(sql: string): Promise<void>;
  query(sql: string, format: string): Promise<string>;
}

/** Created before anything else: the database and the table recording which migrations ran. */
const BOOTSTRAP: readonly string[] = [
  'CREATE DATABASE IF NOT EXISTS hft',
  `CREATE TABLE IF NOT EXISTS hft.schema_migrations (
    version UInt32,
    name String,
    applied_at DateTime64(3) DEFAULT now64(3)
  ) ENGINE = ReplacingMergeTree ORDER BY version`,
];

/**
 * The DDL, in order. Timestamps are Int64 ns; prices Int64 scaled by the row's price_scale.
 * Append new versions; never edit an applied one.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'market_data, orders, trades',
    statements: [
      `CREATE TABLE IF NOT EXISTS hft.market_data (
        symbol LowCardinality(String),
        exch_ts Int64,
        ingest_ts Int64,
        type LowCardinality(String),
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
        strategy_id LowCardinality(String),
        symbol LowCardinality(String),
        event LowCardinality(String),
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
        strategy_id LowCardinality(String),
        symbol LowCardinality(String),
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
];

/** Applies every migration not yet recorded in hft.schema_migrations; returns the versions it applied. */
export async function applySchema(
  db: SqlRunner,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  for (const sql of BOOTSTRAP) await db.exec(sql);
  const done = new Set(
    (await db.query('SELECT DISTINCT version FROM hft.schema_migrations', 'TSV'))
      .split('\n')
      .filter((line) => line !== '')
      .map(Number),
  );
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    for (const sql of m.statements) await db.exec(sql);
    await db.exec(
      `INSERT INTO hft.schema_migrations (version, name) VALUES (${m.version}, '${m.name.replace(/['\\]/g, '\\$&')}')`,
    );
    applied.push(m.version);
  }
  return applied;
}
