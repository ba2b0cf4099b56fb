/**
 * Performance statistics of a backtest from its equity series. Equity is net PnL in money units
 * (integers, MONEY_SCALE), so differences are exact; ratios are floats.
 */

const NS_PER_DAY = 86_400e9;
const TRADING_DAYS_PER_YEAR = 252;

/** Equity samples in time order; `active[i]` is 1 when market data arrived since the previous sample. */
export interface EquitySeries {
  ts: readonly number[];
  equity: readonly number[];
  active: readonly number[];
}

export interface Drawdown {
  /** Largest fall from a running peak, money units (>= 0). */
  max: number;
  peakTs: number;
  troughTs: number;
  /** Longest time spent below a previous peak, ns. */
  longestNs: number;
}

/** Largest peak-to-trough fall of the equity, and the longest time under water. */
export function drawdown(s: EquitySeries): Drawdown {
  const out: Drawdown = { max: 0, peakTs: 0, troughTs: 0, longestNs: 0 };
  if (s.ts.length === 0) return out;
  let peak = s.equity[0];
  let peakTs = s.ts[0];
  for (let i = 0; i < s.ts.length; i++) {
    const e = s.equity[i];
    if (e >= peak) {
      peak = e;
      peakTs = s.ts[i];
      continue;
    }
    if (peak - e > out.max) {
      out.max = peak - e;
      out.peakTs = peakTs;
      out.troughTs = s.ts[i];
    }
    if (s.ts[i] - peakTs > out.longestNs) out.longestNs = s.ts[i] - peakTs;
  }
  return out;
}

/** Equity changes per time bucket, over the buckets in which market data arrived (closed markets are left out). */
export interface BucketReturns {
  /** Change of equity over each active bucket, money units. */
  changes: number[];
  /** Distinct UTC dates with an active bucket. */
  days: number;
}

/** Splits the series into `bucketNs` buckets and returns the equity change over each active one. */
export function bucketReturns(s: EquitySeries, bucketNs: number): BucketReturns {
  const changes: number[] = [];
  const days = new Set<number>();
  const n = s.ts.length;
  if (n === 0) return { changes, days: 0 };
  let prevEquity = s.equity[0];
  let bucket = Math.floor(s.ts[0] / bucketNs);
  let active = false;
  for (let i = 0; i < n; i++) {
    const b = Math.floor(s.ts[i] / bucketNs);
    if (b !== bucket) {
      // The bucket closed at the last sample before this one.
      const close = s.equity[i - 1];
      if (active) {
        changes.push(close - prevEquity);
        days.add(Math.floor(s.ts[i - 1] / NS_PER_DAY));
      }
      prevEquity = close;
      bucket = b;
      active = false;
    }
    if (s.active[i]) active = true;
  }
  if (active) {
    changes.push(s.equity[n - 1] - prevEquity);
    days.add(Math.floor(s.ts[n - 1] / NS_PER_DAY));
  }
  return { changes, days: days.size };
}

/** Periods per year for bucketed returns: 252 days x the active buckets seen per day. */
export function periodsPerYear(r: BucketReturns): number {
  return r.days === 0 ? 0 : (TRADING_DAYS_PER_YEAR * r.changes.length) / r.days;
}

/** Annualized Sharpe ratio of per-period changes (population std); 0 when undefined. */
export function sharpe(changes: readonly number[], perYear: number): number {
  const n = changes.length;
  if (n < 2) return 0;
  let sum = 0;
  for (const c of changes) sum += c;
  const mean = sum / n;
  let ss = 0;
  for (const c of changes) ss += (c - mean) ** 2;
  const sd = Math.sqrt(ss / n);
  return sd > 0 ? (mean / sd) * Math.sqrt(perYear) : 0;
}

/** Annualized Sortino ratio: mean over the downside deviation (root mean square of the losses). */
export function sortino(changes: readonly number[], perYear: number): number {
  const n = changes.length;
  if (n < 2) return 0;
  let sum = 0;
  let down = 0;
  for (const c of changes) {
    sum += c;
    if (c < 0) down += c * c;
  }
  const dd = Math.sqrt(down / n);
  return dd > 0 ? (sum / n / dd) * Math.sqrt(perYear) : 0;
}

/** [start, end] of each stretch of `ts` (sorted) without a step of `breakNs` or more. */
export function sessionsOf(ts: readonly number[], breakNs: number): [number, number][] {
  const out: [number, number][] = [];
  if (ts.length === 0) return out;
  let start = ts[0];
  for (let i = 1; i < ts.length; i++) {
    if (ts[i] - ts[i - 1] >= breakNs) {
      out.push([start, ts[i - 1]]);
      start = ts[i];
    }
  }
  out.push([start, ts[ts.length - 1]]);
  return out;
}
