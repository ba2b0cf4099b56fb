import type { SymbolSpec } from '../contracts/symbols.ts';
import { tickAt } from '../core/ticks.ts';
import type { OrderBook } from '../lob/order-book.ts';
import type { FeatureSpec } from './feature-set.ts';
import { WindowSums } from './window-sums.ts';

/** What a kernel needs to know about its symbol. */
export type FeatureSymbol = Pick<SymbolSpec, 'ticks'>;

/**
 * The optimized form of one feature for one symbol: reads the scaled-int book in place, keeps
 * its state in preallocated typed arrays, allocates nothing per update. Each call writes the
 * feature's current value (NaN when undefined, e.g. the mid of a one-sided book) into its slot
 * `out[at]` — writing a Float64Array slot instead of returning a double avoids boxing it. `now`
 * is the symbol's event time (never decreasing). Warm-up is applied by the engine.
 */
export abstract class Kernel {
  constructor(
    protected readonly out: Float64Array,
    protected readonly at: number,
  ) {}
  abstract book(b: OrderBook, now: number): void;
  /** A trade; book-only kernels keep their value. */
  trade(_qty: number, _side: number, _now: number): void {}
  reset(): void {
    this.out[this.at] = Number.NaN;
  }
}

class Mid extends Kernel {
  book(b: OrderBook): void {
    this.out[this.at] = b.bids.n > 0 && b.asks.n > 0 ? (b.bestBid + b.bestAsk) / 2 : Number.NaN;
  }
}

class Microprice extends Kernel {
  book(b: OrderBook): void {
    if (b.bids.n === 0 || b.asks.n === 0) {
      this.out[this.at] = Number.NaN;
      return;
    }
    const qb = b.bestBidQty;
    const qa = b.bestAskQty;
    this.out[this.at] = (b.bestAsk * qb + b.bestBid * qa) / (qb + qa);
  }
}

class SpreadTicks extends Kernel {
  constructor(
    out: Float64Array,
    at: number,
    private readonly sym: FeatureSymbol,
  ) {
    super(out, at);
  }
  book(b: OrderBook): void {
    if (b.bids.n === 0 || b.asks.n === 0) {
      this.out[this.at] = Number.NaN;
      return;
    }
    const bid = b.bestBid;
    // tickAt reads only the ladder.
    this.out[this.at] = (b.bestAsk - bid) / tickAt(this.sym as SymbolSpec, bid);
  }
}

class DepthImbalance extends Kernel {
  constructor(
    out: Float64Array,
    at: number,
    private readonly levels: number,
  ) {
    super(out, at);
  }
  book(b: OrderBook): void {
    let qb = 0;
    let qa = 0;
    const bids = b.bids;
    const asks = b.asks;
    const nb = Math.min(this.levels, bids.n);
    const na = Math.min(this.levels, asks.n);
    for (let i = 0; i < nb; i++) qb += bids.levelQty(i);
    for (let i = 0; i < na; i++) qa += asks.levelQty(i);
    this.out[this.at] = qb + qa > 0 ? (qb - qa) / (qb + qa) : Number.NaN;
  }
}

/**
 * H = −Σ p·log2 p with p = q / T, computed as (ln T − (Σ q·ln q) / T) / ln 2. Quantities repeat
 * (integers, mostly small), so q·ln q comes from a small direct-mapped cache: an update pays a
 * logarithm only for quantities not seen recently, plus ln T.
 */
class BookEntropy extends Kernel {
  private static readonly CACHE = 256;
  private readonly cachedQty = new Float64Array(BookEntropy.CACHE).fill(-1);
  private readonly cachedTerm = new Float64Array(BookEntropy.CACHE);

  constructor(
    out: Float64Array,
    at: number,
    private readonly levels: number,
  ) {
    super(out, at);
  }

  book(b: OrderBook): void {
    // Best first, as the sum's rounding depends on the order.
    const bids = b.bids;
    const asks = b.asks;
    const nb = Math.min(this.levels, bids.n);
    const na = Math.min(this.levels, asks.n);
    let total = 0;
    let sum = 0;
    for (let i = 0; i < nb; i++) {
      const q = bids.levelQty(i);
      total += q;
      sum += this.term(q);
    }
    for (let i = 0; i < na; i++) {
      const q = asks.levelQty(i);
      total += q;
      sum += this.term(q);
    }
    if (!(total > 0)) this.out[this.at] = Number.NaN;
    // One level holds everything: exactly 0 (the identity would leave a rounding residue).
    else if (nb + na === 1) this.out[this.at] = 0;
    else this.out[this.at] = (Math.log(total) - sum / total) / Math.LN2;
  }

  /** q·ln q, cached. */
  private term(q: number): number {
    const slot = q & (BookEntropy.CACHE - 1);
    if (this.cachedQty[slot] !== q) {
      this.cachedQty[slot] = q;
      this.cachedTerm[slot] = q * Math.log(q);
    }
    return this.cachedTerm[slot];
  }
}

/**
 * Multi-level OFI. Per level i (by rank), with a missing bid at price 0 and a missing ask at +∞:
 * bid flow = q if the price rose, q − q_prev if unchanged, −q_prev if it fell; ask flow = q if the
 * price fell, q − q_prev if unchanged, −q_prev if it rose; e_i = bid flow − ask flow. The value is
 * Σ w_i · (sum of e_i over the window). The window sums stay integers (exact): one per level, or
 * one in all when every weight is 1 (decay 0), which is cheaper.
 */
class Ofi extends Kernel {
  private readonly bidPx: Float64Array;
  private readonly bidQty: Float64Array;
  private readonly askPx: Float64Array;
  private readonly askQty: Float64Array;
  private readonly row: Float64Array;
  private readonly weights: Float64Array;
  private readonly win: WindowSums;
  private readonly flat: boolean;
  private primed = false;

  constructor(
    out: Float64Array,
    at: number,
    private readonly levels: number,
    windowNs: number,
    decay: number,
  ) {
    super(out, at);
    this.bidPx = new Float64Array(levels);
    this.bidQty = new Float64Array(levels);
    this.askPx = new Float64Array(levels);
    this.askQty = new Float64Array(levels);
    this.flat = decay === 0;
    this.row = new Float64Array(levels);
    this.weights = new Float64Array(levels);
    for (let i = 0; i < levels; i++) this.weights[i] = Math.exp(-decay * i);
    this.win = new WindowSums(windowNs, this.flat ? 1 : levels);
  }

  book(b: OrderBook, now: number): void {
    const L = this.levels;
    const bids = b.bids;
    const asks = b.asks;
    const flat = this.flat;
    let any = false;
    let e = 0;
    for (let i = 0; i < L; i++) {
      const pb = bids.levelPx(i);
      const qb = bids.levelQty(i);
      const pa = i < asks.n ? asks.levelPx(i) : Number.POSITIVE_INFINITY;
      const qa = asks.levelQty(i);
      if (this.primed) {
        const ppb = this.bidPx[i];
        const ppa = this.askPx[i];
        const bidFlow = pb > ppb ? qb : pb === ppb ? qb - this.bidQty[i] : -this.bidQty[i];
        const askFlow = pa < ppa ? qa : pa === ppa ? qa - this.askQty[i] : -this.askQty[i];
        const ei = bidFlow - askFlow;
        if (ei !== 0) any = true;
        if (flat) e += ei;
        else this.row[i] = ei;
      }
      this.bidPx[i] = pb;
      this.bidQty[i] = qb;
      this.askPx[i] = pa;
      this.askQty[i] = qa;
    }
    this.primed = true;
    if (any) {
      if (flat) this.row[0] = e;
      this.win.push(now, this.row);
    }
    this.write(now);
  }

  override trade(_qty: number, _side: number, now: number): void {
    this.write(now);
  }

  override reset(): void {
    super.reset();
    this.primed = false;
    this.win.clear();
  }

  private write(now: number): void {
    this.win.evict(now);
    if (this.flat) {
      this.out[this.at] = this.win.total(0);
      return;
    }
    let s = 0;
    for (let i = 0; i < this.levels; i++) s += this.weights[i] * this.win.total(i);
    this.out[this.at] = s;
  }
}

class TradeImbalance extends Kernel {
  private readonly row = new Float64Array(2);
  private readonly win: WindowSums;

  constructor(out: Float64Array, at: number, windowNs: number) {
    super(out, at);
    this.win = new WindowSums(windowNs, 2);
  }

  book(_b: OrderBook, now: number): void {
    this.write(now);
  }

  override trade(qty: number, side: number, now: number): void {
    if (side !== 0) {
      this.row[0] = side > 0 ? qty : 0;
      this.row[1] = side < 0 ? qty : 0;
      this.win.push(now, this.row);
    }
    this.write(now);
  }

  override reset(): void {
    super.reset();
    this.win.clear();
  }

  private write(now: number): void {
    this.win.evict(now);
    const buy = this.win.total(0);
    const sell = this.win.total(1);
    this.out[this.at] = buy + sell > 0 ? (buy - sell) / (buy + sell) : 0;
  }
}

/** Mid log-returns between consecutive valid mids (a one-sided book keeps the last valid mid). */
class RealizedVol extends Kernel {
  private readonly row = new Float64Array(1);
  private readonly win: WindowSums;
  private prevMid2 = 0;

  constructor(out: Float64Array, at: number, windowNs: number) {
    super(out, at);
    this.win = new WindowSums(windowNs, 1);
  }

  book(b: OrderBook, now: number): void {
    if (b.bids.n > 0 && b.asks.n > 0) {
      const mid2 = b.bestBid + b.bestAsk;
      // A zero return adds nothing to Σ r²: only moves are stored.
      if (this.prevMid2 > 0 && mid2 !== this.prevMid2) {
        const r = Math.log(mid2 / this.prevMid2);
        this.row[0] = r * r;
        this.win.push(now, this.row);
      }
      this.prevMid2 = mid2;
    }
    this.write(now);
  }

  override trade(_qty: number, _side: number, now: number): void {
    this.write(now);
  }

  override reset(): void {
    super.reset();
    this.prevMid2 = 0;
    this.win.clear();
  }

  private write(now: number): void {
    this.win.evict(now);
    this.out[this.at] = Math.sqrt(Math.max(0, this.win.total(0)));
  }
}

class EwmaReturn extends Kernel {
  private readonly alpha: number;
  private prevMid2 = 0;

  constructor(out: Float64Array, at: number, span: number) {
    super(out, at);
    this.alpha = 2 / (span + 1);
  }

  book(b: OrderBook): void {
    if (b.bids.n === 0 || b.asks.n === 0) return;
    const mid2 = b.bestBid + b.bestAsk;
    if (this.prevMid2 > 0) {
      const r = Math.log(mid2 / this.prevMid2);
      const v = this.out[this.at];
      this.out[this.at] = Number.isNaN(v) ? r : v + this.alpha * (r - v);
    }
    this.prevMid2 = mid2;
  }

  override reset(): void {
    super.reset();
    this.prevMid2 = 0;
  }
}

/** Builds the optimized kernel of one feature for one symbol, writing its value to out[at]. */
export function createKernel(f: FeatureSpec, sym: FeatureSymbol, out: Float64Array, at: number): Kernel {
  out[at] = Number.NaN;
  switch (f.kind) {
    case 'mid':
      return new Mid(out, at);
    case 'microprice':
      return new Microprice(out, at);
    case 'spread_ticks':
      return new SpreadTicks(out, at, sym);
    case 'l1_imbalance':
      return new DepthImbalance(out, at, 1);
    case 'depth_imbalance':
      return new DepthImbalance(out, at, f.levels);
    case 'ofi':
      return new Ofi(out, at, f.levels, f.windowNs, f.decay ?? 0);
    case 'trade_imbalance':
      return new TradeImbalance(out, at, f.windowNs);
    case 'realized_vol':
      return new RealizedVol(out, at, f.windowNs);
    case 'ewma_return':
      return new EwmaReturn(out, at, f.span);
    case 'book_entropy':
      return new BookEntropy(out, at, f.levels);
  }
}
