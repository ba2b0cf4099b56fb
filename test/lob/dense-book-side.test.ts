import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PriceLevels } from '../../src/core/price-levels.ts';
import { Rng } from '../../src/core/rng.ts';
import { DenseBookSide } from '../../src/lob/dense-book-side.ts';

/** Every level of `mine` equals `ref` (best-first), read in order, from the best, and at random. */
function sameLevels(mine: DenseBookSide, ref: PriceLevels, rng: Rng): void {
  assert.equal(mine.n, ref.n);
  assert.equal(mine.bestPx, ref.n > 0 ? ref.px[0] : 0);
  assert.equal(mine.bestQty, ref.n > 0 ? ref.qty[0] : 0);
  for (let i = 0; i < ref.n; i++) {
    assert.equal(mine.levelPx(i), ref.px[i], `level ${i} of ${ref.n}`);
    assert.equal(mine.levelQty(i), ref.qty[i], `level ${i} of ${ref.n}`);
  }
  assert.equal(mine.levelPx(ref.n), 0);
  assert.equal(mine.levelQty(ref.n), 0);
  for (let k = 0; k < 20 && ref.n > 0; k++) {
    const i = rng.int(0, ref.n - 1);
    assert.equal(mine.levelPx(i), ref.px[i]);
    assert.equal(mine.levelQty(i), ref.qty[i]);
  }
  for (const k of [1, 5, 40, ref.n + 3]) {
    let d = 0;
    for (let i = 0; i < Math.min(k, ref.n); i++) d += ref.qty[i];
    assert.equal(mine.depth(k), d);
  }
}

test('DenseBookSide holds the same levels as a sorted side under seeded random updates, the window moving both ways', () => {
  for (const dir of [1, -1] as const) {
    const rng = new Rng(dir === 1 ? 21 : 22);
    const tick = 5;
    const ref = new PriceLevels(8, dir);
    // The smallest window (1,024 ticks): the touch wanders over several widths, so levels go
    // behind the window and come back, and the window moves up and down.
    const mine = new DenseBookSide(dir, tick, 1024);
    let touch = 100_000;
    for (let n = 0; n < 60_000; n++) {
      touch += rng.int(-3, 3) * 40;
      if (touch < 20_000) touch = 20_000;
      const r = rng.next();
      // Mostly near the touch, sometimes deep behind it, now and then a jump far ahead of it.
      const ticks = r < 0.8 ? rng.int(-30, 30) : r < 0.98 ? -rng.int(0, 3000) : rng.int(500, 1500);
      const price = touch + dir * ticks * tick;
      const qty = rng.next() < 0.35 ? 0 : rng.int(1, 50);
      ref.set(price, qty);
      mine.set(price, qty);
      assert.equal(mine.n, ref.n);
      assert.equal(mine.bestPx, ref.n > 0 ? ref.px[0] : 0);
      assert.ok(ref.n === 0 || mine.windowed > 0, 'the best is in the window');
      if (n % 1_000 === 0) sameLevels(mine, ref, rng);
      // Emptying from the best now and then: the window must move down to the levels behind it.
      if (n % 7_919 === 0)
        for (let k = 0; k < 200 && ref.n > 0; k++) {
          const p = ref.px[0];
          ref.set(p, 0);
          mine.set(p, 0);
          assert.equal(mine.bestPx, ref.n > 0 ? ref.px[0] : 0);
          // The best is always in the window: a side emptied from the best pulls the rest in.
          assert.ok(ref.n === 0 || mine.windowed > 0);
        }
    }
    assert.ok(ref.n > 300, `levels held ${ref.n}`);
    sameLevels(mine, ref, rng);
    assert.equal(mine.offGrid, 0);
    mine.clear();
    assert.equal(mine.n, 0);
    assert.equal(mine.bestPx, 0);
    assert.equal(mine.depth(5), 0);
    // A cleared side starts over at any price.
    mine.set(7 * tick, 3);
    assert.equal(mine.bestPx, 7 * tick);
    assert.equal(mine.levelQty(0), 3);
  }
});

test('DenseBookSide replace and removeThrough equal a sorted side', () => {
  for (const dir of [1, -1] as const) {
    const rng = new Rng(dir === 1 ? 31 : 32);
    const mine = new DenseBookSide(dir, 1, 1024);
    for (let round = 0; round < 200; round++) {
      const levels = rng.int(0, 1500);
      const px = new Float64Array(levels);
      const qty = new Float64Array(levels);
      let p = 50_000;
      for (let i = 0; i < levels; i++) {
        p -= dir * rng.int(1, 3);
        px[i] = rng.next() < 0.05 ? 0 : p;
        qty[i] = rng.next() < 0.1 ? 0 : rng.int(1, 9);
      }
      const ref = new PriceLevels(4, dir);
      mine.set(60_000, 1); // replaced entirely
      ref.replace(px, qty, levels);
      mine.replace(px, qty, levels);
      sameLevels(mine, ref, rng);
      const through = 50_000 - dir * rng.int(0, 100);
      assert.equal(mine.removeThrough(through), ref.removeThrough(through));
      sameLevels(mine, ref, rng);
      for (let k = 0; k < 50; k++) {
        const price = 50_000 - dir * rng.int(-600, 3000);
        const q = rng.next() < 0.3 ? 0 : rng.int(1, 9);
        ref.set(price, q);
        mine.set(price, q);
      }
      sameLevels(mine, ref, rng);
    }
  }
});

test('DenseBookSide: a price off the tick grid is counted and the side goes on sorted, its levels kept', () => {
  const rng = new Rng(41);
  const ref = new PriceLevels(4, 1);
  const mine = new DenseBookSide(1, 10, 1024);
  for (const [p, q] of [
    [1000, 5],
    [990, 2],
    [5_000, 1],
    [1010, 4],
  ]) {
    ref.set(p, q);
    mine.set(p, q);
  }
  sameLevels(mine, ref, rng);
  ref.set(1003, 7);
  mine.set(1003, 7);
  assert.equal(mine.offGrid, 1);
  sameLevels(mine, ref, rng);
  for (let k = 0; k < 500; k++) {
    const price = 1000 + rng.int(-300, 300);
    const q = rng.next() < 0.3 ? 0 : rng.int(1, 9);
    ref.set(price, q);
    mine.set(price, q);
  }
  sameLevels(mine, ref, rng);
  assert.ok(mine.offGrid > 100, `off-grid prices counted: ${mine.offGrid}`);
});

test('DenseBookSide refuses a tick or width it cannot index', () => {
  assert.throws(() => new DenseBookSide(1, 0), /tick 0 must be > 0/);
  assert.throws(() => new DenseBookSide(1, 1, 1000), /power of two/);
});
