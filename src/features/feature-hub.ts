import type { Side } from '../contracts/market.ts';
import type { OrderBook } from '../lob/order-book.ts';
import { FeatureEngine } from './feature-engine.ts';
import type { FeatureSymbol } from './kernels.ts';
import { featureSet } from './sets.ts';

/**
 * The feature plane of one runtime: one FeatureEngine per feature set that some strategy asked
 * for, all over the run's symbols, fed by the market-data hot path right after the LOB. With no
 * set requested it does nothing.
 */
export class FeatureHub {
  readonly engines: FeatureEngine[] = [];

  constructor(private readonly symbols: readonly FeatureSymbol[]) {}

  /** Some strategy asked for a feature set (else the hot path skips the feature plane). */
  get active(): boolean {
    return this.engines.length > 0;
  }

  /** The engine of a registered set, created on first request. Throws a UserError for an unknown set. */
  require(setId: string): FeatureEngine {
    const found = this.engines.find((e) => e.set.id === setId);
    if (found !== undefined) return found;
    const engine = new FeatureEngine(featureSet(setId), this.symbols);
    this.engines.push(engine);
    return engine;
  }

  /** The symbol's book changed (end of an LOB message, book valid). */
  onBook(symbolId: number, book: OrderBook, exchTs: number): void {
    const e = this.engines;
    for (let i = 0; i < e.length; i++) e[i].update(symbolId, book, exchTs);
  }

  onTrade(symbolId: number, qty: number, aggressor: Side | 0, exchTs: number): void {
    const e = this.engines;
    for (let i = 0; i < e.length; i++) e[i].onTrade(symbolId, qty, aggressor, exchTs);
  }

  /** The symbol's book was cleared: its features warm up again. */
  reset(symbolId: number): void {
    const e = this.engines;
    for (let i = 0; i < e.length; i++) e[i].reset(symbolId);
  }
}
