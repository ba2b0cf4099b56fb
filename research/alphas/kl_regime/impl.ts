import { Alpha, type AlphaEvent, type AlphaManifestInput, chiSquareSf, EVENT_BOOK, z } from 'hft-platform';

const params = z.strictObject({
  /** Returns in the recent window. */
  recent: z.number().int().min(10).default(3000),
  /** Returns in the reference window (the ones just before the recent window). */
  reference: z.number().int().min(10).default(18000),
  bins: z.number().int().min(2).default(20),
  /** p-value below which the recent distribution is a new regime. */
  p_value: z.number().gt(0).lt(1).default(0.01),
  /** Test again after this many new returns (the test is O(N); the signal holds in between). */
  eval_every: z.number().int().positive().default(250),
});

const EPS = 1e-10;

/**
 * kl_regime, ported from the original (paper 009): the distribution of the last `recent` mid
 * returns against the `reference` returns before them: 20-bin histograms over the 1st-99th
 * percentile range of both, smoothed by 1e-10, T = 2nm/(n+m) * KL(recent || reference), which is
 * chi-square with bins-1 degrees of freedom under no change; the signal is 1 when p < 0.01, else 0.
 * Returns are log returns between successive distinct mids; the test runs every `eval_every` returns.
 */
export class KlRegimeAlpha extends Alpha.withParams(params) {
  static override readonly manifest: AlphaManifestInput = {
    alpha_id: 'kl_regime',
    hypothesis:
      'A shift of the short-term return distribution away from its recent past marks a regime change.',
    formula: 'T = 2nm/(n+m) * KL(P_recent || P_reference); signal = 1 if chi2_sf(T, bins-1) < p_value else 0',
    paper_refs: ['009'],
    data_fields: ['current_return'],
    complexity: 'O(N)',
    status: 'DRAFT',
    tier: 'ENSEMBLE',
  };

  private ring: Float64Array;
  private count = 0;
  private sinceEval = 0;
  private value = 0;
  private readonly sorted: Float64Array;
  private readonly hRecent: Float64Array;
  private readonly hRef: Float64Array;

  constructor(p: z.output<typeof params>) {
    super(p);
    this.ring = new Float64Array(p.recent + p.reference);
    this.sorted = new Float64Array(p.recent + p.reference);
    this.hRecent = new Float64Array(p.bins);
    this.hRef = new Float64Array(p.bins);
  }

  update(ev: Readonly<AlphaEvent>): number {
    if (ev.kind !== EVENT_BOOK || ev.midReturn === 0) return this.value;
    this.ring[this.count % this.ring.length] = ev.midReturn;
    this.count++;
    if (++this.sinceEval >= this.params.eval_every && this.count >= this.ring.length) {
      this.sinceEval = 0;
      this.value = this.test() < this.params.p_value ? 1 : 0;
    }
    return this.value;
  }

  /** p-value of the KL statistic of the two windows. */
  private test(): number {
    const p = this.params;
    const n = this.ring.length;
    // Oldest first: the reference window, then the recent one.
    const start = this.count % n;
    this.sorted.set(this.ring);
    this.sorted.sort();
    const lo = this.sorted[Math.floor(0.01 * (n - 1))];
    const hi = this.sorted[Math.floor(0.99 * (n - 1))];
    const width = hi - lo;
    if (!(width > 0)) return 1;
    this.hRecent.fill(0);
    this.hRef.fill(0);
    for (let k = 0; k < n; k++) {
      const x = this.ring[(start + k) % n];
      if (x < lo || x > hi) continue;
      const b = Math.min(p.bins - 1, Math.floor(((x - lo) / width) * p.bins));
      if (k < p.reference) this.hRef[b]++;
      else this.hRecent[b]++;
    }
    let sr = 0;
    let sq = 0;
    for (let b = 0; b < p.bins; b++) {
      sr += this.hRecent[b] + EPS;
      sq += this.hRef[b] + EPS;
    }
    let kl = 0;
    for (let b = 0; b < p.bins; b++) {
      const pr = (this.hRecent[b] + EPS) / sr;
      const qr = (this.hRef[b] + EPS) / sq;
      kl += pr * Math.log(pr / qr);
    }
    const t = ((2 * p.recent * p.reference) / (p.recent + p.reference)) * kl;
    return chiSquareSf(t, p.bins - 1);
  }

  reset(): void {
    this.ring.fill(0);
    this.count = 0;
    this.sinceEval = 0;
    this.value = 0;
  }
}

export const ALPHA_CLASS = KlRegimeAlpha;
