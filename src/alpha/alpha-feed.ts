import type { LobStats } from '../contracts/market.ts';
import type { FeatureView } from '../features/feature-engine.ts';
import type { OrderBook } from '../lob/order-book.ts';
import { type Alpha, type AlphaEvent, EVENT_BOOK, EVENT_TRADE } from './sdk.ts';

/**
 * Turns the runtime's book stats and trades into AlphaEvents and hands them to one alpha. The
 * research path (signal-path.ts) and the alpha strategy (alpha-strategy.ts) both feed an alpha
 * through this class, so every input an alpha sees is computed by the same code in both.
 */
export class AlphaFeed {
  readonly ev: AlphaEvent;
  private prevMid = Number.NaN;

  constructor(
    readonly alpha: Alpha,
    book: OrderBook,
    features: FeatureView | null,
  ) {
    this.ev = {
      kind: 0,
      exchTs: 0,
      localTs: 0,
      bidPx: 0,
      askPx: 0,
      bidQty: 0,
      askQty: 0,
      mid: Number.NaN,
      spread: 0,
      imbalance: 0,
      bidDepth: 0,
      askDepth: 0,
      midReturn: 0,
      tradePx: 0,
      tradeQty: 0,
      tradeSide: 0,
      book,
      features,
    };
  }

  /** The book changed (end of an exchange message); returns the alpha's signal. */
  book(st: Readonly<LobStats>): number {
    const ev = this.ev;
    ev.kind = EVENT_BOOK;
    ev.exchTs = st.exchTs;
    ev.localTs = st.localTs;
    ev.bidPx = st.bestBid;
    ev.askPx = st.bestAsk;
    ev.bidQty = st.bestBidQty;
    ev.askQty = st.bestAskQty;
    ev.mid = st.mid;
    ev.spread = st.spread;
    ev.imbalance = st.imbalance;
    ev.bidDepth = st.bidDepth;
    ev.askDepth = st.askDepth;
    const prev = this.prevMid;
    ev.midReturn = prev > 0 && st.mid > 0 ? Math.log(st.mid / prev) : 0;
    if (st.mid > 0) this.prevMid = st.mid;
    return this.step();
  }

  /** A trade print (aggressor side +1, −1, 0 unknown); returns the alpha's signal. */
  trade(exchTs: number, localTs: number, price: number, qty: number, side: number): number {
    const ev = this.ev;
    ev.kind = EVENT_TRADE;
    ev.exchTs = exchTs;
    ev.localTs = localTs;
    ev.tradePx = price;
    ev.tradeQty = qty;
    ev.tradeSide = side;
    ev.midReturn = 0;
    return this.step();
  }

  private step(): number {
    const a = this.alpha;
    const s = a.update(this.ev);
    a.lastSignal = s;
    return s;
  }
}
