import { z } from 'zod';
import type { LobStats } from '../contracts/market.ts';
import type { ExecReport } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { roundToTick, tickAt } from '../core/ticks.ts';
import { Strategy, type StrategyContext } from '../strategy/sdk.ts';

export const marketMakerParams = z.strictObject({
  /** Quantity per quote (shares for stocks, contracts for futures). */
  order_qty: z.number().int().positive(),
  /** Distance of each quote from the mid, in ticks. */
  half_spread_ticks: z.number().positive(),
  /** Stop quoting the side that would grow |inventory| beyond this. */
  max_inventory: z.number().int().positive(),
  /** Quote shift per unit of inventory, in ticks (leans quotes to shed inventory). */
  skew_ticks_per_unit: z.number().min(0),
  /** Requote when the target price moved by at least this many ticks. */
  requote_ticks: z.number().int().positive(),
  /** Leave a new quote alone for at least this long (ms), so the quoter cannot churn. */
  min_quote_life_ms: z.number().min(0).default(50),
});
export type MarketMakerParams = z.infer<typeof marketMakerParams>;

/** Per-symbol quoting state: one resting order per side at most. */
interface Quotes {
  bidId: number;
  bidPx: number;
  bidTs: number;
  askId: number;
  askPx: number;
  askTs: number;
}

/**
 * Passive market maker: quotes both sides around the mid, skewed against inventory (the quotes
 * lean to shed it), and stops quoting the side that would take |inventory| past max_inventory.
 * It never improves the touch, so its own quotes cannot move the mid it quotes around (no
 * self-chasing). A quote that drifted moves by cancel/replace, at most once per min_quote_life_ms.
 * While risk is reduce-only it quotes only the side that shrinks its inventory.
 */
export class MarketMaker extends Strategy.withParams(marketMakerParams) {
  private readonly quotes: Quotes[] = [];
  private readonly specs: SymbolSpec[] = [];

  constructor(id: string, symbols: readonly SymbolSpec[], params: MarketMakerParams) {
    super(id, symbols, params);
    for (const s of symbols) {
      this.quotes[s.id] = { bidId: 0, bidPx: 0, bidTs: 0, askId: 0, askPx: 0, askTs: 0 };
      this.specs[s.id] = s;
    }
  }

  override onBook(ctx: StrategyContext, st: LobStats): void {
    const q = this.quotes[st.symbolId];
    // A crossed book (pre-open, auction) has no touch to quote at: wait for the market to uncross.
    if (q === undefined || !(st.mid > 0) || st.crossed) return;
    const spec = this.specs[st.symbolId];
    const p = this.params;
    const tick = tickAt(spec, st.mid);
    const inv = ctx.position(st.symbolId);
    const skew = inv * p.skew_ticks_per_unit * tick;
    const bidTarget = Math.min(roundToTick(spec, st.mid - p.half_spread_ticks * tick - skew, 1), st.bestBid);
    const askTarget = Math.max(roundToTick(spec, st.mid + p.half_spread_ticks * tick - skew, -1), st.bestAsk);
    const minMove = p.requote_ticks * tick;
    const now = ctx.now();
    const settled = now - p.min_quote_life_ms * 1e6;

    // Reduce-only (StormGuard STORM): keep only the side that shrinks the position.
    const reduceOnly = ctx.reduceOnly();
    const wantBid = inv + p.order_qty <= p.max_inventory && (!reduceOnly || inv + p.order_qty <= 0);
    if (q.bidId !== 0 && !wantBid) {
      ctx.cancel(q.bidId);
      q.bidId = 0;
    } else if (q.bidId !== 0 && q.bidTs <= settled && Math.abs(q.bidPx - bidTarget) >= minMove) {
      // Refused (the quote just filled, or a rate limit): keep tracking it (its report resets it)
      // and wait a quote life before retrying, instead of retrying on every event.
      const id = ctx.replace(q.bidId, bidTarget, p.order_qty);
      if (id !== 0) {
        q.bidId = id;
        q.bidPx = bidTarget;
      }
      q.bidTs = now;
    } else if (q.bidId === 0 && wantBid && q.bidTs <= settled) {
      q.bidId = ctx.place(st.symbolId, 1, bidTarget, p.order_qty);
      q.bidPx = bidTarget;
      q.bidTs = now;
    }
    const wantAsk = inv - p.order_qty >= -p.max_inventory && (!reduceOnly || inv - p.order_qty >= 0);
    if (q.askId !== 0 && !wantAsk) {
      ctx.cancel(q.askId);
      q.askId = 0;
    } else if (q.askId !== 0 && q.askTs <= settled && Math.abs(q.askPx - askTarget) >= minMove) {
      const id = ctx.replace(q.askId, askTarget, p.order_qty);
      if (id !== 0) {
        q.askId = id;
        q.askPx = askTarget;
      }
      q.askTs = now;
    } else if (q.askId === 0 && wantAsk && q.askTs <= settled) {
      q.askId = ctx.place(st.symbolId, -1, askTarget, p.order_qty);
      q.askPx = askTarget;
      q.askTs = now;
    }
  }

  override onOrderUpdate(_ctx: StrategyContext, r: ExecReport): void {
    if (r.type === 'partial' || r.type === 'ack' || r.type === 'cancel_reject') return;
    const q = this.quotes[r.symbolId];
    if (q === undefined) return;
    // Terminal: forget the quote so the next book update replaces it.
    if (q.bidId === r.orderId) q.bidId = 0;
    if (q.askId === r.orderId) q.askId = 0;
  }
}
