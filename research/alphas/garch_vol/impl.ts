import { Alpha, type AlphaEvent, type AlphaManifestInput, EVENT_BOOK, z } from 'hft-platform';

const params = z.strictObject({
  omega: z.number().positive().default(1e-6),
  alpha: z.number().min(0).default(0.09),
  beta: z.number().min(0).default(0.9),
  /** sigma before the first return. */
  initial_vol: z.number().positive().default(0.001),
});

/**
 * garch_vol, ported from the original (paper 021): an online GARCH(1,1) of the mid's log returns,
 * one return per book change, sigma2_t = omega + alpha * r_{t-1}^2 + beta * sigma2_{t-1};
 * the signal is sigma_t (a volatility level, never negative).
 */
export class GarchVolAlpha extends Alpha.withParams(params) {
  static override readonly manifest: AlphaManifestInput = {
    alpha_id: 'garch_vol',
    hypothesis:
      'Volatility clusters: the conditional volatility of the next returns follows a GARCH(1,1) of the past ones.',
    formula: 'sigma2_t = omega + alpha * r_{t-1}^2 + beta * sigma2_{t-1};  signal_t = sqrt(sigma2_t)',
    paper_refs: ['021'],
    data_fields: ['price'],
    complexity: 'O(1)',
    status: 'DRAFT',
    tier: 'ENSEMBLE',
  };

  private var = 0;

  constructor(p: z.output<typeof params>) {
    super(p);
    this.reset();
  }

  update(ev: Readonly<AlphaEvent>): number {
    if (ev.kind === EVENT_BOOK && ev.mid > 0) {
      const p = this.params;
      const r = ev.midReturn;
      this.var = p.omega + p.alpha * r * r + p.beta * this.var;
    }
    return Math.sqrt(this.var);
  }

  reset(): void {
    this.var = this.params.initial_vol ** 2;
  }
}

export const ALPHA_CLASS = GarchVolAlpha;
