/**
 * The formula operators over whole series (Float64Array), every one causal: out[i] reads inputs at
 * indices <= i only, so appending samples never changes an earlier output (test/research/search
 * proves it per operator). Windows are counted in samples and are *expanding* at the start (the
 * first i < w outputs use the i + 1 samples there are), as in the original. Non-finite results
 * are written as 0. `rank` and `zscore` are rolling, never full-sample (the original's look-ahead).
 */

/** Window of rank(x) and zscore(x) given without one (samples). */
export const DEFAULT_RANK_WINDOW = 300;

const EPS = 1e-12;

const fin = (v: number): number => (Number.isFinite(v) ? v : 0);

/*
 * Every window is summed afresh from its oldest sample to its newest (O(n·w), w is small): the
 * value at i then depends only on the window's samples and never on where the series started, so
 * evaluating the last lookback + 1 samples gives bit for bit the newest value of the whole series
 * (what an expression alpha does each bar), and running sums cannot drift.
 */

/** Sum of the last w samples (fewer at the start). */
export function tsSum(x: Float64Array, w: number, out: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) {
    let s = 0;
    for (let j = Math.max(0, i - w + 1); j <= i; j++) s += x[j];
    out[i] = fin(s);
  }
  return out;
}

/** Mean of the last w samples. */
export function tsMean(x: Float64Array, w: number, out: Float64Array): Float64Array {
  tsSum(x, w, out);
  for (let i = 0; i < x.length; i++) out[i] = out[i] / Math.min(i + 1, w);
  return out;
}

/**
 * Rolling mean and population standard deviation over the last w samples, written into `mean` and
 * `sd` (either may be null); two passes over each window (no cancellation on large levels).
 */
function rollingMoments(
  x: Float64Array,
  w: number,
  mean: Float64Array | null,
  sd: Float64Array | null,
): void {
  for (let i = 0; i < x.length; i++) {
    const from = Math.max(0, i - w + 1);
    const m = i - from + 1;
    let s = 0;
    for (let j = from; j <= i; j++) s += x[j];
    const mu = s / m;
    if (mean !== null) mean[i] = fin(mu);
    if (sd !== null) {
      let q = 0;
      for (let j = from; j <= i; j++) {
        const d = x[j] - mu;
        q += d * d;
      }
      sd[i] = fin(Math.sqrt(q / m));
    }
  }
}

/** Population standard deviation of the last w samples. */
export function tsStd(x: Float64Array, w: number, out: Float64Array): Float64Array {
  rollingMoments(x, w, null, out);
  for (let i = 0; i < x.length; i++) if (out[i] <= EPS) out[i] = 0;
  return out;
}

/** x[i] − x[i − w]; 0 for i < w. */
export function tsDelta(x: Float64Array, w: number, out: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) out[i] = i >= w ? fin(x[i] - x[i - w]) : 0;
  return out;
}

/** Share of the last w samples (the current one included) that are <= the current one, in (0, 1]. */
export function tsRank(x: Float64Array, w: number, out: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) {
    const from = Math.max(0, i - w + 1);
    const v = x[i];
    let c = 0;
    for (let j = from; j <= i; j++) if (x[j] <= v) c++;
    out[i] = c / (i - from + 1);
  }
  return out;
}

/** Linearly weighted mean of the last w samples, weights 1..len with the newest heaviest. */
export function decayLinear(x: Float64Array, w: number, out: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) {
    const from = Math.max(0, i - w + 1);
    let ws = 0;
    for (let j = from, k = 1; j <= i; j++, k++) ws += k * x[j];
    const len = i - from + 1;
    out[i] = fin(ws / ((len * (len + 1)) / 2));
  }
  return out;
}

/** Pearson correlation of x and y over the last w samples (w >= 2); 0 with < 2 samples or a flat side. */
export function tsCorr(x: Float64Array, y: Float64Array, w: number, out: Float64Array): Float64Array {
  const win = Math.max(2, w);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const from = Math.max(0, i - win + 1);
    const m = i - from + 1;
    if (m < 2) {
      out[i] = 0;
      continue;
    }
    // Two passes over the window: exact enough at any level, and w is small.
    let sx = 0;
    let sy = 0;
    for (let j = from; j <= i; j++) {
      sx += x[j];
      sy += y[j];
    }
    const mx = sx / m;
    const my = sy / m;
    let cxy = 0;
    let cxx = 0;
    let cyy = 0;
    for (let j = from; j <= i; j++) {
      const dx = x[j] - mx;
      const dy = y[j] - my;
      cxy += dx * dy;
      cxx += dx * dx;
      cyy += dy * dy;
    }
    out[i] = cxx / m > EPS && cyy / m > EPS ? fin(cxy / Math.sqrt(cxx * cyy)) : 0;
  }
  return out;
}

/** Rolling percentile rank of the current sample among the last w (causal; ts_rank's rule). */
export function rank(x: Float64Array, w: number, out: Float64Array): Float64Array {
  return tsRank(x, w, out);
}

/** (x − rolling mean) / rolling population std over the last w samples (w >= 2); 0 where the std <= 1e-12. */
export function zscore(x: Float64Array, w: number, out: Float64Array, scratch: Float64Array): Float64Array {
  const win = Math.max(2, w);
  rollingMoments(x, win, scratch, out);
  for (let i = 0; i < x.length; i++) {
    const sd = out[i];
    out[i] = sd > EPS ? fin((x[i] - scratch[i]) / sd) : 0;
  }
  return out;
}

export function sign(x: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? 1 : x[i] < 0 ? -1 : 0;
  return out;
}

/** log(1 + x) with x clipped at −0.999999. */
export function log1p(x: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) out[i] = fin(Math.log1p(Math.max(-0.999999, x[i])));
  return out;
}

export function abs(x: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i]);
  return out;
}

export function add(x: Float64Array, y: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] = fin(x[i] + y[i]);
  return out;
}

export function sub(x: Float64Array, y: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] = fin(x[i] - y[i]);
  return out;
}

export function mul(x: Float64Array, y: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] = fin(x[i] * y[i]);
  return out;
}

/** Safe division: 0 where |y| <= 1e-12. */
export function div(x: Float64Array, y: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i++) {
    const d = y[i];
    out[i] = d > EPS || d < -EPS ? fin(x[i] / d) : 0;
  }
  return out;
}
