import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentMap } from '../../src/core/recent-map.ts';

test('keeps only the last `capacity` insertions and reports evictions', () => {
  const evicted: number[] = [];
  const m = new RecentMap<number, string>(3, (k) => evicted.push(k));
  for (let i = 1; i <= 5; i++) m.set(i, `v${i}`);
  assert.equal(m.size, 3);
  assert.deepEqual(evicted, [1, 2]);
  assert.equal(m.get(1), undefined);
  assert.equal(m.get(5), 'v5');
  assert.ok(m.has(3));
});

test('evicts strictly in insertion order', () => {
  const m = new RecentMap<number, number>(2);
  m.set(1, 1);
  m.set(2, 2);
  m.set(3, 3); // evicts 1
  m.set(4, 4); // evicts 2
  assert.deepEqual([m.has(1), m.has(2), m.has(3), m.has(4)], [false, false, true, true]);
});
