import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PriceLevels } from '../../src/core/price-levels.ts';
import { Rng } from '../../src/core/rng.ts';

/** The side as [price, qty] pairs best-first, read from a Map the slow way. */
function reference(m: Map<number, number>, dir: 1 | -1): number[][] {
  return [...m.entries()].sort((a, b) => (b[0] - a[0]) * dir);
}

function levels(s: PriceLevels): number[][] {
  return Array.from({ length: s.n }, (_, i) => [s.px[i], s.qty[i]]);
}

for (const dir of [1, -1] as const) {
  test(`a full-depth ${dir === 1 ? 'bid' : 'ask'} side (thousands of levels, updates near the touch) stays sorted and exact`, () => {
    // Long shifts (more than a few dozen levels) take the copyWithin path, short ones the loop.
    const rng = new Rng(7 + dir);
    const side = new PriceLevels(16, dir);
    const ref = new Map<number, number>();
    const touch = 600_000;
    for (let k = 0; k < 40_000; k++) {
      // Mostly near the touch, sometimes anywhere in a 5000-tick range.
      const far = rng.next() < 0.2;
      const off = Math.floor(rng.next() * (far ? 5000 : 40));
      const price = touch - dir * off;
      const qty = rng.next() < 0.35 ? 0 : 1 + Math.floor(rng.next() * 1000);
      const had = side.set(price, qty);
      assert.equal(had, ref.get(price) ?? 0);
      if (qty === 0) ref.delete(price);
      else ref.set(price, qty);
      if (k % 4000 === 0) assert.deepEqual(levels(side), reference(ref, dir));
    }
    assert.ok(side.n > 1000, `deep book: ${side.n} levels`);
    assert.deepEqual(levels(side), reference(ref, dir));
    for (const [p, q] of ref) assert.equal(side.qtyAt(p), q);
  });
}
