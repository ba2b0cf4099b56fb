/**
 * `hft alpha validate ofi_mc --data <the two TAIFEX days>` end to end in a fresh project (the
 * platform's config and the shipped ofi_mc alpha), then `hft alpha experiments list` and `hft alpha
 * report`. One alpha, bounded by a generous timeout that fires only on a real hang.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { hftCli as hft, CLI_LIMIT_MS as LIMIT_MS } from '../helpers/hft-cli.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';

describe('hft alpha validate on the TAIFEX days', requireData(), () => {
  test('ofi_mc: gates A-C, scorecard, research = runtime signals, ledger and report', {
    timeout: LIMIT_MS,
  }, async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hft-alpha-cli-'));
    try {
      cpSync(path.join(repoRoot, 'config'), path.join(root, 'config'), { recursive: true });
      cpSync(path.join(repoRoot, 'research/alphas/ofi_mc'), path.join(root, 'research/alphas/ofi_mc'), {
        recursive: true,
        filter: (f) => !/_report\.json$|scorecard\.json$|report\.html$/.test(f),
      });
      writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
      const days = ['taifex-txf-20260408.parquet', 'taifex-txf-20260410.parquet'].map(dataFile);

      const v = await hft(root, ['alpha', 'validate', 'ofi_mc', '--data', ...days]);
      // ofi_mc's signal (cumulative OFI / 1e9) never reaches the 0.3 threshold: it never trades, and
      // the minimum turnover fails it (the original passed it). Exit 2: not passed.
      assert.equal(v.code, 2, v.stderr);
      assert.match(v.stderr, /ofi_mc: NOT PASSED \(A passed, B passed, C failed\)/);
      const r = JSON.parse(v.stdout);
      assert.equal(r.passed, false);
      assert.equal(r.gate_a.passed, true);
      assert.equal(r.gate_b.passed, true, JSON.stringify(r.gate_b.details.tests));
      assert.deepEqual(r.gate_b.details.tests.failed_tests, []);
      assert.equal(r.gate_b.details.look_ahead.passed, true);
      assert.equal(r.gate_b.details.determinism.passed, true);
      // The alpha's 4 tests ran in one child process; each step's wall and CPU time is reported.
      assert.equal(r.gate_b.details.tests.tests_passed, 4);
      assert.match(
        r.gate_b.details.tests.command,
        /alpha-tests-main\.[jt]s .*logic\.test\.ts .*no-lookahead\.test\.ts$/,
      );
      assert.deepEqual(Object.keys(r.cpu_s).sort(), Object.keys(r.elapsed_s).sort());
      assert.ok(r.cpu_s.total > 0 && r.cpu_s.load > 0, JSON.stringify(r.cpu_s));

      const c = r.gate_c.details;
      // The alpha ran as a strategy in the tick backtester; its signal there equals the research
      // path's at every event of both days.
      assert.ok(c.parity.rows > 100_000);
      assert.equal(c.parity.runtime_rows, c.parity.rows);
      assert.equal(c.parity.mismatches, 0);
      assert.equal(c.criteria.min_turnover.pass, false);
      assert.equal(c.trades, 0);
      // A flat equity's Sharpe 0 and DSR 0.5 meet the default thresholds but are no evidence.
      assert.equal(c.criteria.min_sharpe_oos.pass, false);
      assert.equal(c.criteria.min_dsr.pass, false);
      const s = c.scorecard;
      for (const k of [
        'sharpe_is',
        'sharpe_oos',
        'sortino_oos',
        'max_drawdown',
        'turnover',
        'ic_mean',
        'dsr',
      ])
        assert.equal(typeof s[k], 'number', k);
      assert.equal(s.folds.length, 1, 'walk-forward: the second day is a fold');
      assert.ok(Math.abs(s.ic_t) > 0 && s.ic_samples > 1000);
      assert.deepEqual(Object.keys(s.ic_decay).map(Number), [1, 5, 10, 30, 60, 300]);
      // Reports in the alpha folder, the run in the ledger and the store.
      for (const f of [
        'feasibility_report.json',
        'correctness_report.json',
        'backtest_report.json',
        'scorecard.json',
      ])
        assert.ok(existsSync(path.join(root, 'research/alphas/ofi_mc', f)), f);
      const runDir = path.dirname(r.experiment_meta_path);
      for (const f of ['meta.json', 'scorecard.json', 'signals.parquet', 'equity.parquet'])
        assert.ok(existsSync(path.join(runDir, f)), f);
      assert.equal(r.store.written, true, JSON.stringify(r.store));

      const list = await hft(root, ['alpha', 'experiments', 'list', '--alpha-id', 'ofi_mc']);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(r.run_id));

      // A second configuration that trades (the OFI over a scale of 1000 crosses the threshold): the
      // mapping's orders pass risk (a 5-lot TXF order is over the desk's 20M TWD per-order cap, which
      // refused every one of them before), and the ledger counts two trials for the DSR.
      const v2 = await hft(root, [
        'alpha',
        'validate',
        'ofi_mc',
        '--data',
        days[0],
        '--param',
        'market_cap=1000',
        '--skip-gate-b-tests',
        '--no-store',
      ]);
      assert.ok(v2.code === 0 || v2.code === 2, v2.stderr);
      const r2 = JSON.parse(v2.stdout);
      const c2 = r2.gate_c.details;
      assert.equal(c2.refused.total, 0, JSON.stringify(c2.refused));
      assert.ok(c2.orders > 0 && c2.trades > 0, `${c2.orders} orders, ${c2.trades} trades`);
      assert.ok(c2.scorecard.turnover > 0);
      assert.equal(c2.parity.mismatches, 0);
      assert.equal(c2.scorecard.trials, 2);
      const cmp = await hft(root, ['alpha', 'experiments', 'compare', r.run_id, r2.run_id]);
      assert.equal(cmp.code, 0, cmp.stderr);
      assert.match(cmp.stdout, new RegExp(r2.run_id));

      const rep = await hft(root, ['alpha', 'report', 'ofi_mc', '--run', r2.run_id]);
      assert.equal(rep.code, 0, rep.stderr);
      const html = readFileSync(path.join(root, 'research/alphas/ofi_mc/report.html'), 'utf8');
      assert.match(html, /Gate C/);
      assert.match(html, new RegExp(r2.run_id));
      assert.doesNotMatch(html, /(src|href)=["']https?:/, 'offline: nothing loaded from the network');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
