/**
 * The L3 book fed order by order from the shared L3 files must derive the same L2 book as the
 * readers' L2 events, at every message: CME ESH4 (Databento MBO, records decoded independently of
 * the reader) and NASDAQ AAPL (LOBSTER messages).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { MdKind } from '../../src/contracts/market.ts';
import { applyMbo } from '../../src/lob/mbo-actions.ts';
import { OrderBook } from '../../src/lob/order-book.ts';
import { OrderBookL3 } from '../../src/lob/order-book-l3.ts';
import { EV_LAST, EV_SNAPSHOT, type EventColumns } from '../../src/venues/replay/event-columns.ts';
import { readDbn } from '../../src/venues/replay/read-dbn.ts';
import { lobsterPair, readLobster } from '../../src/venues/replay/read-lobster.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';
import { decodeMbo, F_LAST, F_SNAPSHOT, type MboRecord } from '../venues/replay/dbn-file.ts';

/** First difference between every level of the L3 book's L2 view and an L2 book ('' when equal). */
function diff(l3: OrderBookL3, l2: OrderBook): string {
  for (const side of [1, -1] as const) {
    const a = side === 1 ? l3.bids : l3.asks;
    const n = Math.max(a.n, l2.levels(side));
    for (let k = 0; k < n; k++) {
      const p = k < a.n ? a.px[k] : 0;
      const q = k < a.n ? a.qty[k] : 0;
      if (p !== l2.price(side, k) || q !== l2.qty(side, k))
        return `${side === 1 ? 'bid' : 'ask'} level ${k}: L3 ${q}@${p}, L2 ${l2.qty(side, k)}@${l2.price(side, k)}`;
    }
  }
  return '';
}

/** Applies reader event i to an L2 book. */
function applyL2(l2: OrderBook, c: EventColumns, i: number): void {
  if (c.kind[i] === MdKind.Level) l2.setLevel(c.side[i] as 1 | -1, c.price[i], c.qty[i]);
  else if (c.kind[i] === MdKind.Clear) l2.clear();
}

const DBN_PRICE_DIV = 10_000_000n; // 1e-9 units -> the reader's price scale (x100)

function feedMbo(book: OrderBookL3, r: MboRecord): void {
  const id = r.orderId <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(r.orderId) : r.orderId;
  const side = r.side === 'B' ? 1 : r.side === 'A' ? -1 : 0;
  applyMbo(book, r.action.charCodeAt(0), id, side, Number(r.price / DBN_PRICE_DIV), r.size);
}

/** Replays the DBN file's records into the L3 book and the reader's events into an L2 book, comparing at every message. */
async function compareDbn(name: string) {
  const path = dataFile(name);
  const recs = decodeMbo(path);
  const data = await readDbn(path);
  assert.equal(data.rejects.total, 0, 'the reader drops no record of the shared file');
  const c = data.columns;
  const l2 = new OrderBook(0);
  const l3 = new OrderBookL3();
  const abs = (t: number) => c.epoch.toAbs(t);
  let next = 0;
  let j = 0;
  let messages = 0;
  let first = '';
  let differ = 0;
  let inSnapshot = false;
  for (let i = 0; i < c.n; i++) {
    applyL2(l2, c, i);
    if ((c.flags[i] & EV_LAST) === 0) continue;
    // The record that produced this event carries its two times; the message ends at its last record.
    const e = abs(c.exchTs[i]);
    const l = abs(c.localTs[i]);
    while (recs[j].tsEvent !== e || recs[j].tsRecv !== l) j++;
    while (
      (recs[j].flags & F_LAST) === 0 &&
      !((recs[j].flags & F_SNAPSHOT) !== 0 && (recs[j + 1]?.flags & F_SNAPSHOT) === 0)
    )
      j++;
    for (; next <= j; next++) {
      const r = recs[next];
      const snap = (r.flags & F_SNAPSHOT) !== 0;
      if (snap && !inSnapshot && r.action !== 'R') l3.clear(); // a snapshot replaces the book
      inSnapshot = snap;
      feedMbo(l3, r);
    }
    j++;
    messages++;
    const d = diff(l3, l2);
    if (d !== '' && differ++ === 0) first = `message ${messages}: ${d}`;
  }
  return { messages, differ, first, l3, l2 };
}

describe('L3 book vs the readers’ L2 events on the shared L3 files', requireData(), () => {
  // The 12-24 file is the resting book alone (one snapshot message of 8,725 adds).
  for (const [name, minMessages] of [
    ['esh4-glbx-mdp3-20231224.mbo.dbn.zst', 1],
    ['esh4-glbx-mdp3-20231225.mbo.dbn.zst', 47_000],
  ] as const) {
    test(`${name}: every level equal at every message`, async (t) => {
      const r = await compareDbn(name);
      assert.ok(r.messages >= minMessages, `messages compared: ${r.messages}`);
      assert.equal(r.differ, 0, `differs at ${r.differ} of ${r.messages} messages; first ${r.first}`);
      assert.ok(r.l3.orders(1) > 0 && r.l3.orders(-1) > 0);
      t.diagnostic(
        `${r.messages} messages equal; at the end ${r.l3.orders(1)} bid / ${r.l3.orders(-1)} ask orders on ${r.l3.bids.n} / ${r.l3.asks.n} levels`,
      );
    });
  }
});

/**
 * LOBSTER: the messages only name orders entered during the sample; liquidity resting from before
 * it (the reader's starting book and the levels its orderbook file reveals, flagged EV_SNAPSHOT)
 * is held in one placeholder order per level (negative id), which a message naming an unknown
 * order reduces. Every other change comes from the messages, order by order.
 */
function placeholderId(side: 1 | -1, price: number): number {
  return -(price * 2 + (side === 1 ? 1 : 0)) - 1;
}

/** Brings the level at `price` to `qty` through its placeholder; false when known orders exceed it. */
function setLevel(l3: OrderBookL3, side: 1 | -1, price: number, qty: number): boolean {
  const pid = placeholderId(side, price);
  const known = (side === 1 ? l3.bids : l3.asks).qtyAt(price) - l3.sizeOf(pid);
  const target = qty - known;
  if (target < 0) return false;
  if (l3.has(pid)) l3.modify(pid, price, target);
  else if (target > 0) l3.add(pid, side, price, target);
  return true;
}

/** Removes `size` of order `id` (or, unknown, of the level's placeholder). */
function reduce(
  l3: OrderBookL3,
  id: number,
  side: 1 | -1,
  price: number,
  size: number,
  whole: boolean,
): void {
  if (l3.has(id)) {
    if (whole) l3.remove(id);
    else l3.cancel(id, size);
  } else l3.cancel(placeholderId(side, price), size);
}

describe('L3 book vs the LOBSTER reader’s L2 events', requireData(), () => {
  test('AAPL sample: every level equal at every message', async (t) => {
    const path = dataFile('AAPL_2012-06-21_34200000_57600000_message_10.csv');
    const data = await readLobster(path);
    assert.equal(data.rejects.total, 0);
    // The messages decoded here, independently of the reader: time, type, order id, size, price, direction.
    const rows = readFileSync(lobsterPair(path).msgPath, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.split(',').map(Number));
    assert.ok(!rows.some((r) => r[1] === 7), 'no halt in the sample (a halt may emit no event)');
    const c = data.columns;
    const l2 = new OrderBook(0);
    const l3 = new OrderBookL3();
    let i = 0;
    let messages = 0;
    let differ = 0;
    let first = '';
    let unexplained = 0;
    let onKnown = 0;
    const endMessage = (what: string) => {
      messages++;
      const d = diff(l3, l2);
      if (d !== '' && differ++ === 0) first = `${what}: ${d}`;
    };
    // Message 0: the starting book.
    for (; ; i++) {
      applyL2(l2, c, i);
      if (c.kind[i] === MdKind.Clear) l3.clear();
      else if (c.kind[i] === MdKind.Level) setLevel(l3, c.side[i] as 1 | -1, c.price[i], c.qty[i]);
      if (c.flags[i] & EV_LAST) break;
    }
    i++;
    endMessage('starting book');
    for (let m = 0; m < rows.length; m++) {
      const [, type, id, size, price, dir] = rows[m];
      const side = dir as 1 | -1;
      if (type >= 2 && type <= 4 && l3.has(id)) onKnown++;
      if (type === 1) l3.add(id, side, price, size);
      else if (type === 2 || type === 3 || type === 4) reduce(l3, id, side, price, size, type === 3);
      for (; ; i++) {
        applyL2(l2, c, i);
        if (c.kind[i] === MdKind.Level && (c.flags[i] & EV_SNAPSHOT) !== 0) {
          const sd = c.side[i] as 1 | -1;
          if (!setLevel(l3, sd, c.price[i], c.qty[i])) {
            // The orderbook file shrank a level below the orders the messages put there (the
            // reader's `anomalies`): which order changed is unknown; take it from the newest.
            unexplained++;
            const q = l3.queue(sd, c.price[i]);
            const lv = sd === 1 ? l3.bids : l3.asks;
            for (let k = q.length - 1; k >= 0 && lv.qtyAt(c.price[i]) > c.qty[i]; k--)
              l3.cancel(q[k], lv.qtyAt(c.price[i]) - c.qty[i]);
          }
        }
        if (c.flags[i] & EV_LAST) break;
      }
      i++;
      endMessage(`message ${m + 1}`);
    }
    assert.equal(i, c.n, 'every reader event consumed');
    assert.equal(messages, rows.length + 1);
    assert.equal(
      unexplained,
      data.stats.anomalies,
      'a level below its known orders only where the reader counts a change no message explains',
    );
    assert.equal(differ, 0, `differs at ${differ} of ${messages} messages; first ${first}`);
    t.diagnostic(
      `${messages} messages equal (${unexplained} levels cut to an unexplained orderbook change); ${onKnown} cancels/executions of orders entered in the sample; at the end ${l3.orders(1)} bid / ${l3.orders(-1)} ask orders`,
    );
  });
});
