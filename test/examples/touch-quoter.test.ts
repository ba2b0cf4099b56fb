/**
 * The touch-quoting market maker of examples/ backtests on the CME L3 day on both exchange models
 * (`--exchange l3`: exact queue positions from the order ids; `l2`: estimated), and `--exchange l3`
 * on L2 data is one line naming the file.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { TXO, tmpDir } from '../backtest/helpers.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';
import { hftIn, ordersOf } from './run.ts';

const examples = path.join(repoRoot, 'examples');
const ESH4 = dataFile('esh4-glbx-mdp3-20231225.mbo.dbn.zst');
const fillsOf = (stdout: string) =>
  Number(/ fills ([\d,]+) /.exec(stdout)?.[1]?.replaceAll(',', '') ?? Number.NaN);

describe('touch quoter (examples/strategies/touch-quoter.ts) on ESH4', requireData(), () => {
  for (const exchange of ['l3', 'l2'] as const) {
    test(`--exchange ${exchange}: quotes at the touch, fills as a maker only`, async () => {
      const out = path.join(tmpDir('hft-touch-'), exchange);
      const r = await hftIn(examples, [
        'backtest',
        'run',
        '--strategy',
        'touch-es',
        '--data',
        ESH4,
        '--exchange',
        exchange,
        '--out',
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^backtest touch-es on ESH4: 72,?319 events/);
      assert.ok(ordersOf(r.stdout) > 100, r.stdout);
      assert.ok(fillsOf(r.stdout) > 50, r.stdout);
      assert.match(r.stdout, / maker 100\.0%/);
      const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
      assert.equal(summary.models.exchange, exchange);
    });
  }

  test('--exchange l3 on L2 data is refused in one line', async () => {
    const r = await hftIn(examples, [
      'backtest',
      'run',
      '--strategy',
      'touch-txf',
      '--data',
      TXO,
      '--exchange',
      'l3',
      '--out',
      path.join(tmpDir('hft-touch-'), 'x'),
    ]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /--exchange l3 needs order-level data \(DBN MBO, LOBSTER\); taifex-txo35000q6-20260417\.parquet has price levels only/,
    );
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
