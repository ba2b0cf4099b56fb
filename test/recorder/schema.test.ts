import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applySchema, MIGRATIONS } from '../../src/recorder/schema.ts';
import { openEmbeddedStore } from '../../src/recorder/store.ts';
import { rows, tempDataDir } from './helpers.ts';

test('schema applies on open, again on the same store and on reopen, recording each version once', async () => {
  const dir = tempDataDir();
  let store = await openEmbeddedStore(dir);
  assert.deepEqual(await applySchema(store), [], 'nothing left to apply after open');
  await store.close();

  store = await openEmbeddedStore(dir);
  try {
    const tables = rows(
      await store.query("SELECT name FROM system.tables WHERE database = 'hft' ORDER BY name", 'JSONEachRow'),
    ).map((r) => r.name);
    assert.deepEqual(tables, ['market_data', 'orders', 'schema_migrations', 'trades']);

    const versions = rows(await store.query('SELECT version FROM hft.schema_migrations', 'JSONEachRow'));
    assert.deepEqual(
      versions.map((r) => r.version),
      MIGRATIONS.map((m) => m.version),
    );

    const cols = rows(
      await store.query(
        "SELECT name, type FROM system.columns WHERE database = 'hft' AND table = 'market_data' AND name IN ('exch_ts', 'bids_price', 'price_scale') ORDER BY name",
        'JSONEachRow',
      ),
    );
    assert.deepEqual(cols, [
      { name: 'bids_price', type: 'Array(Int64)' },
      { name: 'exch_ts', type: 'Int64' },
      { name: 'price_scale', type: 'UInt32' },
    ]);
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
        statements: ['CREATE TABLE IF NOT EXISTS hft.t99 (x Int64) ENGINE = Memory'],
      },
    ];
    assert.deepEqual(await applySchema(store, next), [99]);
    assert.deepEqual(await applySchema(store, next), []);
    const names = rows(
      await store.query('SELECT name FROM hft.schema_migrations WHERE version = 99', 'JSONEachRow'),
    );
    assert.deepEqual(names, [{ name: "test's table" }]);
  } finally {
    await store.close();
  }
});
