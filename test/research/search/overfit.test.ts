import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normCdf, normInv } from '../../../src/alpha/stats.ts';
import { Rng } from '../../../src/core/rng.ts';
import type { BlockStats } from '../../../src/research/search/fitness.ts';
import { deflatedOfTrial, pboCscv } from '../../../src/research/search/overfit.ts';

const blocksOf = (pnl: number[], S: number): BlockStats => {
  const b: BlockStats = { n: [], sum: [], sq: [] };
  const per = pnl.length / S;
  for (let k = 0; k < S; k++) {
    const part = pnl.slice(Math.floor(k * per), Math.floor((k + 1) * per));
    b.n.push(part.length);
    b.sum.push(part.reduce((s, v) => s + v, 0));
    b.sq.push(part.reduce((s, v) => s + v * v, 0));
  }
  return b;
};

function gauss(r: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

/** CSCV written out directly on the PnL series (no block sums), to check the fast version against. */
function naivePbo(pnls: number[][], S: number): number {
  const T = pnls[0].length;
  const per = T / S;
  const blockOf = (t: number) => Math.min(S - 1, Math.floor(t / per));
  const sharpe = (x: number[]) => {
    const m = x.reduce((s, v) => s + v, 0) / x.length;
    const sd = Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / x.length);
    return sd > 0 ? m / sd : 0;
  };
  let below = 0;
  let combos = 0;
  for (let mask = 0; mask < 1 << S; mask++) {
    let bits = 0;
    for (let b = 0; b < S; b++) bits += (mask >> b) & 1;
    if (bits !== S / 2) continue;
    combos++;
    const isSr = pnls.map((p) => sharpe(p.filter((_, t) => (mask >> blockOf(t)) & 1)));
    const oosSr = pnls.map((p) => sharpe(p.filter((_, t) => !((mask >> blockOf(t)) & 1))));
    let best = 0;
    isSr.forEach((v, i) => {
      if (v > isSr[best]) best = i;
    });
    const lower = oosSr.filter((v, i) => i !== best && v < oosSr[best]).length;
    const ties = oosSr.filter((v, i) => i !== best && v === oosSr[best]).length;
    const w = (lower + ties / 2 + 1) / (pnls.length + 1);
    if (Math.log(w / (1 - w)) <= 0) below++;
  }
  return below / combos;
}

test('PBO: a strategy that is best in every block is never overfit (PBO 0)', () => {
  const r = new Rng(1);
  const pnls = Array.from({ length: 20 }, (_, i) =>
    Array.from({ length: 1600 }, () => gauss(r) + (i === 7 ? 0.5 : 0)),
  );
  const res = pboCscv(pnls.map((p) => blocksOf(p, 16)));
  assert.ok(res !== null);
  assert.equal(res.combinations, 12870, 'C(16, 8)');
  assert.equal(res.trials, 20);
  assert.equal(res.pbo, 0);
  assert.ok(res.logit_median > 0);
});

test('PBO: when the in-sample winner is always the out-of-sample loser, PBO is 1', () => {
  // Two halves with opposite means: whatever wins one half loses the other.
  const r = new Rng(2);
  const pnls = [0.3, 0.1, -0.2, 0.5].map((m) =>
    Array.from({ length: 400 }, (_, t) => (t < 200 ? m : -m) + 0.01 * gauss(r)),
  );
  const res = pboCscv(pnls.map((p) => blocksOf(p, 2)));
  assert.ok(res !== null);
  assert.equal(res.combinations, 2);
  assert.equal(res.pbo, 1);
});

test('PBO: pure noise strategies are overfit about half the time; block sums equal the direct computation', () => {
  const r = new Rng(3);
  const pnls = Array.from({ length: 30 }, () => Array.from({ length: 800 }, () => gauss(r)));
  const fast = pboCscv(pnls.map((p) => blocksOf(p, 8)));
  assert.ok(fast !== null);
  assert.equal(fast.combinations, 70);
  assert.ok(Math.abs(fast.pbo - naivePbo(pnls, 8)) < 1e-12, `${fast.pbo} vs ${naivePbo(pnls, 8)}`);
  assert.ok(fast.pbo > 0.25 && fast.pbo < 0.85, `noise PBO ${fast.pbo}`);
  assert.equal(pboCscv([blocksOf(pnls[0], 8)]), null, 'one trial: nothing to compare');
});

test('DSR of a trial: benchmark from the sample variance of the trials, PSR against it', () => {
  const srs = [0.1, -0.1, 0.05, -0.05];
  const v = (0.01 + 0.01 + 0.0025 + 0.0025) / 3;
  const g = 0.5772156649015329;
  const sr0 = Math.sqrt(v) * ((1 - g) * normInv(1 - 1 / 4) + g * normInv(1 - 1 / (4 * Math.E)));
  const d = deflatedOfTrial(0.1, 500, 0, 3, srs);
  assert.equal(d.trials, 4);
  assert.ok(Math.abs(d.sr0 - sr0) < 1e-12);
  // PSR with normal returns: denominator 1 + sr²/2.
  const want = normCdf(((0.1 - sr0) * Math.sqrt(499)) / Math.sqrt(1 + 0.01 / 2));
  assert.ok(Math.abs(d.dsr - want) < 1e-12, `${d.dsr} vs ${want}`);
  // More trials with the same spread raise the bar: the same Sharpe is deflated further.
  const many = deflatedOfTrial(0.1, 500, 0, 3, [...srs, ...srs, ...srs, ...srs]);
  assert.ok(many.sr0 > d.sr0 && many.dsr < d.dsr);
  // One trial: the PSR against 0.
  assert.ok(
    Math.abs(
      deflatedOfTrial(0.1, 500, 0, 3, [0.1]).dsr - normCdf((0.1 * Math.sqrt(499)) / Math.sqrt(1.005)),
    ) < 1e-12,
  );
});
