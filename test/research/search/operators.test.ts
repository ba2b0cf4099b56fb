import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/core/rng.ts';
import { columnsOf, evaluate, lookback } from '../../../src/research/search/evaluate.ts';
import { OPERATORS, parseExpr } from '../../../src/research/search/expr.ts';

const X = [1, 3, 2, 5, 4];
const Y = [2, 1, 4, 3, 6];
const cols = columnsOf({ x: Float64Array.from(X), y: Float64Array.from(Y) });
const ev = (src: string, c = cols) => Array.from(evaluate(parseExpr(src, { maxDepth: 9 }), c));
const close = (got: number[], want: number[], what: string, tol = 1e-12) => {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => {
    assert.ok(Math.abs(g - want[i]) <= tol, `${what}[${i}]: ${g} vs ${want[i]}`);
  });
};

test('operators against hand-computed values (windows expanding at the start)', () => {
  close(ev('ts_sum(x, 3)'), [1, 4, 6, 10, 11], 'ts_sum');
  close(ev('ts_mean(x, 2)'), [1, 2, 2.5, 3.5, 4.5], 'ts_mean');
  // Population std of [1], [1,3], [3,2], [2,5], [5,4].
  close(ev('ts_std(x, 2)'), [0, 1, 0.5, 1.5, 0.5], 'ts_std');
  close(ev('ts_delta(x, 2)'), [0, 0, 1, 2, 2], 'ts_delta');
  // Share of the window <= the current value: [1]:1, [1,3]:1, [1,3,2]:2/3, [3,2,5]:1, [2,5,4]:2/3.
  close(ev('ts_rank(x, 3)'), [1, 1, 2 / 3, 1, 2 / 3], 'ts_rank');
  close(ev('rank(x, 3)'), [1, 1, 2 / 3, 1, 2 / 3], 'rank');
  // Weights 1..len, newest heaviest: [1], (1+6)/3, (1+6+6)/6, (3+4+15)/6, (2+10+12)/6.
  close(ev('decay_linear(x, 3)'), [1, 7 / 3, 13 / 6, 22 / 6, 24 / 6], 'decay_linear');
  // zscore over 2: [1] -> 0 (std 0), [1,3] -> (3-2)/1, [3,2] -> (2-2.5)/0.5, [2,5] -> 1, [5,4] -> -1.
  close(ev('zscore(x, 2)'), [0, 1, -1, 1, -1], 'zscore');
  // ts_corr over 3: [1,3]/[2,1] -> -1; [1,3,2]/[2,1,4] -> -0.5; [3,2,5]/[1,4,3] -> 0.0 ... by hand:
  const corr = (a: number[], b: number[]) => {
    const ma = a.reduce((s, v) => s + v, 0) / a.length;
    const mb = b.reduce((s, v) => s + v, 0) / b.length;
    let c = 0;
    let va = 0;
    let vb = 0;
    a.forEach((v, i) => {
      c += (v - ma) * (b[i] - mb);
      va += (v - ma) ** 2;
      vb += (b[i] - mb) ** 2;
    });
    return c / Math.sqrt(va * vb);
  };
  close(
    ev('ts_corr(x, y, 3)'),
    [0, -1, corr([1, 3, 2], [2, 1, 4]), corr([3, 2, 5], [1, 4, 3]), corr([2, 5, 4], [4, 3, 6])],
    'ts_corr',
  );
  close(ev('sign(x - 3)'), [-1, 0, -1, 1, 1], 'sign');
  close(ev('abs(x - 3)'), [2, 0, 1, 2, 1], 'abs');
  close(
    ev('log1p(x - 3)'),
    [Math.log1p(-0.999999), 0, Math.log1p(-0.999999), Math.log1p(2), Math.log1p(1)],
    'log1p',
    1e-9,
  );
  close(ev('add(x, y)'), [3, 4, 6, 8, 10], 'add');
  close(ev('mul(x, y)'), [2, 3, 8, 15, 24], 'mul');
  close(ev('div(x, y - 1)'), [1, 0, 2 / 3, 2.5, 0.8], 'div: 0 where the divisor is 0');
  close(ev('x / (y - 1) + -x * 2'), [1 - 2, 0 - 6, 2 / 3 - 4, 2.5 - 10, 0.8 - 8], 'binary operators');
});

/** A random walk plus noise: realistic levels (large, so cancellation would show). */
function series(n: number, seed: number, level: number): Float64Array {
  const r = new Rng(seed);
  const a = new Float64Array(n);
  let v = level;
  for (let i = 0; i < n; i++) {
    v += r.next() - 0.5;
    a[i] = r.next() < 0.05 ? 0 : v + (r.next() - 0.5) * 3;
  }
  return a;
}

const FORMULAS = [
  ...Object.keys(OPERATORS).map((fn) => {
    const spec = OPERATORS[fn];
    return `${fn}(${spec.args.map((k, i) => (k === 'w' ? '7' : i === 0 ? 'x' : 'y')).join(', ')})`;
  }),
  'rank(x)',
  'zscore(x)',
  'zscore(ts_delta(x, 5), 20)',
  'ts_corr(ts_mean(x, 3), ts_delta(y, 2), 10)',
  'decay_linear(ts_rank(x, 15), 9) - ts_std(y, 30)',
  'x / y',
];

test('causality: appending samples never changes an earlier output (every operator, nested formulas)', () => {
  const N = 2000;
  const x = series(N, 1, 33_000);
  const y = series(N, 2, 50);
  const full = columnsOf({ x, y });
  for (const f of FORMULAS) {
    const e = parseExpr(f, { maxDepth: 9 });
    const whole = evaluate(e, full);
    for (const cut of [1, 2, 7, 150, 301, 999, 1500]) {
      const part = evaluate(e, columnsOf({ x: x.slice(0, cut), y: y.slice(0, cut) }));
      for (let i = 0; i < cut; i++)
        assert.equal(part[i], whole[i], `${f}: output ${i} changed when data after ${cut} was appended`);
    }
  }
});

test('causality, the other way: changing a future sample never changes an earlier output', () => {
  const N = 600;
  const x = series(N, 3, 100);
  const y = series(N, 4, 100);
  for (const f of FORMULAS) {
    const e = parseExpr(f, { maxDepth: 9 });
    const base = evaluate(e, columnsOf({ x, y }));
    const x2 = x.slice();
    x2[400] += 1e6;
    const y2 = y.slice();
    y2[400] -= 1e6;
    const bumped = evaluate(e, columnsOf({ x: x2, y: y2 }));
    for (let i = 0; i < 400; i++) assert.equal(bumped[i], base[i], `${f}: output ${i} saw sample 400`);
  }
});

test('the newest output needs only the last lookback + 1 samples, bit for bit (what an expression alpha keeps)', () => {
  const N = 1500;
  const x = series(N, 5, 33_000);
  const y = series(N, 6, 20);
  for (const f of FORMULAS) {
    const e = parseExpr(f, { maxDepth: 9 });
    const whole = evaluate(e, columnsOf({ x, y }));
    const L = lookback(e) + 1;
    for (const end of [L, L + 1, 700, N]) {
      if (end > N) continue;
      const tail = evaluate(e, columnsOf({ x: x.slice(end - L, end), y: y.slice(end - L, end) }));
      const a = tail[L - 1];
      const b = whole[end - 1];
      assert.equal(a, b, `${f} at ${end}: tail vs whole, bit for bit`);
    }
  }
  assert.equal(lookback(parseExpr('zscore(ts_delta(x, 5), 20)')), 5 + 19);
  assert.equal(lookback(parseExpr('rank(x)')), 299);
});

test('every output is finite, whatever the input', () => {
  const x = Float64Array.from([0, 0, 0, 1e308, -1e308, 0, 1e-300]);
  const y = new Float64Array(7);
  for (const f of FORMULAS) {
    const out = evaluate(parseExpr(f, { maxDepth: 9 }), columnsOf({ x, y }));
    assert.ok(out.every(Number.isFinite), f);
  }
});
