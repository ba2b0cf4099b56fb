import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadProject } from '../../src/config/project.ts';
import { NS_PER_MS, NS_PER_S } from '../../src/core/clock.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Scheduler } from '../../src/core/scheduler.ts';
import { GuardSampler, type LagOptions } from '../../src/risk/guard-sampler.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';

const T0 = 1_775_610_000_000_000_000;
const EVAL = 250 * NS_PER_MS;

function sampler(lag: LagOptions) {
  return new GuardSampler(
    { equity: () => 0, orders: () => 0, rejects: () => 0, marketEvents: () => 0, strategyErrors: () => 0 },
    1_000_000,
    40,
    20,
    lag,
  );
}

test('timer lag is a wall-clock quantity: divided by a paced replay speed, not applied in simulated time', () => {
  const paced = sampler({ rate: 10, intervalNs: EVAL, graceNs: 0, sustain: 1 });
  // --speed 10: a 3 ms hiccup of the event loop is 30 ms of replay time.
  assert.equal(paced.sample(T0 + EVAL, 30 * NS_PER_MS).latencyUs, 3000);
  const live = sampler({ rate: 1, intervalNs: EVAL, graceNs: 0, sustain: 1 });
  assert.equal(live.sample(T0 + EVAL, 30 * NS_PER_MS).latencyUs, 30_000);
  const simulated = sampler({ rate: 0, intervalNs: EVAL, graceNs: 0, sustain: 1 });
  assert.ok(Number.isNaN(simulated.sample(T0 + EVAL, 30 * NS_PER_MS).latencyUs), 'ignored by the guard');
});

test('lag is judged after the start-up grace, and only when every one of `sustain` evaluations was late', () => {
  const s = sampler({ rate: 1, intervalNs: EVAL, graceNs: 1.9 * NS_PER_S, sustain: 4 });
  let t = T0;
  const tick = (lagMs: number) => s.sample((t += EVAL), lagMs * NS_PER_MS).latencyUs;
  // Start-up (JIT warm-up, opening the store): 40 ms late for 2 s, not judged.
  for (let i = 0; i < 8; i++) assert.ok(Number.isNaN(tick(40)), `evaluation ${i} in the grace period`);
  // After it: NaN until `sustain` evaluations were seen, then the smallest of the last four.
  assert.ok(Number.isNaN(tick(1)));
  assert.ok(Number.isNaN(tick(1)));
  assert.ok(Number.isNaN(tick(61)));
  assert.equal(tick(1), 1000, 'one 61 ms hiccup among prompt timers is not a stall');
  assert.equal(tick(30), 1000);
  assert.equal(tick(25), 1000);
  assert.equal(tick(40), 1000);
  assert.equal(tick(50), 25_000, 'four late evaluations in a row: sustained lag');
  assert.equal(tick(1), 1000);
  // The guard ran once in 1.2 s (the loop was stuck): it stands for the evaluations it displaced.
  assert.equal(tick(1200), 450_000, '1.2 s late, less three periods');
  assert.equal(tick(1), 1000);
  assert.equal(tick(700), 1000, 'not stuck for four periods: one late evaluation');
});

/** A real-clock system (simulated exchange, no strategy) whose wall clock the test can jump forward. */
async function realtimeSystem(graceS: number, extra: { key: string; value: unknown; label: string }[] = []) {
  const { settings, symbols, strategies } = loadProject({
    root: repoRoot,
    env: 'test',
    envVars: {},
    overrides: [
      { key: 'run.clock', value: 'real', label: 'test' },
      { key: 'run.startup_grace_s', value: graceS, label: 'test' },
      { key: 'sim.symbols', value: ['TXFD6'], label: 'test' },
      // Thresholds far above what a busy test machine does by itself: only the injected stalls reach them.
      { key: 'storm_guard.latency_warm_us', value: 150_000, label: 'test' },
      { key: 'storm_guard.latency_storm_us', value: 300_000, label: 'test' },
      { key: 'storm_guard.feed_gap_storm_s', value: 60, label: 'test' },
      { key: 'reconciliation.enabled', value: false, label: 'test' },
      ...extra,
    ],
  });
  let offsetMs = 0;
  let scheduler: Scheduler | null = null;
  const sys = await TradingSystem.create({
    settings,
    root: repoRoot,
    symbols,
    strategies: strategies.map((s) => ({ ...s, enabled: false })),
    log: createLogger('silent'),
    record: false,
    wallMs: () => performance.now() + offsetMs,
    wrapVenue: (v, sch) => {
      scheduler = sch;
      return v;
    },
  });
  /**
   * Blocks the loop (as a slow task would) for `blockMs` of wall time every `everyMs` of the run's
   * schedule, from `fromS` to `toS` seconds in: the wall clock jumps instead of the test sleeping.
   */
  const stall = (fromS: number, toS: number, everyMs: number, blockMs: number) => {
    const start = sys.clock.nowNs();
    const step = (at: number) => {
      offsetMs += blockMs;
      const next = at + everyMs * NS_PER_MS;
      if (next < start + toS * NS_PER_S) scheduler!.at(next, step, next);
    };
    scheduler!.at(start + fromS * NS_PER_S, step, start + fromS * NS_PER_S);
  };
  const latencyStorms = () =>
    sys.stormGuard.history.filter((t) => t.to === 'STORM' && t.reason.startsWith('latency'));
  return { sys, stall, latencyStorms };
}

test('a loop stalled again and again after the grace period reaches STORM on latency', async () => {
  const { sys, stall, latencyStorms } = await realtimeSystem(1);
  // From 1.5 s in, a 200 ms block every 100 ms: the loop falls further behind at every step.
  stall(1.5, 60, 100, 200);
  await sys.run(8);
  assert.ok(latencyStorms().length > 0, JSON.stringify(sys.stormGuard.history));
  assert.match(latencyStorms()[0].reason, /^latency \d+ us >= 300000$/);
});

test('the same stalls during the start-up grace do not trip the guard (and do without the grace)', async () => {
  // Stalls in the first 2 s (module loading, JIT warm-up): 200 ms blocks every 100 ms (the loop
  // ends ~2 s behind, ~4 s in), then a healthy loop.
  const graced = await realtimeSystem(6);
  graced.stall(0.1, 2, 100, 200);
  await graced.sys.run(9);
  assert.deepEqual(
    graced.latencyStorms().map((t) => t.reason),
    [],
    'no STORM from start-up lag',
  );
  assert.ok(graced.sys.stormGuard.evaluations > 10);

  const ungraced = await realtimeSystem(0);
  ungraced.stall(0.1, 2, 100, 200);
  await ungraced.sys.run(5);
  assert.ok(ungraced.latencyStorms().length > 0, 'without the grace the same start-up stalls are a STORM');
});

describe('a replay paced at --speed 10', requireData(), () => {
  test('one 400 ms stall is not sustained lag: the window is 1 s of wall time, 40 evaluations', async () => {
    const paced = await realtimeSystem(1, [
      { key: 'feed.kind', value: 'replay', label: 'test' },
      { key: 'feed.data', value: [dataFile('taifex-txo35000q6-20260417.parquet')], label: 'test' },
      { key: 'feed.speed', value: 10, label: 'test' },
    ]);
    // 25 s of data in (2.5 s of wall time), the loop stalls once for 400 ms of wall time.
    paced.stall(25, 25.05, 100, 400);
    await paced.sys.run(45);
    assert.deepEqual(paced.latencyStorms(), []);
    // The evaluation after the stall saw it: 400 ms of wall time, 4 s of replay time.
    assert.ok(paced.sys.stormGuard.evaluations > 100);
  });
});
