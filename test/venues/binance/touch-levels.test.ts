import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PriceLevels } from '../../../src/core/price-levels.ts';
import { Rng } from '../../../src/core/rng.ts';
import { TouchLevels } from '../../../src/venues/binance/touch-levels.ts';

test('TouchLevels holds the same levels as PriceLevels, best last, under seeded random updates', () => {
  for (const dir of [1, -1] as const) {
    const rng = new Rng(dir === 1 ? 7 : 8);
    const ref = new PriceLevels(8, dir);
    // A small capacity: growth is exercised too.
    const mine = new TouchLevels(8, dir);
    for (let n = 0; n < 50_000; n++) {
      // Mostly near a touch around 1000, sometimes deep (long shifts), a third removals.
      const price = rng.next() < 0.8 ? 1000 + dir * rng.int(-20, 20) : rng.int(1, 3000);
      const qty = rng.next() < 0.33 ? 0 : rng.int(1, 50);
      ref.set(price, qty);
      mine.set(price, qty);
      assert.equal(mine.n, ref.n);
      assert.equal(mine.bestPx, ref.n > 0 ? ref.px[0] : 0);
      assert.equal(mine.bestQty, ref.n > 0 ? ref.qty[0] : 0);
      if (n % 5000 === 0)
        for (let i = 0; i < ref.n; i++) {
          assert.equal(mine.px[mine.n - 1 - i], ref.px[i]);
          assert.equal(mine.qty[mine.n - 1 - i], ref.qty[i]);
        }
    }
    assert.ok(ref.n > 100, `levels held ${ref.n}`);
    mine.clear();
    assert.equal(mine.bestPx, 0);
  }
});
