import { deflatedSharpe } from '../../alpha/stats.ts';
import type { BlockStats } from './fitness.ts';

/**
 * Probability of Backtest Overfitting by combinatorially symmetric cross-validation (Bailey,
 * Borwein, López de Prado & Zhu 2017). The T periods of N trials are cut into S blocks; for every
 * way of choosing S/2 blocks as in-sample (the rest out of sample) the trial with the best
 * in-sample Sharpe is found and its relative rank ω among all trials out of sample taken; PBO is
 * the share of combinations where the logit ln(ω / (1 − ω)) <= 0, i.e. the in-sample winner falls
 * at or below the out-of-sample median. Works from per-block sums (BlockStats), so the ledger keeps
 * 3·S numbers per trial, not its PnL series.
 */
export interface PboResult {
  pbo: number;
  /** Trials (strategies) compared, blocks, and combinations evaluated. */
  trials: number;
  blocks: number;
  combinations: number;
  /** Median logit of the in-sample winner's out-of-sample rank (> 0: it tends to stay above the median). */
  logit_median: number;
}

export function pboCscv(trials: readonly BlockStats[]): PboResult | null {
  const N = trials.length;
  if (N < 2) return null;
  const S = trials[0].n.length;
  if (S < 2 || S % 2 !== 0 || trials.some((t) => t.n.length !== S)) return null;
  const half = S / 2;
  const logits: number[] = [];
  let below = 0;
  const isSr = new Float64Array(N);
  const oosSr = new Float64Array(N);
  // Flattened block sums and per-trial totals: in-sample sums over S/2 blocks, out of sample = total − in.
  const bn = new Float64Array(N * S);
  const bs = new Float64Array(N * S);
  const bq = new Float64Array(N * S);
  const tn = new Float64Array(N);
  const ts = new Float64Array(N);
  const tq = new Float64Array(N);
  for (let i = 0; i < N; i++)
    for (let b = 0; b < S; b++) {
      bn[i * S + b] = trials[i].n[b];
      bs[i * S + b] = trials[i].sum[b];
      bq[i * S + b] = trials[i].sq[b];
      tn[i] += trials[i].n[b];
      ts[i] += trials[i].sum[b];
      tq[i] += trials[i].sq[b];
    }
  const sr = (n: number, s: number, q: number) => {
    if (n < 2) return 0;
    const m = s / n;
    const v = q / n - m * m;
    return v > 1e-30 ? m / Math.sqrt(v) : 0;
  };
  const chosen = new Int32Array(half);
  // Every subset of S/2 blocks, as a bit mask.
  for (let mask = 0; mask < 1 << S; mask++) {
    if (popcount(mask) !== half) continue;
    for (let b = 0, k = 0; b < S; b++) if ((mask >> b) & 1) chosen[k++] = b;
    let best = 0;
    for (let i = 0; i < N; i++) {
      let n = 0;
      let s = 0;
      let q = 0;
      for (let k = 0; k < half; k++) {
        const j = i * S + chosen[k];
        n += bn[j];
        s += bs[j];
        q += bq[j];
      }
      isSr[i] = sr(n, s, q);
      oosSr[i] = sr(tn[i] - n, ts[i] - s, tq[i] - q);
      if (isSr[i] > isSr[best]) best = i;
    }
    // Relative rank of the winner out of sample: (trials below it + half the ties + 1) / (N + 1).
    let lower = 0;
    let ties = 0;
    for (let i = 0; i < N; i++) {
      if (i === best) continue;
      if (oosSr[i] < oosSr[best]) lower++;
      else if (oosSr[i] === oosSr[best]) ties++;
    }
    const omega = (lower + ties / 2 + 1) / (N + 1);
    const logit = Math.log(omega / (1 - omega));
    logits.push(logit);
    if (logit <= 0) below++;
  }
  logits.sort((a, b) => a - b);
  return {
    pbo: below / logits.length,
    trials: N,
    blocks: S,
    combinations: logits.length,
    logit_median: logits[Math.floor(logits.length / 2)],
  };
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v !== 0; v &= v - 1) c++;
  return c;
}

/**
 * Deflated Sharpe Ratio of one trial among `trialSrs` (every trial's per-period Sharpe on the same
 * periods, this one included): the probability that its true Sharpe beats the best of that many
 * unskilled trials (Bailey & López de Prado 2014; alpha/stats.ts).
 */
export function deflatedOfTrial(
  sr: number,
  periods: number,
  skew: number,
  kurt: number,
  trialSrs: readonly number[],
): { dsr: number; sr0: number; trials: number } {
  const n = trialSrs.length;
  let m = 0;
  for (const v of trialSrs) m += v;
  m /= Math.max(1, n);
  let v = 0;
  for (const x of trialSrs) v += (x - m) * (x - m);
  v = n > 1 ? v / (n - 1) : 0;
  const r = deflatedSharpe(sr, periods, skew, kurt, Math.max(1, n), v);
  return { dsr: r.dsr, sr0: r.sr0, trials: Math.max(1, n) };
}
