/**
 * Multi-day backtests stream their files: two TXF days are checked and counted when loaded, their
 * events dropped, and each day read again when the replay reaches it. The backtest is the same as
 * with both days in memory (orders, fills, PnL), and each day is read once per run.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backtestSettings, DEFAULT_MODELS, runBacktest } from '../../../src/backtest/runner.ts';
import { loadProject } from '../../../src/config/project.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { loadReplayData } from '../../../src/services/trading-system.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile, requireData } from './data-dir.ts';

describe('multi-day replay streamed by file', requireData(), () => {
  test('two TXF days: lazy streams, each day loaded once per run, the same backtest as in memory', async () => {
    const root = repoRoot;
    const { settings, symbols, strategies } = loadProject({ root, env: 'test', envVars: {} });
    const cfg = { settings, root, symbols, strategies };
    const files = [dataFile('taifex-txf-20260408.parquet'), dataFile('taifex-txf-20260410.parquet')];
    const s = backtestSettings(settings, files);
    const eager = await loadReplayData(s, symbols, root, false);
    const streamed = await loadReplayData(s, symbols, root, true);
    assert.equal(eager.streams.length, 2);
    assert.ok(eager.streams.every((st) => st.lazy === undefined && st.columns.n > 800_000));
    assert.ok(
      streamed.streams.every((st) => st.lazy !== undefined && st.columns.n === 0),
      'events dropped at load',
    );
    assert.deepEqual(
      streamed.streams.map((st) => st.lazy?.n),
      eager.streams.map((st) => st.columns.n),
    );
    assert.deepEqual(
      streamed.streams.map((st) => [st.lazy?.firstLocalTs, st.lazy?.firstExchTs]),
      eager.streams.map((st) => [st.columns.localTs[0], st.columns.exchTs[0]]),
      'first times on the same run epoch',
    );
    assert.equal(streamed.epoch.ns, eager.epoch.ns);
    let loads = 0;
    for (const st of streamed.streams) {
      const load = st.lazy!.load;
      st.lazy!.load = () => {
        loads++;
        return load();
      };
    }
    const run = (replay: typeof eager) =>
      runBacktest(cfg, {
        strategyId: 'mm-txf',
        data: files,
        models: DEFAULT_MODELS,
        log: createLogger('silent'),
        replay,
        guard: 'off',
      });
    const a = await run(eager);
    const b = await run(streamed);
    assert.equal(loads, 2, 'each day read once');
    assert.equal(b.run.events, a.run.events);
    assert.equal(b.summary.orders, a.summary.orders);
    assert.equal(b.summary.trades, a.summary.trades);
    assert.equal(b.summary.pnl.net, a.summary.pnl.net);
    assert.deepEqual(b.summary.final_position, a.summary.final_position);
  });
});
