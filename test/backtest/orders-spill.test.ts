import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { REPORT_FILES, writeReport } from '../../src/backtest/report-files.ts';
import { DEFAULT_MODELS, runBacktest } from '../../src/backtest/runner.ts';
import { loadProject } from '../../src/config/project.ts';
import { createLogger } from '../../src/core/logger.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { requireData } from '../venues/replay/data-dir.ts';
import { TXO, tmpDir, txoStrategies } from './helpers.ts';

describe('a backtest that spills its order log to the report folder', requireData(), () => {
  test('holds one chunk of it in memory and writes the orders.csv of a log kept in memory', async () => {
    const dir = tmpDir('hft-orders-spill-');
    const cfg = loadProject({
      root: repoRoot,
      envVars: {},
      overrides: [{ key: 'strategies_file', value: txoStrategies(dir), label: 'test' }],
    });
    const run = (spillDir?: string) =>
      runBacktest(cfg, {
        strategyId: 'mm-txo',
        data: [TXO],
        models: DEFAULT_MODELS,
        log: createLogger('silent'),
        spillDir,
      });
    const spilled = path.join(dir, 'spilled');
    const r = await run(spilled);
    assert.equal(r.tracker.orders.chunksInMemory, 1);
    assert.ok(r.tracker.orders.length > 8192, `${r.tracker.orders.length} order events: more than a chunk`);
    assert.equal(readdirSync(spilled).filter((f) => f.endsWith('.spill')).length, 1, 'the spill file');
    writeReport(spilled, r);
    assert.deepEqual(readdirSync(spilled).sort(), [...REPORT_FILES].sort(), 'the spill file is gone');
    const kept = path.join(dir, 'kept');
    const m = await run();
    assert.ok(m.tracker.orders.chunksInMemory > 1);
    writeReport(kept, m);
    for (const f of ['orders.csv', 'fills.csv', 'equity.csv']) {
      assert.equal(readFileSync(path.join(spilled, f), 'utf8'), readFileSync(path.join(kept, f), 'utf8'), f);
    }
  });
});
