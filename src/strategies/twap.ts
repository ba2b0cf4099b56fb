import { z } from 'zod';
import type { ExecReport } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { NS_PER_S } from '../core/clock.ts';
import { tickAt } from '../core/ticks.ts';
import { Strategy, type StrategyContext } from '../strategy/sdk.ts';

export const twapParams = z.strictObject({
  side: z.enum(['buy', 'sell']),
  /** Parent quantity (shares for stocks, contracts for futures); a multiple of the lot. */
  total_qty: z.number().int().positive(),
  /** Time over which the parent is worked (s). */
  horizon_s: z.number().positive(),
  /** Number of slices: one every horizon_s / slices. */
  slices: z.number().int().positive(),
  /** Child limit price in ticks from the passive touch toward the other side (negative: deeper). */
  limit_offset_ticks: z.number().int().default(0),
  /** When behind schedule by more than a slice, take the excess with an IOC at the far touch; at the end, take the rest. */
  catch_up: z.boolean().default(true),
  /** Delay before the first slice (s). */
  start_delay_s: z.number().min(0).default(0),
});
export type TwapParams = z.infer<typeof twapParams>;

/**
 * TWAP execution algo: works a parent order over `horizon_s` in `slices` equal slices on timers.
 * At slice k the target is total x k / slices (in lots); one passive child rests at the touch
 * plus `limit_offset_ticks` and is moved by cancel/replace to the new price and the quantity
 * still missing. With `catch_up`, a shortfall beyond one slice is taken at once with an IOC at
 * the far touch, and the last slice takes whatever remains.
 */
export class Twap extends Strategy.withParams(twapParams) {
  private readonly spec: SymbolSpec | undefined;
  private readonly side: 1 | -1;
  private readonly sliceNs: number;
  private filled = 0;
  private child = 0;
  private slice = 0;
  /** True once the parent is complete or the horizon is over. */
  done = false;

  constructor(id: string, symbols: readonly SymbolSpec[], params: TwapParams) {
    super(id, symbols, params);
    if (symbols.length > 1) throw new Error('twap works one symbol');
    this.spec = symbols[0];
    this.side = this.params.side === 'buy' ? 1 : -1;
    if (this.spec !== undefined && this.params.total_qty % this.spec.lotSize !== 0)
      throw new Error(`total_qty ${this.params.total_qty} is not a multiple of the lot ${this.spec.lotSize}`);
    this.sliceNs = (this.params.horizon_s * NS_PER_S) / this.params.slices;
  }

  /** Quantity filled so far. */
  get executed(): number {
    return this.filled;
  }

  override onStart(ctx: StrategyContext): void {
    ctx.setTimer(this.params.start_delay_s * NS_PER_S, 1);
  }

  override onTimer(ctx: StrategyContext, k: number): void {
    if (this.done) return;
    // One slice after the last: the horizon is over, what is left is abandoned.
    if (k > this.params.slices) {
      this.finish(ctx);
      return;
    }
    this.slice = k;
    this.work(ctx);
    ctx.setTimer(this.sliceNs, k + 1);
  }

  override onFill(ctx: StrategyContext, r: ExecReport): void {
    this.filled += r.lastQty;
    if (this.filled >= this.params.total_qty) this.finish(ctx);
  }

  override onOrderUpdate(_ctx: StrategyContext, r: ExecReport): void {
    if (r.orderId === this.child && r.leavesQty === 0) this.child = 0;
  }

  /** Brings the working quantity in line with the schedule at the current slice. */
  private work(ctx: StrategyContext): void {
    const spec = this.spec;
    if (spec === undefined) return;
    const p = this.params;
    const st = ctx.stats(spec.id);
    // No two-sided book, or a crossed one (pre-open, auction): try at the next slice.
    if (st.bestBid === 0 || st.bestAsk === 0 || st.crossed) return;
    const lot = spec.lotSize;
    const lots = p.total_qty / lot;
    const target = Math.floor((lots * this.slice) / p.slices) * lot;
    const sliceQty = Math.max(lot, Math.floor(lots / p.slices) * lot);
    let inFlight = 0;
    let childPx = 0;
    let childQty = 0;
    for (const o of ctx.openOrders()) {
      if (o.orderId !== this.child) inFlight += o.leavesQty;
      else {
        childPx = o.price;
        childQty = o.leavesQty;
      }
    }
    let need = target - this.filled - inFlight;
    if (need <= 0) {
      if (this.child !== 0) ctx.cancel(this.child);
      return;
    }
    const last = this.slice >= p.slices;
    if (p.catch_up) {
      const take = last ? need : need > sliceQty ? need - sliceQty : 0;
      if (take > 0) {
        const far = this.side === 1 ? st.bestAsk : st.bestBid;
        if (ctx.place(spec.id, this.side, far, take, 'IOC') !== 0) need -= take;
      }
    }
    if (need <= 0) {
      if (this.child !== 0) ctx.cancel(this.child);
      return;
    }
    const touch = this.side === 1 ? st.bestBid : st.bestAsk;
    let price = touch + this.side * p.limit_offset_ticks * tickAt(spec, touch);
    // Never cross: an offset past the far touch rests at it.
    const far = this.side === 1 ? st.bestAsk : st.bestBid;
    if ((price - far) * this.side > 0) price = far;
    if (this.child === 0) this.child = ctx.place(spec.id, this.side, price, need);
    else if (price !== childPx || need !== childQty) {
      const id = ctx.replace(this.child, price, need);
      if (id !== 0) this.child = id;
    }
  }

  private finish(ctx: StrategyContext): void {
    if (this.done) return;
    this.done = true;
    if (this.child !== 0) ctx.cancel(this.child);
    ctx.log.info({ filled: this.filled, target: this.params.total_qty }, 'twap finished');
  }
}
