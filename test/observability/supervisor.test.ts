import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimClock } from '../../src/core/clock.ts';
import { createLogger } from '../../src/core/logger.ts';
import { StormGuard } from '../../src/risk/storm-guard.ts';
import {
  type ControlTarget,
  isSafetyGuard,
  type LoopDelay,
  type Service,
  Supervisor,
  type SupervisorOptions,
  systemServices,
  TradingControl,
} from '../../src/services/supervisor.ts';

const log = createLogger('silent');

/** A StormGuard driven only by what is raised (its own input thresholds off, no cooldowns). */
function stormGuard(gates: { halted: boolean }[]): StormGuard {
  const th = {
    drawdownWarmBps: 0,
    drawdownStormBps: 0,
    drawdownHaltBps: 0,
    rejectRateWarm: 0,
    rejectRateStorm: 0,
    feedGapStormS: 0,
    latencyWarmUs: 0,
    latencyStormUs: 0,
    strategyErrorsWarm: false,
    deEscalateAfter: 1,
    cooldownNs: [0, 0, 0, 0] as const,
    stormReduceOnly: true,
    cancelOnHalt: false,
  };
  return new StormGuard(th, new SimClock(0), log, {
    gates,
    reducer: { reduceOnly: false },
    cancelAll: () => 0,
  });
}

const CALM = { drawdownBps: 0, rejectRate: Number.NaN, feedGapS: 0, latencyUs: 0, strategyErrors: 0 };

/** A fake order book-keeping: open orders per strategy and a sent counter. */
function fakeTarget() {
  const open = new Map<string, Set<{ orderId: number }>>([
    ['a', new Set([{ orderId: 1 }, { orderId: 2 }])],
    ['b', new Set([{ orderId: 3 }])],
  ]);
  const cancelled: number[] = [];
  const counters = { sent: 10, cancelsAccepted: 0 };
  const t = {
    runner: { strategies: [{ id: 'a' }, { id: 'b' }], setEnabled: () => 0, reduce: () => [] },
    orders: {
      counters,
      openOrders: (id: string) => open.get(id) ?? new Set(),
      cancel: (orderId: number) => {
        cancelled.push(orderId);
        counters.cancelsAccepted++;
        for (const s of open.values()) for (const o of s) if (o.orderId === orderId) s.delete(o);
        return true;
      },
    },
  } satisfies ControlTarget;
  return { t, cancelled };
}

/** Event-loop delays: `p99` the tail, `p90` (default: the same) most wake-ups. */
function fakeLoop(): LoopDelay & { p99: number; p90: number | null } {
  return {
    p99: 0,
    p90: null,
    percentile(p: number) {
      return p === 99 ? this.p99 : p === 90 ? (this.p90 ?? this.p99) : 0;
    },
    get max() {
      return this.p99;
    },
    reset() {},
    enable() {},
    disable() {},
  };
}

function setup(over: Partial<SupervisorOptions> = {}) {
  let now = 1_000_000;
  const gates = [{ halted: false }, { halted: false }];
  const guard = stormGuard(gates);
  const { t, cancelled } = fakeTarget();
  const control = new TradingControl(t, guard, log, () => now);
  const loop = fakeLoop();
  const sup = new Supervisor({
    control,
    log,
    intervalMs: 1000,
    loopLagWarnMs: 5,
    loopLagStormMs: 20,
    sustain: 3,
    watchLoopLag: true,
    queueHighRatio: 0.9,
    heartbeatTimeoutMs: 5000,
    now: () => now,
    loopDelay: loop,
    ...over,
  });
  return {
    sup,
    control,
    guard,
    gates,
    loop,
    cancelled,
    target: t,
    tick: (ms = 1000) => {
      now += ms;
      sup.check();
    },
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

test('control: HALT cancels every working order, records the transition, and resume clears it', () => {
  const { control, cancelled, gates } = setup();
  const n = control.halt('test halt', 'ops:127.0.0.1');
  assert.equal(n, 3);
  assert.deepEqual(cancelled.sort(), [1, 2, 3]);
  assert.equal(control.level, 3);
  assert.equal(control.halted, true);
  assert.ok(
    gates.every((g) => g.halted),
    'every gate blocks new orders',
  );
  control.resume('ops:127.0.0.1');
  assert.ok(gates.every((g) => !g.halted));
  assert.equal(control.level, 0);
  assert.deepEqual(
    control.history.map((h) => [h.from, h.to, h.reason, h.source]),
    [
      [0, 3, 'test halt', 'ops:127.0.0.1'],
      [3, 0, 'manual reset', 'ops:127.0.0.1'],
    ],
  );
  assert.equal(control.transitions, 2);
  control.count('halt', 'refused');
  control.count('halt', 'refused');
  assert.deepEqual(control.requests, { 'halt:refused': 2 });
});

test('HALT enforcement: an order sent during HALT is counted as a violation and cancelled', () => {
  const { control, target, tick, cancelled } = setup();
  control.halt('test', 'test');
  tick();
  assert.equal(control.haltViolations, 0);
  target.orders.counters.sent += 2; // something bypassed the gates
  tick();
  assert.equal(control.haltViolations, 2);
  assert.equal(cancelled.length, 3, 'cancel-all ran again (nothing left open)');
  tick();
  assert.equal(control.haltViolations, 2, 'counted once');
});

test('loop lag: the first interval is not judged; WARM above warn, STORM only when sustained', () => {
  const { sup, control, guard, loop, tick } = setup();
  loop.p99 = 50e6;
  tick();
  assert.equal(control.level, 0, 'start-up interval ignored');
  assert.equal(sup.loopLagP99Ms, 50);
  tick();
  assert.equal(control.level, 1, 'WARM');
  tick();
  assert.equal(control.level, 1);
  tick();
  assert.equal(control.level, 2, 'STORM after 3 intervals over 20 ms');
  assert.deepEqual(sup.escalations, { loop_lag: 1 });
  assert.deepEqual(control.reasons, ['loop_lag']);
  loop.p99 = 1e6;
  tick();
  assert.deepEqual(control.reasons, [], 'cleared when lag is back');
  // StormGuard's hysteresis brings it down, one level per calm evaluation.
  const levels: number[] = [control.level];
  for (let i = 0; i < 5 && control.level > 0; i++) {
    guard.update(CALM);
    levels.push(control.level);
  }
  assert.equal(control.level, 0);
  assert.ok(
    levels.every((l, i) => i === 0 || levels[i - 1] - l <= 1),
    `stepwise: ${levels}`,
  );
});

test('loop lag: a busy machine delays the tail of the wake-ups (WARM), a stalled loop most of them (STORM)', () => {
  const { control, loop, tick } = setup();
  tick();
  // Load 18 on 2 cores: p99 20-130 ms, p90 under 20 ms.
  loop.p99 = 90e6;
  loop.p90 = 12e6;
  for (let i = 0; i < 10; i++) tick();
  assert.equal(control.level, 1, 'WARM, not STORM');
  loop.p90 = 60e6;
  tick();
  tick();
  assert.equal(control.level, 1);
  tick();
  assert.equal(control.level, 2, 'most wake-ups 60 ms late for 3 intervals');
});

test('loop lag is measured but not escalated when not watched (simulated-time runs)', () => {
  const { sup, control, loop, tick } = setup({ watchLoopLag: false });
  loop.p99 = 100e6;
  for (let i = 0; i < 5; i++) tick();
  assert.equal(sup.loopLagP99Ms, 100);
  assert.equal(control.level, 0);
});

test('loop lag is not judged during the start-up grace (run.startup_grace_s)', () => {
  const { sup, control, loop, tick } = setup({ graceMs: 5000 });
  sup.start();
  try {
    loop.p99 = 50e6;
    for (let i = 0; i < 4; i++) tick();
    assert.equal(control.level, 0, 'JIT warm-up and store opening stall the loop: not a STORM');
    assert.equal(sup.loopLagP99Ms, 50, 'measured all the same');
    tick();
    assert.equal(control.level, 1, 'judged once the grace is over');
    tick();
    tick();
    assert.equal(control.level, 2);
  } finally {
    sup.stop();
  }
});

test('a saturated critical queue raises STORM after the sustain count', () => {
  const { sup, control, tick } = setup();
  let depth = 0;
  sup.watchQueue('bus', () => ({ depth, capacity: 100 }));
  depth = 95;
  tick();
  tick();
  assert.equal(control.level, 0);
  tick();
  assert.equal(control.level, 2);
  assert.deepEqual(control.reasons, ['queue_full:bus']);
  depth = 10;
  tick();
  assert.deepEqual(control.reasons, []);
});

/** A service whose liveness the test controls; counts starts and stops. */
function fakeService(name: string, clock: () => number) {
  const s = {
    name,
    alive: true,
    beat: clock(),
    starts: 0,
    stops: 0,
    start() {
      this.starts++;
      this.alive = true;
      this.beat = clock();
    },
    stop() {
      this.stops++;
      this.alive = false;
    },
    health() {
      return { alive: this.alive, lastBeatMs: this.beat };
    },
  };
  return s satisfies Service;
}

test('a dead service is restarted per its policy, then escalated once the restarts are spent', async () => {
  const { sup, control, tick, now } = setup();
  const svc = fakeService('ops-server', now);
  sup.add(svc, { restarts: 1, escalate: true });
  tick();
  assert.equal(sup.services()[0].up, true);
  svc.alive = false;
  tick();
  await new Promise((r) => setImmediate(r));
  assert.equal(svc.stops, 1);
  assert.equal(svc.starts, 1, 'restarted');
  assert.equal(sup.services()[0].restarts, 1);
  tick();
  assert.equal(sup.services()[0].up, true, 'back up after the restart');
  assert.equal(control.level, 0);
  svc.alive = false;
  tick();
  assert.equal(svc.starts, 1, 'no restarts left');
  assert.equal(control.level, 2);
  assert.deepEqual(control.reasons, ['service_down:ops-server']);
  assert.equal(sup.services()[0].detail, 'not alive');
  svc.alive = true;
  svc.beat = now();
  tick();
  assert.deepEqual(control.reasons, [], 'cleared when it is back');
});

test('a service with escalate=false that cannot restart is only reported', () => {
  const { sup, control, tick, now } = setup();
  const svc = fakeService('dashboard', now);
  sup.add(svc, { restarts: 0, escalate: false });
  svc.alive = false;
  tick();
  assert.equal(sup.services()[0].up, false);
  assert.equal(control.level, 0);
});

test('market-data heartbeat: a feed that stops moving goes stale and raises STORM', () => {
  const { sup, control, tick, now } = setup();
  const sys = {
    marketData: { events: 0 },
    runner: { strategies: [{ id: 's' }], isEnabled: () => true },
    recorder: null,
  };
  for (const svc of systemServices(sys, now)) sup.add(svc, { restarts: 0, escalate: true });
  for (let i = 0; i < 6; i++) {
    sys.marketData.events += 10;
    tick();
  }
  assert.equal(control.level, 0);
  assert.ok(sup.feedAgeMs <= 1000);
  for (let i = 0; i < 6; i++) tick();
  assert.equal(sup.feedAgeMs, 6000);
  assert.equal(control.level, 2);
  assert.deepEqual(control.reasons, ['service_down:market-data']);
  assert.match(sup.services()[0].detail, /no heartbeat for 6000 ms/);
});

test('market-data heartbeat: silence while no data is due (between sessions) is not a dead feed', () => {
  const { sup, control, tick, now } = setup();
  let due = false;
  const sys = {
    marketData: { events: 0 },
    runner: { strategies: [{ id: 's' }], isEnabled: () => true },
    recorder: null,
    feedExpected: () => due,
  };
  for (const svc of systemServices(sys, now)) sup.add(svc, { restarts: 0, escalate: true });
  for (let i = 0; i < 12; i++) tick();
  assert.equal(control.level, 0, 'closed: the feed is not judged');
  assert.equal(sup.services()[0].up, true);
  due = true;
  for (let i = 0; i < 4; i++) tick();
  assert.equal(control.level, 0, 'open: silence counts from the open');
  for (let i = 0; i < 3; i++) tick();
  assert.equal(control.level, 2);
  assert.deepEqual(control.reasons, ['service_down:market-data']);
});

test('recorder heartbeat: idle is alive, failing without progress is dead', () => {
  const { sup, control, tick, now } = setup();
  const stats = { written: { orders: 0 }, wal_rows: { orders: 0 }, pending: 0, failed_rows: 0 };
  const sys = {
    marketData: { events: 0 },
    runner: { strategies: [], isEnabled: () => false },
    recorder: { stats: () => stats },
  };
  const svcs = systemServices(sys, now);
  assert.deepEqual(
    svcs.map((s) => s.name),
    ['market-data', 'recorder'],
    'no strategy runner without strategies',
  );
  sup.add(svcs[1], { restarts: 0, escalate: true });
  for (let i = 0; i < 10; i++) tick();
  assert.equal(sup.services()[0].up, true, 'idle recorder is healthy');
  stats.pending = 3;
  for (let i = 0; i < 10; i++) {
    stats.wal_rows.orders += 5; // the sink is down, rows go to the WAL: still progress
    tick();
  }
  assert.equal(sup.services()[0].up, true, 'writing to the WAL is alive');
  for (let i = 0; i < 7; i++) {
    stats.failed_rows += 5; // neither sink nor WAL takes rows
    tick();
  }
  assert.equal(sup.services()[0].up, false);
  assert.equal(sup.services()[0].detail, 'no heartbeat for 7000 ms; 35 rows lost');
  assert.equal(control.level, 2);
});

test('StormGuard drives the control: its own transitions and the operator ones share one history', () => {
  const gates = [{ halted: false }];
  const guard = stormGuard(gates);
  assert.ok(isSafetyGuard(guard));
  assert.ok(!isSafetyGuard({ level: 0 }));
  const { t: target, cancelled } = fakeTarget();
  const control = new TradingControl(target, guard, log);
  guard.raise(2, 'drawdown 120 bps'); // the guard's own decision, not through the control
  control.halt('operator', 'ops');
  assert.ok(gates[0].halted);
  assert.equal(cancelled.length, 3);
  assert.deepEqual(
    control.history.map((h) => [h.from, h.to, h.reason, h.source]),
    [
      [0, 2, 'drawdown 120 bps', 'stormguard'],
      [2, 3, 'operator', 'ops'],
    ],
  );
  assert.equal(control.transitions, 2);
});
