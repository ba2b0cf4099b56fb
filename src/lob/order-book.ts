import type { Side } from '../contracts/market.ts';
import { type BookLevels, BookSide } from './book-side.ts';
import { DenseBookSide } from './dense-book-side.ts';

/**
 * L2 order book of one symbol (prices and quantities are scaled integers). Each side is kept
 * sorted worst-first, its best level last (`BookSide`): an update near the touch moves only the
 * levels between it and the touch. A full-depth book (`tick` given) indexes its levels by price
 * instead (`DenseBookSide`). Read levels counted from the best with `price(side, i)` and
 * `qty(side, i)`. Updates allocate nothing unless a side outgrows its capacity.
 */
export class OrderBook {
  readonly bids: BookLevels;
  readonly asks: BookLevels;

  constructor(
    readonly symbolId: number,
    capacity = 64,
    /** > 0: the book is full-depth, its sides indexed by price on this tick (scaled). */
    tick = 0,
  ) {
    this.bids = bookSide(1, capacity, tick);
    this.asks = bookSide(-1, capacity, tick);
  }

  get bestBid(): number {
    return this.bids.bestPx;
  }
  get bestAsk(): number {
    return this.asks.bestPx;
  }
  get bestBidQty(): number {
    return this.bids.bestQty;
  }
  get bestAskQty(): number {
    return this.asks.bestQty;
  }

  /** True when both sides exist and best bid >= best ask (crossed or locked). */
  get crossed(): boolean {
    const b = this.bids;
    const a = this.asks;
    return b.n > 0 && a.n > 0 && b.bestPx >= a.bestPx;
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
    this.bids.clear();
    this.asks.clear();
  }

  /** Price at level `i` of a side counted from the best (0 when absent). */
  price(side: Side, i: number): number {
    return (side === 1 ? this.bids : this.asks).levelPx(i);
  }

  /** Quantity at level `i` of a side counted from the best (0 when absent). */
  qty(side: Side, i: number): number {
    return (side === 1 ? this.bids : this.asks).levelQty(i);
  }

  levels(side: Side): number {
    return side === 1 ? this.bids.n : this.asks.n;
  }

  /** Sum of quantity over the best `k` levels of a side. */
  depth(side: Side, k: number): number {
    return (side === 1 ? this.bids : this.asks).depth(k);
  }
}

/** A side of a book: price-indexed when `tick` > 0 (full depth), else sorted with `capacity` levels. */
export function bookSide(dir: 1 | -1, capacity: number, tick: number): BookLevels {
  return tick > 0 ? new DenseBookSide(dir, tick) : new BookSide(capacity, dir);
}
