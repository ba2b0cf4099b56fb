import type { Side } from '../contracts/market.ts';
import type { OrderBook } from '../lob/order-book.ts';
import { type FeatureSetSpec, validateFeatureSet, warmupOf } from './feature-set.ts';
import { createKernel, type FeatureSymbol, Kernel } from './kernels.ts';

/** Read-only access to one symbol's current feature values (what strategies get). */
export class FeatureView {
  constructor(
    private readonly engine: FeatureEngine,
    readonly symbolId: number,
    private readonly values: Float64Array,
  ) {}

  get setId(): string {
    return this.engine.set.id;
  }
  get version(): number {
    return this.engine.set.version;
  }
  get names(): readonly string[] {
    return this.engine.names;
  }
  /** Position of a feature in the set (precompute it once, then use `at`). Throws on an unknown name. */
  index(name: string): number {
    return this.engine.index(name);
  }
  /** Current value of a feature by name; NaN while it warms up. */
  get(name: string): number {
    return this.values[this.engine.index(name)];
  }
  /** Current value of a feature by index. */
  at(index: number): number {
    return this.values[index];
  }
}

/**
 * Computes one versioned feature set for a set of symbols. Call `update` after each LOB message
 * end (book valid) and `onTrade` for each trade; each symbol's values sit in a Float64Array in the
 * set's order. A value is NaN until its fixed warm-up (see warmupOf) is done. Time is the events'
 * exchange time, never the wall clock; it never runs backwards per symbol (a late event counts at
 * the latest time seen). No allocation per update.
 */
export class FeatureEngine {
  readonly names: readonly string[];
  /** Number of book updates and trades processed, all symbols. */
  updates = 0;
  private readonly byName = new Map<string, number>();
  private readonly kernels: Kernel[][] = [];
  /** Per symbol: the kernels whose value a trade can change (the others keep theirs). */
  private readonly tradeKernels: Kernel[][] = [];
  /** Per symbol: what the kernels write (raw values), and the values with warm-up applied. */
  private readonly raw: Float64Array[] = [];
  private readonly out: Float64Array[] = [];
  private readonly views: FeatureView[] = [];
  private readonly warmBooks: Float64Array;
  private readonly warmNs: Float64Array;
  /** Per symbol: book updates since (re)start, first and latest event time, started flag. */
  private readonly books: Float64Array;
  private readonly t0: Float64Array;
  private readonly now: Float64Array;
  private readonly started: Uint8Array;

  constructor(
    readonly set: FeatureSetSpec,
    symbols: readonly FeatureSymbol[],
  ) {
    validateFeatureSet(set);
    this.names = set.features.map((f) => f.id);
    const n = this.names.length;
    for (let i = 0; i < n; i++) this.byName.set(this.names[i], i);
    this.warmBooks = new Float64Array(n);
    this.warmNs = new Float64Array(n);
    set.features.forEach((f, i) => {
      const w = warmupOf(f);
      this.warmBooks[i] = w.books;
      this.warmNs[i] = w.ns;
    });
    for (let s = 0; s < symbols.length; s++) {
      const raw = new Float64Array(n);
      this.raw.push(raw);
      const kernels = set.features.map((f, i) => createKernel(f, symbols[s], raw, i));
      this.kernels.push(kernels);
      this.tradeKernels.push(kernels.filter((k) => k.trade !== Kernel.prototype.trade));
      const values = new Float64Array(n).fill(Number.NaN);
      this.out.push(values);
      this.views.push(new FeatureView(this, s, values));
    }
    this.books = new Float64Array(symbols.length);
    this.t0 = new Float64Array(symbols.length);
    this.now = new Float64Array(symbols.length);
    this.started = new Uint8Array(symbols.length);
  }

  /** `id@version` of the set. */
  get key(): string {
    return `${this.set.id}@${this.set.version}`;
  }

  /** Position of a feature in the set. Throws on an unknown name. */
  index(name: string): number {
    const i = this.byName.get(name);
    if (i === undefined) throw new Error(`feature set ${this.key} has no feature '${name}'`);
    return i;
  }

  /** The live values of one symbol (updated in place: copy what you keep, never write). */
  values(symbolId: number): Float64Array {
    return this.out[symbolId];
  }

  /** Current value of one feature of one symbol. */
  get(symbolId: number, name: string): number {
    return this.out[symbolId][this.index(name)];
  }

  /** Read-only view of one symbol's values (preallocated, the same object every call). */
  view(symbolId: number): FeatureView {
    return this.views[symbolId];
  }

  /** The symbol's book changed (end of an LOB message, book not crossed). */
  update(symbolId: number, book: OrderBook, exchTs: number): void {
    const now = this.advance(symbolId, exchTs);
    const nBooks = ++this.books[symbolId];
    const elapsed = now - this.t0[symbolId];
    const k = this.kernels[symbolId];
    for (let i = 0; i < k.length; i++) k[i].book(book, now);
    this.publish(symbolId, nBooks, elapsed);
  }

  /** A trade of the symbol (aggressor side 0 when unknown; quantity scaled). */
  onTrade(symbolId: number, qty: number, aggressor: Side | 0, exchTs: number): void {
    const now = this.advance(symbolId, exchTs);
    const nBooks = this.books[symbolId];
    const elapsed = now - this.t0[symbolId];
    const k = this.tradeKernels[symbolId];
    for (let i = 0; i < k.length; i++) k[i].trade(qty, aggressor, now);
    this.publish(symbolId, nBooks, elapsed);
  }

  /** Forgets the symbol's state (book cleared, feed gap): every feature warms up again. */
  reset(symbolId: number): void {
    for (const k of this.kernels[symbolId]) k.reset();
    this.out[symbolId].fill(Number.NaN);
    this.books[symbolId] = 0;
    this.started[symbolId] = 0;
  }

  /** Copies the raw values out, NaN where the warm-up is not done. */
  private publish(symbolId: number, nBooks: number, elapsed: number): void {
    const raw = this.raw[symbolId];
    const out = this.out[symbolId];
    for (let i = 0; i < out.length; i++) {
      out[i] = nBooks >= this.warmBooks[i] && elapsed >= this.warmNs[i] ? raw[i] : Number.NaN;
    }
    this.updates++;
  }

  private advance(symbolId: number, ts: number): number {
    if (this.started[symbolId] === 0) {
      this.started[symbolId] = 1;
      this.t0[symbolId] = ts;
      this.now[symbolId] = ts;
    } else if (ts > this.now[symbolId]) {
      this.now[symbolId] = ts;
    }
    return this.now[symbolId];
  }
}
