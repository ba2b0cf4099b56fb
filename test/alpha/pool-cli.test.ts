/**
 * `hft alpha pool matrix|redundant|optimize|marginal` over a ledger written here: each mode prints
 * (and with --out writes) what the pool functions compute from the same ledger, a bad mode or a
 * marginal without a candidate is a clear error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ExperimentLedger } from '../../src/alpha/ledger.ts';
import {
  alignPool,
  correlationPayload,
  loadPoolSeries,
  marginalContribution,
  poolWeights,
  redundantPairs,
} from '../../src/alpha/pool.ts';
import { Epoch } from '../../src/core/clock.ts';
import { Rng } from '../../src/core/rng.ts';
import { hftCli } from '../helpers/hft-cli.ts';

test('pool modes from the CLI equal the pool functions on the same ledger', {
  timeout: 300_000,
}, async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hft-pool-cli-'));
  try {
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    const dir = path.join(root, 'ledger');
    const ledger = new ExperimentLedger(dir);
    const epoch = Epoch.midnightBeforeMs(Date.parse('2026-04-08T03:00:00Z'));
    const rng = new Rng(7);
    const n = 400;
    // The mid moves with `lead` one second ahead; `copy` is lead plus a little noise; `noise` is not.
    const lead = Array.from({ length: n }, () => rng.next() * 2 - 1);
    const copy = lead.map((x) => x + 0.2 * (rng.next() - 0.5));
    const noise = lead.map(() => rng.next() * 2 - 1);
    const mid: number[] = [10_000];
    for (let i = 1; i < n; i++) mid.push(mid[i - 1] * (1 + 1e-4 * lead[i - 1] + 2e-5 * (rng.next() - 0.5)));
    const write = (alpha: string, sig: number[], offset: number) =>
      ledger.write(
        {
          run_id: `run-${alpha}`,
          alpha_id: alpha,
          config_hash: alpha,
          timestamp: '2026-04-08T01:00:00.000Z',
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
          // Different runs cover different seconds: joined on exchange time.
          signals: {
            epoch,
            ts: sig.slice(offset).map((_, i) => (3600 + offset + i) * 1e9),
            columns: { signal: sig.slice(offset), mid: mid.slice(offset) },
          },
          equity: null,
          fills: null,
        },
      );
    write('lead', lead, 0);
    write('copy', copy, 10);
    write('noise', noise, 20);
    const pool = alignPool(loadPoolSeries(ledger));
    assert.equal(pool.sec.length, n - 20);
    const hft = (args: string[]) => hftCli(root, ['alpha', 'pool', ...args, '--base-dir', dir]);

    const m = await hft(['matrix', '--redundant', '--out', 'm.json']);
    assert.equal(m.code, 0, m.stderr);
    const mj = JSON.parse(m.stdout);
    assert.deepEqual(JSON.parse(readFileSync(path.join(root, 'm.json'), 'utf8')), mj);
    const payload = correlationPayload(pool);
    assert.deepEqual(mj.matrix, JSON.parse(JSON.stringify(payload)));
    assert.deepEqual(
      mj.redundant.map((p: { alpha_a: string; alpha_b: string }) => [p.alpha_a, p.alpha_b]),
      [['copy', 'lead']],
    );

    const r = await hft(['redundant', '--threshold', '0.99', '--corr-metric', 'spearman']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).redundant, redundantPairs(payload, 0.99, 'spearman'));

    for (const method of ['equal_weight', 'ic_weighted', 'mean_variance', 'ridge'] as const) {
      const o = await hft(['optimize', '--method', method]);
      assert.equal(o.code, 0, o.stderr);
      const w = JSON.parse(o.stdout).optimization;
      const want = poolWeights(pool.alphaIds, pool.signals, pool.returns, method, 0.1);
      assert.deepEqual(w.weights, want.weights, method);
      const sum = Object.values(w.weights as Record<string, number>).reduce((a, x) => a + Math.abs(x), 0);
      assert.ok(Math.abs(sum - 1) < 1e-9, `${method}: L1 ${sum}`);
    }

    const mg = await hft(['marginal', '--alpha-id', 'noise', '--method', 'ic_weighted']);
    assert.equal(mg.code, 0, mg.stderr);
    const mr = JSON.parse(mg.stdout).marginal;
    assert.deepEqual(
      mr,
      JSON.parse(JSON.stringify(marginalContribution(pool, 'noise', 'ic_weighted', 0.05))),
    );
    assert.equal(mr.passed, false, 'noise does not lift a pool that predicts');

    const none = await hft(['marginal']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /needs --alpha-id/);
    const bad = await hft(['heatmap']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown mode 'heatmap'/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
