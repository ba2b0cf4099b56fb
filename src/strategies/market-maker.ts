import { z } from 'zod';
import type { LobStats } from '../contracts/market.ts';
import type { ExecReport } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { roundToTick, tickAt } from '../core/ticks.ts';
import type { OrderState } from '../order/order-state.ts';
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

/** One side's resting quote: order id (0: none), its price and when it was last sent. */
interface Quote {
  id: number;
  px: number;
  ts: number;
}

/** Per-symbol quoting state: one resting order per side at most. */
interface Quotes {
  bid: Quote;
  ask: Quote;
}

/**
 * Passive market maker: quotes both sides around the mid, skewed against inventory (the quotes
 * lean to shed it), and stops quoting the side that would take |inventory| past max_inventory.
 * It never improves the touch, so its own quotes cannot move the mid it quotes around (no
 * self-chasing). A quote that drifted moves by cancel/replace, at most once per min_quote_life_ms.
 * While risk is reduce-only it quotes only the side that shrinks its inventory.
 * It never quotes through its own other side (risk would refuse it as SELF_TRADE): when the
 * market moves up the ask moves first, when it moves down the bid does, and a quote is kept a
 * tick off its open orders on the other side, those being cancelled included (in a call auction
 * nothing fills, so a resting bid can sit above the market's ask).
 */
export class MarketMaker extends Strategy.withParams(marketMakerParams) {
  private readonly quotes: Quotes[] = [];
  private readonly specs: SymbolSpec[] = [];

  constructor(id: string, symbols: readonly SymbolSpec[], params: MarketMakerParams) {
    super(id, symbols, params);
    for (const s of symbols) {
      this.quotes[s.id] = { bid: { id: 0, px: 0, ts: 0 }, ask: { id: 0, px: 0, ts: 0 } };
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
    // Reduce-only (StormGuard STORM): keep only the side that shrinks the position.
    const reduceOnly = ctx.reduceOnly();
    const wantBid = inv + p.order_qty <= p.max_inventory && (!reduceOnly || inv + p.order_qty <= 0);
    const wantAsk = inv - p.order_qty >= -p.max_inventory && (!reduceOnly || inv - p.order_qty >= 0);
    const now = ctx.now();
    if (q.bid.id !== 0 && bidTarget > q.bid.px) {
      this.quote(ctx, st.symbolId, -1, q.ask, askTarget, wantAsk, tick, now);
      this.quote(ctx, st.symbolId, 1, q.bid, bidTarget, wantBid, tick, now);
    } else {
      this.quote(ctx, st.symbolId, 1, q.bid, bidTarget, wantBid, tick, now);
      this.quote(ctx, st.symbolId, -1, q.ask, askTarget, wantAsk, tick, now);
    }
  }

  /** Places, moves or pulls one side's quote toward `target`, kept a tick off our other side. */
  private quote(
    ctx: StrategyContext,
    symbolId: number,
    side: 1 | -1,
    mine: Quote,
    target: number,
    want: boolean,
    tick: number,
    now: number,
  ): void {
    const p = this.params;
    if (mine.id !== 0 && !want) {
      ctx.cancel(mine.id);
      mine.id = 0;
      return;
    }
    // Nothing is sent within a quote life, nor for an unwanted side: the price (a scan of our open
    // orders) is worked out only when an order may go, not on every book update.
    if (mine.ts > now - p.min_quote_life_ms * 1e6 || (mine.id === 0 && !want)) return;
    const other = ownBest(ctx, symbolId, side === 1 ? -1 : 1);
    const px =
      other === 0 ? target : side === 1 ? Math.min(target, other - tick) : Math.max(target, other + tick);
    if (mine.id !== 0) {
      if (Math.abs(mine.px - px) < p.requote_ticks * tick) return;
      // Refused (the quote just filled, or a rate limit): keep tracking it (its report resets it)
      // and wait a quote life before retrying, instead of retrying on every event.
      const id = ctx.replace(mine.id, px, p.order_qty);
      if (id !== 0) {
        mine.id = id;
        mine.px = px;
      }
      mine.ts = now;
    } else {
      mine.id = ctx.place(symbolId, side, px, p.order_qty);
      mine.px = px;
      mine.ts = now;
    }
  }

  override onOrderUpdate(_ctx: StrategyContext, r: ExecReport): void {
    if (r.type === 'partial' || r.type === 'ack' || r.type === 'cancel_reject') return;
    const q = this.quotes[r.symbolId];
    if (q === undefined) return;
    // Terminal: forget the quote so the next book update replaces it.
    if (q.bid.id === r.orderId) q.bid.id = 0;
    if (q.ask.id === r.orderId) q.ask.id = 0;
  }
}

/** Our best open price on one side of a symbol (pending and being cancelled too, as risk counts them); 0: none. */
function ownBest(ctx: StrategyContext, symbolId: number, side: 1 | -1): number {
  // forEach with a module-level visitor: a for-of over the set allocates an iterator, and this
  // runs twice per book update (a backtest day is ~850k of them).
  scanSymbol = symbolId;
  scanSide = side;
  scanBest = 0;
  ctx.openOrders().forEach(visitOwn);
  return scanBest;
}

let scanSymbol = 0;
let scanSide: 1 | -1 = 1;
let scanBest = 0;

function visitOwn(o: OrderState): void {
  if (
    o.symbolId === scanSymbol &&
    o.side === scanSide &&
    (scanBest === 0 || (o.price - scanBest) * scanSide > 0)
  )
    scanBest = o.price;
}
