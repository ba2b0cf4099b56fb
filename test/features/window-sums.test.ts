import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { WindowSums } from '../../src/features/window-sums.ts';

test('window sums keep (now - W, now], grow past their capacity, and match a plain recomputation', () => {
  const w = new WindowSums(100, 2, 16);
  const row = new Float64Array(2);
  const rng = new Rng(7);
  const kept: { ts: number; a: number; b: number }[] = [];
  let now = 0;
  for (let i = 0; i < 5000; i++) {
    // Bursts of many rows at one time force the ring to grow well beyond 16 slots.
    now += i % 500 < 100 ? 0 : Math.floor(rng.next() * 10);
    row[0] = Math.floor(rng.next() * 1000) - 500;
    row[1] = rng.next() * 1e-3;
    w.push(now, row);
    kept.push({ ts: now, a: row[0], b: row[1] });
    w.evict(now);
    const inWindow = kept.filter((x) => x.ts > now - 100);
    assert.equal(w.size, inWindow.length);
    assert.equal(
      w.total(0),
      inWindow.reduce((s, x) => s + x.a, 0),
      'integers stay exact',
    );
    const b = inWindow.reduce((s, x) => s + x.b, 0);
    assert.ok(Math.abs(w.total(1) - b) <= 1e-12 * b, `float column ${w.total(1)} vs ${b}`);
  }
  w.evict(now + 100);
  assert.equal(w.size, 0);
  assert.equal(w.total(1), 0, 'empty window: exactly 0, no rounding residue');
});
