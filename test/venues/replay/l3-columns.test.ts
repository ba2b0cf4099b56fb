/**
 * The L3 readers: DBN and LOBSTER files come with their order-level records (columns.l3), each tied
 * to its L2 message; an OrderBookL3 fed them message by message derives the reader's L2 book at
 * every message of the shared L3 files.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MdKind } from '../../../src/contracts/market.ts';
import { applyMbo } from '../../../src/lob/mbo-actions.ts';
import { OrderBook } from '../../../src/lob/order-book.ts';
import { OrderBookL3 } from '../../../src/lob/order-book-l3.ts';
import { EV_LAST, type EventColumns } from '../../../src/venues/replay/event-columns.ts';
import { L3_ADD, L3_CANCEL, L3_FILL, L3_TRADE } from '../../../src/venues/replay/l3-columns.ts';
import { parseDbn, readDbn } from '../../../src/venues/replay/read-dbn.ts';
import { placeholderId, readLobster } from '../../../src/venues/replay/read-lobster.ts';
import { dataFile, requireData } from './data-dir.ts';
import { encodeMbo, type MboRecord } from './dbn-file.ts';

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

/** Walks the L2 messages, applying the L3 records tied to each before comparing the two books. */
function compare(c: EventColumns) {
  const l3c = c.l3;
  assert.ok(l3c, 'the reader returns order-level records');
  const l2 = new OrderBook(0);
  const l3 = new OrderBookL3();
  let j = 0;
  let messages = 0;
  let differ = 0;
  let first = '';
  for (let i = 0; i < c.n; i++) {
    if (c.kind[i] === MdKind.Level) l2.setLevel(c.side[i] as 1 | -1, c.price[i], c.qty[i]);
    else if (c.kind[i] === MdKind.Clear) l2.clear();
    if ((c.flags[i] & EV_LAST) === 0) continue;
    for (; j < l3c.n && l3c.msgEnd[j] <= i; j++)
      applyMbo(l3, l3c.action[j], l3c.id[j], l3c.side[j] as 1 | -1 | 0, l3c.price[j], l3c.size[j]);
    messages++;
    const d = diff(l3, l2);
    if (d !== '' && differ++ === 0) first = `message ${messages}: ${d}`;
  }
  assert.equal(j, l3c.n, 'every record tied to a message');
  return { messages, differ, first, l3 };
}

describe('L3 readers feed OrderBookL3 from the shared L3 files', requireData(), () => {
  test('ESH4 DBN MBO: every record kept, the L3 book equals the L2 events at every message', async (t) => {
    const d = await readDbn(dataFile('esh4-glbx-mdp3-20231225.mbo.dbn.zst'));
    const l3c = d.columns.l3!;
    // 68,792 MBO records; the N records are not kept; one Clear opens the snapshot.
    assert.equal(l3c.n, 68_792 + 1 - 0, `records: ${l3c.n}`);
    const r = compare(d.columns);
    assert.ok(r.messages >= 47_000);
    assert.equal(r.differ, 0, `differs at ${r.differ} of ${r.messages}; first ${r.first}`);
    let fills = 0;
    for (let j = 0; j < l3c.n; j++) if (l3c.action[j] === L3_FILL) fills++;
    assert.equal(fills, 35 + 3231 + 3105);
    t.diagnostic(
      `${r.messages} messages, ${l3c.n} records; ${r.l3.orders(1)} / ${r.l3.orders(-1)} orders at the end`,
    );
  });

  test('LOBSTER AAPL: the L3 book equals the L2 events at every message', async (t) => {
    const d = await readLobster(dataFile('AAPL_2012-06-21_34200000_57600000_message_10.csv'));
    const r = compare(d.columns);
    assert.equal(r.messages, 1000);
    assert.equal(r.differ, 0, `differs at ${r.differ} of ${r.messages}; first ${r.first}`);
    t.diagnostic(`${r.messages} messages, ${d.columns.l3!.n} records`);
  });
});

describe('L3 records on a hand-made DBN file', () => {
  const T0 = 1_703_545_200_000_000_000n;
  const rec = (
    i: number,
    action: string,
    side: string,
    id: bigint,
    price: number,
    size: number,
    last = true,
  ) =>
    ({
      tsEvent: T0 + BigInt(i),
      tsRecv: T0 + BigInt(i) + 10n,
      orderId: id,
      price: BigInt(price) * 10_000_000n,
      size,
      flags: last ? 0x80 : 0,
      action,
      side,
    }) as MboRecord;

  test('ids past 2^53 get stand-ins, fills tie to the message of their trade and cancel', () => {
    const big = 2n ** 60n;
    const bytes = encodeMbo('ESH4', [
      rec(0, 'A', 'B', big, 480000, 5),
      rec(1, 'A', 'B', 7n, 480000, 3),
      rec(2, 'T', 'A', 0n, 480000, 2, false),
      rec(2, 'F', 'B', big, 480000, 2, false),
      rec(2, 'C', 'B', big, 480000, 2, true),
      rec(3, 'F', 'B', 7n, 480000, 1, true), // a message without an L2 event: goes with the next
      rec(4, 'C', 'B', 7n, 480000, 1, true),
    ]);
    const c = parseDbn(new Uint8Array(bytes), 'hand.dbn').columns;
    const l3 = c.l3!;
    assert.deepEqual([...l3.action], [L3_ADD, L3_ADD, L3_TRADE, L3_FILL, L3_CANCEL, L3_FILL, L3_CANCEL]);
    assert.equal(l3.id[0], -1, 'an id past 2^53 is named by a stand-in');
    assert.equal(l3.id[3], -1, 'the same stand-in for the same id');
    assert.equal(l3.id[1], 7);
    // L2 events: add, add, trade+level (one message), level.
    assert.equal(c.n, 5);
    assert.deepEqual([...l3.msgEnd], [0, 1, 3, 3, 3, 4, 4]);
    const r = compare(c);
    assert.equal(r.differ, 0, r.first);
    assert.equal(r.l3.sizeOf(-1), 3);
    assert.equal(r.l3.sizeOf(7), 2);
  });

  test('LOBSTER placeholder ids are negative and distinct per side and price', () => {
    assert.ok(placeholderId(1, 5850000) < 0);
    assert.notEqual(placeholderId(1, 5850000), placeholderId(-1, 5850000));
  });
});
