import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { OrderCommand, TimeInForce } from '../../../src/contracts/orders.ts';
import { DenseBookSide } from '../../../src/lob/dense-book-side.ts';
import { parseBinance } from '../../../src/venues/replay/read-binance.ts';
import { DATA, harness, until } from './harness.ts';

let nextId = 1;
function order(side: 1 | -1, price: number, qty: number, tif: TimeInForce = 'GTC'): OrderCommand {
  const orderId = nextId++;
  return {
    orderId,
    ts: 0,
    intent: {
      intentId: orderId,
      strategyId: 's',
      symbolId: 0,
      action: 'new',
      side,
      price,
      qty,
      tif,
      targetOrderId: 0,
      ts: 0,
    },
  };
}

test('market data: the book synced from the REST snapshot equals bookTicker at every check point', async () => {
  const h = await harness({ maxLines: 30_000, framesPerTurn: 50 });
  try {
    await h.venue.open();
    await until(() => h.fake.done, 120_000, 'the recording streamed');
    await until(() => h.venue.counters.frames >= h.fake.counts.sentFrames, 30_000, 'frames received');
    const c = h.venue.counters;
    assert.equal(c.gaps, 0);
    assert.equal(c.tickersMismatched, 0);
    // No stream offered permessage-deflate (frames would go through zlib before their handler).
    assert.ok(
      h.fake.upgradeExtensions.some((e) => e.endsWith('/stream ')),
      h.fake.upgradeExtensions.join(),
    );
    for (const e of h.fake.upgradeExtensions) assert.ok(!e.includes('permessage-deflate'), e);
    // The replay reader over the same lines: the check points it finds (a ticker whose update id
    // ends a diff); ours start after our REST snapshot, a little later than the recorded one.
    const text = gunzipSync(readFileSync(DATA)).toString('utf8').split('\n').slice(0, 30_000).join('\n');
    const replay = parseBinance([{ path: 'binance-usdm-btcusdt-20240808.gz', text }]);
    assert.equal(replay.stats.gaps, 0);
    const matched = replay.stats.tickersMatched;
    assert.ok(
      c.tickersChecked >= matched * 0.8 && c.tickersChecked <= matched,
      `checked ${c.tickersChecked} of ${matched}`,
    );
    const st = h.lob.stats(0);
    const [bb] = [Math.max(...h.fake.bids.keys())];
    const [ba] = [Math.min(...h.fake.asks.keys())];
    // The fake's book is at the recording's scale (0.01); ours at the symbol's (0.1).
    assert.equal(st.bestBid * 10, bb);
    assert.equal(st.bestAsk * 10, ba);
    // The book is price-indexed, every price on the symbol's tick.
    assert.ok(h.lob.book(0).bids instanceof DenseBookSide);
    assert.ok((h.lob.book(0).bids as DenseBookSide).windowed > 100);
    assert.equal(h.lob.offGridPrices(), 0);
  } finally {
    await h.close();
  }
});

test('faults: a skipped update, a dropped connection and a stalled stream each resync from a fresh snapshot, never trading on the gap', async () => {
  const h = await harness({ maxLines: 40_000, framesPerTurn: 20 });
  try {
    await h.venue.open();
    const base = h.venue.counters.snapshots;
    await until(() => h.fake.progress > 5000, 60_000, 'stream under way');
    h.fake.skipDepth = 1;
    await until(
      () => h.venue.counters.gaps === 1 && h.states.at(-1)?.[0] === true,
      60_000,
      'resync after a gap',
    );
    h.fake.dropMarket();
    await until(
      () => h.venue.counters.reconnects >= 1 && h.states.at(-1)?.[0] === true,
      60_000,
      'resync after a drop',
    );
    h.fake.stall(2500);
    await until(() => h.venue.counters.staleStreams >= 1, 60_000, 'stall detected');
    await until(() => h.states.at(-1)?.[0] === true, 60_000, 'resync after a stall');
    assert.ok(h.venue.counters.snapshots >= base + 3, `snapshots ${h.venue.counters.snapshots}`);
    assert.deepEqual(
      h.states.map((s) => s[0]),
      [false, true, false, true, false, true],
      h.states.map((s) => s[1]).join(' | '),
    );
    assert.match(h.states[0][1], /depth gap/);
    assert.match(h.states[4][1], /silent/);
    assert.equal(h.levelsOnGap(), 0, 'no level applied between the outage and the fresh snapshot');
    const checked = h.venue.counters.tickersChecked;
    await until(() => h.venue.counters.tickersChecked > checked + 200, 60_000, 'checks after recovery');
    assert.equal(h.venue.counters.tickersMismatched, 0);
  } finally {
    await h.close();
  }
});

test('orders: post-only crossing rejected (-5022), GTC acked and cancelled, IOC filled, duplicate fill ids, venue rejects mapped', async () => {
  const h = await harness({ maxLines: 20_000, framesPerTurn: 5 });
  try {
    await h.venue.open();
    await until(() => h.fake.progress > 2000, 60_000, 'stream under way');
    const st = h.lob.stats(0);
    const bid = st.bestBid;
    const ask = st.bestAsk;
    // 1% through (or off) the touch: the fake's stream moves on while the orders travel, and a
    // price at the touch read here may no longer cross (or rest) when they arrive.
    const margin = Math.round(ask / 100);
    const gtx = order(1, ask + margin, 1, 'POST_ONLY');
    const passive = order(1, bid - margin, 2, 'GTC');
    const ioc = order(1, ask + margin, 1, 'IOC');
    for (const o of [gtx, passive, ioc]) h.venue.submit(o);
    const of = (id: number) => h.execs.filter((e) => e.orderId === id).map((e) => `${e.type}:${e.reason}`);
    await until(
      () => of(gtx.orderId).length > 0 && of(passive.orderId).length > 0 && of(ioc.orderId).includes('fill:'),
      30_000,
      'answers',
    );
    assert.deepEqual(of(gtx.orderId), ['reject:POST_ONLY_WOULD_TAKE']);
    assert.deepEqual(of(passive.orderId), ['ack:']);
    assert.ok(of(ioc.orderId).includes('ack:'));
    assert.ok(of(ioc.orderId).includes('fill:'));
    const fill = h.execs.find((e) => e.orderId === ioc.orderId && e.type === 'fill')!;
    assert.equal(fill.taker, true);
    assert.ok(fill.lastQty === 1 && fill.execId !== undefined);
    assert.ok(h.venue.openOrderIds().has(passive.orderId));
    h.venue.cancel(passive.orderId);
    await until(() => of(passive.orderId).includes('canceled:'), 30_000, 'cancel');
    assert.equal(h.venue.openOrderIds().has(passive.orderId), false);
    assert.equal(h.fake.orders.size, 0);
    await until(() => h.venue.positions().get(0) === 1, 30_000, 'position from ACCOUNT_UPDATE');

    // Duplicate fill callback: the same execId twice (the router counts it once, see router tests).
    h.fake.duplicateNextFill = true;
    const ioc2 = order(-1, h.lob.stats(0).bestBid - margin, 1, 'IOC');
    h.venue.submit(ioc2);
    await until(
      () => h.execs.filter((e) => e.orderId === ioc2.orderId && e.type === 'fill').length === 2,
      30_000,
      'dup',
    );
    const ids = h.execs.filter((e) => e.orderId === ioc2.orderId && e.type === 'fill').map((e) => e.execId);
    assert.equal(ids[0], ids[1]);

    for (const [status, code, msg, reason] of [
      [400, -2019, 'Margin is insufficient.', 'MAX_NOTIONAL'],
      [400, -1121, 'Invalid symbol.', 'UNKNOWN_SYMBOL'],
      [400, -4164, "Order's notional must be no smaller than 100", 'QTY_INVALID'],
      [429, -1015, 'Too many new orders', 'BROKER_RATE_LIMIT'],
    ] as const) {
      h.fake.rejectNext = { status, code, msg };
      const o = order(1, bid - 2000, 1);
      h.venue.submit(o);
      await until(() => of(o.orderId).length > 0, 30_000, `reject ${code}`);
      assert.deepEqual(of(o.orderId), [`reject:${reason}`], `code ${code}`);
    }
    const unknown = 999_999;
    h.venue.cancel(unknown);
    await until(() => of(unknown).length > 0, 30_000, 'cancel of an unknown order');
    assert.deepEqual(of(unknown), ['cancel_reject:UNKNOWN_ORDER']);
    assert.equal(h.fake.counts.badSignatures, 0, 'every signed request verified by the fake');
  } finally {
    await h.close();
  }
});

test('orders made while a market frame is handled go out once its handler returns (no microtask inside a frame)', async () => {
  const h = await harness({ maxLines: 20_000, framesPerTurn: 5 });
  try {
    await h.venue.open();
    await until(() => h.fake.progress > 2000, 60_000, 'stream under way');
    const of = (id: number) => h.execs.filter((e) => e.orderId === id).map((e) => `${e.type}:${e.reason}`);
    // As a strategy does: the order in one frame's handler, its cancel in a later frame's once acked.
    let step = 0;
    let madeInFrame = 0;
    let passive: OrderCommand | null = null;
    const onFrame = h.venue.onFrame.bind(h.venue);
    h.venue.onFrame = (raw: Buffer | string) => {
      onFrame(raw);
      if (step === 0) {
        passive = order(1, h.lob.stats(0).bestBid - 1000, 1, 'GTC');
        h.venue.submit(passive);
        madeInFrame++;
        step = 1;
      } else if (step === 1 && passive !== null && of(passive.orderId).includes('ack:')) {
        h.venue.cancel(passive.orderId);
        madeInFrame++;
        step = 2;
      }
    };
    await until(
      () => passive !== null && of(passive.orderId).includes('canceled:'),
      30_000,
      'placed and cancelled',
    );
    assert.equal(madeInFrame, 2);
    assert.deepEqual(of(passive!.orderId), ['ack:', 'canceled:']);
    assert.equal(h.fake.orders.size, 0);
    assert.equal(h.fake.counts.badSignatures, 0);
  } finally {
    await h.close();
  }
});

test('rate limit: orders throttled on our side under the venue limit, never answered 429', async () => {
  const h = await harness({ maxLines: 5000, framesPerTurn: 5, ordersPer10s: 10 });
  try {
    await h.venue.open();
    const bid = h.lob.stats(0).bestBid;
    const sent = Array.from({ length: 25 }, () => order(1, bid - 5000, 1));
    for (const o of sent) h.venue.submit(o);
    await until(() => sent.every((o) => h.execs.some((e) => e.orderId === o.orderId)), 30_000, 'answers');
    const acks = h.execs.filter((e) => e.type === 'ack').length;
    const throttled = h.execs.filter((e) => e.reason === 'BROKER_RATE_LIMIT').length;
    assert.ok(acks <= 9, `acks ${acks} (cap 90 % of 10)`);
    assert.equal(acks + throttled, 25);
    assert.equal(h.fake.counts.rejected429, 0);
    assert.ok(h.fake.counts.maxOrdersIn10s <= 10);
  } finally {
    await h.close();
  }
});

test("restart with working orders: an earlier session's order is reported for cancel or adoption, our positions loaded", async () => {
  const h = await harness({ maxLines: 3000, framesPerTurn: 5 });
  try {
    const vid = h.fake.addWorking('old-session-7', -1, 70_000_00, 3);
    h.fake.position = 5;
    const acct = await h.venue.open();
    assert.deepEqual(
      acct.positions.map((p) => [p.symbolId, p.qty]),
      [[0, 5]],
    );
    assert.deepEqual(
      acct.foreignOrders.map((o) => [o.venueOrderId, o.clientOrderId, o.side, o.price, o.qty, o.leavesQty]),
      [[String(vid), 'old-session-7', -1, 700_000, 3, 3]],
    );
    h.venue.adopt(acct.foreignOrders[0], 77);
    assert.ok(h.venue.openOrderIds().has(77));
    h.venue.cancel(77);
    await until(
      () => h.execs.some((e) => e.orderId === 77 && e.type === 'canceled'),
      30_000,
      'adopted order cancelled',
    );
  } finally {
    await h.close();
  }
});
