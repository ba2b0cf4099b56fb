import type { Side } from '../contracts/market.ts';
import { PriceLevels } from '../core/price-levels.ts';

/**
 * L2 order book of one symbol (prices and quantities are scaled integers). Sides are kept
 * sorted best-first; updates allocate nothing unless a side outgrows its capacity.
 */
export class OrderBook {
  readonly bids: PriceLevels;
  readonly asks: PriceLevels;

  constructor(
    readonly symbolId: number,
    capacity = 64,
  ) {
    this.bids = new PriceLevels(capacity, 1);
    this.asks = new PriceLevels(capacity, -1);
  }

  get bestBid(): number {
    return this.bids.n > 0 ? this.bids.px[0] : 0;
  }
  get bestAsk(): number {
    return this.asks.n > 0 ? this.asks.px[0] : 0;
  }
  get bestBidQty(): number {
    return this.bids.n > 0 ? this.bids.qty[0] : 0;
  }
  get bestAskQty(): number {
    return this.asks.n > 0 ? this.asks.qty[0] : 0;
  }

  /** True when both sides exist and best bid >= best ask (crossed or locked). */
  get crossed(): boolean {
    return this.bids.n > 0 && this.asks.n > 0 && this.bids.px[0] >= this.asks.px[0];
  }

  setLevel(side: Side, price: number, qty: number): void {
    (side === 1 ? this.bids : this.asks).set(price, qty);
  }

  replace(
    bidPx: Float64Array,
    bidQty: Float64Array,
    askPx: Float64Array,
    askQty: Float64Array,
    levels: number,
  ): void {
    this.bids.replace(bidPx, bidQty, levels);
    this.asks.replace(askPx, askQty, levels);
  }

  clear(): void {
    this.bids.n = 0;
    this.asks.n = 0;
  }

  /** Price at level `i` of a side (0 when absent). */
  price(side: Side, i: number): number {
    const s = side === 1 ? this.bids : this.asks;
    return i < s.n ? s.px[i] : 0;
  }

  /** Quantity at level `i` of a side (0 when absent). */
  qty(side: Side, i: number): number {
    const s = side === 1 ? this.bids : this.asks;
    return i < s.n ? s.qty[i] : 0;
  }

  levels(side: Side): number {
    return side === 1 ? this.bids.n : this.asks.n;
  }

  /** Sum of quantity over the best `k` levels of a side. */
  depth(side: Side, k: number): number {
    const s = side === 1 ? this.bids : this.asks;
    const m = Math.min(k, s.n);
    let sum = 0;
    for (let i = 0; i < m; i++) sum += s.qty[i];
    return sum;
  }
}
