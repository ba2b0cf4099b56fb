import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MdKind, type Side } from '../../../src/contracts/market.ts';
import type { OrderCommand } from '../../../src/contracts/orders.ts';
import type { VenueExecEvent } from '../../../src/contracts/venue.ts';
import { SimClock } from '../../../src/core/clock.ts';
import { Scheduler } from '../../../src/core/scheduler.ts';
import { L2Exchange } from '../../../src/venues/sim/l2-exchange.ts';
import { ConstantLatency } from '../../../src/venues/sim/latency-model.ts';
import { RiskAverseQueue } from '../../../src/venues/sim/queue-model.ts';
import { runUntil, TXF } from './fixtures.ts';

const T0 = 1_000_000_000;
const P = (points: number) => points * 100;

function command(id: number, side: Side, price: number, qty: number, ts: number): OrderCommand {
  return {
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
      tif: 'GTC',
      targetOrderId: 0,
      ts,
    },
  };
}

/**
 * Orders, cancels and fills on one exchange; returns each report as seen during the handler call
 * (a copy) and the report objects themselves.
 */
function run(transient: boolean): { seen: VenueExecEvent[]; objects: VenueExecEvent[] } {
  const clock = new SimClock(T0);
  const sched = new Scheduler(clock);
  const ex = new L2Exchange({
    symbols: [{ ...TXF, id: 0 }],
    scheduler: sched,
    latency: new ConstantLatency(1_000, 2_000),
    queue: new RiskAverseQueue(),
  });
  const seen: VenueExecEvent[] = [];
  const objects: VenueExecEvent[] = [];
  ex.connect((e) => {
    seen.push({ ...e });
    objects.push(e);
  }, transient);
  ex.onMarketEvent(0, MdKind.Level, 1, P(30000), 5, T0);
  ex.onMarketEvent(0, MdKind.Level, -1, P(30001), 4, T0);
  let ts = T0;
  for (let id = 1; id <= 20; id++) {
    ts += 10_000;
    runUntil(clock, sched, ts);
    // Every third order crosses (a taker fill), the others rest and are canceled.
    ex.submit(command(id, 1, id % 3 === 0 ? P(30001) : P(30000), 1, ts));
    runUntil(clock, sched, ts + 5_000);
    if (id % 3 !== 0) ex.cancel(id);
  }
  runUntil(clock, sched, ts + 100_000);
  return { seen, objects };
}

describe('simulated exchanges: reused report and command objects', () => {
  test('a transient handler sees the same reports, carried by reused objects', () => {
    const fresh = run(false);
    const reused = run(true);
    const count = (t: string) => fresh.seen.filter((e) => e.type === t).length;
    assert.deepEqual([count('ack'), count('fill'), count('canceled')], [20, 6, 14]);
    assert.deepEqual(reused.seen, fresh.seen, 'the same values in the same order');
    assert.equal(new Set(fresh.objects).size, fresh.objects.length, 'a keeping handler gets fresh objects');
    assert.ok(new Set(reused.objects).size < 5, 'a transient handler gets a few objects over and over');
  });

  test('an exchange copies a submitted command: changing it afterwards changes nothing', () => {
    const clock = new SimClock(T0);
    const sched = new Scheduler(clock);
    const ex = new L2Exchange({
      symbols: [{ ...TXF, id: 0 }],
      scheduler: sched,
      latency: new ConstantLatency(1_000, 2_000),
      queue: new RiskAverseQueue(),
    });
    assert.equal(ex.copiesCommands, true);
    const out: VenueExecEvent[] = [];
    ex.connect((e) => out.push({ ...e }));
    ex.onMarketEvent(0, MdKind.Level, 1, P(30000), 5, T0);
    ex.onMarketEvent(0, MdKind.Level, -1, P(30001), 4, T0);
    const cmd = command(1, 1, P(30000), 1, T0);
    ex.submit(cmd);
    // Reused by the sender for another order before this one reached the book.
    cmd.orderId = 2;
    cmd.intent.price = P(30001);
    cmd.intent.qty = 3;
    runUntil(clock, sched, T0 + 10_000);
    assert.deepEqual(
      out.map((e) => [e.type, e.orderId, e.leavesQty]),
      [['ack', 1, 1]],
      'order 1 rests at 30000 for 1 lot; nothing crossed',
    );
    assert.equal(ex.queueAhead(1), 5);
  });
});
