import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type MarketEvent, MdKind, type TradeEvent } from '../../src/contracts/market.ts';
import type { RawBidAsk, RawQuote, RawTick } from '../../src/contracts/venue.ts';
import { Rng } from '../../src/core/rng.ts';
import { Normalizer } from '../../src/feed/normalizer.ts';
import { LobEngine } from '../../src/lob/lob-engine.ts';
import { symbolByCode } from '../helpers/symbols.ts';

const TXF = { ...symbolByCode('TXFD6'), id: 0 };

function normalizer(): Normalizer {
  let t = 1_000;
  return new Normalizer([TXF], 5, () => ++t);
}

function bidask(ts: number, bids: [number, number][], asks: [number, number][], code = 'TXFD6'): RawBidAsk {
  return {
    type: 'bidask',
    code,
    ts,
    bidPrice: bids.map((l) => l[0]),
    bidVolume: bids.map((l) => l[1]),
    askPrice: asks.map((l) => l[0]),
    askVolume: asks.map((l) => l[1]),
  };
}

const tick = (ts: number, close: number, volume: number, tickType: 0 | 1 | 2 = 1): RawTick => ({
  type: 'tick',
  code: 'TXFD6',
  ts,
  close,
  volume,
  tickType,
});

/** Every payload is either accepted (depth/trade) or refused under exactly one reason. */
function accounted(n: Normalizer): number {
  const c = n.counters;
  return c.depth + c.trade + c.unknownSymbol + c.malformed + c.badValue + c.staleDropped + c.badTime;
}

test('a broker quote becomes a depth event with scaled prices and a per-symbol sequence', () => {
  const n = normalizer();
  const ev = n.normalize(
    bidask(
      10,
      [
        [34500, 3],
        [34499, 1],
      ],
      [
        [34501, 2],
        [0, 0],
      ],
    ),
  );
  assert.ok(ev && ev.kind === MdKind.Depth);
  assert.deepEqual([...ev.bidPx.subarray(0, 2)], [3_450_000, 3_449_900]);
  assert.deepEqual([...ev.askQty.subarray(0, 2)], [2, 0]);
  assert.equal(ev.levels, 2);
  assert.equal(ev.seq, 1);
  const tr = n.normalize(tick(11, 34500.5, 2, 2)) as TradeEvent;
  assert.deepEqual([tr.price, tr.qty, tr.aggressor, tr.seq], [3_450_050, 2, -1, 2]);
});

test('garbage, NaN, negative sizes, unknown codes and types are refused and counted, never thrown', () => {
  const n = normalizer();
  const malformed: unknown[] = [
    null,
    42,
    'bidask',
    { type: 'bidask', code: 'TXFD6', ts: 5 },
    { ...bidask(5, [[1, 1]], [[2, 1]]), bidPrice: 'oops' },
    bidask(5, [[Number.NaN, 1]], [[34501, 1]]),
    bidask(5, [[34500, Number.POSITIVE_INFINITY]], [[34501, 1]]),
    bidask(5, [[34500.123, 1]], [[34501, 1]]),
    bidask(5, [[34500, 1.5]], [[34501, 1]]),
    bidask(5, [['34500' as never, 1]], [[34501, 1]]),
    bidask(
      5,
      [
        [34499, 1],
        [34500, 1],
      ],
      [
        [34501, 1],
        [34502, 1],
      ],
    ),
    { ...bidask(5, [[34500, 1]], [[34501, 1]]), askVolume: [] },
    { ...bidask(5, [[34500, 1]], [[34501, 1]]), ts: Number.NaN },
    { ...bidask(5, [[34500, 1]], [[34501, 1]]), ts: '5' },
    { ...bidask(5, [[34500, 1]], [[34501, 1]]), ts: Number.NEGATIVE_INFINITY },
    { ...bidask(5, [[34500, 1]], [[34501, 1]]), type: 'snapshot' },
    tick(5, Number.NaN, 1),
    tick(5, 34500, 0.5),
    { ...tick(5, 34500, 1), tickType: 7 },
  ];
  const bad: RawQuote[] = [
    bidask(5, [[34500, -1]], [[34501, 1]]),
    bidask(5, [[-34500, 1]], [[34501, 1]]),
    bidask(5, [[0, 3]], [[34501, 1]]),
    tick(5, 0, 1),
    tick(5, 34500, -2),
    tick(5, -1, 1),
  ];
  const unknown = [bidask(5, [[1, 1]], [[2, 1]], 'NOPE'), { ...tick(5, 1, 1), code: 7 }];
  for (const q of [...malformed, ...bad, ...unknown]) {
    assert.doesNotThrow(() => assert.equal(n.normalize(q as RawQuote), null, JSON.stringify(q)));
  }
  assert.equal(n.counters.malformed, malformed.length);
  assert.equal(n.counters.badValue, bad.length);
  assert.equal(n.counters.unknownSymbol, unknown.length);
  assert.equal(n.counters.depth + n.counters.trade, 0);
  // The loop keeps running: the next good quote goes through.
  assert.ok(n.normalize(bidask(6, [[34500, 1]], [[34501, 1]])));
});

test('out-of-order time: a stale snapshot is dropped, a late trade is counted and kept', () => {
  const n = normalizer();
  assert.ok(n.normalize(bidask(100, [[34500, 1]], [[34501, 1]])));
  assert.equal(n.normalize(bidask(99, [[34400, 1]], [[34401, 1]])), null);
  assert.deepEqual([n.counters.outOfOrder, n.counters.staleDropped], [1, 1]);
  assert.ok(n.normalize(tick(100, 34500, 1)));
  assert.ok(n.normalize(tick(98, 34500, 1)), 'trades are not reordered');
  assert.deepEqual([n.counters.outOfOrder, n.counters.staleDropped], [2, 1]);
  // Book and trade streams keep separate clocks: a trade older than the last book is in order.
  assert.ok(n.normalize(bidask(101, [[34500, 1]], [[34501, 1]])));
  assert.ok(n.normalize(tick(100, 34500, 1)));
  assert.equal(n.counters.outOfOrder, 2);
});

test('times at and before the epoch are times: a quote dated before the run started is applied, in order', () => {
  // A live run's epoch is the UTC midnight before it started; Shioaji dates quotes in Taipei time,
  // so one from before 08:00 Taipei (or the fake server's day, which ends now) is negative.
  const n = normalizer();
  const h = -13 * 3600e9;
  assert.ok(n.normalize(bidask(h, [[34500, 1]], [[34501, 1]])));
  assert.ok(n.normalize(tick(h, 34500, 1)));
  assert.equal(n.normalize(bidask(h - 1, [[34400, 1]], [[34401, 1]])), null, 'an older snapshot is stale');
  assert.ok(n.normalize(bidask(0, [[34500, 2]], [[34501, 1]])));
  assert.ok(n.normalize(tick(0, 34500, 1)));
  assert.deepEqual(
    [n.counters.depth, n.counters.trade, n.counters.staleDropped, n.counters.malformed, n.counters.badTime],
    [2, 2, 1, 0, 0],
  );
});

test('an exchange time years ahead of the receive clock is refused, and does not make later updates stale', () => {
  const n = normalizer();
  const now = 1_775_608_200_000_000_000;
  let t = now;
  const live = new Normalizer([TXF], 5, () => (t += 1000));
  // A flipped high byte in the broker's timestamp: 2^56 ns (2.3 years) ahead.
  assert.equal(live.normalize(bidask(now + 2 ** 56, [[34500, 1]], [[34501, 1]])), null);
  assert.equal(live.counters.badTime, 1);
  assert.ok(
    live.normalize(bidask(now + 5_000, [[34500, 2]], [[34501, 1]])),
    'the next snapshot is not stale',
  );
  assert.equal(live.counters.staleDropped, 0);
  // Sizes beyond 2^53 are not exact integers: refused like any broken number.
  assert.equal(live.normalize(tick(now + 6_000, 34500, 2 ** 53 + 2)), null);
  assert.equal(live.counters.malformed, 1);
  assert.equal(accounted(n), 0);
});

test('normalized events: sequence gaps, replays, unknown symbols, bad trades and kinds are counted', () => {
  const n = normalizer();
  const lv = (seq: number, exchTs: number): MarketEvent => ({
    kind: MdKind.Level,
    symbolId: 0,
    exchTs,
    localTs: exchTs,
    seq,
    side: 1,
    price: 3_450_000,
    qty: 1,
  });
  assert.equal(n.check(lv(1, 10)), true);
  assert.equal(n.check(lv(2, 11)), true);
  assert.equal(n.check(lv(5, 12)), true, 'a gap is counted, the event kept');
  assert.equal(n.counters.seqGaps, 2);
  assert.equal(n.check(lv(4, 13)), true);
  assert.equal(n.counters.outOfOrder, 1, 'a sequence number going back');
  assert.equal(n.check(lv(0, 9)), true, 'seq 0 = no sequence; the time went back');
  assert.equal(n.counters.outOfOrder, 2);
  assert.equal(n.check({ ...lv(6, 14), symbolId: 3 }), false);
  assert.equal(n.counters.unknownSymbol, 1);
  const trade = (price: number, qty: number): TradeEvent => ({
    kind: MdKind.Trade,
    symbolId: 0,
    exchTs: 20,
    localTs: 20,
    seq: 0,
    price,
    qty,
    aggressor: 1,
  });
  assert.equal(n.check(trade(3_450_000, 1)), true);
  assert.equal(n.check(trade(0, 1)), false);
  assert.equal(n.check(trade(3_450_000, -1)), false);
  assert.equal(n.check(trade(Number.NaN, 1)), false);
  assert.equal(n.check(trade(3_450_000.5, 1)), false);
  assert.equal(n.check({ ...trade(1, 1), aggressor: 2 as never }), false);
  assert.equal(n.check({ ...lv(7, 21), kind: 0 as never }), false);
  assert.equal(n.check({ ...lv(7, Number.NaN) }), false);
  assert.deepEqual([n.counters.badValue, n.counters.malformed], [2, 5]);
});

test('fuzz: 20,000 random payloads, valid and broken, through normalizer and LOB: all counted, none thrown', () => {
  const rng = new Rng(7);
  const n = normalizer();
  const lob = new LobEngine(1);
  const pick = <T>(xs: T[]): T => xs[rng.int(0, xs.length - 1)];
  const junkNumber = () => pick([Number.NaN, -1, 0, 0.5, Number.POSITIVE_INFINITY, 1e300, -0]);
  const N = 20_000;
  let ts = 1_000_000;
  for (let i = 0; i < N; i++) {
    // Time mostly moves forward, sometimes back.
    ts += rng.next() < 0.05 ? -rng.int(1, 50) : rng.int(0, 20);
    const mid = 34_500 + rng.int(-20, 20);
    const broken = rng.next() < 0.3;
    let q: unknown;
    if (rng.next() < 0.7) {
      const k = rng.int(0, 5);
      const bids: [number, number][] = [];
      const asks: [number, number][] = [];
      for (let j = 0; j < k; j++) {
        bids.push([mid - j - rng.int(0, 1), rng.int(1, 30)]);
        asks.push([mid + 1 + j, rng.int(1, 30)]);
      }
      const b = bidask(ts, bids, asks, rng.next() < 0.02 ? 'MXFZ9' : 'TXFD6');
      if (broken && k > 0) {
        const arr = pick([b.bidPrice, b.bidVolume, b.askPrice, b.askVolume]);
        arr[rng.int(0, k - 1)] = junkNumber();
      }
      q = b;
    } else {
      const t = tick(ts, mid, rng.int(1, 10), pick([0, 1, 2]));
      if (broken)
        (t as unknown as Record<string, unknown>)[pick(['close', 'volume', 'tickType', 'ts'])] = junkNumber();
      q = rng.next() < 0.01 ? pick([null, 'x', 3, [], {}]) : t;
    }
    assert.doesNotThrow(() => {
      const ev = n.normalize(q as RawQuote);
      if (ev !== null) lob.apply(ev, true);
    });
  }
  assert.equal(accounted(n), N, 'each payload accepted or refused exactly once');
  assert.ok(n.counters.depth > 5_000 && n.counters.trade > 3_000, JSON.stringify(n.counters));
  assert.ok(n.counters.malformed > 0 && n.counters.badValue > 0 && n.counters.unknownSymbol > 0);
  assert.ok(n.counters.outOfOrder > 0 && n.counters.staleDropped > 0);
  assert.equal(lob.counters.rejected, 0, 'the normalizer lets no bad book value through');
  // Shioaji BidAsk messages are whole 5-level snapshots: a crossed one is the feed's own state,
  // published flagged, never "repaired" by pruning levels.
  assert.ok(lob.counters.crossed > 0, JSON.stringify(lob.counters));
  assert.equal(lob.counters.prunedLevels, 0);
  assert.equal(lob.isBroken(0), false);
  const s = lob.stats(0);
  assert.equal(
    s.crossed,
    s.bestBid > 0 && s.bestAsk > 0 && s.bestBid >= s.bestAsk,
    'a crossed book is published flagged',
  );
});
