import { Alpha, type AlphaEvent, type AlphaManifestInput, z } from 'hft-platform';

const params = z.strictObject({
  /** The lob_core feature read: aggressor volume imbalance over its window. */
  feature: z.enum(['trade_imbalance_5s']).default('trade_imbalance_5s'),
});

/**
 * trade_flow: the aggressor-volume imbalance of the last 5 s (lob_core.trade_imbalance_5s,
 * (buy - sell) / (buy + sell) of the trades' aggressor volume), in [-1, 1]. Order flow is
 * persistent (Lillo & Farmer 2004): buyers who lifted the offer keep lifting it for a while,
 * and the mid follows (Chordia & Subrahmanyam 2004).
 */
export class TradeFlowAlpha extends Alpha.withParams(params) {
  static override readonly manifest: AlphaManifestInput = {
    alpha_id: 'trade_flow',
    hypothesis:
      'Aggressor order flow is persistent: a 5 s window dominated by buyer-initiated trades is followed by more buying and a rising mid.',
    formula:
      'signal_t = (V_buy - V_sell) / (V_buy + V_sell) over the trades of (t - 5 s, t]; 0 without trades',
    paper_refs: [
      'Lillo & Farmer 2004, doi:10.2202/1558-3708.1226',
      'Chordia & Subrahmanyam 2004, doi:10.1016/j.jfineco.2003.04.003',
    ],
    data_fields: ['lob_core.trade_imbalance_5s', 'trade_side'],
    complexity: 'O(1)',
    status: 'DRAFT',
    tier: 'TIER_2',
  };

  override readonly featureSet = 'lob_core';
  private at = -1;

  update(ev: Readonly<AlphaEvent>): number {
    const f = ev.features!;
    if (this.at < 0) this.at = f.index(this.params.feature);
    const v = f.at(this.at);
    // NaN while the window warms up: no position.
    return Number.isNaN(v) ? 0 : v;
  }

  reset(): void {}
}

export const ALPHA_CLASS = TradeFlowAlpha;
