import { type DepthEvent, type MarketEvent, MdKind, type TradeEvent } from '../contracts/market.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { RawQuote } from '../contracts/venue.ts';

export interface NormalizerCounters {
  /** Accepted broker depth and tick payloads. */
  depth: number;
  trade: number;
  unknownSymbol: number;
  /** Structurally broken: not an object, missing/short arrays, non-finite or beyond-2^53 numbers, off-grid prices, unsorted levels, unknown type or kind. */
  malformed: number;
  /** Zero or negative prices or sizes where they must be positive. */
  badValue: number;
  /** Exchange time (or sequence number) went back for a symbol, per stream (book / trades). */
  outOfOrder: number;
  /** Out-of-order full-book snapshots dropped (applying them would regress the book). */
  staleDropped: number;
  /** Sequence numbers skipped (sum of the sizes of the gaps). */
  seqGaps: number;
  /**
   * Broker payloads whose exchange time lies more than an hour ahead of their receive time: a broken
   * value (one would make every later depth snapshot look stale), refused. A time behind it, however
   * far, is a time: zero and negative ones too (before the run's epoch; see `normalize`).
   */
  badTime: number;
}

/** How far a broker's exchange time may run ahead of our receive clock before it is not a time. */
const MAX_AHEAD_NS = 3600e9;

/**
 * Market-data entry checks of the feed plane.
 * - `normalize`: broker quote payload (decimal prices, symbol codes) -> MarketEvent with scaled prices.
 *   Reuses one event object per symbol and kind: consumers must copy what they keep.
 * - `check`: an already-normalized event (replay, L2 adapters): symbol, trade values, ordering.
 * Bad input is counted and refused (null / false); nothing throws, so the loop keeps running.
 * Out-of-order depth snapshots are dropped; out-of-order trades and level updates are counted and
 * kept (they cannot be reordered after the fact). Book values of normalized events are checked by
 * the LOB, which refuses them without losing the message boundary.
 */
export class Normalizer {
  private readonly byCode = new Map<string, SymbolSpec>();
  private readonly depth: DepthEvent[] = [];
  private readonly trade: TradeEvent[] = [];
  /** 1 for symbol ids this normalizer knows. */
  private readonly known: Uint8Array;
  private readonly lastBookTs: Float64Array;
  private readonly lastTradeTs: Float64Array;
  private readonly lastSeq: Float64Array;
  private readonly seq: Float64Array;
  readonly counters: NormalizerCounters = {
    depth: 0,
    trade: 0,
    unknownSymbol: 0,
    malformed: 0,
    badValue: 0,
    outOfOrder: 0,
    staleDropped: 0,
    seqGaps: 0,
    badTime: 0,
  };

  constructor(
    readonly symbols: readonly SymbolSpec[],
    readonly maxLevels: number,
    private readonly now: () => number,
  ) {
    const n = symbols.reduce((m, s) => Math.max(m, s.id + 1), 0);
    this.known = new Uint8Array(n);
    this.lastBookTs = new Float64Array(n);
    this.lastTradeTs = new Float64Array(n);
    this.lastSeq = new Float64Array(n);
    this.seq = new Float64Array(n);
    for (const s of symbols) {
      this.byCode.set(s.code, s);
      this.known[s.id] = 1;
      // No time yet: the first one is in order, whatever its sign.
      this.lastBookTs[s.id] = Number.NEGATIVE_INFINITY;
      this.lastTradeTs[s.id] = Number.NEGATIVE_INFINITY;
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
    }
  }

  /**
   * Broker payload -> event, or null when refused (counted). Its time may be zero or negative: a live
   * run's epoch is the UTC midnight before the process started, and a broker's quote from before it
   * is a quote (Shioaji's are dated in Taipei time, 8 h ahead: one from 07:59 Taipei is -1 min on a
   * run started at 08:01; the fake server's recorded days end now and start the UTC day before).
   */
  normalize(q: RawQuote): DepthEvent | TradeEvent | null {
    if (q === null || typeof q !== 'object') {
      this.counters.malformed++;
      return null;
    }
    const spec = this.byCode.get(q.code);
    if (spec === undefined) {
      this.counters.unknownSymbol++;
      return null;
    }
    if (!Number.isFinite(q.ts)) {
      this.counters.malformed++;
      return null;
    }
    const now = this.now();
    if (q.ts - now > MAX_AHEAD_NS) {
      this.counters.badTime++;
      return null;
    }
    if (q.type === 'bidask') return this.depthOf(q, spec, now);
    if (q.type === 'tick') return this.tradeOf(q, spec, now);
    this.counters.malformed++;
    return null;
  }

  /**
   * Checks an already-normalized event: known symbol, positive integer trade price and size, known
   * kind; counts out-of-order times and sequence gaps. False = drop the event (counted).
   */
  check(ev: MarketEvent): boolean {
    const id = ev.symbolId;
    const ts = ev.exchTs;
    if (!this.validHeader(id, ts)) return false;
    switch (ev.kind) {
      case MdKind.Trade: {
        const { price, qty, aggressor } = ev;
        if (
          !(
            Number.isSafeInteger(price) &&
            Number.isSafeInteger(qty) &&
            (aggressor === 0 || aggressor === 1 || aggressor === -1)
          )
        ) {
          this.counters.malformed++;
          return false;
        }
        if (!(price > 0 && qty > 0)) {
          this.counters.badValue++;
          return false;
        }
        if (ts < this.lastTradeTs[id]) this.counters.outOfOrder++;
        else this.lastTradeTs[id] = ts;
        break;
      }
      case MdKind.Depth:
        if (ts < this.lastBookTs[id]) {
          this.counters.outOfOrder++;
          this.counters.staleDropped++;
          return false;
        }
        this.lastBookTs[id] = ts;
        break;
      case MdKind.Level:
      case MdKind.Clear:
        this.bookTs(id, ts);
        break;
      default:
        this.counters.malformed++;
        return false;
    }
    const seq = ev.seq;
    if (seq > 0) {
      const last = this.lastSeq[id];
      if (last > 0 && seq > last + 1) this.counters.seqGaps += seq - last - 1;
      else if (seq <= last) this.counters.outOfOrder++;
      if (seq > last) this.lastSeq[id] = seq;
    }
    return true;
  }

  /** `check` of a Level event given as values (replayed columns: no event object, seq 0). */
  checkLevel(id: number, ts: number): boolean {
    if (!this.validHeader(id, ts)) return false;
    this.bookTs(id, ts);
    return true;
  }

  /**
   * `checkLevel` of the `n` levels of one message at once (same symbol and time): counted as `n`
   * checks would be, true when each of them would pass.
   */
  checkLevels(id: number, ts: number, n: number): boolean {
    if (this.known[id] !== 1) {
      this.counters.unknownSymbol += n;
      return false;
    }
    if (!(Number.isFinite(ts) && ts > 0)) {
      this.counters.malformed += n;
      return false;
    }
    // The first level sets the time (or is counted out of order, and so is every level after it).
    if (ts < this.lastBookTs[id]) this.counters.outOfOrder += n;
    else this.lastBookTs[id] = ts;
    return true;
  }

  /** A known symbol and a usable exchange time; counts what is not. */
  private validHeader(id: number, ts: number): boolean {
    if (this.known[id] !== 1) {
      this.counters.unknownSymbol++;
      return false;
    }
    if (!(Number.isFinite(ts) && ts > 0)) {
      this.counters.malformed++;
      return false;
    }
    return true;
  }

  /** Incremental book events: an earlier time than the last one is counted, not dropped. */
  private bookTs(id: number, ts: number): void {
    if (ts < this.lastBookTs[id]) this.counters.outOfOrder++;
    else this.lastBookTs[id] = ts;
  }

  private depthOf(q: RawQuote & { type: 'bidask' }, spec: SymbolSpec, now: number): DepthEvent | null {
    const { bidPrice, bidVolume, askPrice, askVolume } = q;
    if (
      !(
        Array.isArray(bidPrice) &&
        Array.isArray(bidVolume) &&
        Array.isArray(askPrice) &&
        Array.isArray(askVolume)
      )
    ) {
      this.counters.malformed++;
      return null;
    }
    const id = spec.id;
    const ev = this.depth[id];
    const n = Math.min(bidPrice.length, askPrice.length, this.maxLevels);
    if (bidVolume.length < n || askVolume.length < n) {
      this.counters.malformed++;
      return null;
    }
    if (q.ts < this.lastBookTs[id]) {
      this.counters.outOfOrder++;
      this.counters.staleDropped++;
      return null;
    }
    const scale = spec.priceScale;
    let prevBid = 0;
    let prevAsk = 0;
    for (let i = 0; i < n; i++) {
      const bp = scaled(bidPrice[i], scale);
      const ap = scaled(askPrice[i], scale);
      const bv = bidVolume[i];
      const av = askVolume[i];
      // NaN (off-grid, non-numeric) or fractional sizes: broken payload.
      if (Number.isNaN(bp) || Number.isNaN(ap) || !Number.isSafeInteger(bv) || !Number.isSafeInteger(av)) {
        this.counters.malformed++;
        return null;
      }
      // Empty levels are 0/0; negative values, or a size without a price, are bad values.
      if (bp < 0 || ap < 0 || bv < 0 || av < 0 || (bv > 0 && bp === 0) || (av > 0 && ap === 0)) {
        this.counters.badValue++;
        return null;
      }
      // Non-empty levels must be strictly best-first.
      if (bv > 0) {
        if (prevBid !== 0 && bp >= prevBid) return this.unsorted();
        prevBid = bp;
      }
      if (av > 0) {
        if (prevAsk !== 0 && ap <= prevAsk) return this.unsorted();
        prevAsk = ap;
      }
      ev.bidPx[i] = bp;
      ev.bidQty[i] = bv;
      ev.askPx[i] = ap;
      ev.askQty[i] = av;
    }
    this.lastBookTs[id] = q.ts;
    ev.levels = n;
    ev.exchTs = q.ts;
    ev.localTs = now;
    ev.seq = ++this.seq[id];
    this.counters.depth++;
    return ev;
  }

  private tradeOf(q: RawQuote & { type: 'tick' }, spec: SymbolSpec, now: number): TradeEvent | null {
    const price = scaled(q.close, spec.priceScale);
    const tt = q.tickType;
    if (Number.isNaN(price) || !Number.isSafeInteger(q.volume) || !(tt === 0 || tt === 1 || tt === 2)) {
      this.counters.malformed++;
      return null;
    }
    if (!(price > 0 && q.volume > 0)) {
      this.counters.badValue++;
      return null;
    }
    const id = spec.id;
    if (q.ts < this.lastTradeTs[id]) this.counters.outOfOrder++;
    else this.lastTradeTs[id] = q.ts;
    const ev = this.trade[id];
    ev.price = price;
    ev.qty = q.volume;
    ev.aggressor = tt === 1 ? 1 : tt === 2 ? -1 : 0;
    ev.exchTs = q.ts;
    ev.localTs = now;
    ev.seq = ++this.seq[id];
    this.counters.trade++;
    return ev;
  }

  private unsorted(): null {
    this.counters.malformed++;
    return null;
  }
}

/** Decimal price -> scaled integer; NaN when not a number on the 1/scale grid within 2^53. */
function scaled(price: number, scale: number): number {
  if (typeof price !== 'number') return Number.NaN;
  const v = price * scale;
  const r = Math.round(v);
  return Number.isSafeInteger(r) && Math.abs(v - r) <= 1e-9 * Math.max(1, Math.abs(v)) ? r : Number.NaN;
}
