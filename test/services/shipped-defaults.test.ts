import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadProject } from '../../src/config/project.ts';
import { createLogger } from '../../src/core/logger.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';

/** The shipped config (base + strategies + limits) in simulated time for `seconds` (0: to the end of the data). */
async function shipped(seconds: number, overrides: { key: string; value: unknown; label: string }[] = []) {
  const project = loadProject({ root: repoRoot, env: 'test', envVars: {}, overrides });
  const sys = await TradingSystem.create({
    ...project,
    log: createLogger('silent'),
    record: false,
    flushDeadLetters: false,
  });
  return sys.run(seconds);
}

/** Refusals that mean the shipped strategies fight each other or the broker's limits. */
function fights(s: Awaited<ReturnType<typeof shipped>>) {
  const by = s.risk.rejects_by_reason;
  return {
    SELF_TRADE: by.SELF_TRADE ?? 0,
    BROKER_RATE_LIMIT: by.BROKER_RATE_LIMIT ?? 0,
    dlq: s.risk.dlq.entries,
  };
}

test('npm run sim: every shipped strategy trades, none is refused for self-trade or the rate limit', async () => {
  const s = await shipped(600);
  assert.deepEqual(fights(s), { SELF_TRADE: 0, BROKER_RATE_LIMIT: 0, dlq: 0 });
  const traded = new Set(s.positions.filter((p) => p.fills > 0).map((p) => p.strategy));
  assert.deepEqual([...traded].sort(), ['mm-2330', 'mm-txf', 'ofi-tmf']);
});

describe('the README replay of the TXF day with the shipped strategies', requireData(), () => {
  test('is clean: no self-trade refusals, no rate-limit dead letters', async () => {
    const s = await shipped(0, [
      { key: 'feed.kind', value: 'replay', label: 'test' },
      { key: 'feed.data', value: [dataFile('taifex-txf-20260408.parquet')], label: 'test' },
      { key: 'feed.speed', value: 'max', label: 'test' },
    ]);
    assert.equal(s.events, 849_329);
    assert.ok(s.fills > 1000, `fills ${s.fills}`);
    assert.deepEqual(fights(s), { SELF_TRADE: 0, BROKER_RATE_LIMIT: 0, dlq: 0 });
  });
});
