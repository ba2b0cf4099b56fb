/**
 * `hft alpha search` end to end on a TAIFEX day in a fresh project: a genetic search, the ledger,
 * --save-results, a second search counted with the first, and --promote-top scaffolding the best
 * formula as an alpha that then goes through Gates A-C (its own tests, the look-ahead check and the
 * research/runtime parity on the real day). Bounded by a generous timeout that fires only on a hang.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { hftCli as hft, CLI_LIMIT_MS as LIMIT_MS } from '../../helpers/hft-cli.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile, requireData } from '../../venues/replay/data-dir.ts';

describe('hft alpha search on the TXF day', requireData(), () => {
  test('genetic search, ledger, saved results, promotion through Gates A-C', {
    timeout: LIMIT_MS,
  }, async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hft-search-cli-'));
    try {
      cpSync(path.join(repoRoot, 'config'), path.join(root, 'config'), { recursive: true });
      writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
      const day = dataFile('taifex-txf-20260408.parquet');
      const common = ['alpha', 'search', '--data', day, '--bar-ms', '5000', '--no-progress'];

      const a = await hft(root, [
        ...common,
        '--mode',
        'genetic',
        '--population',
        '12',
        '--generations',
        '2',
        '--seed',
        '7',
        '--min-dsr',
        '0',
        '--promote-top',
        '1',
        '--no-store',
        '--save-results',
        'out.json',
      ]);
      assert.equal(a.code, 0, a.stderr);
      const out = JSON.parse(readFileSync(path.join(root, 'out.json'), 'utf8'));
      const ledger = path.join(root, 'research/experiments/search/trials.jsonl');
      const lines = readFileSync(ledger, 'utf8').trim().split('\n');
      assert.equal(lines.length, out.trials, 'every trial in the ledger');
      assert.equal(out.trials, 12 + 2 * (12 - 3));
      assert.equal(out.trials_total, out.trials);
      assert.ok(out.samples > 5000, `${out.samples} bars of 5 s`);
      assert.match(a.stdout, new RegExp(`${out.search_id}: ${out.trials} trials`));
      assert.match(a.stdout, /#\s+fitness\s+sh_train\s+sh_test\s+ic_test\s+corr\s+dsr\s+pass\s+expression/);
      assert.ok(out.pbo !== null && out.pbo.combinations === 12870);

      // The best passing formula became an alpha and went through the gates.
      assert.equal(out.promoted.length, 1, a.stdout);
      const p = out.promoted[0];
      assert.match(p.alpha_id, /^expr_[0-9a-f]{10}$/);
      const dir = path.join(root, 'research/alphas', p.alpha_id);
      assert.ok(
        existsSync(path.join(dir, 'impl.ts')) && existsSync(path.join(dir, 'tests/no-lookahead.test.ts')),
      );
      assert.ok(readFileSync(path.join(dir, 'impl.ts'), 'utf8').includes(JSON.stringify(p.expression)));
      assert.equal(p.validation.gate_a, true, a.stdout);
      assert.equal(p.validation.gate_b, true, a.stdout);
      const gateB = JSON.parse(readFileSync(path.join(dir, 'correctness_report.json'), 'utf8'));
      assert.deepEqual(gateB.details.tests.failed_tests, []);
      assert.equal(gateB.details.look_ahead.passed, true);
      const gateC = JSON.parse(readFileSync(path.join(dir, 'backtest_report.json'), 'utf8'));
      assert.equal(gateC.details.parity.mismatches, 0, 'the runtime signal equals the research signal');
      assert.match(a.stdout, new RegExp(`promote: ${p.alpha_id} (PASSED|NOT PASSED) gates A true, B true`));

      // A second search on the same data and target is counted with the first.
      const b = await hft(root, [...common, '--mode', 'random', '--trials', '15', '--seed', '8']);
      assert.equal(b.code, 0, b.stderr);
      assert.match(b.stdout, new RegExp(`15 trials \\(${out.trials + 15} on this data`));

      // Bad input: one line, exit 2.
      const bad = await hft(root, [...common, '--split', '2']);
      assert.equal(bad.code, 2);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      const tpl = await hft(root, [...common, '--mode', 'template', '--template', 'zscore(nope, {w})']);
      assert.equal(tpl.code, 2);
      assert.match(
        tpl.stderr,
        /^hft: template 'zscore\(nope, \{w\}\)' gives no valid formula \(formula 'zscore\(nope, 3\)': unknown feature 'nope'/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
