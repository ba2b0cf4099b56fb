import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadProject } from '../../../src/config/project.ts';
import { RealClock as PacedClock } from '../../../src/core/clock.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { TradingSystem } from '../../../src/services/trading-system.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile, requireData } from './data-dir.ts';

test('PacedClock reads data time from the start it was given and never goes back', () => {
  assert.throws(() => new PacedClock(0, 0), /speed must be > 0/);
  assert.throws(() => new PacedClock(0, Number.NaN), /speed must be > 0/);
  const c = new PacedClock(1_000_000_000, 1000);
  const a = c.nowNs();
  const b = c.nowNs();
  assert.ok(a >= 1_000_000_000 && b >= a);
  assert.equal(c.simulated, false);
});

test(
  'a real-clock replay is paced by feed.speed and stops at --duration of data time',
  requireData(),
  async () => {
    const { settings, symbols } = loadProject({
      root: repoRoot,
      env: 'test',
      envVars: {},
      overrides: [
        { key: 'run.clock', value: 'real', label: 'test' },
        { key: 'feed.kind', value: 'replay', label: 'test' },
        { key: 'feed.data', value: [dataFile('taifex-txf-20260408.parquet')], label: 'test' },
        // 60 s of data in about 20 ms of wall time.
        { key: 'feed.speed', value: 3000, label: 'test' },
      ],
    });
    const sys = await TradingSystem.create({
      settings,
      root: repoRoot,
      symbols,
      strategies: [],
      log: createLogger('silent'),
      record: false,
    });
    assert.equal(sys.clock instanceof PacedClock, true);
    const s = await sys.run(60);
    assert.equal(s.clock, 'real');
    assert.ok(s.duration_s >= 60, `ran ${s.duration_s} s of data time`);
    // The opening minute of the session holds some, not all, of the day's events.
    assert.ok(s.events > 0 && s.events < 849_329, `events ${s.events}`);
    assert.ok(s.feed.replay && s.feed.replay.events === s.events);
  },
);
