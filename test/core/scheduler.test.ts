import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimClock } from '../../src/core/clock.ts';
import { Scheduler, type TaskSource } from '../../src/core/scheduler.ts';

/** A source over fixed times that logs what it runs (and may schedule a task when it runs). */
function source(name: string, times: number[], log: string[], onRun?: (t: number) => void): TaskSource {
  let i = 0;
  const s: TaskSource = {
    nextTs: times.length > 0 ? times[0] : Number.POSITIVE_INFINITY,
    run() {
      log.push(`${name}@${times[i]}`);
      onRun?.(times[i]);
      i++;
      s.nextTs = i < times.length ? times[i] : Number.POSITIVE_INFINITY;
    },
  };
  return s;
}

test('tasks run by time, ties in insertion order', () => {
  const clock = new SimClock(0);
  const s = new Scheduler(clock);
  const log: string[] = [];
  s.at(20, () => log.push('b'));
  s.at(10, () => log.push('a'));
  s.at(20, () => log.push('c'));
  while (s.advance(Number.POSITIVE_INFINITY, clock) > 0) {}
  assert.deepEqual(log, ['a', 'b', 'c']);
  assert.equal(clock.nowNs(), 20);
});

test('sources merge with tasks: sources first on ties, the first added first among sources', () => {
  const clock = new SimClock(0);
  const s = new Scheduler(clock);
  const log: string[] = [];
  s.addSource(source('model', [10, 20, 30], log));
  s.addSource(source('feed', [10, 25, 30], log));
  s.at(20, () => log.push('task@20'));
  s.at(30, () => log.push('task@30'));
  assert.equal(s.pending, 4);
  assert.equal(s.nextTs(), 10);
  while (s.advance(Number.POSITIVE_INFINITY, clock) > 0) {}
  assert.deepEqual(log, [
    'model@10',
    'feed@10',
    'model@20',
    'task@20',
    'feed@25',
    'model@30',
    'feed@30',
    'task@30',
  ]);
  assert.equal(s.pending, 0);
});

test('advance runs due items in time order up to maxItems, and stops early on interrupt', () => {
  const clock = new SimClock(0);
  const s = new Scheduler(clock);
  const log: string[] = [];
  const seen: number[] = [];
  s.addSource(
    source('feed', [1, 2, 3, 4, 5, 6], log, (t) => {
      seen.push(clock.nowNs());
      if (t === 2) s.at(3, () => log.push('order@3'));
      if (t === 5) s.interrupt();
    }),
  );
  assert.equal(s.advance(10, clock, 3), 3);
  assert.deepEqual(log, ['feed@1', 'feed@2', 'feed@3'], 'maxItems bounds one call');
  assert.deepEqual(seen, [1, 2, 3], 'the clock is at each item time when it runs');
  assert.equal(s.advance(4, clock), 2);
  assert.deepEqual(
    log.slice(3),
    ['order@3', 'feed@4'],
    'the source won the tie at 3; nothing after the limit',
  );
  assert.equal(s.advance(10, clock), 1, 'an item that interrupts ends the call');
  assert.deepEqual(log.slice(5), ['feed@5']);
  // runNext runs one item per call.
  assert.equal(s.runNext(10), true);
  assert.deepEqual(log.slice(-1), ['feed@6']);
  assert.equal(s.runNext(10), false);
  assert.equal(s.advance(10, clock), 0);
});
