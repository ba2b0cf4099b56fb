import { drawdown, sharpe, sortino } from '../backtest/metrics.ts';
import { deflatedSharpe, moments, pearson } from './stats.ts';

const NS_PER_S = 1e9;
const NS_PER_DAY = 86_400e9;
const TRADING_DAYS_PER_YEAR = 252;
/** Share of the market's volume an alpha may trade in a bar (the original's participation limit). */
export const PARTICIPATION_LIMIT = 0.02;
/** Forward returns whose end falls this long after the last event are left out (the market was closed). */
const MAX_STALE_NS = 60 * NS_PER_S;

/** Net PnL samples of a backtest (BacktestTracker.equity): money in currency units here. */
export interface EquityInput {
  ts: ArrayLike<number>;
  /** Net PnL, currency units. */
  equity: ArrayLike<number>;
  /** 1 when market data arrived since the previous sample. */
  active: ArrayLike<number>;
}

/** An alpha's research signal and the mid after each event (SignalSeries). */
export interface SignalInput {
  n: number;
  exchTs: ArrayLike<number>;
  signal: ArrayLike<number>;
  mid: ArrayLike<number>;
}

/** Fills and order totals of the run. */
export interface ExecutionInput {
  /** Exchange time and quantity of each own fill. */
  fillTs: ArrayLike<number>;
  fillQty: ArrayLike<number>;
  orderedQty: number;
  filledQty: number;
  takerQty: number;
  /** Traded value, currency units. */
  tradedValue: number;
  /** Market trade prints: exchange time and quantity (capacity). */
  marketTs: ArrayLike<number>;
  marketQty: ArrayLike<number>;
}

export interface ScorecardOptions {
  /** Share of the active bars in sample. */
  isOosSplit: number;
  barNs: number;
  /** Capital (currency) for drawdown and turnover as fractions. */
  capital: number;
  /** IC horizons, ns; the first is the scorecard's IC. */
  horizonsNs: number[];
  /** Lots at full conviction (capacity is in these). */
  maxPosition: number;
  /**
   * Per-bar OOS Sharpe ratios of the other configurations of this alpha already in the experiment
   * ledger: with this one, the trials of the Deflated Sharpe Ratio and their variance.
   */
  otherTrials: number[];
}

/** One active bar: its start (ns) and the PnL change over it. */
export interface Bars {
  start: number[];
  change: number[];
}

export interface Fold {
  day: string;
  sharpe: number;
  pnl: number;
  ic: number | null;
  bars: number;
}

/** The Gate C scorecard (the original's keys, and the ones this platform adds). */
export interface Scorecard {
  sharpe_is: number;
  sharpe_oos: number;
  sortino_oos: number;
  /** Largest fall of net PnL from its running peak over the whole run, as a negative fraction of capital. */
  max_drawdown: number;
  max_drawdown_currency: number;
  /** Traded value / capital per trading day. */
  turnover: number;
  ic_mean: number | null;
  ic_std: number | null;
  ic_t: number | null;
  ic_horizon_s: number;
  ic_samples: number;
  ic_decay: Record<string, number | null>;
  /** Lots the alpha could hold with its trading at most 2% of the market volume in 95% of its bars. */
  capacity_estimate: number | null;
  regime_sharpe: { high_vol: number | null; low_vol: number | null };
  fill_ratio: number;
  maker_share: number;
  /** Deflated Sharpe Ratio of the OOS bars: P(true Sharpe > the best of `trials` unskilled ones). */
  dsr: number;
  dsr_sr0: number;
  /** Per-bar (not annualized) OOS Sharpe, the DSR's input. */
  sharpe_oos_per_bar: number;
  trials: number;
  /** Filled by the pool (next gates); null here. */
  correlation_pool_max: number | null;
  pnl_total: number;
  pnl_oos: number;
  capital: number;
  periods_per_year: number;
  bar_s: number;
  bars_is: number;
  bars_oos: number;
  /** First out-of-sample bar (ns, run epoch). */
  split_ts: number;
  folds: Fold[];
}

/** The PnL change over every bar of `barNs` in which market data arrived (closed markets left out). */
export function activeBars(e: EquityInput, barNs: number): Bars {
  const out: Bars = { start: [], change: [] };
  const n = e.ts.length;
  if (n === 0) return out;
  let prev = e.equity[0];
  let bar = Math.floor(e.ts[0] / barNs);
  let active = false;
  for (let i = 0; i <= n; i++) {
    const b = i < n ? Math.floor(e.ts[i] / barNs) : Number.NaN;
    if (b !== bar) {
      const close = e.equity[i - 1];
      if (active) {
        out.start.push(bar * barNs);
        out.change.push(close - prev);
      }
      prev = close;
      bar = b;
      active = false;
    }
    if (i < n && e.active[i]) active = true;
  }
  return out;
}

/** Periods per year: 252 days times the active bars per distinct UTC date. */
export function barsPerYear(b: Bars): number {
  const days = new Set(b.start.map((t) => Math.floor(t / NS_PER_DAY))).size;
  return days === 0 ? 0 : (TRADING_DAYS_PER_YEAR * b.start.length) / days;
}

/**
 * IC of `s` against forward log returns of the mid over `horizonNs`, sampled every second of data
 * time in [fromTs, toTs) with an event in the second before; Pearson per block of consecutive
 * samples (about 20 blocks of at least 8), as the original computed it. Returns the per-block ICs.
 */
export function icBlocks(
  s: SignalInput,
  fromTs: number,
  toTs: number,
  horizonNs: number,
): { ics: number[]; samples: number } {
  const x: number[] = [];
  const y: number[] = [];
  let i = 0;
  let j = 0;
  const first = Math.ceil(fromTs / NS_PER_S) * NS_PER_S;
  for (let g = first; g + horizonNs < toTs; g += NS_PER_S) {
    while (i + 1 < s.n && s.exchTs[i + 1] <= g) i++;
    if (s.n === 0 || s.exchTs[i] > g || s.exchTs[i] <= g - NS_PER_S) continue;
    const end = g + horizonNs;
    if (j < i) j = i;
    while (j + 1 < s.n && s.exchTs[j + 1] <= end) j++;
    if (end - s.exchTs[j] > MAX_STALE_NS) continue;
    const sig = s.signal[i];
    const m0 = s.mid[i];
    const m1 = s.mid[j];
    if (!Number.isFinite(sig) || !(m0 > 0) || !(m1 > 0)) continue;
    x.push(sig);
    y.push(Math.log(m1 / m0));
  }
  const n = x.length;
  const ics: number[] = [];
  if (n < 8) return { ics, samples: n };
  const chunk = Math.max(8, Math.floor(n / 20));
  for (let k = 0; k + chunk <= n; k += chunk) {
    const c = pearson(x, y, k, k + chunk);
    if (Number.isFinite(c)) ics.push(c);
  }
  return { ics, samples: n };
}

function icStats(ics: number[]): { mean: number | null; std: number | null; t: number | null } {
  if (ics.length === 0) return { mean: null, std: null, t: null };
  const m = moments(ics);
  return {
    mean: m.mean,
    std: m.sd,
    t: m.sd > 0 && ics.length > 1 ? m.mean / (m.sd / Math.sqrt(ics.length)) : null,
  };
}

const r6 = (v: number) => Math.round(v * 1e6) / 1e6;
const r6n = (v: number | null) => (v === null || !Number.isFinite(v) ? null : r6(v));

/** Computes the scorecard of one validation run. */
export function computeScorecard(
  e: EquityInput,
  sig: SignalInput,
  ex: ExecutionInput,
  o: ScorecardOptions,
  dayOf: (ts: number) => string,
): Scorecard {
  const bars = activeBars(e, o.barNs);
  const nBars = bars.start.length;
  const perYear = barsPerYear(bars);
  const splitIdx = Math.min(nBars, Math.floor(nBars * o.isOosSplit));
  const splitTs = nBars === 0 ? 0 : splitIdx < nBars ? bars.start[splitIdx] : bars.start[nBars - 1] + o.barNs;
  const isCh = bars.change.slice(0, splitIdx);
  const oosCh = bars.change.slice(splitIdx);
  const lastTs = e.ts.length > 0 ? e.ts[e.ts.length - 1] + 1 : 0;

  const dd = drawdown({ ts: e.ts as number[], equity: e.equity as number[], active: e.active as number[] });
  const days = new Set(bars.start.map((t) => Math.floor(t / NS_PER_DAY))).size;
  const turnover = o.capital > 0 && days > 0 ? ex.tradedValue / o.capital / days : 0;

  // IC on the out-of-sample slice only.
  const decay: Record<string, number | null> = {};
  let head = { mean: null as number | null, std: null as number | null, t: null as number | null };
  let headSamples = 0;
  o.horizonsNs.forEach((h, k) => {
    const b = icBlocks(sig, splitTs, lastTs, h);
    const st = icStats(b.ics);
    decay[String(h / NS_PER_S)] = r6n(st.mean);
    if (k === 0) {
      head = st;
      headSamples = b.samples;
    }
  });

  // Capacity: our share of the market's volume in the bars where we traded.
  const mine = new Map<number, number>();
  for (let i = 0; i < ex.fillTs.length; i++) {
    const b = Math.floor(ex.fillTs[i] / o.barNs);
    mine.set(b, (mine.get(b) ?? 0) + ex.fillQty[i]);
  }
  let capacity: number | null = null;
  if (mine.size > 0) {
    const market = new Map<number, number>();
    for (let i = 0; i < ex.marketTs.length; i++) {
      const b = Math.floor(ex.marketTs[i] / o.barNs);
      if (mine.has(b)) market.set(b, (market.get(b) ?? 0) + ex.marketQty[i]);
    }
    const shares = [...mine].map(([b, q]) => q / Math.max(market.get(b) ?? 0, 1)).sort((a, b) => a - b);
    const p95 = shares[Math.min(shares.length - 1, Math.floor(0.95 * shares.length))];
    capacity = p95 > 0 ? (o.maxPosition * PARTICIPATION_LIMIT) / p95 : null;
  }

  // Regimes: out-of-sample bars split at the median of the mid's realized volatility within the bar.
  const rv = barVolatility(sig, bars.start.slice(splitIdx), o.barNs);
  const sorted = rv.filter(Number.isFinite).sort((a, b) => a - b);
  const median = sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
  const high: number[] = [];
  const low: number[] = [];
  rv.forEach((v, k) => {
    if (!Number.isFinite(v)) return;
    (v >= median ? high : low).push(oosCh[k]);
  });
  const regime = (x: number[]) => (x.length >= 4 ? r6(sharpe(x, perYear)) : null);

  // Deflated Sharpe of the out-of-sample bars.
  const m = moments(oosCh);
  const srBar = m.sd > 0 ? m.mean / m.sd : 0;
  const trials = [...o.otherTrials, srBar];
  const { dsr, sr0 } = deflatedSharpe(
    srBar,
    oosCh.length,
    m.skew,
    m.kurt,
    trials.length,
    sampleVariance(trials),
  );

  return {
    sharpe_is: r6(sharpe(isCh, perYear)),
    sharpe_oos: r6(sharpe(oosCh, perYear)),
    sortino_oos: r6(sortino(oosCh, perYear)),
    max_drawdown: o.capital > 0 ? r6(-dd.max / o.capital) : 0,
    max_drawdown_currency: dd.max,
    turnover: r6(turnover),
    ic_mean: r6n(head.mean),
    ic_std: r6n(head.std),
    ic_t: r6n(head.t),
    ic_horizon_s: (o.horizonsNs[0] ?? 0) / NS_PER_S,
    ic_samples: headSamples,
    ic_decay: decay,
    capacity_estimate: capacity === null ? null : r6(capacity),
    regime_sharpe: { high_vol: regime(high), low_vol: regime(low) },
    fill_ratio: r6(ex.orderedQty > 0 ? ex.filledQty / ex.orderedQty : 0),
    maker_share: r6(ex.filledQty > 0 ? (ex.filledQty - ex.takerQty) / ex.filledQty : 0),
    dsr: r6(dsr),
    dsr_sr0: r6(sr0),
    sharpe_oos_per_bar: r6(srBar),
    trials: trials.length,
    correlation_pool_max: null,
    pnl_total: e.equity.length > 0 ? e.equity[e.equity.length - 1] : 0,
    pnl_oos: oosCh.reduce((a, b) => a + b, 0),
    capital: o.capital,
    periods_per_year: r6(perYear),
    bar_s: o.barNs / NS_PER_S,
    bars_is: isCh.length,
    bars_oos: oosCh.length,
    split_ts: splitTs,
    folds: folds(bars, sig, perYear, o, dayOf),
  };
}

function sampleVariance(x: number[]): number {
  if (x.length < 2) return 0;
  const m = moments(x);
  return (m.sd * m.sd * x.length) / (x.length - 1);
}

/** √Σr² of the mid's log returns between events, per bar starting at `starts`. */
function barVolatility(s: SignalInput, starts: number[], barNs: number): number[] {
  const out: number[] = [];
  let i = 0;
  for (const b of starts) {
    while (i < s.n && s.exchTs[i] < b) i++;
    let ss = 0;
    let prev = Number.NaN;
    let k = i;
    for (; k < s.n && s.exchTs[k] < b + barNs; k++) {
      const m = s.mid[k];
      if (m > 0) {
        if (prev > 0 && m !== prev) ss += Math.log(m / prev) ** 2;
        prev = m;
      }
    }
    out.push(Math.sqrt(ss));
  }
  return out;
}

/** Walk-forward folds: every data day after the first is a test day (nothing in the mapping is fitted). */
function folds(
  bars: Bars,
  sig: SignalInput,
  perYear: number,
  o: ScorecardOptions,
  dayOf: (ts: number) => string,
): Fold[] {
  const byDay = new Map<string, number[]>();
  bars.start.forEach((t, k) => {
    const d = dayOf(t);
    const list = byDay.get(d) ?? [];
    list.push(k);
    byDay.set(d, list);
  });
  const days = [...byDay.keys()];
  return days.slice(1).map((day) => {
    const idx = byDay.get(day)!;
    const ch = idx.map((k) => bars.change[k]);
    const from = bars.start[idx[0]];
    const to = bars.start[idx[idx.length - 1]] + o.barNs;
    const ic = icStats(icBlocks(sig, from, to, o.horizonsNs[0]).ics).mean;
    return {
      day,
      sharpe: r6(sharpe(ch, perYear)),
      pnl: ch.reduce((a, b) => a + b, 0),
      ic: r6n(ic),
      bars: ch.length,
    };
  });
}
