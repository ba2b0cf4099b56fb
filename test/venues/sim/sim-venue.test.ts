import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Side } from '../../../src/contracts/market.ts';
import type { OrderCommand, TimeInForce } from '../../../src/contracts/orders.ts';
import type { RawBidAsk, RawQuote, RawTick, VenueExecEvent } from '../../../src/contracts/venue.ts';
import { SimClock } from '../../../src/core/clock.ts';
import { Scheduler } from '../../../src/core/scheduler.ts';
import { ConstantLatency } from '../../../src/venues/sim/latency-model.ts';
import { SimVenue, type SimVenueOptions } from '../../../src/venues/sim/sim-venue.ts';
import { runUntil, TSMC, TXF } from './fixtures.ts';

// Small enough that every nanosecond is exact in a float64 (epoch-ns times are exact only to 256 ns).
const START = 5_000_000_000;
const ORDER_NS = 150_000;
const RESPONSE_NS = 70_000;

interface Received {
  ev: VenueExecEvent;
  at: number;
}

function setup(opts: Partial<SimVenueOptions> = {}) {
  const clock = new SimClock(START);
  const sched = new Scheduler(clock);
  const venue = new SimVenue({
    symbols: [TXF, TSMC],
    scheduler: sched,
    seed: 1,
    latency: new ConstantLatency(ORDER_NS, RESPONSE_NS),
    ...opts,
  });
  const execs: Received[] = [];
  const quotes: RawBidAsk[] = [];
  const ticks: { close: number; volume: number; tickType: number; code: string }[] = [];
  venue.connect({
    onMarketEvent() {},
    onQuote(q: RawQuote) {
      if (q.type === 'bidask') quotes.push(q);
      else ticks.push({ close: q.close, volume: q.volume, tickType: q.tickType, code: q.code });
    },
    onExec(ev) {
      execs.push({ ev, at: clock.nowNs() });
    },
  });
  let nextOrderId = 100;
  const send = (
    symbolId: number,
    side: Side,
    price: number,
    qty: number,
    tif: TimeInForce = 'GTC',
  ): number => {
    const orderId = nextOrderId++;
    const cmd: OrderCommand = {
      orderId,
      ts: clock.nowNs(),
      intent: {
        intentId: orderId,
        strategyId: 's1',
        symbolId,
        action: 'new',
        side,
        price,
        qty,
        tif,
        targetOrderId: 0,
        ts: clock.nowNs(),
      },
    };
    venue.submit(cmd);
    return orderId;
  };
  const run = (ns: number) => runUntil(clock, sched, clock.nowNs() + ns);
  return { clock, sched, venue, execs, quotes, ticks, send, run };
}

/** Rests background orders directly in a venue's engine (test setup, before any publication matters). */
function rest(venue: SimVenue, code: string, side: Side, price: number, ...qtys: number[]): number[] {
  const e = venue.engine(code)!;
  return qtys.map((q) => {
    const id = e.nextOrderId();
    e.add(id, side, price, q, 'GTC', false);
    return id;
  });
}

const pick = (execs: Received[], orderId: number) =>
  execs
    .filter((x) => x.ev.orderId === orderId)
    .map((x) => [x.ev.type, x.ev.lastPx, x.ev.lastQty, x.ev.leavesQty, x.ev.taker, x.ev.reason]);

describe('SimVenue orders', () => {
  it('rejects bad orders with reason codes', () => {
    const { execs, send, run } = setup();
    const offTick = send(TXF.id, 1, 2_000_050, 1);
    const badLot = send(TSMC.id, 1, 60_000, 500);
    const stockOffTick = send(TSMC.id, 1, 60_050, 1000);
    const zeroQty = send(TXF.id, 1, 2_000_000, 0);
    const zeroPx = send(TXF.id, -1, 0, 1);
    const unknown = send(99, 1, 2_000_000, 1);
    const fine = send(TSMC.id, 1, 49_950, 2000);
    run(1e6);
    const reasons = new Map(execs.map((x) => [x.ev.orderId, `${x.ev.type}:${x.ev.reason}`]));
    assert.equal(reasons.get(offTick), 'reject:TICK_SIZE');
    assert.equal(reasons.get(badLot), 'reject:LOT_SIZE');
    assert.equal(reasons.get(stockOffTick), 'reject:TICK_SIZE');
    assert.equal(reasons.get(zeroQty), 'reject:QTY_INVALID');
    assert.equal(reasons.get(zeroPx), 'reject:PRICE_INVALID');
    assert.equal(reasons.get(unknown), 'reject:UNKNOWN_SYMBOL');
    assert.equal(reasons.get(fine), 'ack:');
    assert.equal(execs.length, 7);
  });

  it('acks exactly order latency + response latency after submit', () => {
    const { execs, send, run, venue } = setup();
    const id = send(TXF.id, 1, 2_000_000, 2);
    run(ORDER_NS + RESPONSE_NS - 1);
    assert.equal(execs.length, 0);
    run(1);
    assert.equal(execs.length, 1);
    const { ev, at } = execs[0];
    assert.equal(at, START + ORDER_NS + RESPONSE_NS);
    assert.equal(ev.exchTs, START + ORDER_NS);
    assert.deepEqual([ev.type, ev.orderId, ev.venueOrderId, ev.leavesQty], ['ack', id, 'S1-1', 2]);
    assert.equal(venue.engine('TXF')!.bestBidQty(), 2);
  });

  it('fills an own passive order only after the queue ahead is consumed', () => {
    const { execs, send, run, venue } = setup();
    rest(venue, 'TXF', -1, 2_000_100, 3, 2);
    const id = send(TXF.id, -1, 2_000_100, 4);
    run(1e6);
    const e = venue.engine('TXF')!;
    const engineId = e.nextOrderId() - 1;
    assert.equal(e.queueAhead(engineId), 5);

    e.market(1, 4);
    run(1e6);
    assert.deepEqual(pick(execs, id), [['ack', 0, 0, 4, false, '']]);
    assert.equal(e.queueAhead(engineId), 1);

    e.market(1, 3);
    run(1e6);
    assert.deepEqual(pick(execs, id).slice(1), [['fill', 2_000_100, 2, 2, false, '']]);

    e.market(1, 5);
    run(1e6);
    assert.deepEqual(pick(execs, id).slice(2), [['fill', 2_000_100, 2, 0, false, '']]);
    assert.equal(e.has(engineId), false);
  });

  it('fills an aggressive IOC order across levels and cancels its remainder', () => {
    const { execs, send, run, venue, ticks } = setup();
    rest(venue, 'TXF', -1, 2_000_100, 2);
    rest(venue, 'TXF', -1, 2_000_200, 3);
    rest(venue, 'TXF', -1, 2_000_300, 9);
    const id = send(TXF.id, 1, 2_000_200, 7, 'IOC');
    run(1e6);
    assert.deepEqual(pick(execs, id), [
      ['ack', 0, 0, 7, false, ''],
      ['fill', 2_000_100, 2, 5, true, ''],
      ['fill', 2_000_200, 3, 2, true, ''],
      ['canceled', 0, 0, 0, false, ''],
    ]);
    assert.deepEqual(ticks, [
      { close: 20_001, volume: 2, tickType: 1, code: 'TXF' },
      { close: 20_002, volume: 3, tickType: 1, code: 'TXF' },
    ]);
    assert.equal(venue.engine('TXF')!.bestBid(), 0);
  });

  it('cancels a resting order, and answers unknown and filled ones with reasons', () => {
    const { execs, send, run, venue } = setup();
    const resting = send(TXF.id, 1, 2_000_000, 3);
    const filled = send(TXF.id, -1, 2_000_000, 3);
    run(1e6);
    assert.deepEqual(pick(execs, filled).at(-1), ['fill', 2_000_000, 3, 0, true, '']);
    const keep = send(TXF.id, 1, 1_999_900, 1);
    run(1e6);
    const t0 = execs.length;
    venue.cancel(keep);
    venue.cancel(filled);
    venue.cancel(12345);
    run(1e6);
    assert.deepEqual(
      execs.slice(t0).map((x) => [x.ev.orderId, x.ev.type, x.ev.leavesQty, x.ev.reason]),
      [
        [keep, 'canceled', 0, ''],
        [filled, 'cancel_reject', 0, 'TOO_LATE_TO_CANCEL'],
        [12345, 'cancel_reject', 0, 'UNKNOWN_ORDER'],
      ],
    );
    assert.equal(venue.engine('TXF')!.bestBid(), 0);
    venue.cancel(keep);
    run(1e6);
    assert.equal(execs.at(-1)!.ev.reason, 'TOO_LATE_TO_CANCEL');
    assert.ok(pick(execs, resting).some((r) => r[0] === 'fill'));
  });

  it('shows own resting orders in the published depth with decimal prices', () => {
    const { quotes, send, run, venue } = setup({ depthLevels: 3 });
    rest(venue, '2330', -1, 60_100, 5_000);
    send(TSMC.id, 1, 59_900, 2_000);
    send(TSMC.id, 1, 60_000, 1_000);
    run(1e6);
    const q = quotes.at(-1)!;
    assert.equal(q.code, '2330');
    assert.equal(q.ts, START + ORDER_NS);
    assert.deepEqual(q.bidPrice, [600, 599, 0]);
    assert.deepEqual(q.bidVolume, [1_000, 2_000, 0]);
    assert.deepEqual(q.askPrice, [601, 0, 0]);
    assert.deepEqual(q.askVolume, [5_000, 0, 0]);
    assert.equal(quotes.length, 2, 'one quote per book change');
  });

  it('keeps exec reports in order when the latency model would reorder them', () => {
    const clock = new SimClock(START);
    const sched = new Scheduler(clock);
    let n = 0;
    const venue = new SimVenue({
      symbols: [TXF],
      scheduler: sched,
      seed: 1,
      // Each response is faster than the one before it.
      latency: { orderLatencyNs: () => 1_000, responseLatencyNs: () => 1_000_000 - 100_000 * n++ },
    });
    const types: string[] = [];
    venue.connect({ onMarketEvent() {}, onQuote() {}, onExec: (ev) => types.push(ev.type) });
    venue.engine('TXF')!.add(venue.engine('TXF')!.nextOrderId(), -1, 2_000_000, 5, 'GTC', false);
    venue.submit({
      orderId: 1,
      ts: START,
      intent: {
        intentId: 1,
        strategyId: 's',
        symbolId: TXF.id,
        action: 'new',
        side: 1,
        price: 2_000_000,
        qty: 2,
        tif: 'GTC',
        targetOrderId: 0,
        ts: START,
      },
    });
    runUntil(clock, sched, START + 1e9);
    assert.deepEqual(types, ['ack', 'fill']);
  });
});

describe('SimVenue market data', () => {
  const flow = { TXF: { refPrice: 2_000_000 }, '2330': { refPrice: 60_000 } };

  function hashQuotes(seed: number, n: number): string {
    const clock = new SimClock(START);
    const sched = new Scheduler(clock);
    const venue = new SimVenue({
      symbols: [TXF, TSMC],
      scheduler: sched,
      seed,
      latency: new ConstantLatency(0, 0),
      generator: flow,
    });
    const h = createHash('sha256');
    let count = 0;
    venue.connect({
      onMarketEvent() {},
      onQuote(q) {
        if (count >= n) return;
        count++;
        if (q.type === 'bidask') {
          h.update(`${q.code}|${q.ts}|${q.bidPrice}|${q.bidVolume}|${q.askPrice}|${q.askVolume}\n`);
        } else {
          h.update(`${q.code}|${q.ts}|${q.close}|${q.volume}|${q.tickType}\n`);
        }
      },
      onExec() {},
    });
    venue.start();
    while (count < n && sched.nextTs() < Number.POSITIVE_INFINITY) {
      clock.set(sched.nextTs());
      sched.runNext(sched.nextTs());
    }
    assert.equal(count, n);
    return h.digest('hex');
  }

  it('emits the same quotes for the same seed and different ones for another seed', () => {
    const a = hashQuotes(7, 5_000);
    assert.equal(hashQuotes(7, 5_000), a);
    assert.notEqual(hashQuotes(8, 5_000), a);
  });

  it('publishes uncrossed two-sided books into one reused object, and trade prints', () => {
    const clock = new SimClock(START);
    const sched = new Scheduler(clock);
    const venue = new SimVenue({
      symbols: [TXF],
      scheduler: sched,
      seed: 3,
      latency: new ConstantLatency(0, 0),
      generator: { TXF: { refPrice: 2_000_000 } },
    });
    let first: RawBidAsk | null = null;
    let firstTick: RawTick | null = null;
    let quotes = 0;
    let trades = 0;
    let lastTs = 0;
    const seen = new Set<number>();
    venue.connect({
      onMarketEvent() {},
      onQuote(q) {
        assert.ok(q.ts >= lastTs);
        lastTs = q.ts;
        if (q.type === 'tick') {
          firstTick ??= q;
          assert.equal(q, firstTick);
          assert.ok(q.volume > 0 && Number.isInteger(q.close) && (q.tickType === 1 || q.tickType === 2));
          seen.add(q.tickType);
          trades++;
          return;
        }
        first ??= q;
        assert.equal(q, first, 'the RawBidAsk object is reused');
        assert.equal(q.bidPrice.length, 5);
        if (!(q.bidPrice[0] > 0 && q.askPrice[0] > q.bidPrice[0])) assert.fail(`bad book at ${q.ts}`);
        quotes++;
      },
      onExec() {},
    });
    venue.start();
    runUntil(clock, sched, START + 600e9);
    const st = venue.stats('TXF')!;
    assert.equal(st.quotes, quotes);
    assert.equal(st.trades, trades);
    assert.ok(quotes > 10_000, `quotes ${quotes}`);
    assert.ok(trades > 1_000, `trades ${trades}`);
    assert.deepEqual([...seen].sort(), [1, 2]);
    assert.ok(st.limitOrders + st.marketOrders + st.cancels > quotes * 0.9);
  });

  it('stops emitting after stop() and resumes on start()', () => {
    const { venue, quotes, run } = setup({ generator: { TXF: { refPrice: 2_000_000 } } });
    venue.start();
    run(1e9);
    const n = quotes.length;
    assert.ok(n > 10);
    venue.stop();
    run(10e9);
    assert.equal(quotes.length, n);
    venue.start();
    run(1e9);
    assert.ok(quotes.length > n + 10);
  });

  it('fills an own resting order from background flow', () => {
    const { venue, send, run, execs } = setup({ generator: { TXF: { refPrice: 2_000_000 } } });
    venue.start();
    run(1e9);
    const bid = venue.engine('TXF')!.bestBid();
    const id = send(TXF.id, 1, bid, 1);
    run(600e9);
    const fills = pick(execs, id).filter((r) => r[0] === 'fill');
    assert.equal(fills.length, 1);
    assert.deepEqual(fills[0], ['fill', bid, 1, 0, false, '']);
  });

  it('rejects generator options for a symbol it does not trade', () => {
    assert.throws(() => setup({ generator: { TXO: { refPrice: 1 } } }), /unknown symbol TXO/);
  });
});

describe('SimVenue post-only', () => {
  it('rejects a post-only order that would take, rests one that would not', () => {
    const { execs, send, run, venue } = setup();
    rest(venue, 'TXF', -1, 2_000_100, 3);
    rest(venue, 'TXF', 1, 2_000_000, 3);
    const crossing = send(TXF.id, 1, 2_000_100, 1, 'POST_ONLY');
    const through = send(TXF.id, -1, 1_999_900, 1, 'POST_ONLY');
    const maker = send(TXF.id, -1, 2_000_100, 2, 'POST_ONLY');
    run(1e6);
    assert.deepEqual(pick(execs, crossing), [['reject', 0, 0, 0, false, 'POST_ONLY_WOULD_TAKE']]);
    assert.deepEqual(pick(execs, through), [['reject', 0, 0, 0, false, 'POST_ONLY_WOULD_TAKE']]);
    assert.deepEqual(pick(execs, maker), [['ack', 0, 0, 2, false, '']]);
    assert.equal(venue.engine('TXF')!.bestAskQty(), 5, 'the book untouched by the rejected ones');
    assert.equal(venue.engine('TXF')!.bestBidQty(), 3);
  });
});
