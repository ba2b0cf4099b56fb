import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimClock } from '../../../src/core/clock.ts';
import { Scheduler } from '../../../src/core/scheduler.ts';
import { Normalizer } from '../../../src/feed/normalizer.ts';
import { LobEngine } from '../../../src/lob/lob-engine.ts';
import type { BookChecks } from '../../../src/venues/replay/book-checks.ts';
import { EV_LAST } from '../../../src/venues/replay/event-columns.ts';
import { readAny } from '../../../src/venues/replay/read-any.ts';
import { readBinance } from '../../../src/venues/replay/read-binance.ts';
import { ReferenceBook } from '../../../src/venues/replay/reference-book.ts';
import type { ReplayData } from '../../../src/venues/replay/replay-data.ts';
import { ReplayVenue, replayStartTs } from '../../../src/venues/replay/replay-venue.ts';
import { symbolByCode } from '../../helpers/symbols.ts';
import { dataFile, requireData } from './data-dir.ts';

/** Runs one recording through the replay venue, the normalizer's checks and the LOB. */
function replay(d: ReplayData, afterMessage: (lob: LobEngine, nextEvent: number) => void) {
  const streams = [{ symbolId: 0, columns: d.columns }];
  const clock = new SimClock(replayStartTs(streams, false));
  const sched = new Scheduler(clock);
  const lob = new LobEngine(1);
  const normalizer = new Normalizer([{ ...symbolByCode('TXFD6'), id: 0 }], 5, () => clock.nowNs());
  let done = false;
  const venue = new ReplayVenue({ scheduler: sched, streams, onEnd: () => (done = true) });
  let events = 0;
  let published = 0;
  venue.connect({
    onQuote: () => assert.fail('a replay sends normalized events'),
    onExec: () => {},
    onMarketEvent: (ev, end) => {
      events++;
      if (normalizer.check(ev) && lob.apply(ev, end)) published++;
    },
  });
  venue.start();
  while (!done) {
    clock.set(sched.nextTs());
    sched.runNext(clock.nowNs());
    afterMessage(lob, venue.position(0));
  }
  return { lob, normalizer, events, published, venue };
}

/** Compares the LOB with every truth row once the events it vouches for are applied; returns mismatches. */
function checkTruth(d: ReplayData, truth: BookChecks) {
  let row = 0;
  const bad: string[] = [];
  const r = replay(d, (lob, next) => {
    const book = lob.book(0);
    for (; row < truth.n && truth.eventIndex[row] < next; row++) {
      const L = truth.levels;
      for (const side of [1, -1] as const) {
        const px = side > 0 ? truth.bidPx : truth.askPx;
        const qty = side > 0 ? truth.bidQty : truth.askQty;
        for (let k = 0; k < L; k++) {
          const want = `${qty[row * L + k]}@${px[row * L + k]}`;
          const have = `${book.qty(side, k)}@${book.price(side, k)}`;
          if (want !== have && bad.length < 5)
            bad.push(`row ${row} ${side > 0 ? 'bid' : 'ask'} ${k}: ${have} != ${want}`);
        }
      }
    }
  });
  return { ...r, rows: row, bad };
}

describe('replay + LOB against the data’s own truth', requireData(), () => {
  test('LOBSTER AAPL: 10 levels after each of the 999 messages, 0 mismatches', async () => {
    const d = await readAny(dataFile('AAPL_2012-06-21_34200000_57600000_message_10.csv'));
    const r = checkTruth(d, d.truth!);
    assert.equal(r.rows, 999);
    assert.deepEqual(r.bad, []);
    assert.equal(r.events, d.columns.n);
    assert.equal(r.lob.counters.crossed, 0);
  });

  test('Binance USD-M futures: L1 at every matched bookTicker, 0 mismatches', async () => {
    const d = await readAny(dataFile('binance-usdm-btcusdt-20240808.gz'));
    const r = checkTruth(d, d.truth!);
    assert.equal(r.rows, 629);
    assert.deepEqual(r.bad, []);
    assert.equal(r.lob.counters.crossed, 0);
    assert.equal(r.normalizer.counters.outOfOrder, 0);
  });

  test('Binance spot, two consecutive files as one stream: L1 at every matched bookTicker, 0 mismatches', async () => {
    const d = await readBinance([
      dataFile('binance-spot-btcusdt-20240808.gz'),
      dataFile('binance-spot-btcusdt-20240809.gz'),
    ]);
    const r = checkTruth(d, d.truth!);
    assert.ok(r.rows > 564, `the second file adds check points (${r.rows})`);
    assert.equal(r.rows, d.truth!.n);
    assert.deepEqual(r.bad, []);
    assert.equal(r.lob.counters.crossed, 0);
  });

  test('TAIFEX TXF (no truth in the file): the LOB equals a reference book at every message end', async () => {
    const d = await readAny(dataFile('taifex-txf-20260408.parquet'));
    const c = d.columns;
    const ref = new ReferenceBook();
    let i = 0;
    let messages = 0;
    let bad = 0;
    const r = replay(d, (lob, next) => {
      for (; i < next; i++) ref.apply(c, i);
      if ((c.flags[next - 1] & EV_LAST) === 0) assert.fail('a task delivers whole messages');
      messages++;
      const book = lob.book(0);
      for (const side of [1, -1] as const) {
        const top = ref.top(side, 5);
        for (let k = 0; k < 5; k++) {
          const [p, q] = top[k] ?? [0, 0];
          if (book.price(side, k) !== p || book.qty(side, k) !== q) bad++;
        }
      }
    });
    assert.equal(r.events, 849_329);
    assert.equal(messages, 213_569);
    assert.equal(bad, 0);
    assert.equal(r.lob.counters.crossed, 0);
    assert.equal(r.lob.counters.rejected, 0);
    // Every message that changed the book published stats, trades closing a message included.
    assert.equal(r.published, 213_569 - countTradeOnlyMessages(d));
  });
});

function countTradeOnlyMessages(d: ReplayData): number {
  const c = d.columns;
  let n = 0;
  let book = false;
  for (let i = 0; i < c.n; i++) {
    if (c.kind[i] !== 2) book = true;
    if (c.flags[i] & EV_LAST) {
      if (!book) n++;
      book = false;
    }
  }
  return n;
}
