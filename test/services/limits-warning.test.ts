import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadProject } from '../../src/config/project.ts';
import { createLogger } from '../../src/core/logger.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { repoRoot } from '../helpers/symbols.ts';

/** Builds the shipped project with only `keep` of its strategies; returns the warnings logged. */
async function warnings(keep: string[]): Promise<{ msg: string; strategies?: string[] }[]> {
  const project = loadProject({ root: repoRoot, env: 'test', envVars: {} });
  const lines: string[] = [];
  const log = createLogger('warn', { repeatWindowMs: 0, sink: { write: (s: string) => void lines.push(s) } });
  await TradingSystem.create({
    ...project,
    strategies: project.strategies.filter((s) => keep.includes(s.id)),
    log,
    record: false,
    flushDeadLetters: false,
  });
  return lines.map((l) => JSON.parse(l));
}

test('limits for strategies that are not configured: one warning naming them; none in a run without strategies', async () => {
  const one = (await warnings(['mm-txf'])).filter((w) => w.msg.startsWith('limits for'));
  assert.equal(one.length, 1);
  assert.deepEqual(one[0].strategies?.sort(), ['mm-2330', 'ofi-tmf', 'twap-2330']);
  const none = (await warnings([])).filter((w) => w.msg.startsWith('limits for'));
  assert.deepEqual(none, []);
});
