/**
 * A promoted formula trades what was searched: the ExpressionAlpha's signal, run through the
 * research path (the runtime's LOB, feature kernels and event feed) on a real TAIFEX day, equals
 * the search's vectorised evaluation of the formula at every bar.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeSignals } from '../../../src/alpha/signal-path.ts';
import { joinStreams } from '../../../src/alpha/validation-context.ts';
import { loadBacktestData } from '../../../src/backtest/runner.ts';
import { loadProject } from '../../../src/config/project.ts';
import { NS_PER_MS } from '../../../src/core/clock.ts';
import { loadSearchData } from '../../../src/research/search/data.ts';
import { evaluate } from '../../../src/research/search/evaluate.ts';
import { parseExpr } from '../../../src/research/search/expr.ts';
import { ExpressionAlpha } from '../../../src/research/search/expression-alpha.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile, requireData } from '../../venues/replay/data-dir.ts';

const FORMULAS = [
  'zscore(imbalance_l1, 50)',
  'ts_corr(ofi_5, ret_1, 20) - decay_linear(trade_imbalance_5s, 10)',
  'rank(ts_delta(mid, 5))',
  'sign(ts_sum(ret_1, 3))',
];

describe('expression alpha on the TXF day', requireData(), () => {
  test('its signal equals the search evaluation of the formula at every bar', {
    timeout: 600_000,
  }, async () => {
    const cfg = loadProject({ root: repoRoot, env: 'test', envVars: {} });
    const file = dataFile('taifex-txf-20260408.parquet');
    const barMs = 2000;
    const data = await loadSearchData(cfg, [file], { barMs, featureSet: 'lob_core' });
    assert.ok(data.n > 10_000, `${data.n} bars`);
    const replay = await loadBacktestData(cfg, [file]);
    const columns = joinStreams(replay.streams.map((s) => s.columns));
    const symbol = replay.symbols[replay.streams[0].symbolId];
    const alphas = FORMULAS.map((f) => {
      class A extends ExpressionAlpha {
        static override readonly expression = f;
        static override readonly barMs = barMs;
        static override readonly manifest = {
          alpha_id: 'expr_test',
          hypothesis: 'test',
          formula: f,
        };
      }
      return new A({});
    });
    const series = computeSignals(alphas, columns, symbol);
    FORMULAS.forEach((f, a) => {
      const want = evaluate(parseExpr(f, { features: data.names }), data);
      const s = series[a];
      // The k-th bar change in the event stream is where sample k has just been emitted.
      let k = -1;
      let bar = Math.floor(s.exchTs[0] / (barMs * NS_PER_MS));
      let checked = 0;
      let nonzero = 0;
      for (let i = 1; i < s.n; i++) {
        const b = Math.floor(s.exchTs[i] / (barMs * NS_PER_MS));
        if (b === bar) continue;
        bar = b;
        k++;
        const w = want[k];
        assert.ok(s.signal[i] === w, `${f}: bar sample ${k}: alpha ${s.signal[i]} vs search ${w}`);
        checked++;
        if (w !== 0) nonzero++;
      }
      assert.equal(checked, data.n - 1, `${f}: every bar but the last (whose end the data never shows)`);
      assert.ok(nonzero > checked / 2, `${f}: the comparison is not of zeros (${nonzero}/${checked})`);
    });
  });
});
