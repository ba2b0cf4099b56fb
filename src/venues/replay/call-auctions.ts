import { isCallAuction, type MarketCalendar, phaseAt } from '../../calendar/session-calendar.ts';
import { MdKind } from '../../contracts/market.ts';
import { EV_INDICATIVE, type EventColumns } from './event-columns.ts';

/** Events (and trades among them) that a calendar puts in a call auction. */
export interface AuctionCounts {
  events: number;
  trades: number;
}

/**
 * Flags EV_INDICATIVE on every event whose exchange time falls in a call-auction phase of `cal`
 * (pre-open, closing call): TAIFEX publishes simulated matches and books from 08:30 and 14:50 that
 * would otherwise fill resting orders in a backtest. The phase is looked up once per minute of data.
 * With `mark` false it only counts.
 */
export function markCallAuctions(c: EventColumns, cal: MarketCalendar, mark = true): AuctionCounts {
  const counts = { events: 0, trades: 0 };
  let minute = Number.NaN;
  let auction = false;
  for (let i = 0; i < c.n; i++) {
    const ms = c.epoch.toMs(c.exchTs[i]);
    const m = Math.floor(ms / 60_000);
    if (m !== minute) {
      minute = m;
      auction = isCallAuction(phaseAt(cal, ms).phase);
    }
    if (!auction) continue;
    if (mark) c.flags[i] |= EV_INDICATIVE;
    counts.events++;
    if (c.kind[i] === MdKind.Trade) counts.trades++;
  }
  return counts;
}

/** Counts the events already flagged EV_INDICATIVE. */
export function countIndicative(c: EventColumns): AuctionCounts {
  const counts = { events: 0, trades: 0 };
  for (let i = 0; i < c.n; i++) {
    if ((c.flags[i] & EV_INDICATIVE) === 0) continue;
    counts.events++;
    if (c.kind[i] === MdKind.Trade) counts.trades++;
  }
  return counts;
}
