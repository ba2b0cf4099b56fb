import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { OrderCommand, TimeInForce } from '../../../src/contracts/orders.ts';
import { parseBinance } from '../../../src/venues/replay/read-binance.ts';
import { harness, SPOT_DATA, until } from './harness.ts';

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

// Spot BTCUSDT in config/symbols.yaml: prices in 0.01 (the fake's scale too), sizes in 1e-8 BTC,
// lot 1000 (0.00001 BTC, the exchange's step).
const LOT = 1000;

test('spot market data: depth@100ms synced by the spot rules (U = previous u + 1) equals bookTicker at every check point', async () => {
  const lines = 41_249; // the whole 5.8 min file
  const h = await harness({ market: 'spot', maxLines: lines, framesPerTurn: 50 });
  try {
    await h.venue.open();
    await until(() => h.fake.done, 120_000, 'the recording streamed');
    await until(() => h.venue.counters.frames >= h.fake.counts.sentFrames, 30_000, 'frames received');
    const c = h.venue.counters;
    assert.equal(c.gaps, 0);
    assert.equal(c.tickersMismatched, 0);
    const text = gunzipSync(readFileSync(SPOT_DATA)).toString('utf8').split('\n').slice(0, lines).join('\n');
    const replay = parseBinance([{ path: 'binance-spot-btcusdt-20240808.gz', text }]);
    assert.equal(replay.stats.gaps, 0);
    const matched = replay.stats.tickersMatched;
    assert.ok(matched > 500, `replay check points ${matched}`);
    assert.ok(
      c.tickersChecked >= matched * 0.8 && c.tickersChecked <= matched,
      `checked ${c.tickersChecked} of ${matched}`,
    );
    const st = h.lob.stats(0);
    assert.equal(st.bestBid, Math.max(...h.fake.bids.keys()));
    assert.equal(st.bestAsk, Math.min(...h.fake.asks.keys()));
  } finally {
    await h.close();
  }
});

test('spot orders: LIMIT_MAKER crossing rejected (-2010), GTC acked and cancelled, IOC filled by executionReport, filter failures mapped', async () => {
  const h = await harness({ market: 'spot', maxLines: 15_000, framesPerTurn: 5 });
  try {
    await h.venue.open();
    await until(() => h.fake.progress > 2000, 60_000, 'stream under way');
    const st = h.lob.stats(0);
    const bid = st.bestBid;
    const ask = st.bestAsk;
    // 1% through (or off) the touch: the fake's stream moves on while the orders travel.
    const margin = Math.round(ask / 100);
    const maker = order(1, ask + margin, LOT, 'POST_ONLY');
    const passive = order(1, bid - margin, 2 * LOT, 'GTC');
    const ioc = order(1, ask + margin, LOT, 'IOC');
    for (const o of [maker, passive, ioc]) h.venue.submit(o);
    const of = (id: number) => h.execs.filter((e) => e.orderId === id).map((e) => `${e.type}:${e.reason}`);
    await until(
      () =>
        of(maker.orderId).length > 0 && of(passive.orderId).length > 0 && of(ioc.orderId).includes('fill:'),
      30_000,
      'answers',
    );
    assert.deepEqual(of(maker.orderId), ['reject:POST_ONLY_WOULD_TAKE']);
    assert.deepEqual(of(passive.orderId), ['ack:']);
    assert.ok(of(ioc.orderId).includes('ack:'));
    const fill = h.execs.find((e) => e.orderId === ioc.orderId && e.type === 'fill')!;
    assert.equal(fill.taker, true);
    assert.equal(fill.lastQty, LOT);
    assert.ok(
      fill.lastPx > 0 && fill.lastPx <= ask + margin,
      `fill at ${fill.lastPx}, limit ${ask + margin}`,
    );
    assert.match(fill.execId ?? '', /^\d+:\d+$/);
    // The sent order was a LIMIT_MAKER without a time in force (spot has no GTX).
    const sent = h.fake.requests.filter((r) => r.startsWith('POST /api/v3/order?'));
    assert.ok(sent.some((r) => /type=LIMIT_MAKER/.test(r) && !/timeInForce/.test(r)));
    assert.ok(h.venue.openOrderIds().has(passive.orderId));
    h.venue.cancel(passive.orderId);
    await until(() => of(passive.orderId).includes('canceled:'), 30_000, 'cancel');
    assert.equal(h.venue.openOrderIds().has(passive.orderId), false);
    assert.equal(h.fake.orders.size, 0);

    // A size off the 0.00001 step and a price off the 0.01 tick cannot be sent in our units;
    // the venue's own filter answers are mapped.
    for (const [msg, reason] of [
      ['Filter failure: LOT_SIZE', 'LOT_SIZE'],
      ['Filter failure: PRICE_FILTER', 'TICK_SIZE'],
      ['Order would immediately match and take.', 'POST_ONLY_WOULD_TAKE'],
    ] as const) {
      h.fake.rejectNext = { status: 400, code: msg.startsWith('Filter') ? -1013 : -2010, msg };
      const o = order(1, bid - 9000, LOT);
      h.venue.submit(o);
      await until(() => of(o.orderId).length > 0, 30_000, `reject ${msg}`);
      assert.deepEqual(of(o.orderId), [`reject:${reason}`], msg);
    }
    assert.equal(h.fake.counts.badSignatures, 0, 'every signed request verified by the fake');
    // Spot has no positions endpoint: nothing read, nothing invented.
    assert.equal(h.venue.positions().size, 0);
    assert.ok(!h.fake.requests.some((r) => r.includes('/fapi/')));
  } finally {
    await h.close();
  }
});
