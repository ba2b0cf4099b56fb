import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NS_PER_MS, NS_PER_S, SimClock } from '../../src/core/clock.ts';
import { createLogger } from '../../src/core/logger.ts';
import { Scheduler } from '../../src/core/scheduler.ts';
import { GuardSampler } from '../../src/risk/guard-sampler.ts';
import {
  type GuardInputs,
  type GuardThresholds,
  type GuardTransition,
  StormGuard,
} from '../../src/risk/storm-guard.ts';
import { isSafetyGuard } from '../../src/services/supervisor.ts';

const T0 = 1_775_610_000_000_000_000;

/** The original system's thresholds (reference defaults). */
const TH: GuardThresholds = {
  drawdownWarmBps: 50,
  drawdownStormBps: 100,
  drawdownHaltBps: 200,
  rejectRateWarm: 0.25,
  rejectRateStorm: 0.5,
  feedGapStormS: 1,
  latencyWarmUs: 5000,
  latencyStormUs: 20000,
  strategyErrorsWarm: true,
  deEscalateAfter: 5,
  cooldownNs: [0, 30 * NS_PER_S, 30 * NS_PER_S, 60 * NS_PER_S],
  stormReduceOnly: true,
  cancelOnHalt: true,
};

const CALM: GuardInputs = {
  drawdownBps: 0,
  rejectRate: Number.NaN,
  feedGapS: 0,
  latencyUs: 0,
  strategyErrors: 0,
};

function setup(th: Partial<GuardThresholds> = {}) {
  const clock = new SimClock(T0);
  const risk = { halted: false, reduceOnly: false };
  const orders = { halted: false };
  let cancels = 0;
  const guard = new StormGuard({ ...TH, ...th }, clock, createLogger('silent'), {
    gates: [risk, orders],
    reducer: risk,
    cancelAll: () => {
      cancels++;
      return 7;
    },
  });
  const seen: GuardTransition[] = [];
  guard.onTransition((t) => seen.push(t));
  const feed = (inp: Partial<GuardInputs>, times = 1, stepNs = 250 * NS_PER_MS) => {
    for (let i = 0; i < times; i++) {
      clock.set(clock.nowNs() + stepNs);
      guard.update({ ...CALM, ...inp });
    }
  };
  return { clock, guard, risk, orders, seen, feed, cancels: () => cancels };
}

test('NORMAL -> WARM on each warm input: drawdown, latency, reject rate, strategy errors', () => {
  for (const inp of [
    { drawdownBps: 50 },
    { latencyUs: 5000 },
    { rejectRate: 0.25 },
    { strategyErrors: 1 },
  ] as Partial<GuardInputs>[]) {
    const { guard, feed, seen, risk } = setup();
    feed({ drawdownBps: 49.9, latencyUs: 4999, rejectRate: 0.24 });
    assert.equal(guard.stateName, 'NORMAL');
    feed(inp);
    assert.equal(guard.stateName, 'WARM', JSON.stringify(inp));
    assert.equal(risk.reduceOnly, false, 'WARM only warns');
    assert.equal(seen.length, 1);
  }
});

test('-> STORM on each storm input (escalation is immediate, levels can be skipped); STORM is reduce-only', () => {
  for (const [inp, why] of [
    [{ drawdownBps: 100 }, /drawdown 100.0 bps >= 100/],
    [{ feedGapS: 1.2 }, /feed_gap 1.20 s >= 1/],
    [{ latencyUs: 25_000 }, /latency 25000 us >= 20000/],
    [{ rejectRate: 0.6 }, /reject_rate 0.60 >= 0.5/],
  ] as [Partial<GuardInputs>, RegExp][]) {
    const { guard, feed, seen, risk, orders } = setup();
    feed(inp);
    assert.equal(guard.stateName, 'STORM');
    assert.equal(guard.blocking, true);
    assert.equal(risk.reduceOnly, true);
    assert.equal(orders.halted, false, 'STORM does not block reducing orders');
    assert.deepEqual([seen[0].from, seen[0].to], ['NORMAL', 'STORM']);
    assert.match(seen[0].reason, why);
  }
});

test('-> HALT on drawdown: blocks every gate at once, cancels working orders, and latches', () => {
  const { guard, feed, risk, orders, cancels, seen } = setup();
  feed({ drawdownBps: 60 });
  feed({ drawdownBps: 210 });
  assert.equal(guard.stateName, 'HALT');
  assert.equal(risk.halted, true);
  assert.equal(orders.halted, true);
  assert.equal(cancels(), 1);
  assert.equal(guard.haltCancels, 7);
  assert.deepEqual(
    seen.map((t) => `${t.from}>${t.to}`),
    ['NORMAL>WARM', 'WARM>HALT'],
  );
  assert.equal(seen[1].inputs.drawdownBps, 210, 'the transition keeps the inputs that caused it');
  assert.match(seen[1].reason, /^drawdown 210\.0 bps >= \d+$/);
  // The latch's reason follows the last evaluation that latched (deeper: 250 bps).
  feed({ drawdownBps: 250 });
  // Daily-loss latch: calm for minutes, still HALT.
  feed({}, 2000);
  assert.equal(guard.stateName, 'HALT');
  assert.deepEqual(
    guard.reasons.filter((r) => r.startsWith('drawdown')),
    [seen[1].reason.replace('210.0', '250.0')],
  );
});

test('hysteresis: down one level after N consecutive calmer evaluations and the cooldown', () => {
  const { guard, feed, seen } = setup({ cooldownNs: [0, 2 * NS_PER_S, 5 * NS_PER_S, 60 * NS_PER_S] });
  feed({ feedGapS: 3 });
  assert.equal(guard.stateName, 'STORM');
  feed({}, 4, 2 * NS_PER_S); // 8 s: past the cooldown, but only 4 calm evaluations
  assert.equal(guard.stateName, 'STORM');
  feed({ feedGapS: 2 }); // not calmer: the count starts again
  feed({}, 4, 2 * NS_PER_S);
  assert.equal(guard.stateName, 'STORM');
  feed({}, 1, 2 * NS_PER_S);
  assert.equal(guard.stateName, 'WARM', 'one level at a time');
  // Cooldown: 5 calm evaluations in 1.25 s are not enough to leave WARM (2 s cooldown).
  feed({}, 5);
  assert.equal(guard.stateName, 'WARM');
  feed({}, 4);
  assert.equal(guard.stateName, 'NORMAL');
  assert.deepEqual(
    seen.map((t) => `${t.from}>${t.to}`),
    ['NORMAL>STORM', 'STORM>WARM', 'WARM>NORMAL'],
  );
  assert.match(seen[1].reason, /calmer for 5 evaluations/);
  // A still-elevated input steps down only to its own level.
  const b = setup({ cooldownNs: [0, 0, 0, 0] });
  b.feed({ drawdownBps: 150 });
  b.feed({ drawdownBps: 60 }, 5);
  assert.equal(b.guard.stateName, 'WARM');
  b.feed({ drawdownBps: 60 }, 20);
  assert.equal(b.guard.stateName, 'WARM');
});

test('a reconciliation HALT holds while its latch holds; released, it de-escalates by hysteresis', () => {
  const { guard, feed, risk, seen } = setup({ cooldownNs: [0, 0, 0, 10 * NS_PER_S] });
  guard.halt('recon_mismatch TXFD6: local 2 venue 3', 'recon');
  assert.equal(guard.stateName, 'HALT');
  assert.equal(risk.halted, true, 'immediately, not at the next evaluation');
  feed({}, 100);
  assert.equal(guard.stateName, 'HALT');
  guard.release('recon');
  feed({}, 4);
  assert.equal(guard.stateName, 'HALT', 'needs 5 calm evaluations');
  feed({}, 1, 10 * NS_PER_S);
  assert.equal(guard.stateName, 'STORM');
  assert.equal(risk.halted, false);
  assert.equal(risk.reduceOnly, true);
  feed({}, 10);
  assert.equal(guard.stateName, 'NORMAL');
  assert.equal(seen[0].reason, 'recon_mismatch TXFD6: local 2 venue 3');
});

test('manual reset clears every latch and raised reason, and re-bases the drawdown', () => {
  const clock = new SimClock(T0);
  let equity = 0;
  let events = 0;
  const sampler = new GuardSampler(
    {
      equity: () => equity,
      orders: () => 0,
      rejects: () => 0,
      marketEvents: () => ++events,
      strategyErrors: () => 0,
    },
    1_000_000,
    40,
    20,
  );
  const gate = { halted: false, reduceOnly: false };
  const guard = new StormGuard(TH, clock, createLogger('silent'), {
    gates: [gate],
    reducer: gate,
    cancelAll: () => 0,
  });
  const scheduler = new Scheduler(clock);
  guard.start(scheduler, 250 * NS_PER_MS, sampler);
  const run = (ns: number) => {
    const end = clock.nowNs() + ns;
    for (let t = scheduler.nextTs(); t <= end; t = scheduler.nextTs()) {
      clock.set(t);
      scheduler.runNext(t);
    }
  };
  run(NS_PER_S);
  equity = -30_000 * 10_000; // 300 bps of 1M
  run(NS_PER_S);
  assert.equal(guard.stateName, 'HALT');
  guard.raise(1, 'loop_lag');
  guard.resume('operator reset after review');
  assert.equal(guard.stateName, 'NORMAL');
  assert.equal(gate.halted, false);
  assert.deepEqual(guard.reasons, []);
  run(5 * NS_PER_S);
  assert.equal(guard.stateName, 'NORMAL', 'drawdown is measured from the reset on');
  assert.equal(guard.history.at(-1)?.reason, 'operator reset after review');
  guard.stop();
  const n = guard.evaluations;
  run(5 * NS_PER_S);
  assert.equal(guard.evaluations, n);
});

test('reasons raised from outside (the supervisor) escalate at once and fall back by hysteresis when cleared', () => {
  const { guard, feed } = setup({ cooldownNs: [0, 0, 0, 0] });
  assert.ok(isSafetyGuard(guard), 'drives the supervisor and the ops controls');
  guard.raise(2, 'loop_lag');
  assert.equal(guard.level, 2);
  feed({}, 10);
  assert.equal(guard.level, 2, 'held while raised');
  guard.clear('loop_lag');
  feed({}, 5);
  assert.equal(guard.level, 1);
  feed({}, 5);
  assert.equal(guard.level, 0);
  guard.raise(3, 'operator');
  guard.clear('operator');
  feed({}, 50);
  assert.equal(guard.level, 3, 'a raised HALT latches until resume');
  guard.evaluate(0);
  guard.resume();
  assert.equal(guard.level, 0);
  // Without its own timer (storm_guard.enabled false) the supervisor's evaluate() steps the hysteresis.
  guard.raise(1, 'queue_full');
  guard.clear('queue_full');
  for (let i = 0; i < 4; i++) guard.evaluate(0);
  assert.equal(guard.level, 1);
  guard.evaluate(0);
  assert.equal(guard.level, 0);
});

test('the sampler: drawdown from the equity peak, venue reject rate over the window, feed gap, timer lag', () => {
  let equity = 0;
  let orders = 0;
  let rejects = 0;
  let events = 0;
  let errors = 0;
  const s = new GuardSampler(
    {
      equity: () => equity,
      orders: () => orders,
      rejects: () => rejects,
      marketEvents: () => events,
      strategyErrors: () => errors,
    },
    1_000_000,
    4,
    10,
  );
  let t = T0;
  const tick = (lag = 0) => s.sample((t += 250 * NS_PER_MS), lag);
  assert.equal(tick().feedGapS, 0, 'no feed yet: no gap');
  equity = 5_000 * 10_000;
  events = 10;
  tick();
  equity = 3_000 * 10_000;
  const a = tick(3 * NS_PER_MS);
  assert.equal(a.drawdownBps, 20, '2,000 below the 5,000 peak on 1M');
  assert.ok(Math.abs(a.feedGapS - 0.25) < 1e-6, `${a.feedGapS}`);
  assert.equal(a.latencyUs, 3000);
  orders = 8;
  rejects = 4;
  assert.ok(Number.isNaN(tick().rejectRate), 'below the minimum sample');
  orders = 20;
  rejects = 5;
  assert.equal(tick().rejectRate, 0.25);
  tick();
  tick();
  tick();
  assert.ok(Number.isNaN(tick().rejectRate), 'the window slid past them');
  errors = 3;
  assert.equal(tick().strategyErrors, 3);
  assert.equal(tick().strategyErrors, 0);
});

test('the sampler: no feed gap accrues while no market data is due (a live run between sessions)', () => {
  let events = 10;
  let due = true;
  const s = new GuardSampler(
    {
      equity: () => 0,
      orders: () => 0,
      rejects: () => 0,
      marketEvents: () => events,
      strategyErrors: () => 0,
      feedExpected: () => due,
    },
    1_000_000,
    4,
    10,
  );
  let t = T0;
  const tick = () => s.sample((t += 250 * NS_PER_MS), 0);
  tick();
  due = false;
  for (let i = 0; i < 40; i++) assert.equal(tick().feedGapS, 0, 'closed: silence is no gap');
  due = true;
  tick();
  tick();
  assert.ok(Math.abs(tick().feedGapS - 0.75) < 1e-6, 'open again: the gap counts from the open');
  events = 11;
  assert.equal(tick().feedGapS, 0);
});

test('a condition (recorder disk, reconciliation) holds HALT while it is true: a manual resume is refused with its reason; released, resume works', () => {
  const { guard, feed, risk, seen } = setup({ cooldownNs: [0, 0, 0, 0] });
  guard.halt('operator HALT');
  guard.hold('recorder', 'recorder disk at HALT level (99.0% used, WAL 10 B)');
  guard.hold('recon', 'recon_mismatch TXFD6: local 2 venue 3');
  const n = seen.length;
  const held = guard.resume('operator resume');
  assert.deepEqual(held, [
    'recorder disk at HALT level (99.0% used, WAL 10 B)',
    'recon_mismatch TXFD6: local 2 venue 3',
  ]);
  assert.equal(guard.stateName, 'HALT', 'refused: nothing changes');
  assert.equal(risk.halted, true);
  assert.equal(seen.length, n, 'no transition');
  assert.ok(
    guard.reasons.includes('operator HALT'),
    'a refused resume lifts nothing, not even the manual latch',
  );
  feed({}, 50);
  assert.equal(guard.stateName, 'HALT', 'calm inputs do not lift a held condition');
  guard.hold('recorder', 'recorder cannot store orders/fills');
  assert.equal(seen.length, n, 'a new reason for a held condition is no new transition');
  assert.ok(guard.reasons.includes('recorder cannot store orders/fills'));

  guard.release('recorder');
  assert.deepEqual(guard.resume(), ['recon_mismatch TXFD6: local 2 venue 3']);
  guard.release('recon');
  assert.deepEqual(guard.resume('operator resume'), []);
  assert.equal(guard.stateName, 'NORMAL');
  assert.equal(risk.halted, false);
  assert.deepEqual(guard.reasons, []);
  // A condition coming back re-asserts HALT at once.
  guard.hold('recorder', 'recorder disk at HALT level (99.5% used, WAL 10 B)');
  assert.equal(guard.stateName, 'HALT');
});
