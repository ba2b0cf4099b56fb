import { Rng } from '../../core/rng.ts';
import { obsWidth, type PolicySpec } from './policy.ts';

/**
 * Cross-entropy method over the linear policy's parameters (weights and bias): each iteration
 * draws `population` parameter vectors from N(μ, σ²), scores each by one objective call (the total
 * reward of its episodes in the real tick simulation), keeps the best `elite` and refits μ and σ to
 * them (σ floored by `minStd` and shrinking by at most a fifth per iteration, so it does not collapse early). Deterministic for a seed; the
 * best vector ever scored is returned with the history.
 */
export interface CemOptions {
  seed: number;
  iterations: number;
  population: number;
  elite: number;
  initStd?: number;
  minStd?: number;
  onIteration?: (it: CemIteration) => void;
}

export interface CemIteration {
  iteration: number;
  mean_score: number;
  best_score: number;
  elite_mean: number;
  /** The objective of μ itself is not evaluated (costs an episode): elite mean is its estimate. */
  std_mean: number;
}

export interface CemResult {
  params: number[];
  score: number;
  history: CemIteration[];
  evaluations: number;
}

function gauss(r: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

export async function cem(
  dim: number,
  objective: (params: number[]) => Promise<number>,
  o: CemOptions,
): Promise<CemResult> {
  const r = new Rng(o.seed);
  const mu = new Array<number>(dim).fill(0);
  const sd = new Array<number>(dim).fill(o.initStd ?? 1);
  const minStd = o.minStd ?? 0.05;
  const elite = Math.max(1, Math.min(o.elite, o.population));
  let best: number[] = mu.slice();
  let bestScore = Number.NEGATIVE_INFINITY;
  const history: CemIteration[] = [];
  let evaluations = 0;
  for (let it = 1; it <= o.iterations; it++) {
    const cands: { p: number[]; s: number }[] = [];
    for (let k = 0; k < o.population; k++) {
      const p = mu.map((m, i) => m + sd[i] * gauss(r));
      const s = await objective(p);
      evaluations++;
      cands.push({ p, s });
      if (s > bestScore) {
        bestScore = s;
        best = p;
      }
    }
    cands.sort((a, b) => b.s - a.s);
    const top = cands.slice(0, elite);
    for (let i = 0; i < dim; i++) {
      let m = 0;
      for (const c of top) m += c.p[i] / top.length;
      let v = 0;
      for (const c of top) v += (c.p[i] - m) ** 2 / top.length;
      mu[i] = m;
      // Shrinks by at most a fifth per iteration: a small elite's spread would otherwise collapse the search early.
      sd[i] = Math.max(minStd, Math.sqrt(v), 0.8 * sd[i]);
    }
    const rec: CemIteration = {
      iteration: it,
      mean_score: cands.reduce((a, c) => a + c.s, 0) / cands.length,
      best_score: cands[0].s,
      elite_mean: top.reduce((a, c) => a + c.s, 0) / top.length,
      std_mean: sd.reduce((a, b) => a + b, 0) / dim,
    };
    history.push(rec);
    o.onIteration?.(rec);
  }
  return { params: best, score: bestScore, history, evaluations };
}

/** A policy spec with the parameter vector [weights..., bias]. */
export function withParams(base: PolicySpec, params: readonly number[]): PolicySpec {
  const n = obsWidth(base);
  return { ...base, weights: params.slice(0, n), bias: params[n] };
}
