import { type LobStats, NS_PER_MS, Strategy, type StrategyContext, z } from 'hft-platform';

const params = z.strictObject({
  /** Quantity per order (contracts for futures, shares for stocks). */
  qty: z.number().int().positive(),
  /** Aggressor volume imbalance over 5 s, in (0, 1], from which the flow is followed. */
  min_trade_imbalance: z.number().gt(0).max(1).default(0.5),
  /** Flatten a position held this long. */
  hold_ms: z.number().positive().default(10_000),
});

/**
 * Reads the shared feature plane (`lob_core`): follows the aggressor flow of the last 5 s
 * (`trade_imbalance_5s`) when the microprice leans the same way, with an IOC at the far touch,
 * and flattens after `hold_ms`. Feature indexes are looked up once, at start.
 */
export class FlowFollower extends Strategy.withParams(params) {
  override readonly featureSet = 'lob_core';
  private iFlow = -1;
  private iMicro = -1;
  private readonly enteredAt: number[] = [];

  override onStart(ctx: StrategyContext): void {
    const view = ctx.features(this.symbols[0].id);
    this.iFlow = view.index('trade_imbalance_5s');
    this.iMicro = view.index('microprice');
  }

  override onBook(ctx: StrategyContext, st: LobStats): void {
    if (ctx.openOrders().size > 0 || st.bestBid === 0 || st.bestAsk === 0) return;
    const sym = st.symbolId;
    const pos = ctx.position(sym);
    const now = ctx.now();
    if (pos !== 0) {
      if (now - (this.enteredAt[sym] ?? now) >= this.params.hold_ms * NS_PER_MS) {
        const side = pos > 0 ? -1 : 1;
        ctx.place(sym, side, side === 1 ? st.bestAsk : st.bestBid, Math.abs(pos), 'IOC');
      }
      return;
    }
    const f = ctx.features(sym);
    const flow = f.at(this.iFlow);
    const lean = f.at(this.iMicro) - st.mid; // NaN while warming up: no comparison below holds
    if (ctx.reduceOnly() || !(Math.abs(flow) >= this.params.min_trade_imbalance)) return;
    const side = flow > 0 ? 1 : -1;
    if (!(side * lean > 0)) return;
    if (ctx.place(sym, side, side === 1 ? st.bestAsk : st.bestBid, this.params.qty, 'IOC') !== 0)
      this.enteredAt[sym] = now;
  }
}
