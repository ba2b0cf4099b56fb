import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { formatInspect, type InspectSummary, inspectFile } from '../../../src/venues/replay/inspect.ts';
import { dataFile, requireData } from './data-dir.ts';

describe('inspect on TAIFEX TXF 2026-04-08', requireData(), () => {
  let s: InspectSummary;
  before(async () => {
    s = await inspectFile(dataFile('taifex-txf-20260408.parquet'));
  });

  test('counts events by kind and messages', () => {
    assert.equal(s.symbol, 'TXF');
    assert.equal(s.format, 'taifex-parquet');
    assert.equal(s.records, 849_329);
    assert.equal(s.events, 849_329);
    assert.deepEqual(s.byKind, { level: 385_545 + 398_707, trade: 33_009 + 32_067, clear: 1 });
    assert.ok(s.messages > 100_000 && s.messages < s.events, `messages ${s.messages}`);
  });

  test('time span lies within 2026-04-08 (08:31-21:56 Taipei)', () => {
    assert.ok(s.firstExchTs && s.lastExchTs);
    assert.ok(s.firstExchTs.startsWith('2026-04-08T00:31'), s.firstExchTs);
    assert.ok(s.lastExchTs.startsWith('2026-04-08T13:56'), s.lastExchTs);
  });

  test('prices, depth and books are those of a 5-level TXF feed', () => {
    // TXF traded around 34,500-35,350 points that day; scaled by 100.
    assert.ok(s.tradePrice && s.tradePrice.min > 3_400_000 && s.tradePrice.max < 3_600_000);
    assert.ok(s.bookPrice && s.bookPrice.min <= s.tradePrice.min && s.bookPrice.max >= s.tradePrice.max);
    assert.deepEqual(s.maxDepth, { bid: 5, ask: 5 });
    assert.equal(s.crossedMessages, 0);
    for (const b of [s.firstBook, s.lastBook]) {
      assert.ok(b);
      assert.equal(b.bids.length, 5);
      assert.equal(b.asks.length, 5);
      assert.ok(b.bids[0][0] < b.asks[0][0], 'best bid below best ask');
      for (let k = 1; k < 5; k++) {
        assert.ok(b.bids[k][0] < b.bids[k - 1][0] && b.asks[k][0] > b.asks[k - 1][0], 'levels ordered');
      }
    }
    assert.deepEqual(s.firstBook?.bids[0], [3_450_000, 3]);
    assert.equal(s.truth, null);
  });

  test('reports the pre-open (call auction) prints by the TAIFEX calendar', () => {
    assert.deepEqual(s.callAuctions, {
      market: 'TAIFEX',
      windows: '08:30-08:45, 14:50-15:00 Asia/Taipei',
      events: 1002,
      trades: 275,
    });
    assert.match(
      formatInspect(s),
      /sessions +TAIFEX call auctions .*: 275 indicative prints, 727 book events; not used for fills/,
    );
  });

  test('formats a readable report in index points', () => {
    const text = formatInspect(s);
    assert.match(text, /TXF/);
    assert.match(text, /849,329/);
    assert.match(text, /2026-04-08T00:31:10\.000Z \.\. 2026-04-08T13:56:32\.094Z/);
    assert.match(text, /first book/);
    assert.match(text, / 34500 \| 34502 /);
    assert.doesNotMatch(text, /3450000/);
  });
});

describe('inspect with truth', requireData(), () => {
  test('LOBSTER: the reference book matches all 999 orderbook rows', async () => {
    const s = await inspectFile(dataFile('AAPL_2012-06-21_34200000_57600000_message_10.csv'));
    assert.deepEqual(s.truth, {
      points: 999,
      levels: 10,
      mismatches: 0,
      firstMismatch: '',
      independent: false,
    });
    assert.match(formatInspect(s), /999 check points x 10 levels: 0 mismatches/);
  });

  test('LOBSTER: the independent figure is a book from the messages alone against every orderbook row', async () => {
    // The reader fits its book to the orderbook file (0 mismatches above by construction); from the
    // messages alone the best bid/ask agree with it except after 2 changes no message explains
    // (message 441 on), and the 10 levels as soon as orders resting before the sample come into view.
    const s = await inspectFile(dataFile('AAPL_2012-06-21_34200000_57600000_message_10.csv'));
    assert.equal(s.truth?.independent, false);
    assert.deepEqual(s.messagesOnly, {
      points: 999,
      mismatches: 886,
      firstMismatch: 'message 13: ask level 9: messages 1160@5876500, orderbook 500@5879000',
      bboMismatches: 44,
      firstBboMismatch: 'message 441: bid level 0: messages 230@5853000, orderbook 50@5854000',
    });
    assert.match(
      formatInspect(s),
      /independent book from the messages alone: best bid\/ask differ .* at 44 of 999/,
    );
  });

  test('LOBSTER: the independent check sees a message that is wrong, the fitted one does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hft-lobster-'));
    try {
      const stem = 'AAPL_2012-06-21_34200000_57600000';
      const msgs = readFileSync(dataFile(`${stem}_message_10.csv`), 'utf8').split('\n');
      // Message 2 submits 18 shares at 585.32: make it 19.
      msgs[1] = msgs[1].replace(/,18,5853200,/, ',19,5853200,');
      writeFileSync(join(dir, `${stem}_message_10.csv`), msgs.join('\n'));
      copyFileSync(dataFile(`${stem}_orderbook_10.csv`), join(dir, `${stem}_orderbook_10.csv`));
      const s = await inspectFile(join(dir, `${stem}_message_10.csv`));
      assert.equal(s.truth?.mismatches, 0);
      assert.ok((s.messagesOnly?.mismatches ?? 0) > 886, `${s.messagesOnly?.mismatches}`);
      assert.match(
        s.messagesOnly?.firstMismatch ?? '',
        /^message 2: bid level \d: messages 19@5853200, orderbook 18@5853200/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('inspect of L3 sources: the order-level view', requireData(), () => {
  test('ESH4 MBO: orders per side, the L2 view of the L3 book equal at every message, the queue at the top', async () => {
    const s = await inspectFile(dataFile('esh4-glbx-mdp3-20231225.mbo.dbn.zst'));
    const o = s.l3;
    assert.ok(o, 'an L3 section for MBO data');
    assert.equal(o.records, 68_793);
    assert.equal(o.l2Mismatches, 0, o.firstL2Mismatch);
    assert.equal(o.unknownOrders, 0);
    assert.ok(o.orders.bid > 1000 && o.orders.ask > 1000, JSON.stringify(o.orders));
    const top = o.top!;
    assert.equal(top.bids[0].price, s.lastBook!.bids[0][0], 'the L3 best bid is the book’s');
    assert.equal(top.bids[0].qty, s.lastBook!.bids[0][1]);
    assert.ok(top.bids[0].queue.length > 0 && top.bids[0].queue.length <= 5);
    assert.ok(top.bids[0].queue.reduce((a, [, q]) => a + q, 0) <= top.bids[0].qty);
    const text = formatInspect(s);
    assert.match(text, /L3 orders {3}at the end bid 6,935, ask 4,282/);
    assert.match(text, /differ from the L2 events after 0 of 47,023 messages/);
    assert.match(text, /L3 top of book/);
  });

  test('LOBSTER: every record names a known order; L2 data has no L3 section', async () => {
    const s = await inspectFile(dataFile('AAPL_2012-06-21_34200000_57600000_message_10.csv'));
    assert.equal(s.l3?.unknownOrders, 0);
    assert.equal(s.l3?.l2Mismatches, 0);
    const t = await inspectFile(dataFile('taifex-txo35000q6-20260417.parquet'));
    assert.equal(t.l3, null);
    assert.doesNotMatch(formatInspect(t), /^L3/m);
  });
});
