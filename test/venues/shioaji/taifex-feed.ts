import { MdKind } from '../../../src/contracts/market.ts';
import { LobEngine } from '../../../src/lob/lob-engine.ts';
import type { EventColumns } from '../../../src/venues/replay/event-columns.ts';

/** One exchange message of a recording as Shioaji would publish it: trades, then the 5-level book if it changed. */
export interface FeedMessage {
  /** Index range [start, end) of the message's events in the columns. */
  start: number;
  end: number;
  /** Exchange time, ns on the columns' epoch. */
  ts: number;
  /** Trades of the message: scaled price, qty, 1 buy / 2 sell initiated. */
  trades: { price: number; qty: number; tickType: 0 | 1 | 2 }[];
  /** Top levels after the message (scaled), or null when the book did not change (or is crossed, awaiting repair). */
  book: { bidPx: number[]; bidQty: number[]; askPx: number[]; askQty: number[] } | null;
}

/**
 * The replay reader's book over recorded TAIFEX diffs (the platform's LobEngine, with the crossed-book
 * repair the replay applies to this data), sampled at every message end where it changed: what the
 * fake server publishes as `bidask_fop`, and the truth the adapter's book is compared with.
 */
export function feedMessages(
  c: EventColumns,
  levels = 5,
  maxMessages = Number.POSITIVE_INFINITY,
): FeedMessage[] {
  const lob = new LobEngine(1);
  lob.setRepair(0, c.repairCrossed);
  const out: FeedMessage[] = [];
  const header = { kind: MdKind.Clear, symbolId: 0, exchTs: 0, localTs: 0, seq: 0 } as const;
  let start = 0;
  for (let i = 0; i < c.n && out.length < maxMessages; i++) {
    const last = i === c.n - 1 || c.exchTs[i + 1] !== c.exchTs[i];
    if (!last) continue;
    const trades: FeedMessage['trades'] = [];
    let changed = false;
    let levelsSet = false;
    for (let k = start; k <= i; k++) {
      const kind = c.kind[k];
      if (kind === MdKind.Trade)
        trades.push({
          price: c.price[k],
          qty: c.qty[k],
          tickType: c.side[k] > 0 ? 1 : c.side[k] < 0 ? 2 : 0,
        });
      else if (kind === MdKind.Clear) {
        lob.apply({ ...header, exchTs: c.exchTs[k], localTs: c.localTs[k] }, false);
        levelsSet = true;
      } else if (kind === MdKind.Level) {
        lob.setLevel(0, c.side[k], c.price[k], c.qty[k]);
        levelsSet = true;
      }
    }
    if (levelsSet)
      changed = lob.endLevels({ symbolId: 0, seq: 0, exchTs: c.exchTs[i], localTs: c.localTs[i] });
    let book: FeedMessage['book'] = null;
    if (changed) {
      const b = lob.book(0);
      book = { bidPx: [], bidQty: [], askPx: [], askQty: [] };
      for (let k = 0; k < levels; k++) {
        book.bidPx.push(b.price(1, k));
        book.bidQty.push(b.qty(1, k));
        book.askPx.push(b.price(-1, k));
        book.askQty.push(b.qty(-1, k));
      }
    }
    out.push({ start, end: i + 1, ts: c.exchTs[i], trades, book });
    start = i + 1;
  }
  return out;
}
