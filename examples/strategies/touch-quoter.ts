import { NS_PER_MS, type Side, Strategy, type StrategyContext, z } from 'hft-platform';

const params = z.strictObject({
  /** Quantity per quote. */
  qty: z.number().int().positive().default(1),
  /** How often the quotes are checked. */
  interval_ms: z.number().positive().default(100),
  /** No bid at or above this position, no ask at or below its negative. */
  max_position: z.number().int().positive().default(5),
  /** Post-only quotes: a quote that would cross on arrival is rejected, never filled as a taker. */
  post_only: z.boolean().default(true),
});

/**
 * hftbacktest's touch-quoting market maker: every `interval_ms`, a quote on each side at the best
 * bid and ask, a quote no longer at the best cancelled (and sent again at the new best on a
 * later check), within a position limit of ±`max_position`.
 */
export class TouchQuoter extends Strategy.withParams(params) {
  override onStart(ctx: StrategyContext): void {
    ctx.setTimer(this.params.interval_ms * NS_PER_MS);
  }

  override onTimer(ctx: StrategyContext): void {
    ctx.setTimer(this.params.interval_ms * NS_PER_MS);
    for (const spec of this.symbols) {
      const st = ctx.stats(spec.id);
      if (st.bestBid === 0 || st.bestAsk === 0 || st.bestBid >= st.bestAsk) continue;
      const working = { 1: false, [-1]: false };
      // Our lowest ask and highest bid, those being cancelled included: a quote must not meet them.
      let ownAsk = Number.POSITIVE_INFINITY;
      let ownBid = 0;
      for (const o of ctx.openOrders()) {
        if (o.symbolId !== spec.id) continue;
        if (o.side === 1) ownBid = Math.max(ownBid, o.price);
        else ownAsk = Math.min(ownAsk, o.price);
        if (o.price === (o.side === 1 ? st.bestBid : st.bestAsk)) working[o.side] = true;
        else ctx.cancel(o.orderId);
      }
      const pos = ctx.position(spec.id);
      const tif = this.params.post_only ? 'POST_ONLY' : 'GTC';
      for (const side of [1, -1] as Side[]) {
        if (working[side] || side * pos >= this.params.max_position) continue;
        if (side === 1 ? st.bestBid >= ownAsk : st.bestAsk <= ownBid) continue;
        if (side === 1 && ctx.reduceOnly() && pos >= 0) continue;
        if (side === -1 && ctx.reduceOnly() && pos <= 0) continue;
        ctx.place(spec.id, side, side === 1 ? st.bestBid : st.bestAsk, this.params.qty, tif);
      }
    }
  }
}
