import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MdKind, type Side } from '../../../src/contracts/market.ts';
import type { OrderCommand, TimeInForce } from '../../../src/contracts/orders.ts';
import type { VenueExecEvent } from '../../../src/contracts/venue.ts';
import { SimClock } from '../../../src/core/clock.ts';
import { Scheduler } from '../../../src/core/scheduler.ts';
import { L2Exchange } from '../../../src/venues/sim/l2-exchange.ts';
import { ConstantLatency } from '../../../src/venues/sim/latency-model.ts';
import { ProbQueue, type QueueModel, RiskAverseQueue } from '../../../src/venues/sim/queue-model.ts';
import { runUntil, TSMC, TXF } from './fixtures.ts';

const T0 = 1_000_000_000;
const ORDER_NS = 1_000;
const RESPONSE_NS = 2_000;
/** TXF prices, scaled by 100 (tick = 100). */
const P = (points: number) => points * 100;

interface Harness {
  ex: L2Exchange;
  clock: SimClock;
  sched: Scheduler;
  /** Exec reports with their delivery time. */
  out: (VenueExecEvent & { at: number })[];
  /** Runs the scheduler to `ts`, then applies one data event at exchange time `ts`. */
  md(ts: number, kind: number, side: number, price: number, qty: number): void;
  /** Moves time to `ts` (delivering what is due), then submits an order. */
  order(ts: number, id: number, side: Side, price: number, qty: number, tif?: TimeInForce): void;
  cancel(ts: number, id: number): void;
  until(ts: number): void;
  fills(id: number): { px: number; qty: number; taker: boolean; leaves: number }[];
}

function harness(queue: QueueModel = new RiskAverseQueue(), symbols = [{ ...TXF, id: 0 }]): Harness {
  const clock = new SimClock(T0);
  const sched = new Scheduler(clock);
  const ex = new L2Exchange({
    symbols,
    scheduler: sched,
    latency: new ConstantLatency(ORDER_NS, RESPONSE_NS),
    queue,
  });
  const out: Harness['out'] = [];
  ex.connect((e) => out.push({ ...e, at: clock.nowNs() }));
  const until = (ts: number) => runUntil(clock, sched, ts);
  return {
    ex,
    clock,
    sched,
    out,
    until,
    md(ts, kind, side, price, qty) {
      until(ts);
      ex.onMarketEvent(0, kind, side, price, qty, ts);
    },
    order(ts, id, side, price, qty, tif = 'GTC') {
      until(ts);
      const cmd: OrderCommand = {
        orderId: id,
        ts,
        intent: {
          intentId: id,
          strategyId: 's',
          symbolId: 0,
          action: 'new',
          side,
          price,
          qty,
          tif,
          targetOrderId: 0,
          ts,
        },
      };
      ex.submit(cmd);
    },
    cancel(ts, id) {
      until(ts);
      ex.cancel(id);
    },
    fills(id) {
      return out
        .filter((e) => e.orderId === id && e.type === 'fill')
        .map((e) => ({ px: e.lastPx, qty: e.lastQty, taker: e.taker, leaves: e.leavesQty }));
    },
  };
}

/** bids 30000 x5, 29999 x3; asks 30001 x4, 30002 x6. */
function seedBook(h: Harness, ts = T0): void {
  h.md(ts, MdKind.Level, 1, P(30000), 5);
  h.md(ts, MdKind.Level, 1, P(29999), 3);
  h.md(ts, MdKind.Level, -1, P(30001), 4);
  h.md(ts, MdKind.Level, -1, P(30002), 6);
}

describe('L2Exchange: queue position (risk-averse)', () => {
  test('a resting order is filled only once trades have consumed the queue ahead of it', () => {
    const h = harness();
    seedBook(h);
    h.order(T0 + 10, 1, 1, P(30000), 2);
    h.until(T0 + 10 + ORDER_NS);
    assert.equal(h.ex.queueAhead(1), 5, 'joins behind the 5 lots shown');
    h.md(T0 + 5_000, MdKind.Trade, -1, P(30000), 3);
    assert.equal(h.ex.queueAhead(1), 2);
    h.md(T0 + 5_000, MdKind.Level, 1, P(30000), 2);
    h.md(T0 + 6_000, MdKind.Trade, -1, P(30000), 2);
    assert.equal(h.ex.queueAhead(1), 0, 'at the front');
    h.until(T0 + 20_000);
    assert.deepEqual(h.fills(1), [], 'no fill while the queue ahead was not exhausted');
    h.md(T0 + 30_000, MdKind.Trade, -1, P(30000), 1);
    h.until(T0 + 40_000);
    assert.deepEqual(h.fills(1), [{ px: P(30000), qty: 1, taker: false, leaves: 1 }], 'partial fill');
    h.md(T0 + 50_000, MdKind.Trade, -1, P(30000), 5);
    h.until(T0 + 60_000);
    assert.deepEqual(h.fills(1)[1], { px: P(30000), qty: 1, taker: false, leaves: 0 });
    assert.equal(h.ex.workingCount, 0);
  });

  test('cancels are assumed behind: a shrinking level only clamps the queue ahead', () => {
    const h = harness();
    seedBook(h);
    h.order(T0 + 10, 1, 1, P(30000), 1);
    h.until(T0 + 2_000);
    h.md(T0 + 3_000, MdKind.Level, 1, P(30000), 9); // 4 lots join behind
    assert.equal(h.ex.queueAhead(1), 5);
    h.md(T0 + 4_000, MdKind.Level, 1, P(30000), 7); // 2 lots cancel: behind us
    assert.equal(h.ex.queueAhead(1), 5);
    h.md(T0 + 5_000, MdKind.Level, 1, P(30000), 3); // fewer lots than our queue ahead remain
    assert.equal(h.ex.queueAhead(1), 3);
    h.md(T0 + 6_000, MdKind.Level, 1, P(30000), 0); // level gone: we are the level
    assert.equal(h.ex.queueAhead(1), 0);
    h.md(T0 + 7_000, MdKind.Trade, -1, P(30000), 1);
    h.until(T0 + 20_000);
    assert.deepEqual(h.fills(1), [{ px: P(30000), qty: 1, taker: false, leaves: 0 }]);
  });

  test('trades at other prices do not move the queue; a trade through the price fills in full', () => {
    const h = harness();
    seedBook(h);
    h.order(T0, 1, -1, P(30001), 3);
    h.until(T0 + 2_000);
    assert.equal(h.ex.queueAhead(1), 4);
    h.md(T0 + 3_000, MdKind.Trade, -1, P(30000), 2); // sellers hit the bid: not our side
    h.md(T0 + 3_000, MdKind.Trade, 1, P(30001), 1); // buyer lifts 1 of the 4 ahead
    assert.equal(h.ex.queueAhead(1), 3);
    h.md(T0 + 4_000, MdKind.Trade, 1, P(30002), 1); // printed through our price
    h.until(T0 + 10_000);
    assert.deepEqual(h.fills(1), [{ px: P(30001), qty: 3, taker: false, leaves: 0 }]);
  });

  test('own orders at one price keep time priority among themselves', () => {
    const h = harness();
    seedBook(h);
    h.order(T0, 1, 1, P(30000), 1);
    h.order(T0 + 100, 2, 1, P(30000), 1);
    h.until(T0 + 2_000);
    h.md(T0 + 3_000, MdKind.Trade, -1, P(30000), 6); // 5 ahead, then order 1
    h.until(T0 + 10_000);
    assert.equal(h.fills(1).length, 1);
    assert.deepEqual(h.fills(2), [], 'order 2 stood behind order 1');
    h.md(T0 + 11_000, MdKind.Trade, -1, P(30000), 1);
    h.until(T0 + 20_000);
    assert.deepEqual(h.fills(2), [{ px: P(30000), qty: 1, taker: false, leaves: 0 }]);
  });

  test('the opposite side moving onto a resting order fills it as maker', () => {
    const h = harness();
    seedBook(h);
    h.order(T0, 1, 1, P(30000), 2);
    h.until(T0 + 2_000);
    h.md(T0 + 3_000, MdKind.Level, -1, P(30000), 1);
    h.until(T0 + 10_000);
    assert.deepEqual(h.fills(1), [{ px: P(30000), qty: 2, taker: false, leaves: 0 }]);
  });
});

describe('L2Exchange: queue position (probabilistic)', () => {
  test('a decrease is split ahead/behind by the probability function', () => {
    const prob = harness(new ProbQueue('power', 3));
    const averse = harness(new RiskAverseQueue());
    for (const h of [prob, averse]) {
      seedBook(h);
      h.order(T0, 1, 1, P(30000), 1);
      h.until(T0 + 2_000);
      h.md(T0 + 3_000, MdKind.Level, 1, P(30000), 9); // front 5, back 4
      h.md(T0 + 4_000, MdKind.Level, 1, P(30000), 7); // 2 lots cancelled
    }
    // p(behind) = 4^3 / (4^3 + 5^3) = 64/189; front = 5 - (1 - p) * 2.
    const expected = 5 - (1 - 64 / 189) * 2;
    assert.ok(Math.abs(prob.ex.queueAhead(1) - expected) < 1e-12, `ahead ${prob.ex.queueAhead(1)}`);
    assert.equal(averse.ex.queueAhead(1), 5);
  });

  test('trades already counted are not counted again when the level shrinks', () => {
    const h = harness(new ProbQueue('log'));
    seedBook(h);
    h.order(T0, 1, 1, P(30000), 1);
    h.until(T0 + 2_000);
    h.md(T0 + 3_000, MdKind.Trade, -1, P(30000), 2);
    h.md(T0 + 3_000, MdKind.Level, 1, P(30000), 3); // the same 2 lots, now in the depth
    assert.equal(h.ex.queueAhead(1), 3);
    // Cancels may bring the order to the front, never fill it.
    h.md(T0 + 4_000, MdKind.Level, 1, P(30000), 0);
    assert.equal(h.ex.queueAhead(1), 0);
    h.until(T0 + 10_000);
    assert.deepEqual(h.fills(1), []);
  });
});

describe('L2Exchange: aggressive orders and latency', () => {
  test('a crossing order takes the displayed levels (partial fills), the rest rests', () => {
    const h = harness();
    seedBook(h);
    h.order(T0, 1, 1, P(30002), 12);
    h.until(T0 + 10_000);
    assert.deepEqual(h.fills(1), [
      { px: P(30001), qty: 4, taker: true, leaves: 8 },
      { px: P(30002), qty: 6, taker: true, leaves: 2 },
    ]);
    assert.equal(h.ex.queueAhead(1), 0, 'the remainder rests with nobody ahead');
    assert.equal(h.ex.levelQty(0, -1, P(30001)), 4, 'own fills do not change the data book');
    assert.equal(h.ex.counters.takerFills, 2);
  });

  test('an IOC remainder is canceled after the fills', () => {
    const h = harness();
    seedBook(h);
    h.order(T0, 1, -1, P(29999), 10, 'IOC');
    h.until(T0 + 10_000);
    assert.deepEqual(
      h.out.map((e) => [e.type, e.lastQty, e.leavesQty]),
      [
        ['ack', 0, 10],
        ['fill', 5, 5],
        ['fill', 3, 2],
        ['canceled', 0, 0],
      ],
    );
  });

  test('an order sees the book as of its arrival at the exchange, and answers take the response latency', () => {
    const h = harness();
    seedBook(h);
    h.order(T0 + 100, 1, 1, P(30001), 1, 'IOC'); // arrives at T0 + 1100
    h.md(T0 + 600, MdKind.Level, -1, P(30001), 0); // the ask it aims at is gone before it arrives
    h.until(T0 + 10_000);
    assert.deepEqual(
      h.out.map((e) => [e.type, e.exchTs, e.at]),
      [
        ['ack', T0 + 1_100, T0 + 3_100],
        ['canceled', T0 + 1_100, T0 + 3_100],
      ],
    );
    // Data older than the arrival cannot fill a resting order either.
    h.order(T0 + 20_000, 2, -1, P(30002), 1); // arrives at T0 + 21000, 6 lots ahead
    h.md(T0 + 20_500, MdKind.Trade, 1, P(30003), 1); // through its price, but before it arrived
    h.until(T0 + 30_000);
    assert.deepEqual(h.fills(2), []);
    h.md(T0 + 31_000, MdKind.Trade, 1, P(30003), 1);
    h.until(T0 + 40_000);
    const f = h.out.filter((e) => e.orderId === 2 && e.type === 'fill');
    assert.deepEqual(
      f.map((e) => [e.lastQty, e.exchTs, e.at]),
      [[1, T0 + 31_000, T0 + 33_000]],
    );
  });

  test('cancels: working -> canceled, after a fill -> TOO_LATE_TO_CANCEL, unknown -> UNKNOWN_ORDER', () => {
    const h = harness();
    seedBook(h);
    h.order(T0, 1, 1, P(29999), 1);
    h.order(T0, 2, 1, P(30001), 1); // fills on arrival
    h.cancel(T0 + 5_000, 1);
    h.cancel(T0 + 5_000, 2);
    h.cancel(T0 + 5_000, 99);
    h.until(T0 + 20_000);
    const answers = h.out.filter((e) => e.type === 'canceled' || e.type === 'cancel_reject');
    assert.deepEqual(
      answers.map((e) => [e.orderId, e.type, e.reason]),
      [
        [1, 'canceled', ''],
        [2, 'cancel_reject', 'TOO_LATE_TO_CANCEL'],
        [99, 'cancel_reject', 'UNKNOWN_ORDER'],
      ],
    );
    assert.equal(h.ex.workingCount, 0);
    // A canceled order is gone from the queue: trades at its price fill nothing.
    h.md(T0 + 30_000, MdKind.Trade, -1, P(29999), 50);
    h.until(T0 + 40_000);
    assert.deepEqual(h.fills(1), []);
  });

  test('a working order is found by its id however many orders came after it; a working id is not taken twice', () => {
    const h = harness();
    seedBook(h);
    h.order(T0, 1, 1, P(29999), 1);
    // 8192 later orders (ids 2..8193: 8193 shares order 1's lookup slot), each canceled again.
    for (let id = 2; id <= 8193; id++) {
      h.order(T0 + id * 10_000, id, 1, P(29998), 1);
      h.cancel(T0 + id * 10_000 + 5_000, id);
    }
    const t = T0 + 9000 * 10_000;
    h.order(t, 1, -1, P(30005), 1); // id 1 still working: refused
    h.order(t, 8193, -1, P(30005), 1); // id 8193 finished: a new order under it works again
    h.cancel(t + 5_000, 1);
    h.until(t + 20_000);
    const late = h.out.filter((e) => e.at > t);
    assert.deepEqual(
      late.map((e) => [e.orderId, e.type, e.reason]),
      [
        [1, 'reject', 'VENUE_REJECT'],
        [8193, 'ack', ''],
        [1, 'canceled', ''],
      ],
    );
    assert.equal(h.ex.workingCount, 1);
  });

  test('tick and lot size are checked with the venue reason codes', () => {
    const h = harness(new RiskAverseQueue(), [{ ...TSMC, id: 0 }]);
    h.md(T0, MdKind.Level, 1, 185_000, 10_000);
    h.md(T0, MdKind.Level, -1, 185_500, 10_000);
    h.order(T0, 1, 1, 185_100, 1000); // TWSE tick above 1000 is 5.00
    h.order(T0, 2, 1, 185_000, 500); // odd lot
    h.order(T0, 3, 1, 185_000, 1000);
    h.until(T0 + 10_000);
    assert.deepEqual(
      h.out.map((e) => [e.orderId, e.type, e.reason]),
      [
        [1, 'reject', 'TICK_SIZE'],
        [2, 'reject', 'LOT_SIZE'],
        [3, 'ack', ''],
      ],
    );
    // Passive fills come in whole lots.
    h.md(T0 + 20_000, MdKind.Trade, -1, 185_000, 10_700);
    h.until(T0 + 30_000);
    assert.deepEqual(h.fills(3), []);
    h.md(T0 + 40_000, MdKind.Trade, -1, 185_000, 1_300);
    h.until(T0 + 50_000);
    assert.deepEqual(h.fills(3), [{ px: 185_000, qty: 1000, taker: false, leaves: 0 }]);
  });
});

describe('L2Exchange: post-only', () => {
  test('a post-only order that would cross is rejected with POST_ONLY_WOULD_TAKE, never filled', () => {
    const h = harness();
    seedBook(h);
    h.order(T0 + 10, 1, 1, P(30001), 2, 'POST_ONLY'); // meets the best ask
    h.order(T0 + 10, 2, -1, P(29999), 1, 'POST_ONLY'); // through the best bid
    h.until(T0 + 10_000);
    for (const id of [1, 2]) {
      const evs = h.out.filter((e) => e.orderId === id).map((e) => `${e.type}:${e.reason}`);
      assert.deepEqual(evs, ['reject:POST_ONLY_WOULD_TAKE'], `order ${id}`);
    }
    assert.equal(h.ex.workingCount, 0);
  });

  test('a post-only order that does not cross rests and fills as a maker', () => {
    const h = harness();
    seedBook(h);
    h.order(T0 + 10, 1, 1, P(30000), 1, 'POST_ONLY');
    h.until(T0 + 5_000);
    assert.deepEqual(
      h.out.filter((e) => e.orderId === 1).map((e) => e.type),
      ['ack'],
    );
    assert.equal(h.ex.queueAhead(1), 5);
    h.md(T0 + 6_000, MdKind.Trade, -1, P(29999), 1); // printed through our price
    h.until(T0 + 10_000);
    assert.deepEqual(h.fills(1), [{ px: P(30000), qty: 1, taker: false, leaves: 0 }]);
  });
});
