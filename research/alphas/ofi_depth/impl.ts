import { Alpha, type AlphaEvent, type AlphaManifestInput, z } from 'hft-platform';

const params = z.strictObject({
  /** OFI of the best 5 levels over 1 s (lob_core.ofi_5) per this many contracts of mean depth is one unit. */
  scale: z.number().positive().default(1),
});

/**
 * ofi_depth: the multi-level order-flow imbalance of the last second (lob_core.ofi_5) divided by
 * the mean depth of the best 5 levels per side, squashed by tanh. Cont, Kukanov & Stoikov (2014):
 * price changes are linear in OFI with a slope inversely proportional to depth, so OFI over
 * depth is the expected mid move in ticks; Xu, Gould & Howison (2019) add the deeper levels.
 */
export class OfiDepthAlpha extends Alpha.withParams(params) {
  static override readonly manifest: AlphaManifestInput = {
    alpha_id: 'ofi_depth',
    hypothesis:
      'Order-flow imbalance over the best five levels, relative to the depth that absorbs it, predicts the next mid move (the price impact of order flow is linear in OFI / depth).',
    formula: 'signal_t = tanh(OFI_5(t-1s, t] / (scale * (D_bid,5 + D_ask,5) / 2))',
    paper_refs: [
      'Cont, Kukanov & Stoikov 2014, arXiv:1011.6402',
      'Xu, Gould & Howison 2019, arXiv:1907.06230',
    ],
    data_fields: ['lob_core.ofi_5', 'bid_depth_5', 'ask_depth_5'],
    complexity: 'O(1)',
    status: 'DRAFT',
    tier: 'TIER_2',
  };

  override readonly featureSet = 'lob_core';
  private at = -1;

  update(ev: Readonly<AlphaEvent>): number {
    const f = ev.features!;
    if (this.at < 0) this.at = f.index('ofi_5');
    const ofi = f.at(this.at);
    const depth = (ev.bidDepth + ev.askDepth) / 2;
    if (Number.isNaN(ofi) || !(depth > 0)) return 0;
    return Math.tanh(ofi / (this.params.scale * depth));
  }

  reset(): void {}
}

export const ALPHA_CLASS = OfiDepthAlpha;
