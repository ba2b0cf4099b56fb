import type { AlphaSession } from './alpha-sessions.ts';
import { ks, psi } from './drift.ts';
import type { GateResult } from './gates/gate.ts';
import type { MarginalResult } from './pool.ts';

/** Thresholds of Gates D and E (config alpha.promotion; the original's defaults). */
export interface PromotionThresholds {
  min_sharpe_oos: number;
  max_abs_drawdown: number;
  max_turnover: number;
  max_correlation: number;
  min_uplift: number;
  min_shadow_sessions: number;
  max_drift_psi: number;
  max_drift_alerts: number;
  max_execution_reject_rate: number;
}

type Check = { value: number | boolean | null; min?: number; max?: number; pass: boolean };

/** What Gate D reads: the validated run's scorecard, and the pool measured against it. */
export interface GateDInput {
  run_id: string;
  /** The run passed Gates A–C. */
  validated: boolean;
  scorecard: Record<string, number | null | undefined>;
  /** Max |ρ| of the candidate's signal against the production and canary alphas; null: a value is missing. */
  correlation: {
    max: number | null;
    by: Record<string, number | null>;
    sample_length: number;
    pool: string[];
  };
  marginal: MarginalResult | null;
}

/**
 * Gate D — integration: the original's scorecard thresholds (Sharpe OOS, drawdown, turnover), the
 * measured pool correlation (a missing value fails), and the marginal uplift of the pool's Sharpe.
 */
export function gateD(i: GateDInput, t: PromotionThresholds): GateResult {
  const v = (k: string) => {
    const x = i.scorecard[k];
    return typeof x === 'number' && Number.isFinite(x) ? x : null;
  };
  const sharpe = v('sharpe_oos');
  const dd = v('max_drawdown');
  const turnover = v('turnover');
  const corr = i.correlation.max;
  const checks: Record<string, Check> = {
    validated: { value: i.validated, pass: i.validated },
    sharpe_oos: { value: sharpe, min: t.min_sharpe_oos, pass: sharpe !== null && sharpe >= t.min_sharpe_oos },
    max_drawdown: { value: dd, min: -t.max_abs_drawdown, pass: dd !== null && dd >= -t.max_abs_drawdown },
    turnover: { value: turnover, max: t.max_turnover, pass: turnover !== null && turnover <= t.max_turnover },
    correlation_pool_max: {
      value: corr,
      max: t.max_correlation,
      pass: corr !== null && corr <= t.max_correlation,
    },
    marginal_uplift: {
      value: i.marginal?.uplift ?? null,
      min: t.min_uplift,
      pass: i.marginal !== null && i.marginal.uplift >= t.min_uplift,
    },
  };
  return {
    gate: 'Gate D',
    passed: Object.values(checks).every((c) => c.pass),
    details: {
      run_id: i.run_id,
      checks,
      correlation: i.correlation,
      marginal: i.marginal,
    },
  };
}

/** The backtest's side of the drift checks: the validated run's per-second signal and 1-s mid return. */
export interface DriftReference {
  signal: ArrayLike<number>;
  mid_return: ArrayLike<number>;
}

/**
 * Gate E — shadow and execution evidence, all from the store: the shadow sessions (ended runs with
 * the alpha in shadow mode), per session the PSI of its signal and of the market's 1-s return
 * against the backtest's (an alert above max_drift_psi; KS reported beside it), and the reject
 * rate of its orders: (refused before the venue + venue rejects) / orders formed, over all sessions.
 */
export function gateE(
  sessions: readonly AlphaSession[],
  ref: DriftReference,
  t: PromotionThresholds,
): GateResult {
  let intents = 0;
  let bad = 0;
  let alerts = 0;
  const per = sessions.map((s) => {
    const r = s.report;
    intents += r.intents;
    bad += r.refused + r.venue_rejects;
    const drift: Record<
      string,
      { psi: number | null; ks_d: number | null; ks_p: number | null; alert: boolean }
    > = {};
    for (const k of ['signal', 'mid_return'] as const) {
      const cur = r.samples?.[k] ?? [];
      const p = psi(ref[k], cur);
      const d = ks(ref[k], cur);
      // Too few samples to tell is an alert too: drift cannot be ruled out.
      const alert = !(Number.isFinite(p) && p <= t.max_drift_psi);
      if (alert) alerts++;
      drift[k] = {
        psi: Number.isFinite(p) ? p : null,
        ks_d: Number.isFinite(d.d) ? d.d : null,
        ks_p: Number.isFinite(d.p) ? d.p : null,
        alert,
      };
    }
    return {
      run: s.run,
      kind: s.kind,
      strategy_id: s.strategy_id,
      samples: r.samples?.signal.length ?? 0,
      intents: r.intents,
      refused: r.refused,
      venue_rejects: r.venue_rejects,
      recorded_orders: s.recorded_orders,
      recorded_fills: s.recorded_fills,
      drift,
    };
  });
  const rate = intents > 0 ? bad / intents : null;
  const checks: Record<string, Check> = {
    shadow_sessions: {
      value: sessions.length,
      min: t.min_shadow_sessions,
      pass: sessions.length >= t.min_shadow_sessions,
    },
    drift_alerts: { value: alerts, max: t.max_drift_alerts, pass: alerts <= t.max_drift_alerts },
    execution_reject_rate: {
      value: rate,
      max: t.max_execution_reject_rate,
      pass: rate !== null && rate <= t.max_execution_reject_rate,
    },
  };
  return {
    gate: 'Gate E',
    passed: Object.values(checks).every((c) => c.pass),
    details: {
      checks,
      statistic: `PSI on the backtest's deciles (alert above ${t.max_drift_psi}); KS D and p beside it`,
      intents,
      rejected: bad,
      sessions: per,
    },
  };
}
