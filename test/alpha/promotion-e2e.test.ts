/**
 * From a validated alpha to a canary, through the CLI in a fresh project with a shipped alpha and a
 * shared TAIFEX day: validate -> shadow sessions (replays with the alpha in mode shadow) -> promote
 * (refused on measured evidence, then forced) -> a run trading the promotion at its canary weight
 * -> canary evaluate --apply. Every step reads what the earlier ones recorded; the audit tables
 * hold a row for every gate, the promotions and the canary action.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import YAML from 'yaml';
import type { PromotionDoc } from '../../src/alpha/promotion-file.ts';
import { openTarget } from '../../src/recorder/query.ts';
import { hftCli, CLI_LIMIT_MS as LIMIT_MS } from '../helpers/hft-cli.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';

const hft = (cwd: string, args: string[]) => hftCli(cwd, args, { HFT_LOG_LEVEL: 'warn' });

describe('validated alpha to canary, end to end', requireData(), () => {
  test('validate, shadow sessions, promote, canary run, evaluate', { timeout: LIMIT_MS }, async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hft-promo-e2e-'));
    try {
      cpSync(path.join(repoRoot, 'config'), path.join(root, 'config'), { recursive: true });
      cpSync(
        path.join(repoRoot, 'research/alphas/trade_flow'),
        path.join(root, 'research/alphas/trade_flow'),
        {
          recursive: true,
          filter: (f) => !/_report\.json$|scorecard\.json$|report\.html$|promotion_decision\.json$/.test(f),
        },
      );
      writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
      const day1 = dataFile('taifex-txf-20260408.parquet');
      const day2 = dataFile('taifex-txf-20260410.parquet');
      const run = ['--speed', 'max', '--clock', 'sim', '--set', 'ops.enabled=false'];

      // 1. Validate (Gates A-C): trade_flow does not pass Gate C on this day; the run is in the ledger.
      const v = await hft(root, [
        'alpha',
        'validate',
        'trade_flow',
        '--data',
        day1,
        '--max-position',
        '20',
        '--skip-gate-b-tests',
      ]);
      assert.equal(v.code, 2, v.stderr);
      const validated = JSON.parse(v.stdout);

      // 2. Shadow sessions: the alpha in mode shadow on both days; no order leaves.
      writeFileSync(
        path.join(root, 'config/strategies.yaml'),
        YAML.stringify({
          strategies: [
            {
              id: 'shadow-trade_flow',
              class: 'alpha:trade_flow',
              symbols: ['TXFD6'],
              params: { threshold: 0.3, max_position: 20, max_order_lots: 2, mode: 'shadow' },
            },
          ],
        }),
      );
      for (const day of [day1, day2]) {
        const s = await hft(root, ['run', 'sim', '--data', day, ...run]);
        assert.equal(s.code, 0, s.stderr);
      }

      // 3. Promote: Gate E reads the two sessions; Gate D fails on the measured scorecard.
      const p1 = await hft(root, [
        'alpha',
        'promote',
        'trade_flow',
        '--owner',
        'alice',
        '--min-shadow-sessions',
        '2',
      ]);
      assert.equal(p1.code, 2, p1.stderr);
      const r1 = JSON.parse(p1.stdout);
      assert.equal(r1.run_id, validated.run_id);
      assert.equal(r1.approved, false);
      assert.equal(r1.gate_d.details.checks.sharpe_oos.pass, false);
      assert.equal(
        r1.gate_d.details.checks.correlation_pool_max.value,
        0,
        'no production or canary alpha yet',
      );
      assert.equal(r1.gate_e.details.checks.shadow_sessions.value, 2);
      assert.ok(r1.gate_e.details.intents > 0);
      for (const s of r1.gate_e.details.sessions)
        assert.ok(s.recorded_orders > 0, JSON.stringify(r1.gate_e.details.sessions));
      assert.equal(r1.promotion_config_path, null);
      // Forced, at the first tier: recorded as forced.
      const p2 = await hft(root, [
        'alpha',
        'promote',
        'trade_flow',
        '--owner',
        'alice',
        '--min-shadow-sessions',
        '2',
        '--force',
        '--canary-weight',
        '0.05',
      ]);
      assert.equal(p2.code, 0, p2.stderr);
      const r2 = JSON.parse(p2.stdout);
      assert.equal(r2.forced, true);
      const doc = YAML.parse(readFileSync(r2.promotion_config_path, 'utf8')) as PromotionDoc;
      assert.equal(doc.weight, 0.05);
      assert.equal(doc.strategy.params.max_position, 20);

      // 4. The canary trades at its weight in the next run (the shadow strategy removed).
      writeFileSync(path.join(root, 'config/strategies.yaml'), 'strategies: []\n');
      const st = await hft(root, ['alpha', 'canary', 'status']);
      const status = JSON.parse(st.stdout);
      assert.equal(status.active, 1);
      const summaryFile = path.join(root, 'canary-summary.json');
      const c = await hft(root, ['run', 'sim', '--data', day2, ...run, '--summary-json', summaryFile]);
      assert.equal(c.code, 0, c.stderr);
      const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
      const rep = summary.strategy_reports['canary-trade_flow'];
      assert.equal(rep.mode, 'trade');
      assert.equal(rep.weight, 0.05);
      assert.equal(rep.rolled_back, null);
      assert.ok(rep.fills > 0);
      assert.equal(summary.orders, rep.intents - rep.refused, "every order of the run is the canary's");
      // 20 lots x 0.05 = 1 lot: no order and no position larger.
      assert.equal(rep.filled_qty, rep.fills);

      // 5. Evaluate from the recorded session: one session, no breach: hold (nothing written).
      const e = await hft(root, ['alpha', 'canary', 'evaluate', 'trade_flow', '--apply']);
      assert.equal(e.code, 0, e.stderr);
      const ev = JSON.parse(e.stdout);
      assert.equal(ev.metrics.sessions_live, 1);
      assert.equal(ev.metrics.runs[0], summary.run_id);
      assert.equal(ev.state, 'canary');
      assert.equal(ev.applied, false);

      const db = await openTarget(path.join(root, 'data'));
      try {
        const q = async (sql: string) => (await db.query(sql, 'TSV')).trim().split('\n').filter(Boolean);
        assert.deepEqual(
          await q("SELECT gate FROM audit.alpha_gate_log WHERE alpha_id = 'trade_flow' ORDER BY ts, gate"),
          ['A', 'B', 'C', 'D', 'E', 'D', 'E'],
        );
        assert.deepEqual(
          await q('SELECT approved, forced, canary_weight FROM audit.alpha_promotion_log ORDER BY ts'),
          ['0\t0\t0', '1\t1\t0.05'],
        );
        assert.deepEqual(await q('SELECT action FROM audit.alpha_canary_log'), []);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
