import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NS_PER_MS, NS_PER_S, SimClock } from '../../src/core/clock.ts';
import { createLogger } from '../../src/core/logger.ts';
import { Scheduler, type TaskSource } from '../../src/core/scheduler.ts';
import { GuardSampler } from '../../src/risk/guard-sampler.ts';
import { guardThresholds, StormGuard } from '../../src/risk/storm-guard.ts';

const DAY = 86_400 * NS_PER_S;

/**
 * Two sessions two days apart: market data (and equity moves) for 2 minutes, then nothing until
 * the second session. `busy` adds a source that has work every 100 ms through the gap (so the
 * guard cannot skip it): the transitions must be the same either way.
 */
function run(busy: boolean) {
  const clock = new SimClock(0);
  const sched = new Scheduler(clock);
  let events = 0;
  let equity = 0;
  const sessions = [
    [0, 120 * NS_PER_S],
    [2 * DAY, 2 * DAY + 120 * NS_PER_S],
  ];
  // The feed: an event every 10 ms in the sessions; a loss of 1.5% of capital 60 s into the first.
  const feed: TaskSource = {
    nextTs: 0,
    run() {
      const t = clock.nowNs();
      events++;
      if (t === 60 * NS_PER_S) equity = -150_000 * 10_000;
      if (t === 2 * DAY + 30 * NS_PER_S) equity = 0;
      let next = t + 10 * NS_PER_MS;
      if (next > sessions[0][1] && next < sessions[1][0]) next = sessions[1][0];
      this.nextTs = next > sessions[1][1] ? Number.POSITIVE_INFINITY : next;
    },
  };
  sched.addSource(feed);
  if (busy) {
    const idle: TaskSource = {
      nextTs: 0,
      run() {
        this.nextTs = clock.nowNs() + 100 * NS_PER_MS;
        if (this.nextTs > sessions[1][1]) this.nextTs = Number.POSITIVE_INFINITY;
      },
    };
    sched.addSource(idle);
  }
  const th = guardThresholds({
    enabled: true,
    eval_interval_ms: 250,
    capital: 10_000_000,
    drawdown_warm_bps: 50,
    drawdown_storm_bps: 100,
    drawdown_halt_bps: 200,
    reject_rate_warm: 0.25,
    reject_rate_storm: 0.5,
    reject_window_s: 10,
    reject_min_orders: 20,
    feed_gap_storm_s: 1,
    latency_warm_us: 5000,
    latency_storm_us: 20000,
    latency_sustain: 4,
    strategy_errors_warm: true,
    de_escalate_after: 5,
    cooldown_warm_s: 30,
    cooldown_storm_s: 30,
    cooldown_halt_s: 60,
    storm_reduce_only: true,
    cancel_on_halt: true,
  });
  th.feedGapStormS = 0; // as in replays
  const guard = new StormGuard(th, clock, createLogger('silent'), {
    gates: [],
    reducer: { reduceOnly: false },
    cancelAll: () => 0,
  });
  const sampler = new GuardSampler(
    {
      equity: () => equity,
      orders: () => 0,
      rejects: () => 0,
      marketEvents: () => events,
      strategyErrors: () => 0,
    },
    10_000_000,
    40,
    20,
    { rate: 0, intervalNs: 250 * NS_PER_MS, graceNs: 0, sustain: 4 },
  );
  guard.start(sched, 250 * NS_PER_MS, sampler);
  while (sched.advance(Number.POSITIVE_INFINITY, clock, 100_000) > 0 && clock.nowNs() < sessions[1][1]) {}
  return { guard, history: guard.history.map((t) => [t.ts, t.from, t.to, t.reason]) };
}

test('in simulated time the guard skips a gap without work, with the same transitions as evaluating through it', () => {
  const through = run(true);
  const skipped = run(false);
  assert.deepEqual(skipped.history, through.history);
  assert.deepEqual(
    through.history.map((h) => `${h[1]}>${h[2]}`),
    ['NORMAL>STORM', 'STORM>WARM', 'WARM>NORMAL'],
    'STORM on the loss; the loss is recovered in the second session',
  );
  // Two days of evaluations every 250 ms are 691k; skipping the gap leaves those of the sessions.
  assert.ok(through.guard.evaluations > 690_000);
  assert.ok(skipped.guard.evaluations < 2_000, `${skipped.guard.evaluations}`);
});
