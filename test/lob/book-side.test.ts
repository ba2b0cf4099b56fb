import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PriceLevels } from '../../src/core/price-levels.ts';
import { Rng } from '../../src/core/rng.ts';
import { BookSide } from '../../src/lob/book-side.ts';

/** Every level of `mine` (best-last) equals `ref` (best-first), read directly and through levelPx/levelQty. */
function sameLevels(mine: BookSide, ref: PriceLevels): void {
  assert.equal(mine.n, ref.n);
  for (let i = 0; i < ref.n; i++) {
    assert.equal(mine.px[mine.n - 1 - i], ref.px[i]);
    assert.equal(mine.qty[mine.n - 1 - i], ref.qty[i]);
    assert.equal(mine.levelPx(i), ref.px[i]);
    assert.equal(mine.levelQty(i), ref.qty[i]);
  }
  assert.equal(mine.levelPx(ref.n), 0);
  assert.equal(mine.levelQty(ref.n), 0);
}

test('BookSide holds the same levels as PriceLevels, best last, under seeded random updates', () => {
  for (const dir of [1, -1] as const) {
    const rng = new Rng(dir === 1 ? 7 : 8);
    const ref = new PriceLevels(8, dir);
    // A small capacity: growth is exercised too.
    const mine = new BookSide(8, dir);
    for (let n = 0; n < 50_000; n++) {
      // Mostly near a touch around 1000, sometimes deep (long shifts), a third removals.
      const price = rng.next() < 0.8 ? 1000 + dir * rng.int(-20, 20) : rng.int(1, 3000);
      const qty = rng.next() < 0.33 ? 0 : rng.int(1, 50);
      ref.set(price, qty);
      mine.set(price, qty);
      assert.equal(mine.n, ref.n);
      assert.equal(mine.bestPx, ref.n > 0 ? ref.px[0] : 0);
      assert.equal(mine.bestQty, ref.n > 0 ? ref.qty[0] : 0);
      if (n % 997 === 0) {
        let d = 0;
        for (let i = 0; i < Math.min(5, ref.n); i++) d += ref.qty[i];
        assert.equal(mine.depth(5), d);
      }
      if (n % 5000 === 0) sameLevels(mine, ref);
    }
    assert.ok(ref.n > 100, `levels held ${ref.n}`);
    mine.clear();
    assert.equal(mine.bestPx, 0);
    assert.equal(mine.bestQty, 0);
    assert.equal(mine.depth(5), 0);
  }
});

test('BookSide replace (a best-first snapshot, empty entries skipped) and removeThrough equal PriceLevels', () => {
  for (const dir of [1, -1] as const) {
    const rng = new Rng(dir === 1 ? 11 : 12);
    for (let round = 0; round < 200; round++) {
      const levels = rng.int(0, 40);
      const px = new Float64Array(levels);
      const qty = new Float64Array(levels);
      let p = 5000;
      for (let i = 0; i < levels; i++) {
        p -= dir * rng.int(1, 3);
        px[i] = rng.next() < 0.1 ? 0 : p;
        qty[i] = rng.next() < 0.2 ? 0 : rng.int(1, 9);
      }
      // Capacity 4: a snapshot larger than the side grows it.
      const ref = new PriceLevels(4, dir);
      const mine = new BookSide(4, dir);
      mine.set(7, 1); // replaced entirely
      ref.replace(px, qty, levels);
      mine.replace(px, qty, levels);
      sameLevels(mine, ref);
      const through = 5000 - dir * rng.int(0, 40);
      assert.equal(mine.removeThrough(through), ref.removeThrough(through));
      sameLevels(mine, ref);
      // Updates after a snapshot land where PriceLevels puts them.
      for (let k = 0; k < 20; k++) {
        const price = 5000 - dir * rng.int(-5, 60);
        const q = rng.next() < 0.3 ? 0 : rng.int(1, 9);
        ref.set(price, q);
        mine.set(price, q);
      }
      sameLevels(mine, ref);
    }
  }
});
