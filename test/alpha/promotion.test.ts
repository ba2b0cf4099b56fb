/**
 * Gates D and E and `promoteAlpha` on a project with two shipped alphas, a ledger written here and a
 * real embedded store: every number the gates read is measured (pool correlation from recorded
 * signals, shadow sessions and their drift from hft.runs), and every gate and decision is audited.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import { ks, psi } from '../../src/alpha/drift.ts';
import { ExperimentLedger } from '../../src/alpha/ledger.ts';
import { type PromotionConfig, promoteAlpha } from '../../src/alpha/promotion.ts';
import { type PromotionDoc, writePromotion } from '../../src/alpha/promotion-file.ts';
import { Epoch } from '../../src/core/clock.ts';
import type { SinkTarget } from '../../src/recorder/config.ts';
import { openTarget } from '../../src/recorder/query.ts';
import { repoRoot } from '../helpers/symbols.ts';

const NOW = Date.parse('2026-12-05T08:00:00Z');
const epoch = Epoch.midnightBeforeMs(Date.parse('2026-04-08T01:00:00Z'));
const N = 600;

function rng(seed: number) {
  let x = seed;
  return () => {
    x = (x * 48271) % 2147483647;
    return x / 2147483647;
  };
}
function normals(seed: number, n: number, shift = 0): number[] {
  const u = rng(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()) + shift);
}
function mids(seed: number, n: number): number[] {
  const z = normals(seed, n);
  const m = [3_300_000];
  for (let i = 1; i < n; i++) m.push(m[i - 1] * (1 + z[i] * 1e-4));
  return m;
}

const config: PromotionConfig = {
  min_sharpe_oos: 1,
  max_abs_drawdown: 0.2,
  max_turnover: 2,
  max_correlation: 0.7,
  min_uplift: -10,
  pool_method: 'equal_weight',
  min_shadow_sessions: 5,
  max_drift_psi: 0.25,
  max_drift_alerts: 0,
  max_execution_reject_rate: 0.01,
  expiry_days: 30,
  max_live_slippage_bps: 3,
  max_live_drawdown_contribution: 0.02,
  max_execution_error_rate: 0.01,
  min_orders: 20,
};

describe('Gates D-E and promotion', () => {
  let root: string;
  let ledger: ExperimentLedger;
  let store: SinkTarget;
  let promotions: string;
  const candSignal = normals(11, N);
  const mid = mids(5, N);

  function writeRun(
    run: string,
    alpha: string,
    signal: number[],
    passed = true,
    ts = '2026-04-08T02:00:00.000Z',
  ) {
    ledger.write(
      {
        run_id: run,
        alpha_id: alpha,
        config_hash: `hash-${run}`,
        timestamp: ts,
        code_version: 'test',
        data_paths: [],
        config: { mapping: { threshold: 0.3, max_position: 5, execution: 'taker' }, alpha_params: {} },
        metrics: { sharpe_oos: 1.6, max_drawdown: -0.05, turnover: 1.2 },
        gate_status: { gate_a: true, gate_b: true, gate_c: passed },
        passed,
      },
      {
        scorecard: { sharpe_oos: 1.6 },
        backtestReport: { gate: 'Gate C', passed, details: { symbol: 'TXFD6', capital: 1_000_000 } },
        report: {},
        signals: {
          epoch,
          ts: signal.map((_, i) => (3600 + i) * 1e9),
          columns: { signal, mid },
        },
        equity: null,
        fills: null,
      },
    );
  }

  async function shadowSession(run: string, signal: number[], refused = 0) {
    const db = await openTarget(store.dataDir);
    try {
      const ret = mid.map((m, i) => (i === 0 ? 0 : m / mid[i - 1] - 1));
      const summary = {
        strategy_reports: {
          'shadow-tf': {
            kind: 'alpha',
            alpha_id: 'trade_flow',
            mode: 'shadow',
            weight: 1,
            intents: 200,
            refused,
            venue_rejects: 0,
            samples: { step_s: 1, signal, mid_return: ret },
          },
        },
      };
      const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
      await db.exec(
        'INSERT INTO hft.runs (run, revision, kind, config_hash, config, code_version, host, pid, start_ts, end_ts, symbols, summary) VALUES ' +
          `(${q(run)}, 1, 'replay', 'h', '{}', 'test', 'host', 1, 1000000000000000, 1000000001000000, ['TXFD6'], ${q(JSON.stringify(summary))})`,
      );
    } finally {
      await db.close();
    }
  }

  async function audit(sql: string): Promise<Record<string, unknown>[]> {
    const db = await openTarget(store.dataDir);
    try {
      return (await db.query(sql, 'JSONEachRow'))
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l));
    } finally {
      await db.close();
    }
  }

  let calls = 0;
  const promote = (extra: Partial<Parameters<typeof promoteAlpha>[0]> = {}) =>
    promoteAlpha({
      root,
      alphaId: 'trade_flow',
      owner: 'alice',
      ledger,
      promotionsDir: promotions,
      store,
      config,
      force: false,
      // One second apart: the audit rows sort by time.
      nowMs: NOW + 1000 * calls++,
      ...extra,
    });

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'hft-promo-'));
    cpSync(path.join(repoRoot, 'config'), path.join(root, 'config'), { recursive: true });
    for (const a of ['trade_flow', 'ofi_depth'])
      cpSync(path.join(repoRoot, 'research/alphas', a), path.join(root, 'research/alphas', a), {
        recursive: true,
        filter: (f) => !/_report\.json$|scorecard\.json$|report\.html$|promotion_decision\.json$/.test(f),
      });
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    ledger = new ExperimentLedger(path.join(root, 'research/experiments'));
    store = {
      mode: 'fallback',
      server: null,
      dataDir: path.join(root, 'data'),
      walDir: path.join(root, 'wal'),
    };
    promotions = path.join(root, 'config/strategy_promotions');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('PSI and KS: the same distribution is quiet, a shifted one alerts', () => {
    const a = normals(1, 2000);
    assert.ok(psi(a, normals(2, 2000)) < 0.05);
    assert.ok(psi(a, normals(3, 2000, 1)) > 0.25);
    assert.ok(ks(a, normals(2, 2000)).p > 0.01);
    const k = ks(a, normals(3, 2000, 1));
    assert.ok(k.d > 0.3 && k.p < 1e-6, JSON.stringify(k));
    // Hand values: {1,2,3} vs {2,3,4}: D = 1/3.
    assert.ok(Math.abs(ks([1, 2, 3], [2, 3, 4]).d - 1 / 3) < 1e-12);
  });

  test('Gate D fails on a missing pool correlation, then on one too high; Gate E without shadow sessions', async () => {
    writeRun('r-tf', 'trade_flow', candSignal);
    // ofi_depth is a canary (an active promotion) with no recorded signal: the correlation is missing.
    const canary: PromotionDoc = {
      alpha_id: 'ofi_depth',
      enabled: true,
      weight: 0.02,
      owner: 'bob',
      expiry_review_date: '2027-01-01',
      forced: false,
      source_commit: 'x',
      scorecard_snapshot: {},
      thresholds: {},
      guardrails: {
        max_live_slippage_bps: 3,
        max_live_drawdown_contribution: 0.02,
        max_execution_error_rate: 0.01,
        min_orders: 20,
      },
      run_id: 'r-od',
      config_hash: 'h',
      promoted_at: '2026-12-01T00:00:00.000Z',
      strategy: { id: 'canary-ofi_depth', symbols: ['TXFD6'], params: {} },
      history: [],
    };
    writePromotion(path.join(promotions, '20261201', 'ofi_depth.yaml'), canary);
    const r1 = await promote();
    assert.equal(r1.approved, false);
    const d1 = r1.gate_d.details as { checks: Record<string, { value: unknown; pass: boolean }> };
    assert.equal(d1.checks.correlation_pool_max.value, null);
    assert.equal(d1.checks.correlation_pool_max.pass, false);
    assert.equal(d1.checks.sharpe_oos.pass, true);
    const e1 = r1.gate_e.details as { checks: Record<string, { value: unknown; pass: boolean }> };
    assert.equal(e1.checks.shadow_sessions.value, 0);
    assert.equal(r1.gate_e_passed, false);
    assert.equal(r1.promotion_config_path, null);

    // ofi_depth's signal: the candidate's plus a little noise (ρ ≈ 0.95 > 0.7).
    const noise = normals(99, N);
    writeRun(
      'r-od',
      'ofi_depth',
      candSignal.map((v, i) => v + 0.3 * noise[i]),
    );
    const r2 = await promote();
    const d2 = r2.gate_d.details as { checks: Record<string, { value: number; pass: boolean }> };
    assert.ok(d2.checks.correlation_pool_max.value > 0.9, String(d2.checks.correlation_pool_max.value));
    assert.equal(d2.checks.correlation_pool_max.pass, false);
    assert.equal(r2.gate_d_passed, false);
  });

  test('Gate E counts the shadow sessions in the store and flags drift on a shifted signal; approval writes the promotion', async () => {
    // An unrelated ofi_depth signal now: Gate D passes.
    writeRun('r-od2', 'ofi_depth', normals(77, N), true, '2026-04-08T03:00:00.000Z');
    for (let i = 0; i < 4; i++) await shadowSession(`shadow-${i}`, normals(200 + i, N));
    const r1 = await promote();
    assert.equal(r1.gate_d_passed, true, JSON.stringify(r1.gate_d.details));
    const e1 = r1.gate_e.details as {
      checks: Record<string, { value: number; pass: boolean }>;
      sessions: { drift: Record<string, { psi: number; alert: boolean }> }[];
    };
    assert.equal(e1.checks.shadow_sessions.value, 4);
    assert.equal(e1.checks.shadow_sessions.pass, false);
    assert.equal(e1.checks.drift_alerts.value, 0);
    assert.equal(r1.approved, false);

    await shadowSession('shadow-4', normals(300, N));
    const r2 = await promote();
    assert.equal(r2.gate_e_passed, true, JSON.stringify(r2.gate_e.details));
    assert.equal(r2.approved, true);
    assert.equal(r2.forced, false);
    assert.equal(r2.canary_weight, 0.07, 'Sharpe 1.6: the 0.07 tier');
    const file = r2.promotion_config_path as string;
    assert.equal(path.relative(promotions, file), path.join('20261205', 'trade_flow.yaml'));
    const doc = YAML.parse(readFileSync(file, 'utf8')) as PromotionDoc;
    assert.deepEqual(Object.keys(doc).slice(0, 11), [
      'alpha_id',
      'enabled',
      'weight',
      'owner',
      'expiry_review_date',
      'forced',
      'source_commit',
      'scorecard_snapshot',
      'thresholds',
      'guardrails',
      'rollback',
    ]);
    assert.equal(doc.weight, 0.07);
    assert.equal(doc.owner, 'alice');
    assert.equal(doc.expiry_review_date, '2027-01-04');
    assert.deepEqual(doc.strategy.symbols, ['TXFD6']);
    assert.equal(doc.rollback?.trigger.live_slippage_bps_gt, 3);

    // A sixth session with the signal shifted by one standard deviation: a drift alert fails Gate E.
    await shadowSession('shadow-5', normals(400, N, 1));
    const r3 = await promote();
    const e3 = r3.gate_e.details as {
      checks: Record<string, { value: number; pass: boolean }>;
      sessions: { run: string; drift: Record<string, { psi: number; alert: boolean }> }[];
    };
    assert.equal(e3.checks.drift_alerts.value, 1);
    const shifted = e3.sessions.find((s) => s.run === 'shadow-5')!;
    assert.equal(shifted.drift.signal.alert, true);
    assert.ok(shifted.drift.signal.psi > 0.25);
    assert.equal(shifted.drift.mid_return.alert, false);
    assert.equal(r3.approved, false);
    // Forced: promoted, and the audit log says so.
    const r4 = await promote({ force: true, canaryWeight: 0.02 });
    assert.equal(r4.approved, true);
    assert.equal(r4.forced, true);
    assert.ok(r4.reasons.includes('force=true override'));
    assert.equal((YAML.parse(readFileSync(r4.promotion_config_path!, 'utf8')) as PromotionDoc).forced, true);

    const gates = await audit(
      "SELECT gate, passed FROM audit.alpha_gate_log WHERE alpha_id = 'trade_flow' ORDER BY ts, gate",
    );
    // Six promote calls: a D and an E row each.
    assert.equal(gates.length, 12);
    assert.deepEqual(
      gates.map((g) => `${g.gate}${g.passed}`),
      ['D0', 'E0', 'D0', 'E0', 'D1', 'E0', 'D1', 'E1', 'D1', 'E0', 'D1', 'E0'],
    );
    const promos = await audit(
      "SELECT approved, forced, gate_d_passed, gate_e_passed, canary_weight FROM audit.alpha_promotion_log WHERE alpha_id = 'trade_flow' ORDER BY ts",
    );
    assert.deepEqual(
      promos.map((p) => [p.approved, p.forced, p.canary_weight]),
      [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [1, 0, 0.07],
        [0, 0, 0],
        [1, 1, 0.02],
      ],
    );
    assert.ok(existsSync(r4.integration_report_path));
  });
});
