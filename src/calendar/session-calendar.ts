import type { Exchange } from '../contracts/symbols.ts';

/**
 * Trading sessions of an exchange and their phases, in the exchange's local time:
 * - `pre_open`: orders accepted, no matching; the exchange publishes indicative prices and books
 *   (a call auction's simulation), which are not trades;
 * - `open`: continuous trading, opened by the call auction's match at its first instant;
 * - `closing_call`: the closing call auction (orders accepted, indicative prices, one match at the
 *   session's close);
 * - `closed`: outside every session.
 *
 * What it does not know: holidays, typhoon closures and other unscheduled halts (a weekday
 * holiday reads as a normal session), special sessions (the TAIFEX delivery-month contract's
 * last trading day closes at 13:30), products with other hours (TAIFEX FX, gold, equity products'
 * after-hours session from 17:25), TWSE's after-hours fixed-price and odd-lot sessions, and
 * intraday halts. Taiwan has no daylight saving time: Asia/Taipei is UTC+8 all year.
 */
export type Phase = 'closed' | 'pre_open' | 'open' | 'closing_call';

/** One session: local times as minutes after midnight; `close` below `open` runs past midnight. */
export interface SessionRule {
  name: string;
  preOpen: number;
  open: number;
  /** Start of the closing call auction (absent: the session ends in continuous trading). */
  closingCall?: number;
  close: number;
}

export interface MarketCalendar {
  market: Exchange;
  timeZone: string;
  /** Minutes east of UTC (fixed: the markets here keep no daylight saving time). */
  utcOffsetMin: number;
  /** Sessions by local start; each starts on a trading day (Monday to Friday). */
  sessions: readonly SessionRule[];
}

const hm = (h: number, m: number) => h * 60 + m;

/**
 * TAIFEX index futures and options (TX, MTX, TMF, TXO): the regular session 08:45-13:45 after a
 * pre-open from 08:30, the after-hours session 15:00-05:00 (next day) after a pre-open from 14:50.
 * The regular session has no closing auction (the settlement price is the last minute's VWAP).
 */
export const TAIFEX: MarketCalendar = {
  market: 'TAIFEX',
  timeZone: 'Asia/Taipei',
  utcOffsetMin: 480,
  sessions: [
    { name: 'regular', preOpen: hm(8, 30), open: hm(8, 45), close: hm(13, 45) },
    { name: 'after-hours', preOpen: hm(14, 50), open: hm(15, 0), close: hm(5, 0) },
  ],
};

/** TWSE stocks: pre-open from 08:30, continuous 09:00-13:25, closing call auction 13:25-13:30. */
export const TWSE: MarketCalendar = {
  market: 'TWSE',
  timeZone: 'Asia/Taipei',
  utcOffsetMin: 480,
  sessions: [
    { name: 'regular', preOpen: hm(8, 30), open: hm(9, 0), closingCall: hm(13, 25), close: hm(13, 30) },
  ],
};

/** The calendar of an exchange, or null where none is known (its data keeps every print). */
export function calendarFor(exchange: Exchange): MarketCalendar | null {
  if (exchange === 'TAIFEX') return TAIFEX;
  if (exchange === 'TWSE' || exchange === 'TPEX') return { ...TWSE, market: exchange };
  return null;
}

const MS_PER_MIN = 60_000;
const MIN_PER_DAY = 1440;

/** The phase at `ms` (ms since 1970, UTC) and the session it belongs to (null when closed). */
export function phaseAt(cal: MarketCalendar, ms: number): { phase: Phase; session: SessionRule | null } {
  const local = Math.floor(ms / MS_PER_MIN) + cal.utcOffsetMin; // minutes since 1970-01-01 local
  const day = Math.floor(local / MIN_PER_DAY);
  const min = local - day * MIN_PER_DAY;
  for (const s of cal.sessions) {
    const overnight = s.close < s.preOpen;
    // A time after midnight belongs to the session that started the day before.
    const startDay = overnight && min < s.close ? day - 1 : day;
    if (!isTradingDay(startDay)) continue;
    const t = overnight && min < s.close ? min + MIN_PER_DAY : min;
    const close = overnight ? s.close + MIN_PER_DAY : s.close;
    if (t < s.preOpen || t >= close) continue;
    if (t < s.open) return { phase: 'pre_open', session: s };
    if (s.closingCall !== undefined && t >= s.closingCall) return { phase: 'closing_call', session: s };
    return { phase: 'open', session: s };
  }
  return { phase: 'closed', session: null };
}

/** True for an auction phase (pre-open, closing call): prices published then are indicative. */
export function isCallAuction(phase: Phase): boolean {
  return phase === 'pre_open' || phase === 'closing_call';
}

/** Monday to Friday; `day` counts days since 1970-01-01 (a Thursday). */
function isTradingDay(day: number): boolean {
  const weekday = (((day + 4) % 7) + 7) % 7; // 0 Sunday
  return weekday >= 1 && weekday <= 5;
}

/** "08:30-08:45, 14:50-15:00" — the calendar's call-auction windows, for messages. */
export function auctionWindows(cal: MarketCalendar): string {
  const t = (m: number) =>
    `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const out: string[] = [];
  for (const s of cal.sessions) {
    out.push(`${t(s.preOpen)}-${t(s.open)}`);
    if (s.closingCall !== undefined) out.push(`${t(s.closingCall)}-${t(s.close)}`);
  }
  return `${out.join(', ')} ${cal.timeZone}`;
}
