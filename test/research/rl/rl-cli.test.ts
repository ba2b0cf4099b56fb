/**
 * `hft alpha rl train|evaluate|promote` end to end in a fresh project: a short CEM training on one
 * TXF day evaluated on the other, the run in the experiment ledger, the policy evaluated again,
 * then promoted as an alpha of tier RL that goes through Gates A-C (its own tests, look-ahead and
 * the research/runtime parity on the real day). Bounded by a timeout that fires only on a hang.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { hftCli as hft, CLI_LIMIT_MS as LIMIT_MS } from '../../helpers/hft-cli.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile, requireData } from '../../venues/replay/data-dir.ts';

describe('hft alpha rl on the TXF days', requireData(), () => {
  test('train, evaluate against flat and random, promote through Gates A-C', {
    timeout: LIMIT_MS,
  }, async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hft-rl-cli-'));
    try {
      cpSync(path.join(repoRoot, 'config'), path.join(root, 'config'), { recursive: true });
      writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
      const train = dataFile('taifex-txf-20260408.parquet');
      const oos = dataFile('taifex-txf-20260410.parquet');
      const t = await hft(root, [
        'alpha',
        'rl',
        'train',
        '--data',
        train,
        '--eval-data',
        oos,
        '--out',
        'p.json',
        '--population',
        '3',
        '--elite',
        '1',
        '--iterations',
        '1',
        '--bar-ms',
        '10000',
      ]);
      assert.equal(t.code, 0, t.stderr);
      assert.match(t.stdout, /p\.json: 3 episodes in/);
      assert.match(t.stdout, /out of sample \(DSR [0-9.e-]+ over 3 trials\)/);
      assert.match(t.stdout, /\nflat\s+0\s+0\s+0\s+0\s/);
      const spec = JSON.parse(readFileSync(path.join(root, 'p.json'), 'utf8'));
      assert.equal(spec.format, 'hft-linear-policy@1');
      assert.equal(spec.meta.evaluations, 3);
      assert.equal(spec.weights.length, spec.features.length + 1);
      const runs = readdirSync(path.join(root, 'research/experiments/runs'));
      assert.equal(runs.length, 1, 'the training is a run of the experiment ledger');
      const meta = JSON.parse(
        readFileSync(path.join(root, 'research/experiments/runs', runs[0], 'meta.json'), 'utf8'),
      );
      assert.equal(meta.alpha_id, 'rl_p');
      assert.equal(typeof meta.metrics.pnl_oos, 'number');

      const e = await hft(root, [
        'alpha',
        'rl',
        'evaluate',
        '--policy',
        'p.json',
        '--data',
        oos,
        '--out',
        'e.json',
      ]);
      assert.equal(e.code, 0, e.stderr);
      const ev = JSON.parse(readFileSync(path.join(root, 'e.json'), 'utf8'));
      assert.deepEqual(ev, spec.meta.evaluation, 'the same policy on the same day: the same result');
      assert.ok(ev.random.trades > 100 && ev.random.fees > 0);

      const p = await hft(root, [
        'alpha',
        'rl',
        'promote',
        '--policy',
        'p.json',
        '--id',
        'rl_txf',
        '--data',
        train,
        '--no-store',
      ]);
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, /validate: rl_txf (PASSED|NOT PASSED) gates A true, B true/);
      const dir = path.join(root, 'research/alphas/rl_txf');
      const gateB = JSON.parse(readFileSync(path.join(dir, 'correctness_report.json'), 'utf8'));
      assert.deepEqual(gateB.details.tests.failed_tests, []);
      const gateC = JSON.parse(readFileSync(path.join(dir, 'backtest_report.json'), 'utf8'));
      assert.equal(gateC.details.parity.mismatches, 0);

      // The same policy again goes on to its later steps; another policy under that id is refused.
      const again = await hft(root, ['alpha', 'rl', 'promote', '--policy', 'p.json', '--id', 'rl_txf']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, 'promote: rl_txf exists with this policy\n');
      writeFileSync(path.join(root, 'q.json'), JSON.stringify({ ...spec, bias: spec.bias + 1 }));
      const other = await hft(root, ['alpha', 'rl', 'promote', '--policy', 'q.json', '--id', 'rl_txf']);
      assert.equal(other.code, 2);
      assert.match(other.stderr, /^hft: .*rl_txf exists \(with another policy\)\n$/);
      const bad = await hft(root, ['alpha', 'rl', 'evaluate', '--policy', 'nope.json', '--data', oos]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^hft: policy .*nope\.json: ENOENT\n$/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
