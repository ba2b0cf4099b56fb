import type { RawBidAsk, RawTick } from '../../contracts/venue.ts';
import type { Epoch, Nanos } from '../../core/clock.ts';
import { FIELD, TAIPEI_OFFSET_MS } from './protocol.ts';

/** Counters of quote payloads the decoder refused (the normalizer checks values further). */
export interface QuoteCounters {
  bidask: number;
  tick: number;
  /** `simtrade: true` (pre-open trial match): not the market, skipped (reference §7.3). */
  simtrade: number;
  /** Unknown concrete code (a symbol we did not subscribe). */
  unknownCode: number;
  /** Not an object, or a missing/unusable `date`/`time`/price field. */
  malformed: number;
}

interface Slot {
  bidask: RawBidAsk;
  tick: RawTick;
}

/**
 * Shioaji SSE quote JSON (`bidask_fop`, `tick_fop`, `bidask_stk`, `tick_stk`) -> the platform's
 * RawBidAsk / RawTick, into one reused object per symbol and kind (consumers copy what they keep).
 * Decimal strings become numbers (the normalizer scales and checks them); `date` + `time` (Taipei
 * wall time, µs) become exchange ns on the run's epoch, computed from a cached day start. Stock
 * board-lot volumes are lots on the wire and shares here (`lot` per code).
 */
export class QuoteDecoder {
  readonly counters: QuoteCounters = { bidask: 0, tick: 0, simtrade: 0, unknownCode: 0, malformed: 0 };
  private readonly slots = new Map<string, Slot>();
  private readonly lots = new Map<string, number>();
  private dayKey = '';
  private dayNs = 0;

  constructor(
    private readonly epoch: Epoch,
    readonly levels = 5,
  ) {}

  /** Maps a concrete code (as the server sends it) to our symbol code; `lot` = shares per volume unit. */
  add(concreteCode: string, ourCode: string, lot: number): void {
    const n = this.levels;
    this.slots.set(concreteCode, {
      bidask: {
        type: 'bidask',
        code: ourCode,
        ts: 0,
        bidPrice: new Array<number>(n).fill(0),
        bidVolume: new Array<number>(n).fill(0),
        askPrice: new Array<number>(n).fill(0),
        askVolume: new Array<number>(n).fill(0),
      },
      tick: { type: 'tick', code: ourCode, ts: 0, close: 0, volume: 0, tickType: 0 },
    });
    this.lots.set(concreteCode, lot);
  }

  /** A `bidask_*` payload -> the symbol's RawBidAsk, or null (counted). Missing levels are 0/0. */
  bidask(m: Record<string, unknown>, intradayOddAsShares = true): RawBidAsk | null {
    const slot = this.slotOf(m);
    if (slot === null) return null;
    const ts = this.time(m);
    const bp = m.bid_price;
    const bv = m.bid_volume;
    const ap = m.ask_price;
    const av = m.ask_volume;
    if (
      Number.isNaN(ts) ||
      !Array.isArray(bp) ||
      !Array.isArray(bv) ||
      !Array.isArray(ap) ||
      !Array.isArray(av)
    ) {
      this.counters.malformed++;
      return null;
    }
    const q = slot.bidask;
    const lot = m.intraday_odd === true && intradayOddAsShares ? 1 : (this.lots.get(m.code as string) ?? 1);
    for (let i = 0; i < this.levels; i++) {
      // A short array is an empty level (padding UNCONFIRMED: "0"/0 or shorter arrays).
      q.bidPrice[i] = i < bp.length ? Number(bp[i]) : 0;
      q.bidVolume[i] = i < bv.length ? (bv[i] as number) * lot : 0;
      q.askPrice[i] = i < ap.length ? Number(ap[i]) : 0;
      q.askVolume[i] = i < av.length ? (av[i] as number) * lot : 0;
    }
    q.ts = ts;
    this.counters.bidask++;
    return q;
  }

  /** A `tick_*` payload -> the symbol's RawTick, or null (counted). */
  tick(m: Record<string, unknown>): RawTick | null {
    const slot = this.slotOf(m);
    if (slot === null) return null;
    const ts = this.time(m);
    const close = Number(m.close);
    if (Number.isNaN(ts) || Number.isNaN(close) || typeof m.volume !== 'number') {
      this.counters.malformed++;
      return null;
    }
    const t = slot.tick;
    const lot = m.intraday_odd === true ? 1 : (this.lots.get(m.code as string) ?? 1);
    t.ts = ts;
    t.close = close;
    t.volume = m.volume * lot;
    const tt = m.tick_type;
    t.tickType = tt === 1 ? 1 : tt === 2 ? 2 : 0;
    this.counters.tick++;
    return t;
  }

  /** The cumulative volume of a tick, under either spelling (reference §7.3/§7.5). */
  static totalVolume(m: Record<string, unknown>): number {
    for (const k of FIELD.totalVolume) if (typeof m[k] === 'number') return m[k] as number;
    return Number.NaN;
  }

  private slotOf(m: Record<string, unknown>): Slot | null {
    if (m === null || typeof m !== 'object') {
      this.counters.malformed++;
      return null;
    }
    if (m.simtrade === true) {
      this.counters.simtrade++;
      return null;
    }
    const slot = this.slots.get(m.code as string);
    if (slot === undefined) {
      this.counters.unknownCode++;
      return null;
    }
    return slot;
  }

  /** `date` "2026-04-08" + `time` "09:01:02.123456" (Taipei) -> ns on the epoch; NaN when unusable. */
  time(m: Record<string, unknown>): Nanos {
    const date = m.date;
    const time = m.time;
    if (typeof date !== 'string' || typeof time !== 'string' || time.length < 8) return Number.NaN;
    if (date !== this.dayKey) {
      const y = Number(date.slice(0, 4));
      const mo = Number(date.slice(5, 7));
      const d = Number(date.slice(8, 10));
      const ms = Date.UTC(y, mo - 1, d) - TAIPEI_OFFSET_MS;
      if (date.length !== 10 || Number.isNaN(ms)) return Number.NaN;
      this.dayKey = date;
      this.dayNs = this.epoch.fromMs(ms);
    }
    const h = digits2(time, 0);
    const mi = digits2(time, 3);
    const s = digits2(time, 6);
    let frac = 0;
    let scale = 1e9;
    if (time.length > 9 && time.charCodeAt(8) === 46) {
      for (let i = 9; i < time.length && i < 18; i++) {
        const c = time.charCodeAt(i) - 48;
        if (c < 0 || c > 9) return Number.NaN;
        scale /= 10;
        frac += c * scale;
      }
    }
    const sec = h * 3600 + mi * 60 + s;
    return Number.isNaN(sec) ? Number.NaN : this.dayNs + sec * 1e9 + Math.round(frac);
  }
}

function digits2(s: string, at: number): number {
  const a = s.charCodeAt(at) - 48;
  const b = s.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}

/** ns on `epoch` -> Taipei `date` and `time` strings as the server sends them (the fake server, tests). */
export function taipeiDateTime(absNs: bigint): { date: string; time: string } {
  const ms = Number(absNs / 1_000_000n) + TAIPEI_OFFSET_MS;
  const d = new Date(ms);
  const us = Number((absNs / 1000n) % 1_000_000n);
  const p2 = (x: number) => String(x).padStart(2, '0');
  return {
    date: `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`,
    time: `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${String(us).padStart(6, '0')}`,
  };
}
