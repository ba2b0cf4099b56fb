import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { replayWal } from '../../src/cli/recorder.ts';
import type { Side } from '../../src/contracts/market.ts';
import { Rng } from '../../src/core/rng.ts';
import { Recorder } from '../../src/recorder/recorder.ts';
import type { FillRecord, OrderEventKind, OrderRecord } from '../../src/recorder/rows.ts';
import { openEmbeddedStore, type Store } from '../../src/recorder/store.ts';
import { captureLogger, rows, tempDataDir } from './helpers.ts';

// Exactly representable ns timestamps (float64 spacing is 256 ns at this epoch).
const T0 = 1_700_000_000_000_000_000;
const NASTY = ['tab\there', 'line\nbreak', 'back\\slash', 'cr\rnul\0end', 'quote\'"', '台指期', ''];
const EVENTS: OrderEventKind[] = ['new', 'ack', 'reject', 'canceled', 'cancel_reject', 'partial', 'fill'];

/** JSONEachRow with 64-bit ints as numbers. */
async function select(store: Store, sql: string): Promise<Record<string, unknown>[]> {
  return rows(
    await store.query(`${sql} SETTINGS output_format_json_quote_64bit_integers = 0`, 'JSONEachRow'),
  );
}

function order(i: number, rng: Rng): OrderRecord {
  return {
    ts: T0 + i * 1024,
    orderId: i + 1,
    venueOrderId: `V${i}${NASTY[i % NASTY.length]}`,
    strategyId: i % 2 ? 'mm\tone' : 'taker',
    symbol: i % 3 ? 'TXFB6' : '2330',
    event: EVENTS[i % EVENTS.length],
    side: (i % 2 ? 1 : -1) as Side,
    price: rng.int(1_000_000, 3_000_000),
    qty: rng.int(1, 50),
    cumQty: rng.int(0, 50),
    leavesQty: rng.int(0, 50),
    reason: NASTY[(i * 7) % NASTY.length],
    priceScale: 100,
  };
}

function fill(i: number, rng: Rng): FillRecord {
  return {
    ts: T0 + i * 2048,
    ingestTs: T0 + i * 2048 + 512,
    orderId: i + 1,
    venueOrderId: `F${NASTY[i % NASTY.length]}`,
    strategyId: 'mm\\two',
    symbol: 'TXFB6',
    side: (i % 2 ? 1 : -1) as Side,
    price: rng.int(1_000_000, 3_000_000),
    qty: rng.int(1, 10),
    fee: rng.int(0, 5_000_000),
    tax: rng.int(0, 5_000_000),
    taker: i % 3 === 0,
    priceScale: 100,
  };
}

test('every recorded row lands in the store with its values intact, carrying its run id', async () => {
  const dir = tempDataDir();
  const rng = new Rng(7);
  const rec = await Recorder.open({
    dataDir: dir,
    logger: captureLogger().logger,
    flushIntervalMs: 5,
    batchRows: 300,
  });
  const depth: Record<string, unknown>[] = [];
  const trades: Record<string, unknown>[] = [];
  const orders: OrderRecord[] = [];
  const fills: FillRecord[] = [];
  const bidPx = new Float64Array(5);
  const bidQty = new Float64Array(5);
  const askPx = new Float64Array(5);
  const askQty = new Float64Array(5);
  const reused = order(0, rng); // one caller-owned object, as the trading loop would do
  const reusedFill = fill(0, rng);

  for (let i = 0; i < 3000; i++) {
    const levels = 1 + (i % 5);
    const seq = 2 * i;
    for (let k = 0; k < 5; k++) {
      bidPx[k] = rng.int(1_000_000, 2_000_000);
      bidQty[k] = rng.int(1, 500);
      askPx[k] = rng.int(2_000_000, 3_000_000);
      askQty[k] = rng.int(1, 500);
    }
    const symbol = i % 2 ? 'TXFB6' : 'we\tird\\sym';
    rec.recordDepth(
      symbol,
      100,
      T0 + i * 4096,
      T0 + i * 4096 + 256,
      seq,
      levels,
      bidPx,
      bidQty,
      askPx,
      askQty,
    );
    depth.push({
      symbol,
      exch_ts: T0 + i * 4096,
      ingest_ts: T0 + i * 4096 + 256,
      type: 'depth',
      seq,
      price: 0,
      volume: 0,
      bids_price: [...bidPx.subarray(0, levels)],
      bids_vol: [...bidQty.subarray(0, levels)],
      asks_price: [...askPx.subarray(0, levels)],
      asks_vol: [...askQty.subarray(0, levels)],
      price_scale: 100,
      run: rec.runId,
    });
    if (i % 3 === 0) {
      const price = rng.int(1_000_000, 3_000_000);
      const qty = rng.int(1, 99);
      rec.recordTrade('2330', 10000, T0 + i * 4096 + 1024, T0 + i * 4096 + 2048, seq + 1, price, qty);
      trades.push({
        symbol: '2330',
        exch_ts: T0 + i * 4096 + 1024,
        ingest_ts: T0 + i * 4096 + 2048,
        type: 'trade',
        seq: seq + 1,
        price,
        volume: qty,
        bids_price: [],
        bids_vol: [],
        asks_price: [],
        asks_vol: [],
        price_scale: 10000,
        run: rec.runId,
      });
    }
    if (i % 2 === 0) {
      Object.assign(reused, order(orders.length, rng));
      orders.push({ ...reused });
      rec.recordOrder(reused);
    }
    if (i % 5 === 0) {
      Object.assign(reusedFill, fill(fills.length, rng));
      fills.push({ ...reusedFill });
      rec.recordFill(reusedFill);
    }
    if (i % 400 === 0) await yieldTurn(); // let timer and early flushes run mid-stream
  }

  const stats = await rec.close();
  const expected = { market_data: depth.length + trades.length, orders: orders.length, trades: fills.length };
  const pick = (c: Record<string, number>) => ({
    market_data: c.market_data,
    orders: c.orders,
    trades: c.trades,
  });
  assert.deepEqual(pick(stats.enqueued), expected);
  assert.deepEqual(pick(stats.written), expected);
  assert.equal(stats.pending, 0);
  assert.equal(stats.failed_batches, 0);
  assert.equal(stats.shed_market_data, 0);
  assert.equal(stats.invalid_rows, 0);
  assert.equal(stats.lastError, null);
  assert.equal(stats.sink.kind, 'chdb');
  assert.ok(stats.batches > 3, `expected several batches, got ${stats.batches}`);

  const store = await openEmbeddedStore(dir);
  try {
    const md = await select(store, 'SELECT * EXCEPT (rid) FROM hft.market_data ORDER BY seq');
    assert.deepEqual(
      md,
      [...depth, ...trades].sort((a, b) => (a.seq as number) - (b.seq as number)),
    );

    const ord = await select(store, 'SELECT * EXCEPT (rid) FROM hft.orders ORDER BY order_id');
    assert.deepEqual(
      ord,
      orders.map((o) => ({
        ts: o.ts,
        order_id: o.orderId,
        venue_order_id: o.venueOrderId,
        strategy_id: o.strategyId,
        symbol: o.symbol,
        event: o.event,
        side: o.side,
        price: o.price,
        qty: o.qty,
        cum_qty: o.cumQty,
        leaves_qty: o.leavesQty,
        reason: o.reason,
        price_scale: o.priceScale,
        run: rec.runId,
      })),
    );

    const tr = await select(store, 'SELECT * EXCEPT (rid) FROM hft.trades ORDER BY order_id');
    assert.deepEqual(
      tr,
      fills.map((f) => ({
        ts: f.ts,
        ingest_ts: f.ingestTs,
        order_id: f.orderId,
        venue_order_id: f.venueOrderId,
        strategy_id: f.strategyId,
        symbol: f.symbol,
        side: f.side,
        price: f.price,
        qty: f.qty,
        fee: f.fee,
        tax: f.tax,
        taker: f.taker ? 1 : 0,
        price_scale: f.priceScale,
        run: rec.runId,
      })),
    );
  } finally {
    await store.close();
  }
});

test('a full market-data ring sheds rows and counts them; orders and fills are never dropped', async () => {
  const dir = tempDataDir();
  const rng = new Rng(11);
  // The smallest rings (64 KiB): a tight loop outruns the worker, which drains every few ms.
  const rec = await Recorder.open({ dataDir: dir, logger: captureLogger().logger, ringMb: 0.05 });
  const px = new Float64Array([100, 99, 98, 97, 96]);
  const N = 200_000;
  for (let i = 0; i < N; i++) rec.recordDepth('TXFB6', 1, T0 + i * 256, T0 + i * 256, i, 5, px, px, px, px);
  const ORDERS = 20_000;
  for (let i = 0; i < ORDERS; i++) rec.recordOrder(order(i, rng));
  for (let i = 0; i < ORDERS; i++) rec.recordFill(fill(i, rng));
  const before = rec.stats();
  assert.ok(before.shed_market_data > 0, 'market data was shed');
  assert.ok(before.spills > 0, 'orders/fills waited in memory instead of being dropped');

  const stats = await rec.close();
  assert.equal(stats.enqueued.market_data, N);
  assert.equal(
    stats.written.market_data + stats.shed_market_data,
    N,
    'every row is either written or counted as shed',
  );
  assert.equal(stats.written.orders, ORDERS);
  assert.equal(stats.written.trades, ORDERS);
  assert.equal(stats.lost_orders_trades, 0);
  assert.equal(stats.failed_rows, 0);

  const store = await openEmbeddedStore(dir);
  try {
    const [md] = await select(store, 'SELECT count() AS n, uniqExact(seq) AS u FROM hft.market_data');
    assert.deepEqual(md, { n: stats.written.market_data, u: stats.written.market_data });
    const [o] = await select(
      store,
      'SELECT count() AS n, uniqExact(order_id) AS u, min(order_id) AS lo, max(order_id) AS hi FROM hft.orders',
    );
    assert.deepEqual(o, { n: ORDERS, u: ORDERS, lo: 1, hi: ORDERS });
    const [f] = await select(store, 'SELECT count() AS n, uniqExact(order_id) AS u FROM hft.trades');
    assert.deepEqual(f, { n: ORDERS, u: ORDERS });
  } finally {
    await store.close();
  }
});

test('a failed insert goes to the WAL (logged, counted, never thrown) and a replay loads it once the table is back', async () => {
  const dir = tempDataDir();
  const rng = new Rng(3);
  const { logger, lines } = captureLogger();
  const rec = await Recorder.open({
    dataDir: dir,
    logger,
    retryBaseMs: 20,
    retryMaxMs: 50,
    closeTimeoutMs: 200,
  });
  rec.recordOrder(order(0, rng));
  await rec.sync();
  assert.equal(rec.stats().written.orders, 1);

  // Drop hft.trades behind the recorder's back (same-process sessions share the directory).
  const side = await openEmbeddedStore(dir);
  const ddl = (await side.query('SHOW CREATE TABLE hft.trades', 'TSVRaw')).trim();
  await side.exec('DROP TABLE hft.trades');
  await side.close();

  const sent: FillRecord[] = [];
  assert.doesNotThrow(() => {
    for (let i = 0; i < 3; i++) {
      sent.push(fill(i, rng));
      rec.recordFill(sent[i]);
    }
    rec.recordOrder(order(1, rng));
    rec.recordOrder({ ...order(2, rng), price: Number.NaN });
  });
  const stats = await rec.close();
  assert.equal(stats.failed_batches, 1);
  assert.equal(stats.diverted_rows, 3);
  assert.equal(stats.failed_rows, 0, 'nothing is lost: the rows are in the WAL');
  assert.equal(stats.wal_rows.trades, 3);
  assert.equal(stats.invalid_rows, 1);
  assert.equal(stats.written.orders, 2);
  assert.equal(stats.written.trades, 0);
  assert.match(stats.lastError ?? '', /trades/);
  const logged = lines.find((l) => l.msg === 'recorder insert failed');
  assert.ok(logged, 'the failure was logged');
  assert.equal(logged.table, 'trades');
  assert.equal(logged.rows, 3);

  const again = await openEmbeddedStore(dir);
  await again.exec(ddl);
  await again.close();
  const target = { mode: 'fallback' as const, server: null, dataDir: dir, walDir: `${dir}/wal` };
  const loaded = await replayWal(target, 0, 10, 10);
  assert.equal(loaded.rows.trades, 3);
  assert.equal((await replayWal(target, 0, 10, 10)).records, 0, 'a second replay finds nothing to load');
  const store = await openEmbeddedStore(dir);
  try {
    const got = await select(store, 'SELECT order_id, qty, fee FROM hft.trades ORDER BY order_id');
    assert.deepEqual(
      got,
      sent.map((f) => ({ order_id: f.orderId, qty: f.qty, fee: f.fee })),
    );
  } finally {
    await store.close();
  }
});
