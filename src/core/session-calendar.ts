import type { Exchange } from '../contracts/symbols.ts';

/**
 * Trading sessions of the exchanges that have them, in Taipei time (UTC+8, no daylight saving):
 * TAIFEX day 08:45-13:45 and night 15:00-05:00 (next morning), Monday to Friday (the Friday night
 * session ends Saturday 05:00); TWSE and TPEx 09:00-13:30, Monday to Friday. Binance (and the
 * other venues) trade around the clock. Exchange holidays are not modelled: a holiday is a
 * session in which the venue rejects orders.
 */
export interface Session {
  name: string;
  /** Session bounds, epoch ms (start inclusive, end exclusive). */
  startMs: number;
  endMs: number;
}

const TPE_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
const HM = (h: number, m: number) => (h * 60 + m) * 60_000;

interface Window {
  name: string;
  /** Offset from Taipei midnight of the trading day, ms (end may pass midnight). */
  from: number;
  to: number;
}

const WINDOWS: Partial<Record<Exchange, readonly Window[]>> = {
  TAIFEX: [
    { name: 'day', from: HM(8, 45), to: HM(13, 45) },
    { name: 'night', from: HM(15, 0), to: HM(24 + 5, 0) },
  ],
  TWSE: [{ name: 'day', from: HM(9, 0), to: HM(13, 30) }],
  TPEX: [{ name: 'day', from: HM(9, 0), to: HM(13, 30) }],
};

/** True when the exchange trades in sessions (orders outside one are refused). */
export function hasSessions(exchange: Exchange): boolean {
  return WINDOWS[exchange] !== undefined;
}

/** The session open at `ms` (epoch ms), or null when the exchange is closed; always open without sessions. */
export function sessionAt(exchange: Exchange, ms: number): Session | null {
  const ws = WINDOWS[exchange];
  if (ws === undefined) return { name: 'continuous', startMs: -Infinity, endMs: Infinity };
  const local = ms + TPE_OFFSET_MS;
  const dayStart = local - (((local % DAY_MS) + DAY_MS) % DAY_MS);
  // Today's sessions, and yesterday's that run past midnight.
  for (const base of [dayStart, dayStart - DAY_MS]) {
    // 1970-01-01 was a Thursday: 0 = Sunday.
    const weekday = (Math.floor(base / DAY_MS) + 4) % 7;
    if (weekday === 0 || weekday === 6) continue;
    for (const w of ws) {
      const s = base + w.from;
      const e = base + w.to;
      if (local >= s && local < e)
        return { name: w.name, startMs: s - TPE_OFFSET_MS, endMs: e - TPE_OFFSET_MS };
    }
  }
  return null;
}
