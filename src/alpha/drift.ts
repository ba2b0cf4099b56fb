/**
 * Distribution drift between a reference sample (the backtest) and a current one (a shadow or
 * live session): the Population Stability Index on the reference's deciles, and the two-sample
 * Kolmogorov–Smirnov statistic with its asymptotic p-value.
 */

/** Proportions below this count as this (PSI's log needs no empty bin). */
const PSI_FLOOR = 1e-4;

/** Upper edges of `bins` equal-count bins of `ref` (its quantiles), repeated edges merged. */
export function quantileEdges(ref: ArrayLike<number>, bins = 10): number[] {
  const s = Float64Array.from(ref).sort();
  const edges: number[] = [];
  for (let b = 1; b < bins; b++) {
    const e = s[Math.min(s.length - 1, Math.floor((b * s.length) / bins))];
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  return edges;
}

function proportions(x: ArrayLike<number>, edges: readonly number[]): number[] {
  const c = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < x.length; i++) {
    let b = 0;
    while (b < edges.length && x[i] > edges[b]) b++;
    c[b]++;
  }
  return c.map((v) => Math.max(PSI_FLOOR, v / Math.max(1, x.length)));
}

/** PSI = Σ (cur − ref)·ln(cur/ref) over the reference's decile bins (value ≤ edge: that bin). */
export function psi(ref: ArrayLike<number>, cur: ArrayLike<number>, bins = 10): number {
  if (ref.length === 0 || cur.length === 0) return Number.NaN;
  const edges = quantileEdges(ref, bins);
  const r = proportions(ref, edges);
  const c = proportions(cur, edges);
  let s = 0;
  for (let i = 0; i < r.length; i++) s += (c[i] - r[i]) * Math.log(c[i] / r[i]);
  return s;
}

/** Two-sample KS: D = sup |F_ref − F_cur| and the asymptotic p-value of D under one distribution. */
export function ks(ref: ArrayLike<number>, cur: ArrayLike<number>): { d: number; p: number } {
  const a = Float64Array.from(ref).sort();
  const b = Float64Array.from(cur).sort();
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { d: Number.NaN, p: Number.NaN };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i], b[j]);
    while (i < n && a[i] <= x) i++;
    while (j < m && b[j] <= x) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const ne = (n * m) / (n + m);
  const lambda = (Math.sqrt(ne) + 0.12 + 0.11 / Math.sqrt(ne)) * d;
  return { d, p: ksQ(lambda) };
}

/** Q_KS(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²). */
function ksQ(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const t = 2 * (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    s += t;
    if (Math.abs(t) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, s));
}
