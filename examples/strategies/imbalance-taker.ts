import { type LobStats, NS_PER_MS, Strategy, type StrategyContext, z } from 'hft-platform';

/** Parameters: checked when the strategies file is loaded (unknown or invalid ones are errors). */
const params = z.strictObject({
  /** Quantity per order (contracts for futures, shares for stocks). */
  qty: z.number().int().positive(),
  /** Take the far touch when the best level's imbalance reaches this, in (0, 1). */
  threshold: z.number().gt(0).lt(1).default(0.6),
  /** Flatten a position held this long. */
  hold_ms: z.number().positive().default(5000),
});

/**
 * Crosses the spread with an IOC when one side of the best level dominates (buys when bids
 * outweigh asks by `threshold`, sells in the opposite case) and flattens after `hold_ms`.
 */
export class ImbalanceTaker extends Strategy.withParams(params) {
  /** Entry time per symbol id. */
  private readonly enteredAt: number[] = [];

  override onBook(ctx: StrategyContext, st: LobStats): void {
    if (ctx.openOrders().size > 0 || st.bestBid === 0 || st.bestAsk === 0) return;
    const pos = ctx.position(st.symbolId);
    const now = ctx.now();
    if (pos !== 0) {
      if (now - (this.enteredAt[st.symbolId] ?? now) >= this.params.hold_ms * NS_PER_MS) {
        const side = pos > 0 ? -1 : 1;
        ctx.place(st.symbolId, side, side === 1 ? st.bestAsk : st.bestBid, Math.abs(pos), 'IOC');
      }
      return;
    }
    if (ctx.reduceOnly() || Math.abs(st.imbalance) < this.params.threshold) return;
    const side = st.imbalance > 0 ? 1 : -1;
    if (ctx.place(st.symbolId, side, side === 1 ? st.bestAsk : st.bestBid, this.params.qty, 'IOC') !== 0)
      this.enteredAt[st.symbolId] = now;
  }
}
