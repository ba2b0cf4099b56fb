import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { TXF, tmpDir } from '../backtest/helpers.ts';
import { hftIn, ordersOf } from '../examples/run.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { requireData } from '../venues/replay/data-dir.ts';

const FILES = [
  '.gitignore',
  'config/base.yaml',
  'config/strategies.yaml',
  'config/strategy_limits.yaml',
  'package.json',
  'strategies/flow-follower.ts',
  'strategies/imbalance-taker.ts',
  'tsconfig.json',
];

test('hft init creates a project folder, and refuses to write over one', async () => {
  const parent = tmpDir('hft-init-');
  const r = await hftIn(parent, ['init', 'my-desk']);
  assert.equal(r.code, 0, r.stderr);
  const dir = path.join(parent, 'my-desk');
  for (const f of FILES) assert.ok(existsSync(path.join(dir, f)), f);
  assert.match(r.stdout, /^created a project in my-desk: /);
  assert.match(r.stdout, /cd my-desk\n {2}npm install/);
  assert.equal(
    readFileSync(path.join(dir, 'strategies/imbalance-taker.ts'), 'utf8'),
    readFileSync(path.join(repoRoot, 'examples/strategies/imbalance-taker.ts'), 'utf8'),
  );
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.devDependencies['hft-platform'], `file:${path.relative(dir, repoRoot)}`);
  assert.match(readFileSync(path.join(dir, '.gitignore'), 'utf8'), /^data\/$[\s\S]*^bt\/$/m);
  assert.match(readFileSync(path.join(dir, 'tsconfig.json'), 'utf8'), /"useDefineForClassFields": false/);

  const again = await hftIn(dir, ['init']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^hft: \/.*\/my-desk\/config\/base\.yaml exists; hft init does not overwrite/);
  assert.equal(again.stderr.split('\n').length, 2, 'one line');
});

describe('a project made by hft init', requireData(), () => {
  test('backtests its plugin strategy on the TXF day, from its root and from a subfolder', async () => {
    const parent = tmpDir('hft-init-bt-');
    assert.equal((await hftIn(parent, ['init', 'desk'])).code, 0);
    const dir = path.join(parent, 'desk');
    const r = await hftIn(dir, [
      'backtest',
      'run',
      '--strategy',
      'imbalance-txf',
      '--data',
      TXF,
      '--out',
      'bt/first',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^backtest imbalance-txf on TXFD6: 849,?329 events/);
    assert.ok(ordersOf(r.stdout) > 0, r.stdout);
    assert.ok(
      existsSync(path.join(dir, 'bt/first/summary.json')),
      'report relative to the working directory',
    );

    // From strategies/: the project is found upwards; --out is relative to where the user is.
    const sub = await hftIn(path.join(dir, 'strategies'), [
      'backtest',
      'run',
      '--strategy',
      'imbalance-txf',
      '--data',
      path.relative(path.join(dir, 'strategies'), TXF),
      '--out',
      '../bt/again',
      '--param',
      'threshold=0.8',
    ]);
    assert.equal(sub.code, 0, sub.stderr);
    const s = JSON.parse(readFileSync(path.join(dir, 'bt/again/summary.json'), 'utf8'));
    assert.equal(s.strategy.params.threshold, 0.8);
  });

  test('a misspelt --param or a bad value in the strategies file stops the run before any data is read', async () => {
    const parent = tmpDir('hft-init-bad-');
    assert.equal((await hftIn(parent, ['init', 'desk'])).code, 0);
    const dir = path.join(parent, 'desk');
    const missing = path.join(dir, 'no-such-file.parquet');
    const typo = await hftIn(dir, [
      'backtest',
      'run',
      '--strategy',
      'imbalance-txf',
      '--data',
      missing,
      '--out',
      'bt/x',
      '--param',
      'treshold=0.7',
    ]);
    assert.equal(typo.code, 2);
    assert.equal(
      typo.stderr,
      "hft: strategy imbalance-txf: unknown parameter 'treshold' (ImbalanceTaker takes: qty, threshold, hold_ms)\n",
    );
    const file = path.join(dir, 'config/strategies.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('threshold: 0.6', 'threshold: 1.5'));
    const bad = await hftIn(dir, [
      'backtest',
      'run',
      '--strategy',
      'imbalance-txf',
      '--data',
      missing,
      '--out',
      'bt/x',
    ]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      "hft: strategy imbalance-txf: parameter 'threshold' = 1.5: Too big: expected number to be <1\n",
    );
    const sweep = await hftIn(dir, [
      'backtest',
      'sweep',
      '--strategy',
      'imbalance-txf',
      '--data',
      missing,
      '--out',
      'bt/s',
      '--grid',
      'threshold=0.5,0.7',
      '--grid',
      'qty=1,-1',
    ]);
    assert.equal(sweep.code, 2);
    assert.equal(
      sweep.stderr,
      "hft: strategy imbalance-txf: parameter 'qty' = -1: Too small: expected number to be >0\n",
    );
  });
});
