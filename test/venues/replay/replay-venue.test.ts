import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type MarketEvent, MdKind } from '../../../src/contracts/market.ts';
import type { OrderCommand } from '../../../src/contracts/orders.ts';
import type { VenueExecEvent } from '../../../src/contracts/venue.ts';
import { SimClock } from '../../../src/core/clock.ts';
import { Scheduler } from '../../../src/core/scheduler.ts';
import { type EventColumns, EventColumnsBuilder } from '../../../src/venues/replay/event-columns.ts';
import {
  type ExchangeModel,
  type ReplayStream,
  ReplayVenue,
  replayStartTs,
} from '../../../src/venues/replay/replay-venue.ts';

type Ev = [kind: number, side: number, exchTs: number, localTs: number, price: number, qty: number];

/** Columns from messages of [kind, side, exchTs, localTs, price, qty] events. */
function columns(...messages: Ev[][]): EventColumns {
  const b = new EventColumnsBuilder(16);
  for (const m of messages) {
    for (const e of m) b.push(...(e as [MdKind, number, number, number, number, number]));
    b.endMessage();
  }
  return b.finish();
}

const L = MdKind.Level;
const T = MdKind.Trade;
const C = MdKind.Clear;

interface Seen {
  at: number;
  kind: number;
  side: number;
  exchTs: number;
  localTs: number;
  price: number;
  qty: number;
  end: boolean;
  symbolId: number;
  obj: MarketEvent;
}

/** An ExchangeModel.onMessage that calls `fn` for each event of the message. */
function eachEvent(
  fn: (sym: number, kind: number, side: number, price: number, qty: number, exchTs: number) => void,
): ExchangeModel['onMessage'] {
  return (sym, c, start, end) => {
    for (let k = start; k <= end; k++) fn(sym, c.kind[k], c.side[k], c.price[k], c.qty[k], c.exchTs[k]);
  };
}

function harness(streams: ReplayStream[], model?: ExchangeModel) {
  const clock = new SimClock(replayStartTs(streams, model !== undefined));
  const sched = new Scheduler(clock);
  const seen: Seen[] = [];
  const execs: VenueExecEvent[] = [];
  let ends = 0;
  const venue = new ReplayVenue({ scheduler: sched, streams, model, onEnd: () => ends++ });
  venue.connect({
    onQuote: () => assert.fail('no raw quotes from a replay'),
    onExec: (e) => execs.push(e),
    onMarketEvent: (ev, end) => {
      const side = ev.kind === MdKind.Level ? ev.side : ev.kind === MdKind.Trade ? ev.aggressor : 0;
      const price = ev.kind === MdKind.Level || ev.kind === MdKind.Trade ? ev.price : 0;
      const qty = ev.kind === MdKind.Level || ev.kind === MdKind.Trade ? ev.qty : 0;
      seen.push({
        at: clock.nowNs(),
        kind: ev.kind,
        side,
        exchTs: ev.exchTs,
        localTs: ev.localTs,
        price,
        qty,
        end,
        symbolId: ev.symbolId,
        obj: ev,
      });
    },
  });
  const run = (until = Number.POSITIVE_INFINITY) => {
    while (sched.pending > 0 && sched.nextTs() <= until) {
      clock.set(sched.nextTs());
      sched.runNext(clock.nowNs());
    }
  };
  return { venue, sched, clock, seen, execs, run, ends: () => ends };
}

test('delivers every event in order, with its own timestamps, at its receive time, reusing event objects', () => {
  const c = columns(
    [
      [C, 0, 100, 150, 0, 0],
      [L, 1, 100, 150, 990, 5],
      [L, -1, 100, 150, 1010, 4],
    ],
    [[L, 1, 200, 260, 1000, 2]],
    [[T, -1, 300, 340, 990, 1]],
  );
  const h = harness([{ symbolId: 3, columns: c }]);
  h.venue.start();
  h.run();
  assert.deepEqual(
    h.seen.map((s) => [s.at, s.kind, s.side, s.exchTs, s.localTs, s.price, s.qty, s.symbolId]),
    [
      [150, C, 0, 100, 150, 0, 0, 3],
      [150, L, 1, 100, 150, 990, 5, 3],
      [150, L, -1, 100, 150, 1010, 4, 3],
      [260, L, 1, 200, 260, 1000, 2, 3],
      [340, T, -1, 300, 340, 990, 1, 3],
    ],
  );
  assert.equal(h.seen[1].obj, h.seen[3].obj, 'one Level object per stream');
  assert.equal(h.venue.counters.events, 5);
  assert.equal(h.venue.counters.messages, 3);
  assert.equal(h.ends(), 1);
});

test('endOfMessage marks the last book event of a message, so closing trades do not hide the book update', () => {
  const c = columns(
    [
      [L, 1, 1, 1, 10, 1],
      [L, -1, 1, 1, 12, 1],
      [T, 1, 1, 1, 12, 1],
    ],
    [
      [T, 1, 2, 2, 12, 1],
      [L, -1, 2, 2, 12, 0],
      [T, 1, 2, 2, 13, 1],
    ],
    [
      [T, 1, 3, 3, 13, 1],
      [T, 1, 3, 3, 13, 2],
    ],
  );
  const h = harness([{ symbolId: 0, columns: c }]);
  h.venue.start();
  h.run();
  assert.deepEqual(
    h.seen.map((s) => s.end),
    [false, true, true, false, true, true, false, true],
  );
});

test('several streams merge by receive time; a stream whose receive time steps back is delivered late, never earlier', () => {
  const a = columns([[L, 1, 10, 10, 100, 1]], [[L, 1, 30, 30, 101, 1]], [[L, 1, 50, 50, 102, 1]]);
  const b = columns([[T, 1, 5, 20, 7, 1]], [[T, 1, 15, 15, 7, 1]], [[T, 1, 40, 40, 7, 1]]);
  const h = harness([
    { symbolId: 0, columns: a },
    { symbolId: 1, columns: b },
  ]);
  h.venue.start();
  h.run();
  assert.deepEqual(
    h.seen.map((s) => [s.symbolId, s.at, s.localTs]),
    [
      [0, 10, 10],
      [1, 20, 20],
      [1, 20, 15],
      [0, 30, 30],
      [1, 40, 40],
      [0, 50, 50],
    ],
  );
  assert.equal(h.venue.counters.lateMessages, 1);
  assert.equal(h.ends(), 1, 'onEnd once, after the last stream');
});

test('without an exchange model, orders are rejected (VENUE_REJECT) and cancels refused, after the current task', () => {
  const h = harness([{ symbolId: 0, columns: columns([[L, 1, 10, 10, 100, 1]], [[L, 1, 20, 20, 100, 2]]) }]);
  h.venue.start();
  h.run(10);
  const cmd = { orderId: 7, intent: {} as never, ts: 10 } as OrderCommand;
  h.venue.submit(cmd);
  h.venue.cancel(8);
  assert.equal(h.execs.length, 0, 'not answered synchronously');
  h.run(10);
  assert.deepEqual(
    h.execs.map((e) => [e.type, e.orderId, e.reason, e.exchTs]),
    [
      ['reject', 7, 'VENUE_REJECT', 10],
      ['cancel_reject', 8, 'UNKNOWN_ORDER', 10],
    ],
  );
  assert.equal(h.venue.counters.rejectedOrders, 2);
});

test('an exchange model sees each event at exchange time, before the feed; orders go to it', () => {
  const calls: string[] = [];
  const model: ExchangeModel = {
    onMessage: eachEvent((sym, kind, side, price, qty, exchTs) =>
      calls.push(`model t=${h.clock.nowNs()} ${sym}:${kind}:${side}:${price}:${qty}@${exchTs}`),
    ),
    submit: (cmd) => calls.push(`submit ${cmd.orderId}`),
    cancel: (id) => calls.push(`cancel ${id}`),
    connect: (onExec) => {
      calls.push('connect');
      onExecFromModel = onExec;
    },
  };
  let onExecFromModel: ((e: VenueExecEvent) => void) | null = null;
  // Receive clock 100 ns behind the exchange's at best (as in the Binance sample): shifted by -100.
  const c = columns(
    [
      [L, 1, 1000, 900, 50, 1],
      [L, -1, 1000, 900, 60, 1],
    ],
    [[T, 1, 1010, 950, 60, 1]],
    [[L, 1, 1100, 1200, 51, 2]],
  );
  const h = harness([{ symbolId: 0, columns: c }], model);
  h.venue.start();
  const feed = () => h.seen.map((s) => `feed t=${s.at} ${s.kind}@${s.exchTs}`);
  h.run();
  const log = [...calls];
  assert.equal(log[0], 'connect');
  assert.deepEqual(log.slice(1), [
    'model t=900 0:3:1:50:1@1000',
    'model t=900 0:3:-1:60:1@1000',
    'model t=910 0:2:1:60:1@1010',
    'model t=1000 0:3:1:51:2@1100',
  ]);
  assert.deepEqual(feed(), [
    'feed t=900 3@1000',
    'feed t=900 3@1000',
    'feed t=950 2@1010',
    'feed t=1200 3@1100',
  ]);
  assert.equal(h.venue.counters.modelEvents, 4);
  h.venue.submit({ orderId: 1, intent: {} as never, ts: 0 });
  h.venue.cancel(1);
  assert.deepEqual(calls.slice(-2), ['submit 1', 'cancel 1']);
  onExecFromModel!({
    type: 'ack',
    orderId: 1,
    venueOrderId: 'x',
    lastPx: 0,
    lastQty: 0,
    leavesQty: 1,
    taker: false,
    reason: '',
    exchTs: 0,
  });
  assert.equal(h.execs.length, 1, "the model's reports reach the runtime");
});

test('at equal times the model goes first; stop() ends delivery', () => {
  const order: string[] = [];
  const model: ExchangeModel = {
    onMessage: eachEvent((_s, _k, _sd, price) => order.push(`model ${price}`)),
    submit: () => {},
    cancel: () => {},
    connect: () => {},
  };
  const c = columns([[L, 1, 10, 10, 1, 1]], [[L, 1, 20, 20, 2, 1]], [[L, 1, 30, 30, 3, 1]]);
  const h = harness([{ symbolId: 0, columns: c }], model);
  h.venue.connect({
    onQuote: () => {},
    onExec: () => {},
    onMarketEvent: (ev) => {
      if (ev.kind === MdKind.Level) order.push(`feed ${ev.price}`);
      if (ev.kind === MdKind.Level && ev.price === 2) h.venue.stop();
    },
  });
  h.venue.start();
  h.run();
  assert.deepEqual(order, ['model 1', 'feed 1', 'model 2', 'feed 2']);
  assert.equal(h.ends(), 0, 'a stopped replay does not report the end of the data');
});
