import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MdKind, type Side } from '../../../src/contracts/market.ts';
import type { VenueExecEvent } from '../../../src/contracts/venue.ts';
import { SimClock } from '../../../src/core/clock.ts';
import { Scheduler } from '../../../src/core/scheduler.ts';
import { EV_INDICATIVE, EventColumnsBuilder } from '../../../src/venues/replay/event-columns.ts';
import { L2Exchange } from '../../../src/venues/sim/l2-exchange.ts';
import { ConstantLatency } from '../../../src/venues/sim/latency-model.ts';
import { RiskAverseQueue } from '../../../src/venues/sim/queue-model.ts';
import { runUntil, TXF } from './fixtures.ts';

const T0 = 1_000_000_000;
const P = (points: number) => points * 100;

/** An L2Exchange fed one-event messages through onMessage (as the replay venue does), flags and all. */
function harness() {
  const clock = new SimClock(T0);
  const sched = new Scheduler(clock);
  const ex = new L2Exchange({
    symbols: [{ ...TXF, id: 0 }],
    scheduler: sched,
    latency: new ConstantLatency(1_000, 2_000),
    queue: new RiskAverseQueue(),
  });
  const out: VenueExecEvent[] = [];
  ex.connect((e) => out.push(e));
  const until = (ts: number) => runUntil(clock, sched, ts);
  return {
    ex,
    until,
    md(ts: number, kind: number, side: number, price: number, qty: number, auction = false) {
      until(ts);
      const b = new EventColumnsBuilder(1);
      b.push(kind as 3, side, ts, ts, price, qty, auction ? EV_INDICATIVE : 0);
      ex.onMessage(0, b.finish(), 0, 0);
    },
    order(ts: number, id: number, side: Side, price: number, qty: number) {
      until(ts);
      const intent = { intentId: id, strategyId: 's', symbolId: 0, action: 'new' as const, side, price, qty };
      ex.submit({ orderId: id, ts, intent: { ...intent, tif: 'GTC', targetOrderId: 0, ts } });
    },
    fills: (id: number) =>
      out.filter((e) => e.orderId === id && e.type === 'fill').map((e) => [e.lastPx, e.lastQty]),
  };
}

test('call-auction prints set the book but fill nothing; an order sent then rests until the open', () => {
  const h = harness();
  // Continuous book: 30000 / 30001; our buy rests at 30000.
  h.md(T0, MdKind.Level, 1, P(30000), 5);
  h.md(T0, MdKind.Level, -1, P(30001), 4);
  h.order(T0 + 10, 1, 1, P(30000), 1);
  h.until(T0 + 5_000);
  // Pre-open: an indicative print through our price, an indicative book crossing it.
  h.md(T0 + 10_000, MdKind.Trade, -1, P(29990), 50, true);
  h.md(T0 + 10_000, MdKind.Level, -1, P(29995), 7, true);
  h.until(T0 + 20_000);
  assert.deepEqual(h.fills(1), [], 'no fill on an indicative print or book');
  assert.equal(h.ex.counters.indicativeTrades, 1);
  // A sell sent during the auction would take the indicative bids: it rests instead.
  h.order(T0 + 30_000, 2, -1, P(29990), 1);
  h.until(T0 + 40_000);
  assert.deepEqual(h.fills(2), [], 'no taking against an indicative book');
  // The open: the book still crosses our buy at 30000 -> it is matched at its price, as a maker.
  h.md(T0 + 50_000, MdKind.Level, -1, P(29998), 3);
  h.until(T0 + 60_000);
  assert.deepEqual(h.fills(1), [[P(30000), 1]]);
});

test('the same prints without the flag fill as trades (what a backtest did before)', () => {
  const h = harness();
  h.md(T0, MdKind.Level, 1, P(30000), 5);
  h.md(T0, MdKind.Level, -1, P(30001), 4);
  h.order(T0 + 10, 1, 1, P(30000), 1);
  h.until(T0 + 5_000);
  h.md(T0 + 10_000, MdKind.Trade, -1, P(29990), 50);
  h.until(T0 + 20_000);
  assert.deepEqual(h.fills(1), [[P(30000), 1]]);
});
