import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as hdr from 'hdr-histogram-js';
import { SimClock } from '../../src/core/clock.ts';
import { LatencyHistogram, recordFast } from '../../src/core/histogram.ts';
import { Rng } from '../../src/core/rng.ts';
import { Scheduler } from '../../src/core/scheduler.ts';
import { LatencyStages, Stage, StageTappedHistogram } from '../../src/observability/latency-stages.ts';
import { SpanSampler } from '../../src/observability/span-sampler.ts';
import { timeMethod } from '../../src/observability/time-method.ts';
import { TradeTape } from '../../src/observability/trade-tape.ts';

const MIN = 60e9;

test('stage summary: percentiles match HdrHistogram, buckets are cumulative, the sum is exact', () => {
  const stages = new LatencyStages(new SimClock(0));
  const ref = new LatencyHistogram();
  let sum = 0;
  // 1..10,000 ns and a few slow outliers.
  for (let v = 1; v <= 10_000; v++) {
    stages.recordNs(Stage.Lob, v);
    ref.record(v);
    sum += v;
  }
  for (const v of [2e6, 3e6, 50e6]) {
    stages.recordNs(Stage.Lob, v);
    ref.record(v);
    sum += v;
  }
  // Bounds below 2048 ns are exact; above, HdrHistogram buckets are 0.1% wide.
  const s = stages.summary(Stage.Lob, [1000, 2000, 1e6, 1e9]);
  assert.equal(s.count, 10_003);
  assert.equal(s.sumNs, sum);
  assert.equal(s.p50Ns, ref.percentile(50));
  assert.equal(s.p99Ns, ref.percentile(99));
  assert.equal(s.p999Ns, ref.percentile(99.9));
  assert.equal(s.maxNs, ref.max);
  assert.deepEqual(s.cumulative, [1000, 2000, 10_000, 10_003]);
  assert.equal(stages.count(Stage.Risk), 0, 'other stages untouched');
  assert.deepEqual(stages.summary(Stage.Risk, [10]).cumulative, [0]);
});

test('the fast record path fills exactly the buckets HdrHistogram itself would', () => {
  const fast = new hdr.Int32Histogram(1, 3_600_000_000_000, 3);
  const lib = new hdr.Int32Histogram(1, 3_600_000_000_000, 3);
  const rng = new Rng(11);
  const values = [1, 2, 2047, 2048, 2049, 4095, 4096, 65_535, 65_536, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 3.6e12];
  for (let i = 0; i < 20_000; i++) values.push(Math.max(1, Math.round(Math.exp(rng.next() * 28))));
  for (const v of values) {
    recordFast(fast, v);
    lib.recordValue(v);
  }
  assert.equal(fast.totalCount, lib.totalCount);
  assert.equal(fast.maxValue, lib.maxValue);
  assert.equal(fast.minNonZeroValue, lib.minNonZeroValue);
  for (let i = 0; i < lib.countsArrayLength; i++)
    assert.equal(fast.getCountAtIndex(i), lib.getCountAtIndex(i), `bucket ${i}`);
});

test('per-minute rows hold only that minute, and are rolled on minute boundaries of the run clock', () => {
  const clock = new SimClock(10 * MIN + 5e9);
  const sched = new Scheduler(clock);
  const stages = new LatencyStages(clock);
  const minutes: { ts: number; rows: ReturnType<LatencyStages['rollMinute']> }[] = [];
  stages.onMinute = (rows) => minutes.push({ ts: clock.nowNs(), rows });
  stages.scheduleMinutes(sched);
  const advance = (to: number) => {
    while (sched.nextTs() <= to) {
      clock.set(sched.nextTs());
      sched.runNext(to);
    }
    clock.set(to);
  };
  for (let i = 0; i < 100; i++) stages.recordNs(Stage.Risk, 1000);
  stages.recordNs(Stage.Risk, 9000);
  advance(11 * MIN + 1);
  for (let i = 0; i < 10; i++) stages.recordNs(Stage.Risk, 200);
  stages.recordNs(Stage.Order, 700);
  advance(13 * MIN + 1);

  assert.equal(minutes.length, 3, 'rolled at 11, 12 and 13 minutes');
  assert.equal(minutes[0].ts, 11 * MIN);
  const [first] = minutes[0].rows;
  assert.equal(minutes[0].rows.length, 1);
  assert.equal(first.minuteTs, 10 * MIN);
  assert.equal(first.stage, 'risk');
  assert.equal(first.count, 101);
  assert.equal(first.maxNs, stages.summary(Stage.Risk).maxNs, '9000 ns, at HdrHistogram precision');
  assert.equal(first.p50Ns, 1000);
  assert.equal(first.meanNs, Math.round((100 * 1000 + 9000) / 101));

  const second = minutes[1].rows;
  assert.equal(second[0].minuteTs, 11 * MIN);
  assert.deepEqual(
    second.map((r) => [r.stage, r.count, r.p50Ns, r.maxNs]),
    [
      ['risk', 10, 200, 200],
      ['order', 1, 700, 700],
    ],
    'the second minute does not include the first minute',
  );
  assert.deepEqual(minutes[2].rows, [], 'an idle minute has no rows');
  assert.equal(stages.summary(Stage.Risk).count, 111, 'the cumulative histogram keeps everything');
});

test('one event in N is sampled into spans with its event number; ack/fill spans carry the order id', () => {
  const clock = new SimClock(1000);
  const stages = new LatencyStages(clock, 10);
  for (let e = 1; e <= 100; e++) {
    stages.beginEvent();
    stages.recordNs(Stage.Feed, e);
    stages.recordNs(Stage.Lob, 2 * e);
    stages.endEvent();
    stages.recordNs(Stage.Risk, 5); // outside an event: never sampled
  }
  for (let o = 1; o <= 20; o++) stages.recordOrderNs(Stage.Ack, 500_000, o);
  const spans: number[][] = [];
  const n = stages.spans.drain((ts, trace, stage, lat) => spans.push([ts, trace, stage, lat]));
  assert.equal(n, 22);
  const eventSpans = spans.filter((s) => s[2] !== Stage.Ack);
  assert.equal(eventSpans.length, 20);
  assert.deepEqual(eventSpans.slice(0, 4), [
    [1000, 10, Stage.Feed, 10],
    [1000, 10, Stage.Lob, 20],
    [1000, 20, Stage.Feed, 20],
    [1000, 20, Stage.Lob, 40],
  ]);
  assert.deepEqual(
    spans.filter((s) => s[2] === Stage.Ack).map((s) => s[1]),
    [10, 20],
    'ack spans: order ids 10 and 20',
  );
  assert.equal(
    stages.spans.drain(() => {}),
    0,
    'drained',
  );
});

test('the span ring overwrites the oldest when full and counts it', () => {
  const ring = new SpanSampler(4);
  for (let i = 0; i < 6; i++) ring.add(i, i, 0, i);
  assert.equal(ring.dropped, 2);
  assert.equal(ring.sampled, 6);
  const got: number[] = [];
  ring.drain((ts) => got.push(ts));
  assert.deepEqual(got, [2, 3, 4, 5]);
  assert.throws(() => new SpanSampler(6), /power of two/);
});

test('the tapped event -> intent histogram records into the run histogram and the stage', () => {
  const stages = new LatencyStages(new SimClock(0));
  const h = new StageTappedHistogram(stages);
  h.record(1234);
  h.record(5678);
  assert.equal(h.count, 2);
  assert.equal(stages.count(Stage.EventToIntent), 2);
  assert.equal(stages.summary(Stage.EventToIntent).sumNs, 1234 + 5678);
});

test('timeMethod times calls into a stage, keeps results and this, and adds to the nested time', () => {
  const stages = new LatencyStages(new SimClock(0));
  const target = {
    base: 40,
    check(x: number): number {
      return this.base + x;
    },
  };
  timeMethod(target, 'check', stages, Stage.Risk);
  assert.equal(target.check(2), 42);
  assert.equal(target.check(3), 43);
  assert.equal(stages.count(Stage.Risk), 2);
  assert.ok(stages.nestedMs > 0);
  stages.beginEvent();
  assert.equal(stages.nestedMs, 0, 'a new event resets the nested time');
  assert.throws(() => timeMethod(target, 'base', stages, Stage.Risk), /not a method/);
});

test('the trade tape keeps the last trades per symbol, newest first', () => {
  const tape = new TradeTape(2, 4);
  for (let i = 1; i <= 6; i++) tape.record(0, i, 100 + i, i, i % 2 === 0 ? 1 : -1);
  tape.record(1, 99, 500, 7, 0);
  tape.record(5, 1, 1, 1, 1); // unknown symbol: ignored
  assert.equal(tape.count(0), 6);
  assert.deepEqual(
    tape.recent(0).map((t) => t.price),
    [106, 105, 104, 103],
  );
  assert.deepEqual(tape.recent(0, 2)[0], { ts: 6, price: 106, qty: 6, side: 1 });
  assert.deepEqual(tape.recent(1), [{ ts: 99, price: 500, qty: 7, side: 0 }]);
  assert.deepEqual(tape.recent(5), []);
});
