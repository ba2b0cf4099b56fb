import { moments, pearson } from '../../alpha/stats.ts';

/**
 * What a signal is scored on: forward log returns of the mid at a stated horizon (in samples), on
 * non-overlapping periods (every `horizon`-th sample), split by time into a train part (selection)
 * and a test part (reported, never used to select). Train periods whose return reaches into the
 * test part are dropped (purged), so no train label overlaps a test label.
 */
export interface Target {
  readonly horizon: number;
  /** Share of the samples in the train part. */
  readonly split: number;
  /** Forward return of each sample: ln(mid[i + h] / mid[i]); NaN where unknown. */
  readonly fwd: Float64Array;
  /** Sample indices of the train and test periods. */
  readonly train: Int32Array;
  readonly test: Int32Array;
  /** First sample of the test part. */
  readonly testFrom: number;
  /** Periods per year (annualisation of the Sharpe ratios). */
  readonly periodsPerYear: number;
  /** CSCV blocks: the train+test periods cut into this many equal runs, in time order. */
  readonly blocks: number;
}

export function makeTarget(
  mid: Float64Array,
  samplesPerDay: number,
  opts: { horizon: number; split: number; blocks?: number },
): Target {
  const h = opts.horizon;
  const n = mid.length;
  const fwd = new Float64Array(n).fill(Number.NaN);
  for (let i = 0; i + h < n; i++) {
    const a = mid[i];
    const b = mid[i + h];
    if (a > 0 && b > 0) fwd[i] = Math.log(b / a);
  }
  const testFrom = Math.floor(n * opts.split);
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < n; i += h) {
    if (Number.isNaN(fwd[i])) continue;
    if (i < testFrom) {
      if (i + h <= testFrom) train.push(i);
    } else test.push(i);
  }
  return {
    horizon: h,
    split: opts.split,
    fwd,
    train: Int32Array.from(train),
    test: Int32Array.from(test),
    testFrom,
    periodsPerYear: (samplesPerDay * 252) / h,
    blocks: opts.blocks ?? 16,
  };
}

/** Per-block sums of a trial's period PnL (CSCV input): count, sum and sum of squares per block. */
export interface BlockStats {
  n: number[];
  sum: number[];
  sq: number[];
}

/** The scores of one signal. Sharpe ratios: `sr_*` per period, `sharpe_*` annualised. */
export interface TrialScore {
  fitness: number;
  sharpe_train: number;
  sharpe_test: number;
  sr_train: number;
  sr_test: number;
  ic_train: number;
  ic_test: number;
  /** Largest |correlation| with a pool signal over the train part (0 without a pool). */
  corr_pool: number;
  n_train: number;
  n_test: number;
  skew_test: number;
  kurt_test: number;
  /** The signal is constant over the train part: no position, no information. */
  degenerate: boolean;
  blocks: BlockStats;
}

const r6 = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : 0);

/**
 * Scores a signal: period PnL = signal × forward return (gross of costs; Gate C charges them),
 * Sharpe in and out of sample, IC (Pearson of signal and forward return), correlation with the
 * pool, and fitness = annualised train Sharpe − penalty × corr_pool × |annualised train Sharpe|.
 * Only the train part enters the fitness.
 */
export function scoreSignal(
  s: Float64Array,
  t: Target,
  pool: readonly Float64Array[] = [],
  poolPenalty = 0.5,
  scratch: Float64Array = new Float64Array(t.train.length + t.test.length),
): TrialScore {
  const pnlOf = (idx: Int32Array, out: Float64Array) => {
    for (let k = 0; k < idx.length; k++) out[k] = s[idx[k]] * t.fwd[idx[k]];
    return out;
  };
  const tr = pnlOf(t.train, scratch.subarray(0, t.train.length));
  const te = pnlOf(t.test, scratch.subarray(t.train.length, t.train.length + t.test.length));
  const mTr = moments(tr);
  const mTe = moments(te);
  const srTr = mTr.sd > 1e-15 ? mTr.mean / mTr.sd : 0;
  const srTe = mTe.sd > 1e-15 ? mTe.mean / mTe.sd : 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < t.train.length; k++) {
    const v = s[t.train[k]];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const degenerate = !(hi > lo);
  let corr = 0;
  for (const p of pool) {
    const c = Math.abs(pearson(s, p, 0, t.testFrom));
    if (c > corr) corr = c;
  }
  const ann = Math.sqrt(t.periodsPerYear);
  const shTr = degenerate ? 0 : srTr * ann;
  const fitness = degenerate ? Number.NEGATIVE_INFINITY : shTr - poolPenalty * corr * Math.abs(shTr);
  const ic = (idx: Int32Array) => {
    // Pearson of signal and forward return over the periods, without copying them out.
    const m = idx.length;
    if (m < 2) return 0;
    let sa = 0;
    let sb = 0;
    for (let k = 0; k < m; k++) {
      sa += s[idx[k]];
      sb += t.fwd[idx[k]];
    }
    const ma = sa / m;
    const mb = sb / m;
    let cab = 0;
    let caa = 0;
    let cbb = 0;
    for (let k = 0; k < m; k++) {
      const da = s[idx[k]] - ma;
      const db = t.fwd[idx[k]] - mb;
      cab += da * db;
      caa += da * da;
      cbb += db * db;
    }
    const c = caa > 0 && cbb > 0 ? cab / Math.sqrt(caa * cbb) : 0;
    return Number.isFinite(c) ? c : 0;
  };
  // CSCV blocks over all periods in time order (train then test).
  const all = scratch.subarray(0, t.train.length + t.test.length);
  const blocks: BlockStats = { n: [], sum: [], sq: [] };
  const per = all.length / t.blocks;
  for (let b = 0; b < t.blocks; b++) {
    let sum = 0;
    let sq = 0;
    const from = Math.floor(b * per);
    const to = Math.floor((b + 1) * per);
    for (let k = from; k < to; k++) {
      sum += all[k];
      sq += all[k] * all[k];
    }
    blocks.n.push(to - from);
    blocks.sum.push(sum);
    blocks.sq.push(sq);
  }
  return {
    fitness,
    sharpe_train: r6(shTr),
    sharpe_test: r6(degenerate ? 0 : srTe * ann),
    sr_train: degenerate ? 0 : srTr,
    sr_test: degenerate ? 0 : srTe,
    ic_train: r6(ic(t.train)),
    ic_test: r6(ic(t.test)),
    corr_pool: r6(corr),
    n_train: t.train.length,
    n_test: t.test.length,
    skew_test: r6(mTe.skew),
    kurt_test: r6(mTe.kurt),
    degenerate,
    blocks,
  };
}
