/**
 * L3 exchange model (hftbacktest's L3 FIFO): own orders take the real queue position at arrival and
 * fill exactly when a real order behind them is filled (everything ahead is gone), when a print
 * goes through their price, or when the other side joins at their price. Hand-made order-level
 * messages, then probes on the shared ESH4 MBO day checked against an independent queue count.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MdKind, type Side } from '../../../src/contracts/market.ts';
import type { OrderCommand, TimeInForce } from '../../../src/contracts/orders.ts';
import type { SymbolSpec } from '../../../src/contracts/symbols.ts';
import type { VenueExecEvent } from '../../../src/contracts/venue.ts';
import { SimClock } from '../../../src/core/clock.ts';
import { Scheduler } from '../../../src/core/scheduler.ts';
import { OrderBookL3 } from '../../../src/lob/order-book-l3.ts';
import { EV_LAST, type EventColumns, EventColumnsBuilder } from '../../../src/venues/replay/event-columns.ts';
import {
  L3_ADD,
  L3_CANCEL,
  L3_FILL,
  L3_MODIFY,
  L3_TRADE,
  L3ColumnsBuilder,
} from '../../../src/venues/replay/l3-columns.ts';
import { readDbn } from '../../../src/venues/replay/read-dbn.ts';
import { L3Exchange } from '../../../src/venues/sim/l3-exchange.ts';
import { ConstantLatency } from '../../../src/venues/sim/latency-model.ts';
import { dataFile, requireData } from '../replay/data-dir.ts';
import { runUntil, TXF } from './fixtures.ts';

const ORDER_NS = 1_000;
const RESPONSE_NS = 0;

type Rec = [action: number, side: number, id: number, price: number, size: number];

/** L3 messages as a reader would give them: the records, and the L2 events they make (via a shadow book). */
function columns(messages: { ts: number; recs: Rec[] }[]): EventColumns {
  const b = new EventColumnsBuilder();
  const l3 = new L3ColumnsBuilder();
  b.l3 = l3;
  b.repairCrossed = false;
  const shadow = new OrderBookL3();
  for (const m of messages) {
    for (const [a, side, id, price, size] of m.recs) {
      l3.push(a, side, id, price, size);
      let s = shadow.sideOf(id) || side;
      let p = shadow.priceOf(id) || price;
      if (a === L3_ADD) shadow.add(id, side as Side, price, size);
      else if (a === L3_CANCEL) shadow.cancel(id, size);
      else if (a === L3_MODIFY) {
        const old = p;
        shadow.modify(id, price, size);
        b.push(MdKind.Level, s, m.ts, m.ts, old, (s === 1 ? shadow.bids : shadow.asks).qtyAt(old));
        p = price;
      } else if (a === L3_TRADE || a === L3_FILL) {
        // A fill as a print too, so a message of fills alone is still a message of the L2 columns.
        b.push(MdKind.Trade, a === L3_TRADE ? side : -side, m.ts, m.ts, price, size);
        continue;
      }
      s = s as Side;
      b.push(MdKind.Level, s, m.ts, m.ts, p, (s === 1 ? shadow.bids : shadow.asks).qtyAt(p));
    }
    b.endMessage();
  }
  return b.finish();
}

const spec: SymbolSpec = { ...TXF, id: 0 };

function harness(c: EventColumns) {
  const clock = new SimClock(0);
  const sched = new Scheduler(clock);
  const ex = new L3Exchange({
    symbols: [spec],
    scheduler: sched,
    latency: new ConstantLatency(ORDER_NS, RESPONSE_NS),
  });
  const out: (VenueExecEvent & { at: number })[] = [];
  ex.connect((e) => out.push({ ...e, at: clock.nowNs() }));
  let start = 0;
  let i = 0;
  return {
    ex,
    out,
    /** Replays the messages with exchange time <= ts (running the scheduler up to each). */
    play(ts: number) {
      for (; i < c.n && c.exchTs[i] <= ts; i++) {
        if ((c.flags[i] & EV_LAST) === 0) continue;
        runUntil(clock, sched, c.exchTs[i]);
        ex.onMessage(0, c, start, i);
        start = i + 1;
      }
      runUntil(clock, sched, ts);
    },
    order(id: number, side: Side, price: number, qty: number, tif: TimeInForce = 'GTC') {
      const ts = clock.nowNs();
      const cmd: OrderCommand = {
        orderId: id,
        ts,
        intent: {
          intentId: id,
          strategyId: 's',
          symbolId: 0,
          action: 'new',
          side,
          price,
          qty,
          tif,
          targetOrderId: 0,
          ts,
        },
      };
      ex.submit(cmd);
    },
    fills(id: number) {
      return out
        .filter((e) => e.orderId === id && e.type === 'fill')
        .map((e) => ({ px: e.lastPx, qty: e.lastQty, taker: e.taker, exchTs: e.exchTs }));
    },
  };
}

const BID = 3_000_000;
const ASK = 3_000_200;

describe('L3 exchange on hand-made order-level messages', () => {
  /** Bids: 1 (5) then 2 (3) at BID; asks: 9 (4) at ASK. */
  const book: { ts: number; recs: Rec[] } = {
    ts: 10_000,
    recs: [
      [L3_ADD, 1, 1, BID, 5],
      [L3_ADD, 1, 2, BID, 3],
      [L3_ADD, -1, 9, ASK, 4],
    ],
  };

  test('a probe fills exactly when a real order behind it is filled, not while orders ahead trade', () => {
    const h = harness(
      columns([
        book,
        { ts: 30_000, recs: [[L3_ADD, 1, 3, BID, 2]] }, // behind the probe
        { ts: 40_000, recs: [[L3_CANCEL, 1, 1, BID, 2]] }, // ahead: 8 -> 6
        {
          ts: 50_000,
          recs: [
            [L3_TRADE, -1, 0, BID, 3],
            [L3_FILL, 1, 1, BID, 3],
            [L3_CANCEL, 1, 1, BID, 3],
          ],
        }, // order 1 traded away: ahead 3
        {
          ts: 60_000,
          recs: [
            [L3_TRADE, -1, 0, BID, 3],
            [L3_FILL, 1, 2, BID, 3],
            [L3_CANCEL, 1, 2, BID, 3],
          ],
        }, // order 2 gone: ahead 0, nothing traded past the probe yet
        {
          ts: 70_000,
          recs: [
            [L3_TRADE, -1, 0, BID, 1],
            [L3_FILL, 1, 3, BID, 1],
            [L3_CANCEL, 1, 3, BID, 1],
          ],
        }, // order 3 (behind) filled: the probe was filled first
      ]),
    );
    h.play(15_000);
    h.order(100, 1, BID, 2); // arrives at 16,000: behind orders 1 and 2
    h.play(20_000);
    assert.equal(h.ex.queueAhead(100), 8);
    h.play(40_000);
    assert.equal(h.ex.queueAhead(100), 6, 'a partial cancel ahead advances it by its size');
    h.play(50_000);
    assert.equal(h.ex.queueAhead(100), 3);
    h.play(60_000);
    assert.equal(h.ex.queueAhead(100), 0);
    assert.deepEqual(h.fills(100), [], 'the orders ahead trading does not fill it');
    h.play(70_000);
    assert.deepEqual(h.fills(100), [{ px: BID, qty: 2, taker: false, exchTs: 70_000 }]);
    assert.equal(h.ex.counters.queueFills, 1);
    assert.equal(h.ex.workingCount, 0);
  });

  test('an order arriving after the latency is behind an order the market added meanwhile', () => {
    const h = harness(
      columns([
        book,
        { ts: 20_500, recs: [[L3_ADD, 1, 4, BID, 7]] }, // before the probe's arrival at 21,000
        { ts: 21_500, recs: [[L3_ADD, 1, 5, BID, 1]] }, // after it
        { ts: 30_000, recs: [[L3_FILL, 1, 4, BID, 1]] }, // ahead of the probe: no fill
        { ts: 31_000, recs: [[L3_FILL, 1, 5, BID, 1]] }, // behind: fill
      ]),
    );
    h.play(20_000);
    h.order(100, 1, BID, 1);
    h.play(22_000);
    assert.equal(h.ex.queueAhead(100), 5 + 3 + 7);
    h.play(30_000);
    assert.equal(h.fills(100).length, 0);
    h.play(31_000);
    assert.equal(h.fills(100).length, 1);
  });

  test('a modify up or to a new price loses its place; a modify down keeps it', () => {
    const h = harness(
      columns([
        book,
        { ts: 30_000, recs: [[L3_MODIFY, 1, 1, BID, 4]] }, // down: keeps its place, ahead 8 -> 7
        { ts: 40_000, recs: [[L3_MODIFY, 1, 2, BID, 6]] }, // up: to the back, behind the probe: 7 -> 4
        { ts: 50_000, recs: [[L3_FILL, 1, 2, BID, 1]] }, // now behind: fills the probe
      ]),
    );
    h.play(15_000);
    h.order(100, 1, BID, 3);
    h.play(30_000);
    assert.equal(h.ex.queueAhead(100), 7);
    h.play(40_000);
    assert.equal(h.ex.queueAhead(100), 4);
    h.play(50_000);
    assert.deepEqual(
      h.fills(100).map((f) => f.qty),
      [3],
    );
  });

  test('a print at a worse price and a bid joining at our ask fill through; a cancel before stops it', () => {
    const h = harness(
      columns([
        book,
        {
          ts: 30_000,
          recs: [
            [L3_ADD, 1, 20, BID - 100, 1],
            [L3_FILL, 1, 20, BID - 100, 1],
          ],
        }, // a fill one tick below the probe bid
        { ts: 40_000, recs: [[L3_ADD, 1, 21, BID + 100, 1]] }, // a bid at the probe sell's price
        { ts: 50_000, recs: [[L3_FILL, 1, 2, BID, 3]] }, // behind the cancelled probe
      ]),
    );
    h.play(15_000);
    h.order(100, 1, BID, 1);
    h.order(101, -1, BID + 100, 1); // a sell inside the spread: alone at a new level
    h.order(102, 1, BID, 1); // cancelled before anything reaches it
    h.play(17_000);
    h.ex.cancel(102);
    h.play(30_000);
    assert.deepEqual(
      h.fills(100).map((f) => f.exchTs),
      [30_000],
    );
    h.play(40_000);
    assert.deepEqual(
      h.fills(101).map((f) => [f.px, f.qty, f.taker]),
      [[BID + 100, 1, false]],
    );
    h.play(50_000);
    assert.deepEqual(h.fills(102), []);
    assert.equal(h.out.filter((e) => e.orderId === 102 && e.type === 'canceled').length, 1);
    assert.equal(h.ex.counters.throughFills, 2);
  });

  test('a crossing order takes the displayed levels; a crossing post-only order is rejected', () => {
    const h = harness(columns([book]));
    h.play(15_000);
    h.order(100, 1, ASK, 6);
    h.order(101, 1, ASK, 1, 'POST_ONLY');
    h.play(30_000);
    assert.deepEqual(
      h.fills(100).map((f) => [f.px, f.qty, f.taker]),
      [[ASK, 4, true]],
    );
    assert.equal(h.ex.queueAhead(100), 0, 'the rest rests at the front of a new level');
    const rej = h.out.find((e) => e.orderId === 101);
    assert.equal(rej?.type, 'reject');
    assert.equal(rej?.reason, 'POST_ONLY_WOULD_TAKE');
  });

  test('data without order-level records is refused', () => {
    const b = new EventColumnsBuilder();
    b.push(MdKind.Level, 1, 1, 1, BID, 1);
    const h = harness(b.finish());
    assert.throws(() => h.play(10), /no order-level records/);
  });
});

describe('L3 exchange on ESH4 MBO: probes at the best bid and ask', requireData(), () => {
  test('a probe’s queue position is the real orders before it at its price; a queue fill comes when none is left', async (t) => {
    const d = await readDbn(dataFile('esh4-glbx-mdp3-20231225.mbo.dbn.zst'));
    const c = d.columns;
    const h = harness(c);
    const book = h.ex.book(0);
    type Probe = { id: number; side: Side; price: number };
    const probes: Probe[] = [];
    /** Independent count: the size of the real orders at the probe's price with an earlier priority. */
    const truth = (p: Probe): number => {
      const pri = h.ex.queuePriority(p.id);
      let q = 0;
      for (const id of book.queue(p.side, p.price)) if (book.priorityOf(id) < pri) q += book.sizeOf(id);
      return q;
    };
    let next = 100;
    let msgs = 0;
    let compared = 0;
    let fillsAtZero = 0;
    const fillCount = () => h.out.filter((e) => e.type === 'fill').length;
    for (let i = 0; i < c.n; i++) {
      if ((c.flags[i] & EV_LAST) === 0) continue;
      const before = fillCount();
      const working = probes.filter((p) => h.ex.queueAhead(p.id) >= 0);
      h.play(c.exchTs[i]);
      msgs++;
      if (fillCount() > before || msgs % 100 === 0) {
        for (const p of working) {
          const ahead = h.ex.queueAhead(p.id);
          if (ahead >= 0) {
            assert.equal(ahead, truth(p), `probe ${p.id} at message ${msgs}`);
            compared++;
          } else if (h.fills(p.id).some((f) => f.exchTs === c.exchTs[i])) {
            // Filled by this message: by the queue only once nothing is left before it.
            const pri = h.ex.queuePriority(p.id);
            let left = 0;
            for (const id of book.queue(p.side, p.price))
              if (book.priorityOf(id) < pri) left += book.sizeOf(id);
            if (left === 0) fillsAtZero++;
          }
        }
      }
      if (msgs % 200 === 0 && book.bestBid > 0 && book.bestAsk > book.bestBid) {
        h.order(next, 1, book.bestBid, 1, 'POST_ONLY');
        probes.push({ id: next++, side: 1, price: book.bestBid });
        h.order(next, -1, book.bestAsk, 1, 'POST_ONLY');
        probes.push({ id: next++, side: -1, price: book.bestAsk });
      }
    }
    let filled = 0;
    for (const p of probes) {
      const f = h.fills(p.id);
      if (f.length === 0) continue;
      filled++;
      assert.equal(f.length, 1, 'filled whole, once');
      assert.equal(f[0].taker, false);
    }
    const k = h.ex.counters;
    assert.ok(probes.length > 400, `probes: ${probes.length}`);
    assert.ok(filled > 20 && filled < probes.length, `filled ${filled} of ${probes.length}`);
    assert.equal(k.queueFills + k.throughFills, filled);
    assert.ok(
      fillsAtZero >= k.queueFills,
      `queue fills ${k.queueFills}, with nothing left before them ${fillsAtZero}`,
    );
    assert.ok(compared > 1000, `compared ${compared}`);
    t.diagnostic(
      `${probes.length} probes, ${filled} filled (${k.queueFills} by the queue, ${k.throughFills} through); queue position equal to the independent count ${compared} times`,
    );
  });
});
