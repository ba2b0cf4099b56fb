import { createRequire } from 'node:module';

/** The part of jStat (a well-kept statistics library without dependencies) we use. */
interface JStat {
  normal: {
    cdf(x: number, mean: number, sd: number): number;
    inv(p: number, mean: number, sd: number): number;
  };
  chisquare: { cdf(x: number, dof: number): number };
}
const jStat = createRequire(import.meta.url)('jstat') as JStat;

/** Standard normal CDF. */
export const normCdf = (x: number): number => jStat.normal.cdf(x, 0, 1);
/** Standard normal quantile. */
export const normInv = (p: number): number => jStat.normal.inv(p, 0, 1);
/** P(X > x) for X ~ χ²(dof). */
export const chiSquareSf = (x: number, dof: number): number => 1 - jStat.chisquare.cdf(x, dof);

/** Mean, population standard deviation, skewness and (non-excess) kurtosis of `x`. */
export function moments(x: ArrayLike<number>): {
  n: number;
  mean: number;
  sd: number;
  skew: number;
  kurt: number;
} {
  const n = x.length;
  if (n === 0) return { n, mean: 0, sd: 0, skew: 0, kurt: 3 };
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i];
  const mean = s / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  const sd = Math.sqrt(m2);
  return { n, mean, sd, skew: m2 > 0 ? m3 / m2 ** 1.5 : 0, kurt: m2 > 0 ? m4 / (m2 * m2) : 3 };
}

/** Pearson correlation of the first n pairs; NaN when either side is constant. */
export function pearson(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  from = 0,
  to = Math.min(x.length, y.length),
): number {
  const n = to - from;
  if (n < 2) return Number.NaN;
  let sx = 0;
  let sy = 0;
  for (let i = from; i < to; i++) {
    sx += x[i];
    sy += y[i];
  }
  const mx = sx / n;
  const my = sy / n;
  let cxy = 0;
  let cxx = 0;
  let cyy = 0;
  for (let i = from; i < to; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    cxy += dx * dy;
    cxx += dx * dx;
    cyy += dy * dy;
  }
  return cxx > 0 && cyy > 0 ? cxy / Math.sqrt(cxx * cyy) : Number.NaN;
}

const EULER_GAMMA = 0.5772156649015329;

/**
 * Expected maximum Sharpe ratio of `trials` independent trials whose Sharpe ratios have variance
 * `variance` under the null of no skill (Bailey & López de Prado 2014, the DSR's benchmark SR0).
 */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials <= 1 || !(variance > 0)) return 0;
  return (
    Math.sqrt(variance) *
    ((1 - EULER_GAMMA) * normInv(1 - 1 / trials) + EULER_GAMMA * normInv(1 - 1 / (trials * Math.E)))
  );
}

/**
 * Probabilistic Sharpe Ratio: P(true SR > benchmark) given an observed per-period Sharpe `sr` over
 * `t` returns with skewness `skew` and (non-excess) kurtosis `kurt` (Bailey & López de Prado 2012).
 */
export function probabilisticSharpe(
  sr: number,
  benchmark: number,
  t: number,
  skew: number,
  kurt: number,
): number {
  if (t < 2) return 0;
  const denom = 1 - skew * sr + ((kurt - 1) / 4) * sr * sr;
  if (!(denom > 0)) return sr > benchmark ? 1 : 0;
  return normCdf(((sr - benchmark) * Math.sqrt(t - 1)) / Math.sqrt(denom));
}

/**
 * Deflated Sharpe Ratio (Bailey & López de Prado 2014): the PSR against the Sharpe ratio expected
 * from the best of `trials` unskilled trials; `trialVariance` is the variance of the trials' (per
 * period) Sharpe ratios. With one trial it is the PSR against 0.
 */
export function deflatedSharpe(
  sr: number,
  t: number,
  skew: number,
  kurt: number,
  trials: number,
  trialVariance: number,
): { dsr: number; sr0: number } {
  const sr0 = expectedMaxSharpe(trials, trialVariance);
  return { dsr: probabilisticSharpe(sr, sr0, t, skew, kurt), sr0 };
}
