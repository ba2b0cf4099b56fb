import { existsSync } from 'node:fs';
import { UserError } from '../core/errors.ts';
import { type ExperimentLedger, type RunMeta, readSeries } from './ledger.ts';
import { pearson } from './stats.ts';

/**
 * The alpha pool (the original's alpha/pool.py, with its quirks fixed): correlation matrices,
 * redundant pairs, pool weights and the marginal-contribution test over the signals the ledger
 * recorded (signals.parquet: the signal and the mid as of every second of data time). Signals of
 * different runs are joined on their exchange-time second (never truncated by index), and the
 * returns are the market's forward mid returns on that grid: no alpha's equity is ever in them.
 */

/** One alpha's recorded signal: its newest ledger run with signals. */
export interface PoolSeries {
  alphaId: string;
  runId: string;
  /** Exchange time, whole seconds since 1970. */
  sec: Float64Array;
  signal: Float64Array;
  mid: Float64Array;
}

/** Signals joined on the seconds every series has. */
export interface AlignedPool {
  alphaIds: string[];
  runIds: string[];
  /** The common seconds (since 1970), ascending. */
  sec: number[];
  /** signals[i][k]: alpha i at sec[k] (NaN/±Inf as 0). */
  signals: Float64Array[];
  /**
   * returns[k]: the market's forward return from sec[k] to sec[k+1] (the median over the series'
   * mids, which are the same market in one pool), NaN where the next second is more than
   * `maxGapS` later (a closed market) and at the last row.
   */
  returns: Float64Array;
}

export const CORR_METRICS = ['pearson', 'spearman'] as const;
export type CorrMetric = (typeof CORR_METRICS)[number];
export const POOL_METHODS = ['equal_weight', 'ic_weighted', 'mean_variance', 'ridge'] as const;
export type PoolMethod = (typeof POOL_METHODS)[number];

/** Default |ρ| at which two alphas are redundant (the original's 0.7). */
export const DEFAULT_REDUNDANT_THRESHOLD = 0.7;
/** A forward return spanning more than this many seconds crosses a closed market: left out. */
export const DEFAULT_MAX_GAP_S = 60;

/**
 * The newest run with a readable signals.parquet of every alpha in the ledger (or of `ids`), in
 * alpha-id order. An alpha whose newest run has no signals is left out (as the original did).
 */
export function loadPoolSeries(ledger: ExperimentLedger, ids?: readonly string[]): PoolSeries[] {
  const newest = new Map<string, RunMeta>();
  for (const r of ledger.list()) if (!newest.has(r.alpha_id)) newest.set(r.alpha_id, r);
  const out: PoolSeries[] = [];
  for (const id of [...newest.keys()].sort()) {
    if (ids !== undefined && !ids.includes(id)) continue;
    const s = seriesOfRun(newest.get(id)!);
    if (s !== null) out.push(s);
  }
  return out;
}

/** The recorded signal of one ledger run (null when it has none). */
export function seriesOfRun(run: RunMeta): PoolSeries | null {
  if (run.signals_path === null || !existsSync(run.signals_path)) return null;
  const s = readSeries(run.signals_path, ['signal', 'mid']);
  const epoch = s.epoch;
  const sec = new Float64Array(s.rows);
  for (let i = 0; i < s.rows; i++)
    sec[i] = epoch === undefined ? Math.round(s.ts[i] / 1e9) : Number(epoch.toAbs(s.ts[i]) / 1_000_000_000n);
  return {
    alphaId: run.alpha_id,
    runId: run.run_id,
    sec,
    signal: s.columns.get('signal') ?? new Float64Array(s.rows),
    mid: s.columns.get('mid') ?? new Float64Array(s.rows),
  };
}

/** Joins series on the seconds all of them have (exchange time), with the market's forward returns. */
export function alignPool(series: readonly PoolSeries[], maxGapS = DEFAULT_MAX_GAP_S): AlignedPool {
  const alphaIds = series.map((s) => s.alphaId);
  const runIds = series.map((s) => s.runId);
  if (series.length === 0) return { alphaIds, runIds, sec: [], signals: [], returns: new Float64Array(0) };
  const idx = series.map((s) => {
    const m = new Map<number, number>();
    for (let i = 0; i < s.sec.length; i++) m.set(s.sec[i], i);
    return m;
  });
  const sec = [...idx[0].keys()].filter((t) => idx.every((m) => m.has(t))).sort((a, b) => a - b);
  const n = sec.length;
  const signals = series.map((s, j) => {
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const v = s.signal[idx[j].get(sec[k])!];
      out[k] = Number.isFinite(v) ? v : 0;
    }
    return out;
  });
  const returns = new Float64Array(n).fill(Number.NaN);
  const r = new Array<number>(series.length);
  for (let k = 0; k + 1 < n; k++) {
    if (sec[k + 1] - sec[k] > maxGapS) continue;
    let m = 0;
    for (let j = 0; j < series.length; j++) {
      const a = series[j].mid[idx[j].get(sec[k])!];
      const b = series[j].mid[idx[j].get(sec[k + 1])!];
      r[j] = a > 0 && b > 0 ? b / a - 1 : Number.NaN;
      if (Number.isFinite(r[j])) r[m++] = r[j];
    }
    if (m > 0) returns[k] = median(r.slice(0, m));
  }
  return { alphaIds, runIds, sec, signals, returns };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Ranks 1..n with ties given their average rank (what Spearman's ρ needs). */
export function averageRanks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]] === x[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Correlation matrices of the pool: Pearson, Spearman (average ranks); a constant signal correlates 0. */
export interface CorrelationPayload {
  alpha_ids: string[];
  run_ids: string[];
  sample_length: number;
  pearson_matrix: number[][];
  spearman_matrix: number[][];
}

export function correlationMatrix(rows: readonly ArrayLike<number>[]): number[][] {
  const n = rows.length;
  const m: number[][] = [];
  for (let i = 0; i < n; i++) {
    m.push(new Array<number>(n).fill(0));
    m[i][i] = 1;
  }
  if ((rows[0]?.length ?? 0) < 2) return m;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const r = pearson(rows[i], rows[j]);
      m[i][j] = m[j][i] = Number.isFinite(r) ? r : 0;
    }
  return m;
}

export function correlationPayload(pool: AlignedPool): CorrelationPayload {
  return {
    alpha_ids: pool.alphaIds,
    run_ids: pool.runIds,
    sample_length: pool.sec.length,
    pearson_matrix: correlationMatrix(pool.signals),
    spearman_matrix: correlationMatrix(pool.signals.map(averageRanks)),
  };
}

export interface RedundantPair {
  alpha_a: string;
  alpha_b: string;
  correlation: number;
  metric: CorrMetric;
}

/** Every pair with |ρ| >= threshold on `metric`, the strongest first. */
export function redundantPairs(
  p: CorrelationPayload,
  threshold = DEFAULT_REDUNDANT_THRESHOLD,
  metric: CorrMetric = 'pearson',
): RedundantPair[] {
  const m = metric === 'pearson' ? p.pearson_matrix : p.spearman_matrix;
  const out: RedundantPair[] = [];
  for (let i = 0; i < m.length; i++)
    for (let j = i + 1; j < m.length; j++)
      if (Math.abs(m[i][j]) >= threshold)
        out.push({ alpha_a: p.alpha_ids[i], alpha_b: p.alpha_ids[j], correlation: m[i][j], metric });
  return out.sort((a, b) => Math.abs(b.correlation) - Math.abs(a.correlation));
}

/** z-scores a row (population std); a constant row becomes zeros. */
export function zscore(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i];
  const mean = n > 0 ? s / n : 0;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - mean) ** 2;
  const sd = n > 0 ? Math.sqrt(v / n) : 0;
  const out = new Float64Array(n);
  if (sd > 1e-12) for (let i = 0; i < n; i++) out[i] = (x[i] - mean) / sd;
  return out;
}

/** Solves A·x = b (Gaussian elimination, partial pivoting); a singular A gives 0 in the free unknowns. */
export function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    if (Math.abs(m[c][c]) < 1e-15) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      if (f !== 0) for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => (Math.abs(row[i]) < 1e-15 ? 0 : row[n] / row[i]));
}

/** Signed weights scaled to Σ|w| = 1 (1/N each when they are all zero). */
export function l1Normalize(w: number[]): number[] {
  const s = w.reduce((a, x) => a + Math.abs(x), 0);
  if (!(s > 1e-12)) return w.map(() => 1 / w.length);
  return w.map((x) => x / s);
}

/** Rows k where the forward return is known: the sample the weights and Sharpe ratios use. */
function withReturns(signals: readonly ArrayLike<number>[], returns: ArrayLike<number>) {
  const keep: number[] = [];
  for (let k = 0; k < returns.length; k++) if (Number.isFinite(returns[k])) keep.push(k);
  return {
    x: signals.map((s) => Float64Array.from(keep, (k) => s[k])),
    r: Float64Array.from(keep, (k) => returns[k]),
  };
}

export interface WeightResult {
  method: PoolMethod;
  alpha_ids: string[];
  weights: Record<string, number>;
  returns_used: boolean;
  diagnostics: Record<string, unknown>;
}

/**
 * Pool weights by `method` (the reference's definitions): signals z-scored over the rows with a
 * forward return; equal_weight 1/N; ic_weighted w_i = IC_i = corr(z_i, r) (equal when every IC is
 * 0); mean_variance w = (Σ + 1e-6·I)⁻¹·μ with μ_i = IC_i; ridge w = (X·Xᵀ + αI)⁻¹·X·r. Signed, Σ|w| = 1.
 */
export function poolWeights(
  alphaIds: readonly string[],
  signals: readonly ArrayLike<number>[],
  returns: ArrayLike<number>,
  method: PoolMethod,
  ridgeAlpha = 0.1,
): WeightResult {
  const n = alphaIds.length;
  const res = (w: number[], diagnostics: Record<string, unknown>, used: boolean): WeightResult => ({
    method,
    alpha_ids: [...alphaIds],
    weights: Object.fromEntries(alphaIds.map((id, i) => [id, w[i]])),
    returns_used: used,
    diagnostics,
  });
  if (n === 0) return res([], { reason: 'no_signals' }, false);
  const { x, r } = withReturns(signals, returns);
  const t = r.length;
  if (n === 1) return res([1], { strategy: 'single_alpha', sample_length: t }, false);
  const diag = { strategy: method, sample_length: t };
  if (method === 'equal_weight') return res(l1Normalize(new Array(n).fill(1)), diag, false);
  if (t < 3) throw new UserError(`pool: ${t} aligned samples with a forward return, at least 3 needed`);
  const z = x.map(zscore);
  const ic = z.map((zi) => {
    const c = pearson(zi, r);
    return Number.isFinite(c) ? c : 0;
  });
  if (method === 'ic_weighted') {
    if (ic.every((c) => Math.abs(c) < 1e-12))
      return res(l1Normalize(new Array(n).fill(1)), { ...diag, fallback: 'equal_weight_all_ic_zero' }, true);
    return res(l1Normalize(ic), { ...diag, ic }, true);
  }
  if (method === 'mean_variance') {
    const cov = z.map((a) =>
      z.map((b) => {
        let s = 0;
        for (let k = 0; k < t; k++) s += a[k] * b[k];
        return s / t;
      }),
    );
    for (let i = 0; i < n; i++) cov[i][i] += 1e-6;
    const mu = ic.every((c) => c === 0) ? new Array(n).fill(1) : ic;
    return res(l1Normalize(solve(cov, mu)), { ...diag, ic }, true);
  }
  // ridge
  const lambda = Math.max(1e-8, ridgeAlpha);
  const xx = z.map((a) =>
    z.map((b) => {
      let s = 0;
      for (let k = 0; k < t; k++) s += a[k] * b[k];
      return s;
    }),
  );
  for (let i = 0; i < n; i++) xx[i][i] += lambda;
  const xy = z.map((a) => {
    let s = 0;
    for (let k = 0; k < t; k++) s += a[k] * r[k];
    return s;
  });
  return res(l1Normalize(solve(xx, xy)), { ...diag, ridge_alpha: lambda }, true);
}

/**
 * Annualised Sharpe ratio of the pool's PnL Σ_i w_i·s_i(t)·r(t) per row with a forward return
 * (raw signals, not z-scored), annualised for rows per day of data × 252; 0 when constant.
 */
export function poolSharpe(
  weights: readonly number[],
  signals: readonly ArrayLike<number>[],
  returns: ArrayLike<number>,
  rowsPerDay: number,
): number {
  const { x, r } = withReturns(signals, returns);
  const t = r.length;
  if (t < 2) return 0;
  let s = 0;
  let s2 = 0;
  for (let k = 0; k < t; k++) {
    let c = 0;
    for (let i = 0; i < x.length; i++) c += weights[i] * x[i][k];
    const p = c * r[k];
    s += p;
    s2 += p * p;
  }
  const mean = s / t;
  const sd = Math.sqrt(Math.max(0, s2 / t - mean * mean));
  return sd > 1e-12 ? (mean / sd) * Math.sqrt(252 * rowsPerDay) : 0;
}

export interface MarginalResult {
  candidate: string;
  existing_alpha_ids: string[];
  method: PoolMethod;
  metric_name: 'pool_sharpe';
  returns_used: boolean;
  sample_length: number;
  baseline_metric: number;
  candidate_metric: number;
  uplift: number;
  min_uplift: number;
  passed: boolean;
  reason?: string;
}

/**
 * The candidate's marginal contribution: the pool's Sharpe ratio on the market's forward returns
 * with weights fitted on the pool alone and on the pool with the candidate (same method);
 * uplift = (with − without)/|without| (sign(with) when the pool's is 0). No pool: passed.
 */
export function marginalContribution(
  pool: AlignedPool,
  candidate: string,
  method: PoolMethod,
  minUplift = 0.05,
  ridgeAlpha = 0.1,
): MarginalResult {
  const ci = pool.alphaIds.indexOf(candidate);
  if (ci < 0) throw new UserError(`pool: alpha ${candidate} has no recorded signals in the ledger`);
  const others = pool.alphaIds.filter((_, i) => i !== ci);
  const base = {
    candidate,
    existing_alpha_ids: others,
    method,
    metric_name: 'pool_sharpe' as const,
    returns_used: true,
    sample_length: pool.sec.length,
    min_uplift: minUplift,
  };
  if (others.length === 0)
    return {
      ...base,
      baseline_metric: 0,
      candidate_metric: 1,
      uplift: 1,
      passed: true,
      reason: 'no_existing_pool',
    };
  const days = new Set(pool.sec.map((s) => Math.floor(s / 86_400))).size;
  const rowsPerDay = days > 0 ? pool.sec.length / days : 1;
  const sigOthers = pool.signals.filter((_, i) => i !== ci);
  const wBase = poolWeights(others, sigOthers, pool.returns, method, ridgeAlpha);
  const baseline = poolSharpe(
    others.map((id) => wBase.weights[id]),
    sigOthers,
    pool.returns,
    rowsPerDay,
  );
  const all = [...others, candidate];
  const sigAll = [...sigOthers, pool.signals[ci]];
  const wAll = poolWeights(all, sigAll, pool.returns, method, ridgeAlpha);
  const withCand = poolSharpe(
    all.map((id) => wAll.weights[id]),
    sigAll,
    pool.returns,
    rowsPerDay,
  );
  const uplift =
    Math.abs(baseline) > 1e-12
      ? (withCand - baseline) / Math.abs(baseline)
      : Math.abs(withCand) <= 1e-12
        ? 0
        : Math.sign(withCand);
  return {
    ...base,
    baseline_metric: baseline,
    candidate_metric: withCand,
    uplift,
    passed: uplift >= minUplift,
  };
}

/** Largest |ρ| (Pearson) of `candidate` against each of `others`; null when a value is missing. */
export function maxCorrelationAgainst(
  pool: AlignedPool,
  candidate: string,
  others: readonly string[],
): { max: number | null; by: Record<string, number | null>; sample_length: number } {
  const ci = pool.alphaIds.indexOf(candidate);
  const by: Record<string, number | null> = {};
  let max: number | null = others.length === 0 ? 0 : Number.NEGATIVE_INFINITY;
  for (const o of others) {
    const oi = pool.alphaIds.indexOf(o);
    const r =
      ci < 0 || oi < 0 || pool.sec.length < 2 ? Number.NaN : pearson(pool.signals[ci], pool.signals[oi]);
    // A constant signal has no correlation to measure: missing, not 0.
    by[o] = Number.isFinite(r) ? r : null;
    if (by[o] === null) max = null;
    else if (max !== null) max = Math.max(max, Math.abs(r));
  }
  return { max, by, sample_length: pool.sec.length };
}
