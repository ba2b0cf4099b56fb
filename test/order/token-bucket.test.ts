import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NS_PER_MS, NS_PER_S } from '../../src/core/clock.ts';
import { TokenBucket } from '../../src/order/token-bucket.ts';

const T0 = 1_775_610_000_000_000_000;

test('a full bucket allows its burst, then refills at its rate up to the burst', () => {
  const b = new TokenBucket(4, 10);
  let n = 0;
  while (b.tryTake(T0)) n++;
  assert.equal(n, 10);
  assert.equal(b.waitNs(T0), 250 * NS_PER_MS);
  assert.equal(b.ready(T0 + 249 * NS_PER_MS), false);
  assert.equal(b.ready(T0 + 250 * NS_PER_MS), true);
  // An hour idle refills only up to the burst.
  n = 0;
  while (b.tryTake(T0 + 3600 * NS_PER_S)) n++;
  assert.equal(n, 10);
});

test('burst + rate x W bounds the orders in any W-second window (mirrors "50 per 10 s")', () => {
  const b = new TokenBucket(4, 10);
  // Try every 10 ms for 60 s; count the most taken in any 10 s window.
  const taken: number[] = [];
  for (let t = T0; t < T0 + 60 * NS_PER_S; t += 10 * NS_PER_MS) if (b.tryTake(t)) taken.push(t);
  let worst = 0;
  for (let i = 0, j = 0; i < taken.length; i++) {
    while (taken[i] - taken[j] >= 10 * NS_PER_S) j++;
    worst = Math.max(worst, i - j + 1);
  }
  assert.ok(worst <= 50, `worst window ${worst}`);
  assert.ok(worst >= 49, `the limit is used, not undershot (${worst})`);
});

test('rate 0 disables the bucket', () => {
  const b = new TokenBucket(0, 1);
  for (let i = 0; i < 1000; i++) assert.equal(b.tryTake(T0), true);
  assert.equal(b.waitNs(T0), 0);
  assert.throws(() => new TokenBucket(-1, 1));
});
