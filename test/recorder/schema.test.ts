import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applySchema, MIGRATIONS } from '../../src/recorder/schema.ts';
import { openEmbeddedStore } from '../../src/recorder/store.ts';
import { captureLogger, rows, tempDataDir } from './helpers.ts';

test('schema applies on open, again on the same store and on reopen, recording each version once', async () => {
  const dir = tempDataDir();
  const { logger, lines } = captureLogger();
  let store = await openEmbeddedStore(dir, logger);
  assert.deepEqual(
    lines.filter((l) => l.msg === 'schema migration applied').map((l) => l.version),
    [1, 2, 3],
  );
  assert.deepEqual((await applySchema(store)).applied, [], 'nothing left to apply after open');
  assert.deepEqual(store.features.degraded, [], 'the embedded engine is current: nothing degraded');
  await store.close();

  store = await openEmbeddedStore(dir);
  try {
    const tables = rows(
      await store.query(
        "SELECT database, name, engine FROM system.tables WHERE database IN ('hft', 'audit') AND name NOT LIKE '.inner%' ORDER BY database, name",
        'JSONEachRow',
      ),
    ).map((r) => `${r.database}.${r.name} ${r.engine}`);
    assert.deepEqual(tables, [
      'audit.alpha_canary_log MergeTree',
      'audit.alpha_gate_log MergeTree',
      'audit.alpha_promotion_log MergeTree',
      'audit.guardrail_log MergeTree',
      'audit.orders_log MergeTree',
      'audit.risk_log MergeTree',
      'hft.latency_spans MergeTree',
      'hft.latency_stats_1m MaterializedView',
      'hft.market_data MergeTree',
      'hft.ohlcv_1m MaterializedView',
      'hft.orders MergeTree',
      'hft.risk_events MergeTree',
      'hft.runs ReplacingMergeTree',
      'hft.schema_migrations ReplacingMergeTree',
      'hft.trades MergeTree',
      'hft.wal_manifest MergeTree',
    ]);

    const versions = rows(
      await store.query('SELECT version FROM hft.schema_migrations ORDER BY version', 'JSONEachRow'),
    );
    assert.deepEqual(
      versions.map((r) => r.version),
      MIGRATIONS.map((m) => m.version),
    );

    const cols = rows(
      await store.query(
        "SELECT name, type FROM system.columns WHERE database = 'hft' AND table = 'market_data' AND name IN ('exch_ts', 'bids_price', 'price_scale', 'symbol', 'rid') ORDER BY name",
        'JSONEachRow',
      ),
    );
    assert.deepEqual(cols, [
      { name: 'bids_price', type: 'Array(Int64)' },
      { name: 'exch_ts', type: 'Int64' },
      { name: 'price_scale', type: 'UInt32' },
      { name: 'rid', type: 'UInt64' },
      { name: 'symbol', type: 'LowCardinality(String)' },
    ]);
    const ddl = await store.query('SHOW CREATE TABLE hft.latency_spans', 'TSVRaw');
    assert.match(ddl, /CODEC\(DoubleDelta, LZ4\)/);
    assert.match(ddl, /TTL /);
    assert.match(ddl, /non_replicated_deduplication_window = 1000/);
  } finally {
    await store.close();
  }
});

test('the 1-minute views aggregate trades into OHLCV and latency spans into quantiles', async () => {
  const store = await openEmbeddedStore(tempDataDir());
  try {
    const t0 = 1_700_000_040_000_000_000; // 22:14:00 UTC
    await store.exec(
      `INSERT INTO hft.market_data (symbol, exch_ts, type, price, volume, price_scale) VALUES
       ('TXF', ${t0}, 'trade', 100, 1, 1), ('TXF', ${t0 + 1e9}, 'trade', 105, 2, 1),
       ('TXF', ${t0 + 2e9}, 'trade', 98, 3, 1), ('TXF', ${t0 + 3e9}, 'trade', 101, 4, 1),
       ('TXF', ${t0 + 3e9}, 'depth', 999, 9, 1), ('TXF', ${t0 + 61e9}, 'trade', 110, 1, 1)`,
    );
    const ohlcv = rows(
      await store.query(
        `SELECT toString(minute) AS m, argMinMerge(open) AS o, maxMerge(high) AS h, minMerge(low) AS l,
           argMaxMerge(close) AS c, sumMerge(volume) AS v, countMerge(trades) AS n
         FROM hft.ohlcv_1m GROUP BY minute ORDER BY minute SETTINGS output_format_json_quote_64bit_integers = 0`,
        'JSONEachRow',
      ),
    );
    assert.deepEqual(ohlcv, [
      { m: '2023-11-14 22:14:00', o: 100, h: 105, l: 98, c: 101, v: 10, n: 4 },
      { m: '2023-11-14 22:15:00', o: 110, h: 110, l: 110, c: 110, v: 1, n: 1 },
    ]);
    const spans = Array.from(
      { length: 100 },
      (_, i) => `(${t0 + i * 1e6}, 'tick_to_intent', ${(i + 1) * 1000})`,
    );
    await store.exec(`INSERT INTO hft.latency_spans (ts, stage, ns) VALUES ${spans.join(', ')}`);
    const [lat] = rows(
      await store.query(
        `SELECT countMerge(spans) AS n, sumMerge(sum_ns) AS s, minMerge(min_ns) AS lo, maxMerge(max_ns) AS hi
         FROM hft.latency_stats_1m WHERE stage = 'tick_to_intent' SETTINGS output_format_json_quote_64bit_integers = 0`,
        'JSONEachRow',
      ),
    );
    assert.deepEqual(lat, { n: 100, s: 5_050_000, lo: 1000, hi: 100_000 });
  } finally {
    await store.close();
  }
});

test('a new migration version is applied once and recorded', async () => {
  const dir = tempDataDir();
  const store = await openEmbeddedStore(dir);
  try {
    const next = [
      ...MIGRATIONS,
      {
        version: 99,
        name: "test's table",
        statements: () => ['CREATE TABLE IF NOT EXISTS hft.t99 (x Int64) ENGINE = Memory'],
      },
    ];
    assert.deepEqual((await applySchema(store, undefined, next)).applied, [99]);
    assert.deepEqual((await applySchema(store, undefined, next)).applied, []);
    const names = rows(
      await store.query('SELECT name FROM hft.schema_migrations WHERE version = 99', 'JSONEachRow'),
    );
    assert.deepEqual(names, [{ name: "test's table" }]);
  } finally {
    await store.close();
  }
});
