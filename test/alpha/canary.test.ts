/**
 * `hft alpha canary evaluate`'s rules: metrics from the canary's recorded sessions (hft.runs), the
 * original's rollback / escalate / graduate / hold with tiers 0.02 → 0.05 → 0.07 → 0.10, each
 * change written to the promotion file with an audit.alpha_canary_log row.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import type { AlphaRunReport } from '../../src/alpha/alpha-monitor.ts';
import type { AlphaSession } from '../../src/alpha/alpha-sessions.ts';
import { insertAudit } from '../../src/alpha/audit-rows.ts';
import {
  applyCanary,
  type CanaryMetrics,
  type CanaryRules,
  canaryMetrics,
  canarySessions,
  decideCanary,
} from '../../src/alpha/canary.ts';
import {
  type PromotionDoc,
  type PromotionEntry,
  readPromotion,
  writePromotion,
} from '../../src/alpha/promotion-file.ts';
import { openTarget } from '../../src/recorder/query.ts';

const rules: CanaryRules = { escalation_sessions: 10, sharpe_ratio: 0.8, tiers: [0.02, 0.05, 0.07, 0.1] };
const T0 = Date.parse('2026-12-01T00:00:00Z');

function doc(weight: number): PromotionDoc {
  return {
    alpha_id: 'trade_flow',
    enabled: true,
    weight,
    owner: 'alice',
    expiry_review_date: '2027-01-01',
    forced: false,
    source_commit: 'test',
    scorecard_snapshot: { sharpe_oos: 1.5 },
    thresholds: {},
    guardrails: {
      max_live_slippage_bps: 3,
      max_live_drawdown_contribution: 0.02,
      max_execution_error_rate: 0.01,
      min_orders: 20,
    },
    rollback: {
      trigger: {
        live_slippage_bps_gt: 3,
        live_drawdown_contribution_gt: 0.02,
        execution_error_rate_gt: 0.01,
      },
      action: { set_weight_to_zero: true, open_incident: true },
    },
    run_id: 'r1',
    config_hash: 'h',
    promoted_at: new Date(T0).toISOString(),
    strategy: { id: 'canary-trade_flow', symbols: ['TXFD6'], params: {} },
    history: [],
  };
}

const good: CanaryMetrics = {
  sessions_live: 10,
  slippage_bps: 1,
  drawdown_contribution: 0.01,
  execution_error_rate: 0,
  sharpe_live: 1.3,
  runs: [],
};

function report(pnl: number, extra: Partial<AlphaRunReport> = {}): AlphaRunReport {
  return {
    kind: 'alpha',
    alpha_id: 'trade_flow',
    mode: 'trade',
    weight: 0.02,
    intents: 100,
    refused: 0,
    venue_rejects: 0,
    error_rate: 0,
    fills: 10,
    filled_qty: 10,
    slippage_bps: 1,
    pnl,
    max_drawdown: 0,
    capital: 1e6,
    drawdown_contribution: 0.005,
    rolled_back: null,
    samples: { step_s: 1, signal: [], mid_return: [] },
    ...extra,
  };
}

describe('canary evaluate', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hft-canary-eval-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the full tier progression 0.02 -> 0.05 -> 0.07 -> 0.10 -> graduated, a row for each change', () => {
    const file = path.join(dir, 'tiers', '20261201', 'trade_flow.yaml');
    writePromotion(file, doc(0.02));
    const entry: PromotionEntry = { file, doc: readPromotion(file) };
    const seen: [string, number, number][] = [];
    for (let i = 0; i < 4; i++) {
      const d = decideCanary(entry, good, rules, 'trade_flow');
      const row = applyCanary(entry, d, T0 + i * 1000);
      assert.ok(row !== null);
      seen.push([row.action, row.old_weight, row.new_weight]);
    }
    assert.deepEqual(seen, [
      ['escalated', 0.02, 0.05],
      ['escalated', 0.05, 0.07],
      ['escalated', 0.07, 0.1],
      ['graduated', 0.1, 0.1],
    ]);
    const back = YAML.parse(readFileSync(file, 'utf8')) as PromotionDoc;
    assert.equal(back.weight, 0.1);
    assert.equal(back.enabled, true);
    assert.equal(back.rollback, undefined, 'a graduated alpha has no rollback block');
    assert.deepEqual(
      back.history.map((h) => h.action),
      ['escalated', 'escalated', 'escalated', 'graduated'],
    );
  });

  test('hold: too few sessions, or a live Sharpe under 0.8 x the backtest; no write and no row', () => {
    const file = path.join(dir, 'hold', 'trade_flow.yaml');
    writePromotion(file, doc(0.05));
    const entry: PromotionEntry = { file, doc: readPromotion(file) };
    for (const m of [
      { ...good, sessions_live: 9 },
      { ...good, sharpe_live: 1.19 },
      { ...good, sharpe_live: null },
    ]) {
      const d = decideCanary(entry, m, rules, 'trade_flow');
      assert.equal(d.state, 'canary');
      assert.equal(d.reason, 'All checks passed, holding current weight');
      assert.equal(applyCanary(entry, d, T0), null);
    }
    // 1.2 = 0.8 x 1.5: enough.
    assert.equal(decideCanary(entry, { ...good, sharpe_live: 1.2 }, rules, 'trade_flow').state, 'escalated');
    assert.deepEqual(readPromotion(file).history, []);
    assert.equal(decideCanary(null, good, rules, 'x').state, 'not_found');
  });

  test('rollback on each metric strictly above its limit (at the limit holds); weight 0 and disabled', () => {
    const file = path.join(dir, 'rb', 'trade_flow.yaml');
    writePromotion(file, doc(0.07));
    const entry: PromotionEntry = { file, doc: readPromotion(file) };
    const cases: [Partial<CanaryMetrics>, RegExp][] = [
      [{ slippage_bps: 3.01 }, /^slippage 3.01 bps > 3$/],
      [{ drawdown_contribution: 0.021 }, /^drawdown contribution 0.021 > 0.02$/],
      [{ execution_error_rate: 0.02 }, /^execution error rate 0.02 > 0.01$/],
    ];
    for (const [m, reason] of cases) {
      const d = decideCanary(entry, { ...good, ...m }, rules, 'trade_flow');
      assert.equal(d.state, 'rolled_back');
      assert.match(d.reason, reason);
      assert.equal(d.new_weight, 0);
    }
    assert.equal(
      decideCanary(
        entry,
        { ...good, slippage_bps: 3, drawdown_contribution: 0.02, execution_error_rate: 0.01 },
        rules,
        'trade_flow',
      ).state,
      'escalated',
    );
    const row = applyCanary(
      entry,
      decideCanary(entry, { ...good, slippage_bps: 9 }, rules, 'trade_flow'),
      T0,
    );
    assert.equal(row?.action, 'rolled_back');
    const back = readPromotion(file);
    assert.equal(back.enabled, false);
    assert.equal(back.weight, 0);
  });

  test('metrics from the recorded sessions since the last change, and the audit rows in the store', async () => {
    const store = path.join(dir, 'store');
    const file = path.join(dir, 'e2e', 'trade_flow.yaml');
    const d0 = doc(0.02);
    // Escalated to 0.02 on Dec 2: sessions before that belong to an earlier weight.
    d0.history = [
      { ts: '2026-12-02T00:00:00.000Z', action: 'promoted', old_weight: 0, new_weight: 0.02, reason: '' },
    ];
    writePromotion(file, d0);
    const entry: PromotionEntry = { file, doc: readPromotion(file) };
    const db = await openTarget(store);
    try {
      const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
      const pnls = [100, 120, 80, 150, 90, 110, 130, 70, 140, 100, 115];
      const values: string[] = [];
      // One session on Dec 1 (before the change), eleven after; another strategy's run too.
      const start = (i: number) => BigInt(Date.parse('2026-12-01T12:00:00Z') + i * 86_400_000) * 1_000_000n;
      const row = (run: string, ts: bigint, reports: Record<string, AlphaRunReport>) =>
        `(${q(run)}, 1, 'live', 'h', '{}', 'test', 'host', 1, ${ts}, ${ts + 1_000_000_000n}, ['TXFD6'], ${q(JSON.stringify({ strategy_reports: reports }))})`;
      values.push(row('old', start(0), { 'canary-trade_flow': report(-1e6) }));
      pnls.forEach((p, i) => {
        values.push(
          row(`s${i}`, start(i + 1), {
            'canary-trade_flow': report(p, { slippage_bps: i === 0 ? 2 : 1, filled_qty: i === 0 ? 30 : 10 }),
          }),
        );
      });
      values.push(
        row('other', start(3), { 'mm-x': { ...report(5), alpha_id: 'trade_flow', mode: 'trade' } }),
      );
      await db.exec(
        `INSERT INTO hft.runs (run, revision, kind, config_hash, config, code_version, host, pid, start_ts, end_ts, symbols, summary) VALUES ${values.join(', ')}`,
      );
      const sessions: AlphaSession[] = await canarySessions(db, entry);
      assert.deepEqual(
        sessions.map((s) => s.run),
        pnls.map((_, i) => `s${i}`),
      );
      const m = canaryMetrics(sessions);
      assert.equal(m.sessions_live, 11);
      // Quantity-weighted: (2 x 30 + 1 x 100) / 130.
      assert.ok(Math.abs((m.slippage_bps as number) - 160 / 130) < 1e-12);
      const mean = pnls.reduce((a, b) => a + b, 0) / pnls.length;
      const sd = Math.sqrt(pnls.reduce((a, b) => a + (b - mean) ** 2, 0) / (pnls.length - 1));
      assert.ok(Math.abs((m.sharpe_live as number) - (mean / sd) * Math.sqrt(252)) < 1e-9);
      const d = decideCanary(entry, m, rules, 'trade_flow');
      assert.equal(d.state, 'escalated');
      const r = applyCanary(entry, d, Date.parse('2026-12-20T00:00:00Z'));
      await insertAudit(db, { canary: [r!] });
      // After the change no session counts yet: hold.
      const again = decideCanary(entry, canaryMetrics(await canarySessions(db, entry)), rules, 'trade_flow');
      assert.equal(again.state, 'canary');
      assert.equal(again.metrics?.sessions_live, 0);
      const rows = (
        await db.query(
          'SELECT alpha_id, action, old_weight, new_weight FROM audit.alpha_canary_log',
          'JSONEachRow',
        )
      )
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      assert.deepEqual(rows, [
        { alpha_id: 'trade_flow', action: 'escalated', old_weight: 0.02, new_weight: 0.05 },
      ]);
    } finally {
      await db.close();
    }
  });
});
