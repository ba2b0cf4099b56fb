import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/schema.ts';
import { UserError } from '../core/errors.ts';
import type { SinkTarget } from '../recorder/config.ts';
import { openTarget } from '../recorder/query.ts';
import type { Store } from '../recorder/store.ts';
import { type AlphaSession, alphaSessions } from './alpha-sessions.ts';
import { insertAudit } from './audit-rows.ts';
import { type DriftReference, gateD, gateE, type PromotionThresholds } from './gate-de.ts';
import type { GateResult } from './gates/gate.ts';
import { type ExperimentLedger, type RunMeta, readSeries, writeJson } from './ledger.ts';
import {
  alignPool,
  marginalContribution,
  maxCorrelationAgainst,
  type PoolMethod,
  seriesOfRun,
} from './pool.ts';
import { activePromotions, type PromotionDoc, writePromotion } from './promotion-file.ts';
import { discoverAlphas } from './registry.ts';

/** Everything `hft alpha promote` reads besides the ledger and the store (config alpha.promotion + flags). */
export interface PromotionConfig extends PromotionThresholds {
  pool_method: PoolMethod;
  expiry_days: number;
  max_live_slippage_bps: number;
  max_live_drawdown_contribution: number;
  max_execution_error_rate: number;
  min_orders: number;
}

export function promotionDefaults(s: Settings): PromotionConfig {
  const { promotions_dir: _d, ...rest } = s.alpha.promotion;
  return { ...rest };
}

export interface PromoteOptions {
  root: string;
  alphaId: string;
  owner: string;
  /** The validated run to promote; default the alpha's newest in the ledger. */
  runId?: string;
  ledger: ExperimentLedger;
  /** Promotion files' folder (absolute). */
  promotionsDir: string;
  /** The store Gate E reads and the audit rows go to. */
  store: SinkTarget;
  config: PromotionConfig;
  force: boolean;
  /** Canary weight instead of the scorecard's tier. */
  canaryWeight?: number;
  /** Wall clock, ms (tests). */
  nowMs?: number;
}

export interface PromotionResult {
  alpha_id: string;
  run_id: string;
  approved: boolean;
  forced: boolean;
  gate_d_passed: boolean;
  gate_e_passed: boolean;
  gate_d: GateResult;
  gate_e: GateResult;
  canary_weight: number;
  integration_report_path: string;
  promotion_decision_path: string;
  promotion_config_path: string | null;
  reasons: string[];
}

/** The original's tiering: ≥ 2.0 → 0.10, ≥ 1.5 → 0.07, ≥ 1.0 → 0.05, else 0.02. */
export function canaryWeightFor(sharpeOos: number | null): number {
  const s = sharpeOos ?? 0;
  return s >= 2 ? 0.1 : s >= 1.5 ? 0.07 : s >= 1 ? 0.05 : 0.02;
}

function sourceCommit(root: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

/** The validated run's per-second signal and 1-s mid return (the backtest side of Gate E's drift). */
export function driftReference(run: RunMeta): DriftReference {
  if (run.signals_path === null || !existsSync(run.signals_path))
    return { signal: new Float64Array(0), mid_return: new Float64Array(0) };
  const s = readSeries(run.signals_path, ['signal', 'mid']);
  const sig = s.columns.get('signal') ?? new Float64Array(0);
  const mid = s.columns.get('mid') ?? new Float64Array(0);
  const ret = new Float64Array(mid.length);
  for (let i = 1; i < mid.length; i++) ret[i] = mid[i] > 0 && mid[i - 1] > 0 ? mid[i] / mid[i - 1] - 1 : 0;
  return { signal: sig.map((v) => (Number.isFinite(v) ? v : 0)), mid_return: ret };
}

/**
 * `hft alpha promote`: Gate D on the validated run and the measured pool, Gate E on the shadow
 * sessions in the store; when approved (or forced) the promotion file the runtime trades, and
 * always the gates' and the decision's audit rows and reports.
 */
export async function promoteAlpha(o: PromoteOptions): Promise<PromotionResult> {
  const now = o.nowMs ?? Date.now();
  const run = o.runId !== undefined ? o.ledger.get(o.runId) : o.ledger.list(o.alphaId)[0];
  if (run === undefined)
    throw new UserError(
      `no experiment run of alpha ${o.alphaId} in ${o.ledger.runsDir} (run hft alpha validate first)`,
    );
  if (run.alpha_id !== o.alphaId)
    throw new UserError(`run ${run.run_id} is of alpha ${run.alpha_id}, not ${o.alphaId}`);
  const reg = await discoverAlphas(o.root);
  const entry = reg.alphas.get(o.alphaId);
  if (entry === undefined) throw new UserError(`unknown alpha ${o.alphaId} (not in research/alphas/)`);
  const bt = JSON.parse(readFileSync(run.backtest_report_path, 'utf8')) as GateResult;
  const btd = bt.details as { symbol?: string; capital?: number; skipped?: boolean };
  if (typeof btd.symbol !== 'string')
    throw new UserError(`run ${run.run_id} did not reach Gate C (no backtest): nothing to promote`);
  const scorecard = run.metrics ?? {};

  // Gate D: the pool is every production alpha (manifest status) and every active canary.
  const pool = [
    ...new Set([
      ...[...reg.alphas.values()].filter((e) => e.manifest.status === 'PRODUCTION').map((e) => e.id),
      ...activePromotions(o.promotionsDir, now).map((p) => p.doc.alpha_id),
    ]),
  ]
    .filter((id) => id !== o.alphaId)
    .sort();
  const cand = seriesOfRun(run);
  const others = pool
    .map((id) => o.ledger.list(id)[0])
    .filter((r): r is RunMeta => r !== undefined)
    .map(seriesOfRun)
    .filter((s) => s !== null);
  const aligned = alignPool(cand === null ? others : [cand, ...others]);
  const corr = maxCorrelationAgainst(aligned, o.alphaId, pool);
  let marginal = null;
  if (cand !== null)
    try {
      marginal = marginalContribution(aligned, o.alphaId, o.config.pool_method, o.config.min_uplift);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
    }
  const d = gateD(
    {
      run_id: run.run_id,
      validated: run.passed === true,
      scorecard,
      correlation: { ...corr, pool },
      marginal,
    },
    o.config,
  );

  let store: Store;
  try {
    store = await openTarget(o.store.server ? o.store : o.store.dataDir);
  } catch (err) {
    throw new UserError(
      `store ${o.store.server?.url ?? o.store.dataDir} cannot be opened (${String((err as Error).message).split('\n')[0]}): Gate E reads it; stop the run that holds it`,
    );
  }
  try {
    const sessions: AlphaSession[] = await alphaSessions(store, o.alphaId, 'shadow');
    const e = gateE(sessions, driftReference(run), o.config);
    const reasons: string[] = [];
    for (const g of [d, e])
      for (const [k, c] of Object.entries(
        (g.details as { checks: Record<string, { pass: boolean }> }).checks,
      ))
        if (!c.pass) reasons.push(`${g.gate}: ${k}`);
    let approved = d.passed && e.passed;
    const forced = !approved && o.force;
    if (!approved) reasons.unshift('One or more promotion gates failed');
    if (forced) {
      approved = true;
      reasons.push('force=true override');
    }
    const weight = !approved
      ? 0
      : o.canaryWeight !== undefined
        ? Math.max(0, Math.min(1, o.canaryWeight))
        : canaryWeightFor((scorecard.sharpe_oos as number | null) ?? null);
    const iso = new Date(now).toISOString();
    const integration = path.join(entry.dir, 'integration_report.json');
    const decision = path.join(entry.dir, 'promotion_decision.json');
    writeJson(integration, {
      alpha_id: o.alphaId,
      run_id: run.run_id,
      gate: 'Gate D',
      passed: d.passed,
      ...d.details,
      timestamp: iso,
    });
    writeJson(decision, {
      alpha_id: o.alphaId,
      run_id: run.run_id,
      gate_d_passed: d.passed,
      gate_e_passed: e.passed,
      gate_e: e.details,
      decision: approved ? 'approve' : 'reject',
      forced,
      reasons,
      canary_weight: weight,
      timestamp: iso,
    });
    let file: string | null = null;
    const snapshot = {
      sharpe_oos: (scorecard.sharpe_oos as number | null) ?? null,
      max_drawdown: (scorecard.max_drawdown as number | null) ?? null,
      turnover: (scorecard.turnover as number | null) ?? null,
      correlation_pool_max: corr.max,
      marginal_uplift: marginal?.uplift ?? null,
    };
    if (approved) {
      const c = o.config;
      const day = iso.slice(0, 10).replace(/-/g, '');
      file = path.join(o.promotionsDir, day, `${o.alphaId}.yaml`);
      const mapping = (run.config as { mapping?: Record<string, unknown> }).mapping ?? {};
      const doc: PromotionDoc = {
        alpha_id: o.alphaId,
        enabled: true,
        weight,
        owner: o.owner,
        expiry_review_date: new Date(now + Math.max(1, c.expiry_days) * 86_400_000)
          .toISOString()
          .slice(0, 10),
        forced,
        source_commit: sourceCommit(o.root),
        scorecard_snapshot: snapshot,
        thresholds: {
          min_sharpe_oos: c.min_sharpe_oos,
          max_abs_drawdown: c.max_abs_drawdown,
          max_turnover: c.max_turnover,
          max_correlation: c.max_correlation,
          min_uplift: c.min_uplift,
          min_shadow_sessions: c.min_shadow_sessions,
          max_drift_psi: c.max_drift_psi,
          max_execution_reject_rate: c.max_execution_reject_rate,
        },
        guardrails: {
          max_live_slippage_bps: c.max_live_slippage_bps,
          max_live_drawdown_contribution: c.max_live_drawdown_contribution,
          max_execution_error_rate: c.max_execution_error_rate,
          min_orders: c.min_orders,
        },
        rollback: {
          trigger: {
            live_slippage_bps_gt: c.max_live_slippage_bps,
            live_drawdown_contribution_gt: c.max_live_drawdown_contribution,
            execution_error_rate_gt: c.max_execution_error_rate,
          },
          action: { set_weight_to_zero: true, open_incident: true },
        },
        run_id: run.run_id,
        config_hash: run.config_hash,
        promoted_at: iso,
        strategy: {
          id: `canary-${o.alphaId}`,
          symbols: [btd.symbol],
          params: {
            ...mapping,
            alpha_params: (run.config as { alpha_params?: Record<string, unknown> }).alpha_params ?? {},
            capital: typeof btd.capital === 'number' ? btd.capital : 0,
          },
        },
        history: [
          {
            ts: iso,
            action: forced ? 'promoted_forced' : 'promoted',
            old_weight: 0,
            new_weight: weight,
            reason: reasons.join('; ') || 'gates D and E passed',
          },
        ],
      };
      writePromotion(file, doc);
    }
    const ts = String(BigInt(now) * 1_000_000n);
    const gateRow = (id: string, g: GateResult) => ({
      ts,
      alpha_id: o.alphaId,
      run_id: run.run_id,
      gate: id,
      passed: g.passed,
      config_hash: run.config_hash,
      details: JSON.stringify(g.details),
    });
    await insertAudit(store, {
      gates: [gateRow('D', d), gateRow('E', e)],
      promotions: [
        {
          ts,
          alpha_id: o.alphaId,
          run_id: run.run_id,
          approved,
          forced,
          gate_d_passed: d.passed,
          gate_e_passed: e.passed,
          canary_weight: weight,
          config_hash: run.config_hash,
          reasons: JSON.stringify(reasons),
          scorecard: JSON.stringify(snapshot),
        },
      ],
    });
    return {
      alpha_id: o.alphaId,
      run_id: run.run_id,
      approved,
      forced,
      gate_d_passed: d.passed,
      gate_e_passed: e.passed,
      gate_d: d,
      gate_e: e,
      canary_weight: weight,
      integration_report_path: integration,
      promotion_decision_path: decision,
      promotion_config_path: file,
      reasons,
    };
  } finally {
    await store.close();
  }
}
