import type { SymbolSpec } from '../contracts/symbols.ts';
import { tickAt } from '../core/ticks.ts';
import type { OrderBook } from '../lob/order-book.ts';
import { type FeatureSetSpec, type FeatureSpec, warmupOf } from './feature-set.ts';
import type { FeatureSymbol } from './kernels.ts';

/** [price, quantity], scaled. */
export type PlainLevel = [number, number];
/** A book as plain arrays, best level first. */
export interface PlainBook {
  bids: PlainLevel[];
  asks: PlainLevel[];
}

/** Copies the best `depth` levels of each side of a book into plain arrays. */
export function plainBook(book: OrderBook, depth: number): PlainBook {
  const side = (s: 1 | -1) => {
    const out: PlainLevel[] = [];
    for (let i = 0; i < Math.min(depth, book.levels(s)); i++) out.push([book.price(s, i), book.qty(s, i)]);
    return out;
  };
  return { bids: side(1), asks: side(-1) };
}

/**
 * The reference implementation of every kernel: plain, readable code that recomputes each value
 * from the current book's level arrays and from the full history of past events (windows are
 * re-summed from the history at every call). Slow by design; the parity test holds the optimized
 * FeatureEngine to it. Same conventions: time is the latest event time seen; warm-up per warmupOf.
 */
export class ReferenceFeatures {
  private book: PlainBook | null = null;
  private booksSeen = 0;
  private firstTs = 0;
  private now = Number.NEGATIVE_INFINITY;
  /** Per book update after the first: the OFI contribution of each level. */
  private ofiEvents: { ts: number; perLevel: number[] }[] = [];
  private trades: { ts: number; qty: number; side: number }[] = [];
  private returns: { ts: number; r: number }[] = [];
  private lastMid = Number.NaN;
  private ewma = new Map<string, number>();
  private readonly ofiDepth: number;

  constructor(
    readonly set: FeatureSetSpec,
    private readonly sym: FeatureSymbol,
  ) {
    this.ofiDepth = Math.max(1, ...set.features.map((f) => (f.kind === 'ofi' ? f.levels : 1)));
  }

  /** A new book state; returns every feature's value. */
  onBook(book: PlainBook, ts: number): number[] {
    this.advance(ts);
    this.booksSeen++;
    if (this.book !== null) {
      const perLevel: number[] = [];
      for (let i = 0; i < this.ofiDepth; i++) perLevel.push(ofiContribution(this.book, book, i));
      this.ofiEvents.push({ ts: this.now, perLevel });
    }
    const mid = midOf(book);
    if (!Number.isNaN(mid)) {
      if (!Number.isNaN(this.lastMid)) {
        const r = Math.log(mid / this.lastMid);
        this.returns.push({ ts: this.now, r });
        for (const f of this.set.features) {
          if (f.kind !== 'ewma_return') continue;
          const prev = this.ewma.get(f.id);
          this.ewma.set(f.id, prev === undefined ? r : prev + (2 / (f.span + 1)) * (r - prev));
        }
      }
      this.lastMid = mid;
    }
    this.book = book;
    return this.values();
  }

  /** A trade (aggressor side +1/−1, 0 unknown); returns every feature's value. */
  onTrade(qty: number, side: number, ts: number): number[] {
    this.advance(ts);
    this.trades.push({ ts: this.now, qty, side });
    return this.values();
  }

  /** Starts over, as after a book clear. */
  reset(): void {
    this.book = null;
    this.booksSeen = 0;
    this.now = Number.NEGATIVE_INFINITY;
    this.ofiEvents = [];
    this.trades = [];
    this.returns = [];
    this.lastMid = Number.NaN;
    this.ewma.clear();
  }

  private advance(ts: number): void {
    if (this.now === Number.NEGATIVE_INFINITY) this.firstTs = ts;
    this.now = Math.max(this.now, ts);
  }

  private values(): number[] {
    return this.set.features.map((f) => {
      const w = warmupOf(f);
      if (this.booksSeen < w.books || this.now - this.firstTs < w.ns) return Number.NaN;
      return this.value(f);
    });
  }

  private value(f: FeatureSpec): number {
    const b = this.book ?? { bids: [], asks: [] };
    const hasBoth = b.bids.length > 0 && b.asks.length > 0;
    switch (f.kind) {
      case 'mid':
        return midOf(b);
      case 'microprice': {
        if (!hasBoth) return Number.NaN;
        const [bid, qb] = b.bids[0];
        const [ask, qa] = b.asks[0];
        const imbalance = qb / (qb + qa);
        return imbalance * ask + (1 - imbalance) * bid;
      }
      case 'spread_ticks':
        return hasBoth
          ? (b.asks[0][0] - b.bids[0][0]) / tickAt(this.sym as SymbolSpec, b.bids[0][0])
          : Number.NaN;
      case 'l1_imbalance':
        return imbalance(b, 1);
      case 'depth_imbalance':
        return imbalance(b, f.levels);
      case 'book_entropy': {
        const qs = [...b.bids.slice(0, f.levels), ...b.asks.slice(0, f.levels)].map(([, q]) => q);
        const total = qs.reduce((s, q) => s + q, 0);
        if (total <= 0) return Number.NaN;
        return -qs.reduce((h, q) => h + (q / total) * Math.log2(q / total), 0);
      }
      case 'ofi': {
        const recent = this.inWindow(this.ofiEvents, f.windowNs);
        let s = 0;
        for (let i = 0; i < f.levels; i++) {
          const levelSum = recent.reduce((acc, e) => acc + e.perLevel[i], 0);
          s += Math.exp(-(f.decay ?? 0) * i) * levelSum;
        }
        return s;
      }
      case 'trade_imbalance': {
        const recent = this.inWindow(this.trades, f.windowNs);
        const buy = recent.filter((t) => t.side > 0).reduce((s, t) => s + t.qty, 0);
        const sell = recent.filter((t) => t.side < 0).reduce((s, t) => s + t.qty, 0);
        return buy + sell > 0 ? (buy - sell) / (buy + sell) : 0;
      }
      case 'realized_vol':
        return Math.sqrt(this.inWindow(this.returns, f.windowNs).reduce((s, x) => s + x.r * x.r, 0));
      case 'ewma_return':
        return this.ewma.get(f.id) ?? Number.NaN;
    }
  }

  /** The history entries stamped within (now − windowNs, now]. */
  private inWindow<T extends { ts: number }>(history: T[], windowNs: number): T[] {
    let i = history.length;
    while (i > 0 && history[i - 1].ts > this.now - windowNs) i--;
    return history.slice(i);
  }
}

function midOf(b: PlainBook): number {
  return b.bids.length > 0 && b.asks.length > 0 ? (b.bids[0][0] + b.asks[0][0]) / 2 : Number.NaN;
}

function imbalance(b: PlainBook, levels: number): number {
  const bid = b.bids.slice(0, levels).reduce((s, [, q]) => s + q, 0);
  const ask = b.asks.slice(0, levels).reduce((s, [, q]) => s + q, 0);
  return bid + ask > 0 ? (bid - ask) / (bid + ask) : Number.NaN;
}

/** Cont et al. order-flow contribution of level i between two books (bid flow − ask flow). */
function ofiContribution(prev: PlainBook, cur: PlainBook, i: number): number {
  // A missing bid level is price 0 with no quantity; a missing ask level is price +∞.
  const [pb0, qb0] = prev.bids[i] ?? [0, 0];
  const [pb1, qb1] = cur.bids[i] ?? [0, 0];
  const [pa0, qa0] = prev.asks[i] ?? [Number.POSITIVE_INFINITY, 0];
  const [pa1, qa1] = cur.asks[i] ?? [Number.POSITIVE_INFINITY, 0];
  let bidFlow: number;
  if (pb1 > pb0) bidFlow = qb1;
  else if (pb1 < pb0) bidFlow = -qb0;
  else bidFlow = qb1 - qb0;
  let askFlow: number;
  if (pa1 < pa0) askFlow = qa1;
  else if (pa1 > pa0) askFlow = -qa0;
  else askFlow = qa1 - qa0;
  return bidFlow - askFlow;
}
