import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { Side } from '../../src/contracts/market.ts';
import { Rng } from '../../src/core/rng.ts';
import { Recorder } from '../../src/recorder/recorder.ts';
import type { FillRecord, OrderEventKind, OrderRecord } from '../../src/recorder/rows.ts';
import { openEmbeddedStore, type Store } from '../../src/recorder/store.ts';
import { captureLogger, rows, tempDataDir, until } from './helpers.ts';

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

test('every recorded row lands in the store with its values intact', async () => {
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
  assert.deepEqual(stats.enqueued, expected);
  assert.deepEqual(stats.written, expected);
  assert.equal(stats.pending, 0);
  assert.equal(stats.failed_batches, 0);
  assert.equal(stats.shed_market_data, 0);
  assert.equal(stats.invalid_rows, 0);
  assert.equal(stats.lastError, null);
  assert.ok(stats.batches > 3, `expected several batches, got ${stats.batches}`);

  const store = await openEmbeddedStore(dir);
  try {
    const md = await select(store, 'SELECT * FROM hft.market_data ORDER BY seq');
    assert.deepEqual(
      md,
      [...depth, ...trades].sort((a, b) => (a.seq as number) - (b.seq as number)),
    );

    const ord = await select(store, 'SELECT * FROM hft.orders ORDER BY order_id');
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
      })),
    );

    const tr = await select(store, 'SELECT * FROM hft.trades ORDER BY order_id');
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
      })),
    );
  } finally {
    await store.close();
  }
});

test('a full market-data ring sheds its oldest rows and counts them; orders and fills are all kept', async () => {
  const dir = tempDataDir();
  const rng = new Rng(11);
  // No timer or size-triggered flush: everything stays in the rings until close().
  const rec = await Recorder.open({
    dataDir: dir,
    logger: captureLogger().logger,
    ringCapacity: 16,
    flushIntervalMs: 3_600_000,
    batchRows: 1_000_000,
  });
  const px = new Float64Array([100, 99]);
  for (let i = 0; i < 100; i++) rec.recordDepth('TXFB6', 1, T0 + i * 256, T0 + i * 256, i, 2, px, px, px, px);
  for (let i = 100; i < 150; i++) rec.recordTrade('TXFB6', 1, T0 + i * 256, T0 + i * 256, i, 100, 1);
  for (let i = 0; i < 100; i++) rec.recordOrder(order(i, rng));
  for (let i = 0; i < 100; i++) rec.recordFill(fill(i, rng));
  const before = rec.stats();
  assert.equal(before.shed_market_data, 150 - 16);
  assert.ok(before.spills > 0, 'full orders/fills rings were spilled');

  const stats = await rec.close();
  assert.deepEqual(stats.enqueued, { market_data: 150, orders: 100, trades: 100 });
  assert.deepEqual(stats.written, { market_data: 16, orders: 100, trades: 100 });
  assert.equal(stats.shed_market_data, 134);
  assert.equal(stats.lost_orders_trades, 0);
  assert.equal(stats.failed_batches, 0);

  const store = await openEmbeddedStore(dir);
  try {
    const seqs = (await select(store, 'SELECT seq FROM hft.market_data ORDER BY seq')).map((r) => r.seq);
    assert.deepEqual(
      seqs,
      Array.from({ length: 16 }, (_, k) => 134 + k),
      'the newest 16 rows are the ones kept',
    );
    const ids = (await select(store, 'SELECT order_id FROM hft.orders ORDER BY order_id')).map(
      (r) => r.order_id,
    );
    assert.deepEqual(
      ids,
      Array.from({ length: 100 }, (_, k) => k + 1),
    );
    const fillCount = await select(store, 'SELECT count() AS n, uniqExact(order_id) AS u FROM hft.trades');
    assert.deepEqual(fillCount, [{ n: 100, u: 100 }]);
  } finally {
    await store.close();
  }
});

test('a failed insert is logged and counted, never thrown; unstorable rows are refused and counted', async () => {
  const dir = tempDataDir();
  const rng = new Rng(3);
  const { logger, lines } = captureLogger();
  const rec = await Recorder.open({ dataDir: dir, logger, flushIntervalMs: 3_600_000 });
  rec.recordOrder(order(0, rng));
  rec.flush();
  await until(() => rec.stats().pending === 0);
  assert.equal(rec.stats().written.orders, 1);

  // Drop hft.trades behind the recorder's back (same-process sessions share the directory).
  const side = await openEmbeddedStore(dir);
  await side.exec('DROP TABLE hft.trades');
  await side.close();

  assert.doesNotThrow(() => {
    for (let i = 0; i < 3; i++) rec.recordFill(fill(i, rng));
    rec.recordOrder(order(1, rng));
    rec.recordOrder({ ...order(2, rng), price: Number.NaN });
    rec.flush();
  });
  const stats = await rec.close();
  assert.equal(stats.failed_batches, 1);
  assert.equal(stats.failed_rows, 3);
  assert.equal(stats.invalid_rows, 1);
  assert.deepEqual(stats.written, { market_data: 0, orders: 2, trades: 0 });
  assert.match(stats.lastError ?? '', /trades/);
  const logged = lines.find((l) => l.msg === 'recorder insert failed');
  assert.ok(logged, 'the failure was logged');
  assert.equal(logged.table, 'trades');
  assert.equal(logged.rows, 3);
});
