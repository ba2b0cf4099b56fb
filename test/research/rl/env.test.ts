/**
 * The RL environment over the tick backtester on a real TAIFEX day: its rewards add up to the
 * backtester's own PnL for the same actions, it is deterministic, and a saved policy loaded as an
 * alpha gives the same actions in a replay (the research path) as in the environment's backtest.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { computeSignals } from '../../../src/alpha/signal-path.ts';
import { joinStreams } from '../../../src/alpha/validation-context.ts';
import { loadProject } from '../../../src/config/project.ts';
import { NS_PER_MS } from '../../../src/core/clock.ts';
import { UserError } from '../../../src/core/errors.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { cem } from '../../../src/research/rl/cem.ts';
import { randomActions } from '../../../src/research/rl/env.ts';
import { loadPolicy, type PolicySpec, savePolicy } from '../../../src/research/rl/policy.ts';
import { RlPolicyAlpha } from '../../../src/research/rl/rl-alpha.ts';
import { basePolicy, envOver, type RlSetup } from '../../../src/research/rl/train.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile, requireData } from '../../venues/replay/data-dir.ts';

describe('RL environment on the TXF day', requireData(), () => {
  test('rewards equal the backtester PnL; same seed, same episode; a loaded policy acts the same in replay', {
    timeout: 600_000,
  }, async () => {
    const cfg = loadProject({ root: repoRoot, env: 'test', envVars: {} });
    const data = [dataFile('taifex-txf-20260408.parquet')];
    const setup: RlSetup = {
      cfg,
      barMs: 5000,
      maxPosition: 1,
      inventoryPenalty: 2,
      log: createLogger('error'),
    };
    const base = await basePolicy(setup, data);
    assert.deepEqual(base.features.slice(-2), ['entropy_5', 'ret_1']);
    assert.ok(!base.features.includes('mid') && !base.features.includes('microprice'));
    const env = await envOver(setup, data);

    // Random actions: many trades, fees, an inventory penalty.
    const a = await env.episode(base, randomActions(3));
    assert.ok(a.steps > 5000 && a.trades > 1000, `${a.steps} steps, ${a.trades} trades`);
    assert.equal(a.actions.length, a.steps);
    assert.ok(a.fees > 0 && a.penalty_total > 0);
    const sum = a.rewards.reduce((x, y) => x + y, 0);
    assert.ok(
      Math.abs(sum + a.penalty_total - a.pnl_net) < 1e-6,
      `${sum} + ${a.penalty_total} vs ${a.pnl_net}`,
    );
    assert.ok(
      Math.abs(a.pnl_net - a.backtest_pnl_net) < 0.01,
      `environment ${a.pnl_net} vs backtester ${a.backtest_pnl_net}`,
    );
    const again = await env.episode(base, randomActions(3));
    assert.deepEqual(again.rewards, a.rewards, 'deterministic by seed');
    assert.notDeepEqual((await env.episode(base, randomActions(4))).actions, a.actions);

    // A policy that reads its observation: saved, loaded, run in the environment and as an alpha.
    const spec: PolicySpec = {
      ...base,
      weights: base.weights.map((_, i) => [1.5, -0.8, 0.6, 2.2][i % 4]),
      bias: 0.1,
    };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-rl-'));
    try {
      const file = path.join(dir, 'policy.json');
      savePolicy(file, spec);
      const loaded = loadPolicy(file);
      assert.deepEqual(loaded, spec);
      const ep = await env.episode(loaded);
      assert.ok(new Set(ep.actions).size === 3, 'the policy uses all three actions');
      assert.ok(Math.abs(ep.pnl_net - ep.backtest_pnl_net) < 0.01);

      class Loaded extends RlPolicyAlpha {
        static override readonly policy = loaded;
        static override readonly manifest = {
          alpha_id: 'rl_test',
          hypothesis: 'test',
          formula: 'policy',
          tier: 'RL' as const,
        };
      }
      const replay = env.o.replay!;
      const columns = joinStreams(replay.streams.map((s) => s.columns));
      const sig = computeSignals([new Loaded({})], columns, replay.symbols[replay.streams[0].symbolId])[0];
      // The k-th bar change in the replay is where the k-th action was taken in the backtest.
      const barNs = spec.bar_ms * NS_PER_MS;
      let bar = Math.floor(sig.exchTs[0] / barNs);
      let k = 0;
      for (let i = 1; i < sig.n; i++) {
        const b = Math.floor(sig.exchTs[i] / barNs);
        if (b === bar) continue;
        bar = b;
        assert.equal(sig.signal[i], ep.actions[k], `action ${k} (bar ${ep.bars[k]})`);
        k++;
      }
      assert.equal(k, ep.steps, 'every action of the backtest, at the same bar');

      writeFileSync(file, JSON.stringify({ ...spec, weights: [1] }));
      assert.throws(
        () => loadPolicy(file),
        (e: unknown) => e instanceof UserError && /needs? \d+ weights|weights/.test(e.message),
      );
      writeFileSync(file, '{');
      assert.throws(() => loadPolicy(file), /not JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('CEM finds the optimum of a known objective, deterministically', async () => {
  const target = [0.5, -1.5, 2];
  const f = async (p: number[]) => -p.reduce((s, v, i) => s + (v - target[i]) ** 2, 0);
  const a = await cem(3, f, { seed: 1, iterations: 30, population: 20, elite: 5, minStd: 0.001 });
  a.params.forEach((v, i) => {
    assert.ok(Math.abs(v - target[i]) < 0.05, `${i}: ${v}`);
  });
  assert.ok(a.history[a.history.length - 1].elite_mean > a.history[0].elite_mean);
  const b = await cem(3, f, { seed: 1, iterations: 30, population: 20, elite: 5, minStd: 0.001 });
  assert.deepEqual(b.params, a.params);
  assert.equal(a.evaluations, 600);
});
