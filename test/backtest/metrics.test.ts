import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketReturns, drawdown, periodsPerYear, sharpe, sortino } from '../../src/backtest/metrics.ts';
import { expandGrid, parseGrid } from '../../src/backtest/sweep.ts';
import { parseScalar } from '../../src/config/loader.ts';

const S = 1e9;
const DAY0 = 20_000 * 86_400 * S;

test('drawdown: largest fall from a running peak and the longest time under water', () => {
  const s = {
    ts: [0, 1, 2, 3, 4, 5, 6].map((t) => t * S),
    equity: [0, 10, 4, 12, 3, 8, 13],
    active: [1, 1, 1, 1, 1, 1, 1],
  };
  const dd = drawdown(s);
  assert.equal(dd.max, 9);
  assert.equal(dd.peakTs, 3 * S);
  assert.equal(dd.troughTs, 4 * S);
  assert.equal(dd.longestNs, 2 * S);
  assert.equal(drawdown({ ts: [], equity: [], active: [] }).max, 0);
});

test('bucket returns skip buckets without market data; Sharpe and Sortino annualize per active bucket', () => {
  // 1-minute buckets: +5, (closed market: no data), -3, +4.
  const m = 60 * S;
  const s = {
    ts: [DAY0, DAY0 + 30 * S, DAY0 + m + S, DAY0 + 2 * m + S, DAY0 + 3 * m + S, DAY0 + 4 * m - S],
    equity: [0, 5, 5, 2, 6, 6],
    active: [1, 1, 0, 1, 1, 0],
  };
  const r = bucketReturns(s, m);
  assert.deepEqual(r.changes, [5, -3, 4]);
  assert.equal(r.days, 1);
  const perYear = periodsPerYear(r);
  assert.equal(perYear, 252 * 3);
  const mean = 2;
  const sd = Math.sqrt(((5 - mean) ** 2 + (-3 - mean) ** 2 + (4 - mean) ** 2) / 3);
  assert.ok(Math.abs(sharpe(r.changes, perYear) - (mean / sd) * Math.sqrt(perYear)) < 1e-12);
  assert.ok(Math.abs(sortino(r.changes, perYear) - (mean / Math.sqrt(9 / 3)) * Math.sqrt(perYear)) < 1e-12);
  assert.equal(sharpe([1, 1, 1], 252), 0, 'no variance: 0, not Infinity');
  assert.equal(sortino([1, 2], 252), 0, 'no losses: 0');
});

test('a sweep grid expands to every combination, first key slowest, keys routed by kind', () => {
  const axes = parseGrid(
    ['half_spread_ticks=0.5,1', 'risk.max_position=5,10', 'queue=risk_averse,prob'],
    parseScalar,
  );
  const pts = expandGrid(axes);
  assert.equal(pts.length, 8);
  assert.deepEqual(pts[0].values, { half_spread_ticks: 0.5, 'risk.max_position': 5, queue: 'risk_averse' });
  assert.deepEqual(pts[1].values, { half_spread_ticks: 0.5, 'risk.max_position': 5, queue: 'prob' });
  assert.deepEqual(pts[7].values, { half_spread_ticks: 1, 'risk.max_position': 10, queue: 'prob' });
  assert.deepEqual(pts[5].params, { half_spread_ticks: 1 });
  assert.deepEqual(pts[5].settings, [{ key: 'risk.max_position', value: 5 }]);
  assert.deepEqual(pts[5].models, { queue: 'prob' });
  assert.equal(new Set(pts.map((p) => JSON.stringify(p.values))).size, 8);
  assert.throws(() => parseGrid(['x'], parseScalar), /--grid expects key=v1,v2/);
  assert.throws(() => parseGrid(['x=1,', 'y=2'], parseScalar), /--grid expects/);
  assert.throws(() => parseGrid(['x=1', 'x=2'], parseScalar), /given twice/);
});
