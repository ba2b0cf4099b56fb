import { z } from 'zod';
import type { LobStats } from '../contracts/market.ts';
import type { ExecReport } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { NS_PER_MS } from '../core/clock.ts';
import { Strategy, type StrategyContext } from '../strategy/sdk.ts';

export const ofiTakerParams = z.strictObject({
  /** Quantity per entry (shares for stocks, contracts for futures). */
  order_qty: z.number().int().positive(),
  /** Feature of the lob_core set read as the signal (order-flow imbalance over its window). */
  feature: z.enum(['ofi_1', 'ofi_5']).default('ofi_5'),
  /** Enter when |OFI| / mean top-5 depth per side reaches this. */
  entry_threshold: z.number().positive(),
  /** Leave early when the normalized OFI turns this far against the position. */
  exit_threshold: z.number().positive(),
  /** Largest absolute position the strategy builds. */
  max_position: z.number().int().positive(),
  /** Flatten a position held this long (ms). */
  hold_ms: z.number().positive(),
  /** No new entry attempt sooner than this after the previous one (ms). */
  cooldown_ms: z.number().min(0).default(500),
  /** No order attempt at all (entry or exit) sooner than this after the previous one (ms). */
  retry_ms: z.number().min(0).default(100),
});
export type OfiTakerParams = z.infer<typeof ofiTakerParams>;

/**
 * Order-flow-imbalance taker: reads OFI from the shared feature plane (lob_core), normalizes it
 * by the book's depth, and crosses the spread with IOC orders in the direction of the flow.
 * A position is flattened (IOC at the touch) after hold_ms or when the flow turns against it.
 */
export class OfiTaker extends Strategy.withParams(ofiTakerParams) {
  override readonly featureSet = 'lob_core';
  private ofiIndex = -1;
  /** Per symbol: entry time of the current position, last entry and last order attempts, order in flight. */
  private readonly enteredAt: number[] = [];
  private readonly lastEntry: number[] = [];
  private readonly lastTry: number[] = [];
  private readonly inFlight: number[] = [];
  private readonly lots: number[] = [];

  constructor(id: string, symbols: readonly SymbolSpec[], params: OfiTakerParams) {
    super(id, symbols, params);
    for (const s of symbols) {
      if (this.params.order_qty % s.lotSize !== 0)
        throw new Error(
          `order_qty ${this.params.order_qty} is not a multiple of ${s.code}'s lot ${s.lotSize}`,
        );
      this.enteredAt[s.id] = 0;
      this.lastEntry[s.id] = Number.NEGATIVE_INFINITY;
      this.lastTry[s.id] = Number.NEGATIVE_INFINITY;
      this.inFlight[s.id] = 0;
      this.lots[s.id] = s.lotSize;
    }
  }

  override onBook(ctx: StrategyContext, st: LobStats): void {
    const sym = st.symbolId;
    // A crossed book (pre-open, auction) has no far touch to take: wait for the market to uncross.
    const twoSided = st.bestBid !== 0 && st.bestAsk !== 0 && !st.crossed;
    if (this.lots[sym] === undefined || this.inFlight[sym] !== 0 || !twoSided) return;
    const view = ctx.features(sym);
    if (this.ofiIndex < 0) this.ofiIndex = view.index(this.params.feature);
    const depth = (st.bidDepth + st.askDepth) / 2;
    const signal = depth > 0 ? view.at(this.ofiIndex) / depth : Number.NaN;
    if (Number.isNaN(signal)) return;
    const p = this.params;
    const now = ctx.now();
    // Attempts are spaced: a refused order (e.g. it would hit our own quote) is not retried at every update.
    if (now - this.lastTry[sym] < p.retry_ms * NS_PER_MS) return;
    const pos = ctx.position(sym);
    if (pos !== 0) {
      const against = pos > 0 ? signal <= -p.exit_threshold : signal >= p.exit_threshold;
      if (against || now - this.enteredAt[sym] >= p.hold_ms * NS_PER_MS) {
        const side = pos > 0 ? -1 : 1;
        this.lastTry[sym] = now;
        this.inFlight[sym] = ctx.place(sym, side, side === 1 ? st.bestAsk : st.bestBid, Math.abs(pos), 'IOC');
        return;
      }
    }
    if (Math.abs(signal) < p.entry_threshold || now - this.lastEntry[sym] < p.cooldown_ms * NS_PER_MS) return;
    const side = signal > 0 ? 1 : -1;
    if (Math.abs(pos + side * p.order_qty) > p.max_position) return;
    this.lastEntry[sym] = now;
    this.lastTry[sym] = now;
    const id = ctx.place(sym, side, side === 1 ? st.bestAsk : st.bestBid, p.order_qty, 'IOC');
    if (id === 0) return;
    this.inFlight[sym] = id;
    if (pos === 0) this.enteredAt[sym] = now;
  }

  override onOrderUpdate(_ctx: StrategyContext, r: ExecReport): void {
    if (r.leavesQty === 0 && this.inFlight[r.symbolId] === r.orderId) this.inFlight[r.symbolId] = 0;
  }
}
