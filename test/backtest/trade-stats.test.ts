import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TradeStats } from '../../src/backtest/trade-stats.ts';
import { NS_PER_S, SimClock } from '../../src/core/clock.ts';
import { Scheduler } from '../../src/core/scheduler.ts';
import { symbolByCode } from '../helpers/symbols.ts';

const TXF = symbolByCode('TXFD6');

test('markouts: side x (mid - price) at 1, 10 and 60 s after each fill, in ticks and money; past the data: not measured', () => {
  const clock = new SimClock(0);
  const sched = new Scheduler(clock);
  let mid = 3_300_000; // 33,000.00 points
  const stats = new TradeStats([{ ...TXF, id: 0 }], sched, () => mid);
  // Mid moves at 0.5 s, 5 s and 30 s; fills at 0 (buy 2 @ 32,999) and 2 s (sell 1 @ 33,003).
  sched.at(0.5 * NS_PER_S, () => (mid = 3_300_200));
  sched.at(5 * NS_PER_S, () => (mid = 3_299_900));
  sched.at(30 * NS_PER_S, () => (mid = 3_300_500));
  stats.onFill(0, 'mm', 0, 1, 3_299_900, 2);
  sched.at(2 * NS_PER_S, () => stats.onFill(2 * NS_PER_S, 'mm', 0, -1, 3_300_300, 1));
  // The data ends at 61 s.
  while (sched.advance(61 * NS_PER_S, clock, 1000) > 0) {}
  const m = (i: number, k: number) => stats.markouts.get(i, k);
  // Buy @ 32,999: mid 33,002 at 1 s (+3 ticks), 32,999 at 10 s (0), 33,005 at 60 s (+6).
  assert.deepEqual([m(0, 0), m(0, 1), m(0, 2)], [3, 0, 6]);
  // Sell @ 33,003: mid 33,002 at 3 s (+1), 32,999 at 12 s (+4); 62 s is past the end: not measured.
  assert.deepEqual([m(1, 0), m(1, 1)], [1, 4]);
  assert.ok(Number.isNaN(m(1, 2)));
  const s = stats.markoutStats();
  assert.deepEqual(s[0], { horizon_s: 1, fills: 2, avg_ticks: 2.3333, total: (3 * 2 + 1) * 200 });
  assert.deepEqual(s[2], { horizon_s: 60, fills: 1, avg_ticks: 6, total: 6 * 2 * 200 });
});

test('holding time: FIFO lots per strategy and symbol, weighted by quantity', () => {
  const clock = new SimClock(0);
  const stats = new TradeStats([{ ...TXF, id: 0 }], new Scheduler(clock), () => 3_300_000);
  const s = (t: number) => t * NS_PER_S;
  stats.onFill(s(0), 'a', 0, 1, 3_300_000, 2); // long 2 from 0 s
  stats.onFill(s(1), 'b', 0, -1, 3_300_000, 1); // another strategy: its own lots (short 1)
  stats.onFill(s(10), 'a', 0, 1, 3_300_000, 1); // long 3
  stats.onFill(s(20), 'a', 0, -1, 3_300_000, 3); // closes 2 held 20 s and 1 held 10 s
  stats.onFill(s(25), 'a', 0, -1, 3_300_000, 1); // short 1 (open)
  stats.onFill(s(31), 'b', 0, 1, 3_300_000, 1); // closes b's short after 30 s
  assert.deepEqual(stats.holdingStats(), {
    closed_qty: 4,
    avg_s: (20 * 2 + 10 + 30) / 4,
    median_s: 20,
    max_s: 30,
    open_qty: 1,
  });
});

test('a markout due with a data event of its time reads the mid after the event (the replay sources come first)', () => {
  const clock = new SimClock(0);
  const sched = new Scheduler(clock);
  let mid = 3_300_000;
  // A data source added before the statistics, as the replay venue's are: the mid moves at exactly 1 s.
  sched.addSource({
    nextTs: NS_PER_S,
    run() {
      mid = 3_300_200;
      this.nextTs = Number.POSITIVE_INFINITY;
    },
  });
  const stats = new TradeStats([{ ...TXF, id: 0 }], sched, () => mid);
  stats.onFill(0, 'mm', 0, 1, 3_300_000, 1);
  while (sched.advance(61 * NS_PER_S, clock, 1000) > 0) {}
  // Bought at 33,000, the mid 33,002 from 1 s on: +2 ticks at every horizon.
  assert.deepEqual(
    [0, 1, 2].map((k) => stats.markouts.get(0, k)),
    [2, 2, 2],
  );
  // The run went on until the last markout inside the data (60 s), as with a timer.
  assert.equal(clock.nowNs(), 60 * NS_PER_S);
});
