import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_MODELS, runBacktest } from '../../src/backtest/runner.ts';
import { phaseAt, TAIFEX } from '../../src/calendar/session-calendar.ts';
import { loadProject } from '../../src/config/project.ts';
import { createLogger } from '../../src/core/logger.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { requireData } from '../venues/replay/data-dir.ts';
import { TXF } from './helpers.ts';

/** One backtest of the shipped TXF market maker over the 2026-04-08 TXF day. */
async function backtest(includePreopen: boolean) {
  const cfg = loadProject({
    root: repoRoot,
    envVars: {},
    overrides: includePreopen ? [{ key: 'feed.exclude_preopen', value: false, label: 'test' }] : [],
  });
  const r = await runBacktest(cfg, {
    strategyId: 'mm-txf',
    data: [TXF],
    models: DEFAULT_MODELS,
    log: createLogger('silent'),
  });
  const preopen = r.tracker.fills.filter((f) => phaseAt(TAIFEX, r.epoch.toMs(f.exchTs)).phase === 'pre_open');
  return { r, preopen: preopen.length };
}

describe('TAIFEX pre-open prints in a backtest', requireData(), () => {
  test('excluded from fills by default (the book still follows them), included with the switch', async () => {
    // 275 indicative prints in 08:30-08:45 and 14:50-15:00 Taipei on that day: before the calendar
    // they filled the market maker's resting orders 42 times (31 in the morning, 11 before the night).
    const def = await backtest(false);
    assert.equal(def.preopen, 0);
    assert.equal(def.r.run.feed.replay?.indicative_trades, 275);
    assert.equal(def.r.run.feed.replay?.indicative_events, 1002);
    const incl = await backtest(true);
    assert.ok(incl.preopen > 20, `pre-open fills with --include-preopen: ${incl.preopen}`);
    assert.equal(incl.r.run.feed.replay?.indicative_trades, 0);
  });
});
