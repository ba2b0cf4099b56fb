import type { Settings } from '../config/schema.ts';
import type { SqlReader } from '../recorder/query.ts';
import type { AlphaSession } from './alpha-sessions.ts';
import { alphaSessions } from './alpha-sessions.ts';
import type { CanaryRow } from './audit-rows.ts';
import { type PromotionDoc, type PromotionEntry, writePromotion } from './promotion-file.ts';

/** Escalation rules (config alpha.canary). */
export interface CanaryRules {
  escalation_sessions: number;
  sharpe_ratio: number;
  tiers: number[];
}

export function canaryRules(s: Settings): CanaryRules {
  return { ...s.alpha.canary, tiers: [...s.alpha.canary.tiers].sort((a, b) => a - b) };
}

/** Live metrics of a canary, measured from its recorded sessions. */
export interface CanaryMetrics {
  sessions_live: number;
  /** Quantity-weighted over the sessions, bps (cost positive); null without fills. */
  slippage_bps: number | null;
  /** The largest of the sessions'. */
  drawdown_contribution: number;
  /** (Refused + venue-rejected) / formed, over the sessions. */
  execution_error_rate: number;
  /** Annualised Sharpe ratio of the sessions' net PnL (a session a day); null under 2 sessions. */
  sharpe_live: number | null;
  runs: string[];
}

export type CanaryState = 'not_found' | 'rolled_back' | 'escalated' | 'graduated' | 'canary';

export interface CanaryDecision {
  alpha_id: string;
  state: CanaryState;
  old_weight: number;
  new_weight: number;
  reason: string;
  checks: Record<string, unknown>;
  metrics: CanaryMetrics | null;
  path: string | null;
}

/** Aggregates a canary's sessions (reports in hft.runs) into its live metrics. */
export function canaryMetrics(sessions: readonly AlphaSession[]): CanaryMetrics {
  let slipQty = 0;
  let slipSum = 0;
  let dd = 0;
  let intents = 0;
  let bad = 0;
  const pnl: number[] = [];
  for (const s of sessions) {
    const r = s.report;
    if (r.slippage_bps !== null && r.filled_qty > 0) {
      slipSum += r.slippage_bps * r.filled_qty;
      slipQty += r.filled_qty;
    }
    dd = Math.max(dd, r.drawdown_contribution ?? 0);
    intents += r.intents;
    bad += r.refused + r.venue_rejects;
    pnl.push(r.pnl ?? 0);
  }
  let sharpe: number | null = null;
  if (pnl.length >= 2) {
    const m = pnl.reduce((a, b) => a + b, 0) / pnl.length;
    const sd = Math.sqrt(pnl.reduce((a, b) => a + (b - m) ** 2, 0) / (pnl.length - 1));
    sharpe = sd > 0 ? (m / sd) * Math.sqrt(252) : 0;
  }
  return {
    sessions_live: sessions.length,
    slippage_bps: slipQty > 0 ? slipSum / slipQty : null,
    drawdown_contribution: dd,
    execution_error_rate: intents > 0 ? bad / intents : 0,
    sharpe_live: sharpe,
    runs: sessions.map((s) => s.run),
  };
}

/** Thresholds of the rollback: rollback.trigger.*_gt, else guardrails.*, else the original's 3.0 / 0.02 / 0.01. */
function limits(doc: PromotionDoc) {
  const t = doc.rollback?.trigger;
  const g = doc.guardrails;
  return {
    slippage: t?.live_slippage_bps_gt ?? g?.max_live_slippage_bps ?? 3,
    dd: t?.live_drawdown_contribution_gt ?? g?.max_live_drawdown_contribution ?? 0.02,
    err: t?.execution_error_rate_gt ?? g?.max_execution_error_rate ?? 0.01,
  };
}

/**
 * The original's decision: rollback when a metric is strictly above its limit; escalate to the next
 * tier (graduate past the last) after `escalation_sessions` sessions whose Sharpe ratio is at least
 * `sharpe_ratio` × the backtest's; otherwise hold.
 */
export function decideCanary(
  entry: PromotionEntry | null,
  m: CanaryMetrics,
  rules: CanaryRules,
  alphaId: string,
): CanaryDecision {
  if (entry === null)
    return {
      alpha_id: alphaId,
      state: 'not_found',
      old_weight: 0,
      new_weight: 0,
      reason: 'no active promotion',
      checks: {},
      metrics: m,
      path: null,
    };
  const doc = entry.doc;
  const lim = limits(doc);
  const slipPass = m.slippage_bps === null || !(m.slippage_bps > lim.slippage);
  const checks: Record<string, unknown> = {
    slippage_bps: { value: m.slippage_bps, max: lim.slippage, pass: slipPass },
    drawdown_contribution: {
      value: m.drawdown_contribution,
      max: lim.dd,
      pass: !(m.drawdown_contribution > lim.dd),
    },
    execution_error_rate: {
      value: m.execution_error_rate,
      max: lim.err,
      pass: !(m.execution_error_rate > lim.err),
    },
    sessions_live: m.sessions_live,
  };
  const base = { alpha_id: doc.alpha_id, old_weight: doc.weight, checks, metrics: m, path: entry.file };
  const breaches: string[] = [];
  if (!slipPass) breaches.push(`slippage ${m.slippage_bps} bps > ${lim.slippage}`);
  if (m.drawdown_contribution > lim.dd)
    breaches.push(`drawdown contribution ${m.drawdown_contribution} > ${lim.dd}`);
  if (m.execution_error_rate > lim.err)
    breaches.push(`execution error rate ${m.execution_error_rate} > ${lim.err}`);
  if (breaches.length > 0)
    return { ...base, state: 'rolled_back', new_weight: 0, reason: breaches.join('; ') };
  const backtest = doc.scorecard_snapshot?.sharpe_oos ?? null;
  // Never below 0: an alpha losing money live does not escalate (a forced promotion's backtest may be negative).
  const threshold = backtest === null ? null : Math.max(0, backtest * rules.sharpe_ratio);
  checks.sharpe_live = m.sharpe_live;
  checks.sharpe_threshold = threshold;
  if (
    m.sessions_live >= rules.escalation_sessions &&
    m.sharpe_live !== null &&
    threshold !== null &&
    // 0.8 x 1.5 is 1.2000000000000002 in floats: a live 1.2 meets it.
    m.sharpe_live >= threshold - 1e-9
  ) {
    const next = rules.tiers.find((t) => t > doc.weight);
    if (next === undefined)
      return {
        ...base,
        state: 'graduated',
        new_weight: Math.max(doc.weight, rules.tiers[rules.tiers.length - 1]),
        reason: `${m.sessions_live} sessions, live Sharpe ${m.sharpe_live} >= ${threshold}: past the last tier`,
      };
    return {
      ...base,
      state: 'escalated',
      new_weight: next,
      reason: `${m.sessions_live} sessions, live Sharpe ${m.sharpe_live} >= ${threshold}`,
    };
  }
  return {
    ...base,
    state: 'canary',
    new_weight: doc.weight,
    reason: 'All checks passed, holding current weight',
  };
}

/**
 * Applies a decision to the promotion file (rolled_back: weight 0, disabled; escalated: the next
 * tier; graduated: the last tier, the rollback block removed) with a history entry, and returns
 * the audit row; hold and not_found change nothing (null).
 */
export function applyCanary(entry: PromotionEntry, d: CanaryDecision, nowMs: number): CanaryRow | null {
  if (d.state === 'canary' || d.state === 'not_found') return null;
  const doc = { ...entry.doc };
  const iso = new Date(nowMs).toISOString();
  doc.weight = d.new_weight;
  if (d.state === 'rolled_back') doc.enabled = false;
  if (d.state === 'graduated') delete doc.rollback;
  doc.history = [
    ...(doc.history ?? []),
    { ts: iso, action: d.state, old_weight: d.old_weight, new_weight: d.new_weight, reason: d.reason },
  ];
  writePromotion(entry.file, doc);
  entry.doc = doc;
  return {
    ts: String(BigInt(nowMs) * 1_000_000n),
    alpha_id: doc.alpha_id,
    action: d.state,
    old_weight: d.old_weight,
    new_weight: d.new_weight,
    reason: d.reason,
    checks: JSON.stringify(d.checks),
  };
}

/** The canary's sessions at its current weight: runs of its strategy since the file's last change. */
export async function canarySessions(db: SqlReader, entry: PromotionEntry): Promise<AlphaSession[]> {
  const doc = entry.doc;
  const last = doc.history?.length ? doc.history[doc.history.length - 1].ts : doc.promoted_at;
  const since = Date.parse(last);
  return (await alphaSessions(db, doc.alpha_id, 'trade', Number.isFinite(since) ? since : 0)).filter(
    (s) => s.strategy_id === doc.strategy.id,
  );
}
