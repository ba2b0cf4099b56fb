import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ExperimentLedger } from '../../src/alpha/ledger.ts';
import {
  alignPool,
  averageRanks,
  correlationPayload,
  loadPoolSeries,
  marginalContribution,
  maxCorrelationAgainst,
  type PoolSeries,
  poolWeights,
  redundantPairs,
} from '../../src/alpha/pool.ts';
import { poolHeatmap } from '../../src/alpha/pool-html.ts';
import { writeAlphaReport } from '../../src/alpha/report-html.ts';
import { Epoch } from '../../src/core/clock.ts';

const close = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not ${b} (±${tol})`);

function series(alphaId: string, sec: number[], signal: number[], mid?: number[]): PoolSeries {
  return {
    alphaId,
    runId: `run-${alphaId}`,
    sec: Float64Array.from(sec),
    signal: Float64Array.from(signal),
    mid: Float64Array.from(mid ?? sec.map(() => 100)),
  };
}

test('Spearman ranks ties by their average rank (not their order)', () => {
  assert.deepEqual([...averageRanks([3, 1, 3, 2])], [3.5, 1, 3.5, 2]);
  // x ranks 1, 2.5, 2.5, 4; y ranks 1, 3, 2, 4: ρ = 4.5 / sqrt(4.5 * 5). Ordinal ranks would give 0.8.
  const p = alignPool([series('x', [1, 2, 3, 4], [1, 2, 2, 3]), series('y', [1, 2, 3, 4], [1, 3, 2, 4])]);
  const m = correlationPayload(p);
  close(m.spearman_matrix[0][1], 4.5 / Math.sqrt(22.5));
  close(m.spearman_matrix[1][0], 4.5 / Math.sqrt(22.5));
  // Pearson on the raw values: dx = -1,0,0,1; dy = -1.5,.5,-.5,1.5 -> 3 / sqrt(2 * 5).
  close(m.pearson_matrix[0][1], 3 / Math.sqrt(10));
  assert.deepEqual([m.pearson_matrix[0][0], m.pearson_matrix[1][1]], [1, 1]);
});

test('signals of different runs are joined on exchange time, not truncated by index', () => {
  // a starts 2 s before b: by index a[0] would meet b[0]; by time a's 12, 13 meet b's 12, 13.
  const a = series('a', [10, 11, 12, 13], [9, 9, 1, 2], [100, 100, 100, 101]);
  const b = series('b', [12, 13, 14], [1, 2, 5], [100, 101, 101]);
  const p = alignPool([a, b]);
  assert.deepEqual(p.sec, [12, 13]);
  assert.deepEqual([...p.signals[0]], [1, 2]);
  assert.deepEqual([...p.signals[1]], [1, 2]);
  close(p.returns[0], 0.01);
  assert.ok(Number.isNaN(p.returns[1]));
  close(correlationPayload(p).pearson_matrix[0][1], 1);
  // A forward return across a closed market (more than max gap) is left out.
  const q = alignPool([series('c', [0, 1, 1000], [1, 2, 3], [100, 101, 102])], 60);
  close(q.returns[0], 0.01);
  assert.ok(Number.isNaN(q.returns[1]));
});

test('a redundant pair is flagged at 0.7, an unrelated one is not; a constant signal correlates 0', () => {
  const sec = [0, 1, 2, 3, 4, 5];
  const p = alignPool([
    series('a', sec, [1, 2, 3, 4, 5, 6]),
    series('b', sec, [1.1, 2, 3.2, 3.9, 5, 6.1]),
    series('c', sec, [1, -1, 1, -1, 1, -1]),
    series('d', sec, [2, 2, 2, 2, 2, 2]),
  ]);
  const m = correlationPayload(p);
  const pairs = redundantPairs(m, 0.7);
  assert.deepEqual(
    pairs.map((x) => [x.alpha_a, x.alpha_b]),
    [['a', 'b']],
  );
  assert.ok(pairs[0].correlation > 0.99);
  assert.equal(m.pearson_matrix[0][3], 0);
  assert.equal(redundantPairs(m, 0.7, 'spearman').length, 1);
  // Against a constant alpha there is no correlation to measure: missing.
  assert.equal(maxCorrelationAgainst(p, 'a', ['c', 'd']).max, null);
  close(maxCorrelationAgainst(p, 'a', ['b', 'c']).max as number, m.pearson_matrix[0][1]);
  assert.equal(maxCorrelationAgainst(p, 'a', []).max, 0);
});

test('weights: equal, IC-weighted, mean-variance and ridge against hand-computed values', () => {
  const ids = ['s1', 's2'];
  const s1 = [1, 2, 3, 4];
  const s2 = [1, -1, 1, -1];
  const r = [1, 2, 3, 4];
  const eq = poolWeights(ids, [s1, s2], r, 'equal_weight');
  assert.deepEqual(eq.weights, { s1: 0.5, s2: 0.5 });
  // IC1 = 1, IC2 = corr(s2, r) = -2 / sqrt(4 * 5); L1-normalised, signed.
  const ic2 = -2 / Math.sqrt(20);
  const ic = poolWeights(ids, [s1, s2], r, 'ic_weighted');
  close(ic.weights.s1, 1 / (1 + Math.abs(ic2)));
  close(ic.weights.s2, ic2 / (1 + Math.abs(ic2)));
  // Σ = [[1, ρ], [ρ, 1]] (+1e-6 I) with ρ = corr(s1, s2) = IC2, μ = (1, IC2): w = Σ⁻¹μ ≈ (1, 0).
  const mv = poolWeights(ids, [s1, s2], r, 'mean_variance');
  close(mv.weights.s1, 1, 1e-5);
  close(mv.weights.s2, 0, 1e-5);
  // Ridge: X = z rows, (XXᵀ + 0.1 I) w = X r. XXᵀ = 4·[[1, ρ], [ρ, 1]], X r = (sqrt(20), -2).
  const a11 = 4.1;
  const a12 = 4 * ic2;
  const b1 = Math.sqrt(20);
  const b2 = -2;
  const det = a11 * a11 - a12 * a12;
  const w1 = (b1 * a11 - a12 * b2) / det;
  const w2 = (a11 * b2 - a12 * b1) / det;
  const rg = poolWeights(ids, [s1, s2], r, 'ridge', 0.1);
  close(rg.weights.s1, w1 / (Math.abs(w1) + Math.abs(w2)));
  close(rg.weights.s2, w2 / (Math.abs(w1) + Math.abs(w2)));
  assert.ok(rg.weights.s2 < 0, 'ridge weights are signed');
  // Three alphas: Σ|w| = 1.
  const three = poolWeights(['a', 'b', 'c'], [s1, s2, [0, 1, 0, 2]], r, 'mean_variance');
  close(
    Object.values(three.weights).reduce((s, w) => s + Math.abs(w), 0),
    1,
  );
  // NaN returns (the last row, closed market) are left out of the sample.
  assert.equal(poolWeights(ids, [s1, s2], [1, 2, 3, Number.NaN], 'ridge').diagnostics.sample_length, 3);
  assert.deepEqual(poolWeights(['only'], [s1], r, 'ridge').weights, { only: 1 });
});

test('marginal contribution: a candidate that predicts the forward return lifts the pool Sharpe; noise does not', () => {
  // Mids of one market; the forward return of row k is mid[k+1]/mid[k]-1.
  const n = 200;
  let x = 7;
  const rand = () => {
    x = (x * 48271) % 2147483647;
    return x / 2147483647 - 0.5;
  };
  const mid = [10000];
  for (let k = 1; k < n; k++) mid.push(mid[k - 1] * (1 + rand() * 0.002));
  const fwd = mid.map((m, k) => (k + 1 < n ? mid[k + 1] / m - 1 : 0));
  const sec = mid.map((_, k) => 1_775_606_400 + k);
  const noise = sec.map(() => rand());
  const good = fwd.map((f) => f * 1000 + rand() * 0.5);
  const pool = alignPool([
    series('cand', sec, good, mid),
    series('noise', sec, noise, mid),
    series(
      'junk',
      sec,
      noise.map((v) => -v + rand() * 0.1),
      mid,
    ),
  ]);
  const m = marginalContribution(pool, 'cand', 'ic_weighted', 0.05);
  assert.deepEqual(m.existing_alpha_ids, ['noise', 'junk']);
  assert.ok(m.candidate_metric > m.baseline_metric, JSON.stringify(m));
  assert.equal(m.passed, true);
  const worse = marginalContribution(
    alignPool([
      series(
        'cand',
        sec,
        noise.map(() => rand()),
        mid,
      ),
      series('good', sec, good, mid),
    ]),
    'cand',
    'ic_weighted',
    0.05,
  );
  assert.equal(worse.passed, false, JSON.stringify(worse));
  const alone = marginalContribution(alignPool([series('cand', sec, good, mid)]), 'cand', 'ridge');
  assert.equal(alone.reason, 'no_existing_pool');
  assert.equal(alone.passed, true);
});

test('the pool reads the newest run with signals of each alpha from the ledger, times exact', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-pool-'));
  try {
    const ledger = new ExperimentLedger(dir);
    const epoch = Epoch.midnightBeforeMs(Date.parse('2026-04-08T03:00:00Z'));
    const write = (run: string, alpha: string, ts: string, sig: number[]) =>
      ledger.write(
        {
          run_id: run,
          alpha_id: alpha,
          config_hash: run,
          timestamp: ts,
          code_version: 'test',
          data_paths: [],
          config: {},
          metrics: {},
          gate_status: {},
          passed: true,
        },
        {
          scorecard: null,
          backtestReport: {},
          report: {},
          signals: {
            epoch,
            ts: sig.map((_, i) => (3600 + i) * 1e9),
            columns: { signal: sig, mid: sig.map((_, i) => 100 + i) },
          },
          equity: null,
          fills: null,
        },
      );
    write('r1', 'a', '2026-04-08T01:00:00.000Z', [1, 2, 3]);
    write('r2', 'a', '2026-04-08T02:00:00.000Z', [3, 2, 1]);
    write('r3', 'b', '2026-04-08T01:30:00.000Z', [1, 2, 3]);
    const s = loadPoolSeries(ledger);
    assert.deepEqual(
      s.map((x) => [x.alphaId, x.runId]),
      [
        ['a', 'r2'],
        ['b', 'r3'],
      ],
    );
    assert.equal(s[0].sec[0], Number(epoch.toAbs(3600e9) / 1_000_000_000n));
    close(correlationPayload(alignPool(s)).pearson_matrix[0][1], -1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the alpha report shows the pool heatmap; a long equity series renders (no spread of 200k arguments)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-pool-report-'));
  try {
    const ledger = new ExperimentLedger(dir);
    const epoch = Epoch.midnightBeforeMs(Date.parse('2026-04-08T03:00:00Z'));
    const n = 200_000;
    const ts = Array.from({ length: n }, (_, i) => 3600e9 + i * 1e8);
    const { meta } = ledger.write(
      {
        run_id: 'r1',
        alpha_id: 'a',
        config_hash: 'h',
        timestamp: '2026-04-08T01:00:00.000Z',
        code_version: 'test',
        data_paths: [],
        config: {},
        metrics: {},
        gate_status: {},
        passed: false,
      },
      {
        scorecard: null,
        backtestReport: {},
        report: {
          alpha_id: 'a',
          passed: false,
          gate_a: { gate: 'Gate A', passed: true, skipped: true, details: { reason: 'test' } },
          gate_b: { gate: 'Gate B', passed: true, skipped: true, details: { reason: 'test' } },
          gate_c: { gate: 'Gate C', passed: false, skipped: true, details: { reason: 'test' } },
        },
        signals: null,
        equity: {
          epoch,
          ts,
          columns: { equity: ts.map((_, i) => Math.sin(i / 1000)), position: ts.map(() => 0) },
        },
        fills: null,
      },
    );
    const p = alignPool([series('a', [1, 2, 3, 4], [1, 2, 3, 4]), series('b', [1, 2, 3, 4], [4, 3, 2, 1])]);
    const html = writeAlphaReport(meta, [poolHeatmap(correlationPayload(p), 'a')]);
    assert.match(html, /<h2>Pool correlation \(2 alphas, 4 common seconds\)<\/h2>/);
    assert.match(html, /<title>a \/ b: -1\.000<\/title>/);
    assert.equal((html.match(/<svg /g) ?? []).length >= 3, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
