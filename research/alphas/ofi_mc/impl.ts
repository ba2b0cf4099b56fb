import { Alpha, type AlphaEvent, type AlphaManifestInput, EVENT_BOOK, z } from 'hft-platform';

const params = z.strictObject({
  /** The original divides the cumulative OFI by this "market cap" to bring it near the unit range. */
  market_cap: z.number().positive().default(1e9),
});

/**
 * ofi_mc, ported from the original (paper 018): the cumulative best-level order-flow imbalance
 * (Cont, Kukanov & Stoikov 2014) divided by a fixed scale. Each book change adds
 * e = e_bid - e_ask, with e_bid = q_b if the best bid rose, q_b - q_b' if it stayed, -q_b' if it fell,
 * and e_ask = q_a if the best ask fell, q_a - q_a' if it stayed, -q_a' if it rose.
 */
export class OfiMcAlpha extends Alpha.withParams(params) {
  static override readonly manifest: AlphaManifestInput = {
    alpha_id: 'ofi_mc',
    hypothesis:
      'Order-flow imbalance at the best quotes pushes the mid in its direction: net buying pressure (bids added, asks removed) precedes up-moves.',
    formula: 'signal_t = (sum_{s<=t} e_s) / market_cap,  e = e_bid - e_ask (Cont-Kukanov-Stoikov L1 OFI)',
    paper_refs: ['018'],
    data_fields: ['bid_px', 'bid_qty', 'ask_px', 'ask_qty', 'trade_vol', 'current_mid'],
    complexity: 'O(1)',
    status: 'DRAFT',
    tier: 'TIER_2',
  };

  private cum = 0;
  private bid = 0;
  private ask = 0;
  private qb = 0;
  private qa = 0;

  update(ev: Readonly<AlphaEvent>): number {
    if (ev.kind === EVENT_BOOK && ev.bidPx > 0 && ev.askPx > 0) {
      if (this.bid > 0) {
        const eb = ev.bidPx > this.bid ? ev.bidQty : ev.bidPx === this.bid ? ev.bidQty - this.qb : -this.qb;
        const ea = ev.askPx < this.ask ? ev.askQty : ev.askPx === this.ask ? ev.askQty - this.qa : -this.qa;
        this.cum += eb - ea;
      }
      this.bid = ev.bidPx;
      this.ask = ev.askPx;
      this.qb = ev.bidQty;
      this.qa = ev.askQty;
    }
    return this.cum / this.params.market_cap;
  }

  reset(): void {
    this.cum = 0;
    this.bid = 0;
    this.ask = 0;
    this.qb = 0;
    this.qa = 0;
  }
}

export const ALPHA_CLASS = OfiMcAlpha;
