import { type DepthEvent, MdKind, type TradeEvent } from '../contracts/market.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { RawQuote } from '../contracts/venue.ts';

export interface NormalizerCounters {
  depth: number;
  trade: number;
  unknownSymbol: number;
  malformed: number;
  outOfOrder: number;
}

/**
 * Broker quote payload (decimal prices, symbol codes) -> MarketEvent with scaled prices.
 * Reuses one event object per symbol and kind: consumers must copy what they keep.
 * Bad payloads are counted and return null; the loop keeps running.
 */
export class Normalizer {
  private readonly byCode = new Map<string, SymbolSpec>();
  private readonly depth: DepthEvent[] = [];
  private readonly trade: TradeEvent[] = [];
  private readonly lastTs: number[] = [];
  private readonly seq: number[] = [];
  readonly counters: NormalizerCounters = {
    depth: 0,
    trade: 0,
    unknownSymbol: 0,
    malformed: 0,
    outOfOrder: 0,
  };

  constructor(
    readonly symbols: readonly SymbolSpec[],
    readonly maxLevels: number,
    private readonly now: () => number,
  ) {
    for (const s of symbols) {
      this.byCode.set(s.code, s);
      const mk = () => new Float64Array(maxLevels);
      this.depth[s.id] = {
        kind: MdKind.Depth,
        symbolId: s.id,
        exchTs: 0,
        localTs: 0,
        seq: 0,
        levels: 0,
        bidPx: mk(),
        bidQty: mk(),
        askPx: mk(),
        askQty: mk(),
      };
      this.trade[s.id] = {
        kind: MdKind.Trade,
        symbolId: s.id,
        exchTs: 0,
        localTs: 0,
        seq: 0,
        price: 0,
        qty: 0,
        aggressor: 0,
      };
      this.lastTs[s.id] = 0;
      this.seq[s.id] = 0;
    }
  }

  normalize(q: RawQuote): DepthEvent | TradeEvent | null {
    const spec = this.byCode.get(q.code);
    if (spec === undefined) {
      this.counters.unknownSymbol++;
      return null;
    }
    if (!(q.ts > 0)) {
      this.counters.malformed++;
      return null;
    }
    const id = spec.id;
    if (q.ts < this.lastTs[id]) this.counters.outOfOrder++;
    else this.lastTs[id] = q.ts;
    const scale = spec.priceScale;
    if (q.type === 'bidask') {
      const ev = this.depth[id];
      const n = Math.min(q.bidPrice.length, q.askPrice.length, this.maxLevels);
      if (q.bidVolume.length < n || q.askVolume.length < n) {
        this.counters.malformed++;
        return null;
      }
      for (let i = 0; i < n; i++) {
        const bp = Math.round(q.bidPrice[i] * scale);
        const bv = q.bidVolume[i];
        const ap = Math.round(q.askPrice[i] * scale);
        const av = q.askVolume[i];
        // Empty levels are 0/0; anything negative or non-finite is a broken payload.
        if (!(bp >= 0 && bv >= 0 && ap >= 0 && av >= 0) || (bv > 0 && bp === 0) || (av > 0 && ap === 0)) {
          this.counters.malformed++;
          return null;
        }
        ev.bidPx[i] = bp;
        ev.bidQty[i] = bv;
        ev.askPx[i] = ap;
        ev.askQty[i] = av;
      }
      ev.levels = n;
      ev.exchTs = q.ts;
      ev.localTs = this.now();
      ev.seq = ++this.seq[id];
      this.counters.depth++;
      return ev;
    }
    if (q.type === 'tick') {
      const price = Math.round(q.close * scale);
      if (!(price > 0 && q.volume > 0)) {
        this.counters.malformed++;
        return null;
      }
      const ev = this.trade[id];
      ev.price = price;
      ev.qty = q.volume;
      ev.aggressor = q.tickType === 1 ? 1 : q.tickType === 2 ? -1 : 0;
      ev.exchTs = q.ts;
      ev.localTs = this.now();
      ev.seq = ++this.seq[id];
      this.counters.trade++;
      return ev;
    }
    this.counters.malformed++;
    return null;
  }
}
