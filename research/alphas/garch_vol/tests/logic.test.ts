import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alphaSignals, createAlpha, marketOf } from 'hft-platform';
import { GarchVolAlpha } from '../impl.ts';

test('the manifest is the original garch_vol', () => {
  assert.equal(createAlpha(GarchVolAlpha).manifest.alpha_id, 'garch_vol');
});

test('sigma follows the GARCH(1,1) recursion on the mid log returns', () => {
  const market = marketOf([
    {
      ts: 1,
      levels: [
        [1, 10_000, 5],
        [-1, 10_100, 5],
      ],
    },
    {
      ts: 2,
      levels: [
        [1, 10_100, 5],
        [-1, 10_200, 5],
      ],
    },
    { ts: 3, levels: [[1, 10_100, 9]] },
  ]);
  const p = { omega: 1e-6, alpha: 0.09, beta: 0.9, initial_vol: 0.001 };
  const s = alphaSignals(createAlpha(GarchVolAlpha, p), market);
  let v = p.omega + p.beta * p.initial_vol ** 2; // first book: no return yet
  const want = [Math.sqrt(v)];
  const r = Math.log(10_150 / 10_050);
  v = p.omega + p.alpha * r * r + p.beta * v;
  want.push(Math.sqrt(v));
  v = p.omega + p.beta * v; // the mid did not move
  want.push(Math.sqrt(v));
  assert.equal(s.length, 3);
  for (const [i, x] of s.entries()) assert.ok(Math.abs(x - want[i]) < 1e-15, `${i}: ${x} vs ${want[i]}`);
});
