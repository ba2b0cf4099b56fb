import { type ClearEvent, MdKind, type Side } from '../contracts/market.ts';
import { LobEngine } from '../lob/lob-engine.ts';
import { EV_LAST, type EventColumns } from '../venues/replay/event-columns.ts';
import type { FeatureEngine } from './feature-engine.ts';

/** What the replay drives: a FeatureEngine, or a stand-in with its three inputs (benchmarks). */
export type FeatureSink = Pick<FeatureEngine, 'update' | 'onTrade' | 'reset'>;

/** What produced a row: a book update, a trade, or a book clear (features restart). */
export const ROW_BOOK = 1;
export const ROW_TRADE = 2;
export const ROW_RESET = 3;
export type RowKind = typeof ROW_BOOK | typeof ROW_TRADE | typeof ROW_RESET;

export interface ReplayCounts {
  books: number;
  trades: number;
  resets: number;
}

/**
 * Runs one symbol's recorded events through the LOB and a FeatureEngine (symbol id 0), in file
 * order, as the runtime does: a book update once per exchange message, after the message's last
 * level event; trades where they occur; a Clear restarts the features. `onRow(kind, i)` is called
 * after each, with i the event's index in `c` (read exchTs etc. from `c`, the book from `lob`).
 */
export function replayFeatures(
  c: EventColumns,
  engine: FeatureSink,
  onRow: ((kind: RowKind, i: number) => void) | null = null,
  lob: LobEngine = new LobEngine(1),
): ReplayCounts {
  const counts: ReplayCounts = { books: 0, trades: 0, resets: 0 };
  lob.setRepair(0, c.repairCrossed);
  const clear: ClearEvent = { kind: MdKind.Clear, symbolId: 0, exchTs: 0, localTs: 0, seq: 0 };
  const book = lob.book(0);
  let lastLevel = -1;
  let msgEnd = -1;
  for (let i = 0; i < c.n; i++) {
    if (i > msgEnd) {
      // A message may end with a trade: its book update goes after its last level event.
      msgEnd = i;
      while (msgEnd < c.n - 1 && (c.flags[msgEnd] & EV_LAST) === 0) msgEnd++;
      lastLevel = -1;
      for (let j = i; j <= msgEnd; j++) if (c.kind[j] === MdKind.Level) lastLevel = j;
    }
    const kind = c.kind[i];
    const ts = c.exchTs[i];
    if (kind === MdKind.Level) {
      if (lob.applyLevel(0, c.side[i], c.price[i], c.qty[i], i === lastLevel, ts, c.localTs[i])) {
        engine.update(0, book, ts);
        counts.books++;
        onRow?.(ROW_BOOK, i);
      }
    } else if (kind === MdKind.Trade) {
      engine.onTrade(0, c.qty[i], c.side[i] as Side | 0, ts);
      counts.trades++;
      onRow?.(ROW_TRADE, i);
    } else if (kind === MdKind.Clear) {
      clear.exchTs = ts;
      clear.localTs = c.localTs[i];
      lob.apply(clear);
      engine.reset(0);
      counts.resets++;
      onRow?.(ROW_RESET, i);
    }
  }
  return counts;
}
