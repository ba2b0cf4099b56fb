import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replayWal } from '../../src/cli/recorder.ts';
import { Epoch } from '../../src/core/clock.ts';
import {
  KIND_TRADE,
  marketRowBound,
  marketToRowBinary,
  writeMarketRow,
} from '../../src/recorder/market-layout.ts';
import { Recorder } from '../../src/recorder/recorder.ts';
import type { FillRecord, OrderRecord } from '../../src/recorder/rows.ts';
import { openEmbeddedStore, type Store } from '../../src/recorder/store.ts';
import { captureLogger, tempDataDir } from './helpers.ts';

// An exchange day at full ns resolution: 2023-12-25T22:00:00.123456789Z and on, every digit significant
// (as a float64 of absolute ns these would round to 256 ns).
const EPOCH = Epoch.midnightBefore(1_703_541_600_123_456_789n);
const T = 79_200_123_456_789;
const EMPTY = new Float64Array(0);
const PX = Float64Array.of(475_025, 475_000);
const QTY = Float64Array.of(3, 11);

/** Relative times with odd nanoseconds across a few hours. */
const times = (n: number) => Array.from({ length: n }, (_, i) => T + i * 1_234_567_891 + (i % 7));
const abs = (t: number) => (EPOCH.ns + BigInt(t)).toString();

async function strings(store: Store, sql: string): Promise<string[][]> {
  const text = await store.query(sql, 'TSV');
  return text
    .trimEnd()
    .split('\n')
    .map((l) => l.split('\t'));
}

function orderAt(t: number, i: number): OrderRecord {
  return {
    ts: t,
    orderId: i + 1,
    venueOrderId: '',
    strategyId: 'mm',
    symbol: 'ESH4',
    event: 'new',
    side: 1,
    price: 475_000,
    qty: 1,
    cumQty: 0,
    leavesQty: 1,
    reason: '',
    priceScale: 100,
  };
}

function fillAt(t: number, i: number): FillRecord {
  return {
    ts: t,
    ingestTs: t + 3,
    orderId: i + 1,
    venueOrderId: 'V',
    strategyId: 'mm',
    symbol: 'ESH4',
    side: -1,
    price: 475_000,
    qty: 1,
    fee: 0,
    tax: 0,
    taker: false,
    priceScale: 100,
  };
}

test('the recorder stores run-relative times as exact absolute Int64 ns in every table', async () => {
  const dir = tempDataDir();
  const rec = await Recorder.open({ dataDir: dir, logger: captureLogger().logger, flushIntervalMs: 5 });
  rec.setEpoch(EPOCH);
  const ts = times(50);
  ts.forEach((t, i) => {
    rec.recordDepth('ESH4', 100, t, t + 1, 2 * i, 2, PX, QTY, PX, QTY);
    rec.recordTrade('ESH4', 100, t + 5, t + 9, 2 * i + 1, 475_000, 2);
    rec.recordOrder(orderAt(t, i));
    rec.recordFill(fillAt(t, i));
    rec.recordLatency(t, 'risk', 1234);
    rec.recordRiskEvent(t, 'storm_guard', 'NORMAL', 'WARM', 'test');
  });
  const stats = await rec.close();
  assert.equal(stats.invalid_rows, 0);
  const store = await openEmbeddedStore(dir);
  try {
    const md = await strings(store, 'SELECT exch_ts, ingest_ts FROM hft.market_data ORDER BY seq');
    assert.deepEqual(
      md,
      ts.flatMap((t) => [
        [abs(t), abs(t + 1)],
        [abs(t + 5), abs(t + 9)],
      ]),
    );
    assert.deepEqual(
      await strings(store, 'SELECT ts FROM hft.orders ORDER BY order_id'),
      ts.map((t) => [abs(t)]),
    );
    assert.deepEqual(
      await strings(store, 'SELECT ts, ingest_ts FROM hft.trades ORDER BY order_id'),
      ts.map((t) => [abs(t), abs(t + 3)]),
    );
    assert.deepEqual(
      await strings(store, 'SELECT ts FROM hft.latency_spans ORDER BY ts'),
      ts.map((t) => [abs(t)]),
    );
    assert.deepEqual(
      await strings(store, 'SELECT ts FROM hft.risk_events ORDER BY ts'),
      ts.map((t) => [abs(t)]),
    );
  } finally {
    await store.close();
  }
});

test('rows that went to the WAL keep their absolute times when another loader inserts them later', async () => {
  const dir = tempDataDir();
  const rec = await Recorder.open({
    dataDir: dir,
    logger: captureLogger().logger,
    retryBaseMs: 20,
    retryMaxMs: 50,
    closeTimeoutMs: 200,
  });
  rec.setEpoch(EPOCH);
  // Tables dropped behind the recorder's back: every batch fails and goes to the WAL.
  const side = await openEmbeddedStore(dir);
  const ddl = [];
  for (const t of ['market_data', 'orders']) {
    ddl.push((await side.query(`SHOW CREATE TABLE hft.${t}`, 'TSVRaw')).trim());
    await side.exec(`DROP TABLE hft.${t}`);
  }
  await side.close();
  const ts = times(20);
  ts.forEach((t, i) => {
    rec.recordTrade('ESH4', 100, t, t + 7, i, 475_000, 1);
    rec.recordOrder(orderAt(t, i));
  });
  const stats = await rec.close();
  assert.equal(stats.failed_rows, 0);
  assert.equal(stats.wal_rows.market_data + stats.wal_rows.orders, 40);

  const again = await openEmbeddedStore(dir);
  for (const d of ddl) await again.exec(d);
  await again.close();
  // The loader knows nothing of the run's epoch: the WAL rows carry absolute times.
  const loaded = await replayWal(
    { mode: 'fallback', server: null, dataDir: dir, walDir: `${dir}/wal` },
    0,
    10,
    10,
  );
  assert.equal(loaded.rows.market_data, 20);
  const store = await openEmbeddedStore(dir);
  try {
    assert.deepEqual(
      await strings(store, 'SELECT exch_ts, ingest_ts FROM hft.market_data ORDER BY seq'),
      ts.map((t) => [abs(t), abs(t + 7)]),
    );
    assert.deepEqual(
      await strings(store, 'SELECT ts FROM hft.orders ORDER BY order_id'),
      ts.map((t) => [abs(t)]),
    );
  } finally {
    await store.close();
  }
});

test('the server path (RowBinary from the market layout) carries the same exact Int64 times', () => {
  const mem = new ArrayBuffer(marketRowBound(0) + 8);
  const f64 = new Float64Array(mem);
  const bytes = Buffer.from(mem);
  const len = writeMarketRow(
    f64,
    bytes,
    0,
    'ESH4',
    100,
    KIND_TRADE,
    T,
    T + 1,
    9,
    475_000,
    2,
    0,
    EMPTY,
    EMPTY,
    EMPTY,
    EMPTY,
    EPOCH,
  );
  assert.ok(len > 0);
  const out = marketToRowBinary(bytes.subarray(0, len + 8), 1);
  // RowBinary: symbol (LEB128 length + bytes), then exch_ts and ingest_ts as Int64 LE.
  assert.equal(out[0], 4);
  assert.equal(out.readBigInt64LE(5).toString(), abs(T));
  assert.equal(out.readBigInt64LE(13).toString(), abs(T + 1));
});
