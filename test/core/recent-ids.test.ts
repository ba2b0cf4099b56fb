import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentIdSet, RecentIds } from '../../src/core/recent-ids.ts';

test('sequential ids: keeps the last `capacity` and reports each eviction once', () => {
  const evicted: [number, string][] = [];
  const m = new RecentIds<string>(3, (k, v) => evicted.push([k, v]));
  for (let i = 1; i <= 5; i++) m.set(i, `v${i}`);
  assert.deepEqual(evicted, [
    [1, 'v1'],
    [2, 'v2'],
  ]);
  assert.equal(m.get(1), undefined);
  assert.equal(m.get(5), 'v5');
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((i) => m.has(i)),
    [false, false, true, true, true],
  );
});

test('an id stored again replaces its value without an eviction; id 0 is a valid key', () => {
  const evicted: number[] = [];
  const m = new RecentIds<number>(4, (k) => evicted.push(k));
  assert.equal(m.has(0), false, 'an empty slot holds no id, not 0');
  m.set(0, 10);
  m.set(0, 11);
  assert.equal(m.get(0), 11);
  assert.deepEqual(evicted, []);
  m.set(8, 80); // same slot as 0
  assert.deepEqual(evicted, [0]);
  assert.equal(m.get(0), undefined);
});

test('rejects a capacity that is not a positive integer', () => {
  assert.throws(() => new RecentIds(0), /bad capacity/);
});

test('the id set remembers the last id of each slot, id 0 included, and nothing it was not given', () => {
  const s = new RecentIdSet(4);
  assert.equal(s.has(0), false);
  s.add(0);
  s.add(5);
  assert.deepEqual(
    [0, 1, 4, 5].map((id) => s.has(id)),
    [true, false, false, true],
  );
  s.add(4); // same slot as 0
  assert.deepEqual(
    [0, 4, 5].map((id) => s.has(id)),
    [false, true, true],
  );
  assert.throws(() => new RecentIdSet(0), /bad capacity/);
});
