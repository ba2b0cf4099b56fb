import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DepthEvent, type LevelEvent, type MarketEvent, MdKind } from '../../src/contracts/market.ts';
import { LobEngine } from '../../src/lob/lob-engine.ts';

function depth(bids: [number, number][], asks: [number, number][]): DepthEvent {
  const n = Math.max(bids.length, asks.length);
  const ev: DepthEvent = {
    kind: MdKind.Depth,
    symbolId: 0,
    exchTs: 1,
    localTs: 2,
    seq: 1,
    levels: n,
    bidPx: new Float64Array(n),
    bidQty: new Float64Array(n),
    askPx: new Float64Array(n),
    askQty: new Float64Array(n),
  };
  bids.forEach(([p, q], i) => {
    ev.bidPx[i] = p;
    ev.bidQty[i] = q;
  });
  asks.forEach(([p, q], i) => {
    ev.askPx[i] = p;
    ev.askQty[i] = q;
  });
  return ev;
}

const level = (side: 1 | -1, price: number, qty: number): LevelEvent => ({
  kind: MdKind.Level,
  symbolId: 0,
  exchTs: 3,
  localTs: 4,
  seq: 0,
  side,
  price,
  qty,
});

test('snapshot sets best bid/ask, mid, spread, imbalance and depth', () => {
  const lob = new LobEngine(1);
  assert.equal(
    lob.apply(
      depth(
        [
          [100, 3],
          [99, 5],
        ],
        [
          [102, 1],
          [103, 4],
        ],
      ),
    ),
    true,
  );
  const s = lob.stats(0);
  assert.equal(s.bestBid, 100);
  assert.equal(s.bestAsk, 102);
  assert.equal(s.mid, 101);
  assert.equal(s.spread, 2);
  assert.equal(s.imbalance, (3 - 1) / 4);
  assert.equal(s.bidDepth, 8);
  assert.equal(s.askDepth, 5);
  assert.equal(s.exchTs, 1);
});

test('empty levels (0 qty) in a snapshot are skipped', () => {
  const lob = new LobEngine(1);
  lob.apply(
    depth(
      [
        [100, 3],
        [0, 0],
      ],
      [
        [101, 2],
        [0, 0],
      ],
    ),
  );
  assert.equal(lob.book(0).levels(1), 1);
  assert.equal(lob.book(0).levels(-1), 1);
  assert.equal(lob.stats(0).mid, 100.5);
});

test('level updates insert, change and remove in price order', () => {
  const lob = new LobEngine(1, 2); // tiny capacity: forces growth
  lob.apply(level(1, 100, 5));
  lob.apply(level(1, 98, 1));
  lob.apply(level(1, 99, 2));
  lob.apply(level(-1, 103, 1));
  lob.apply(level(-1, 101, 7));
  const b = lob.book(0);
  assert.deepEqual([b.price(1, 0), b.price(1, 1), b.price(1, 2)], [100, 99, 98]);
  assert.deepEqual([b.price(-1, 0), b.price(-1, 1)], [101, 103]);
  lob.apply(level(1, 99, 9));
  assert.equal(b.qty(1, 1), 9);
  lob.apply(level(1, 100, 0));
  assert.equal(b.bestBid, 99);
  assert.equal(lob.stats(0).spread, 2);
  lob.apply(level(1, 42, 0)); // removing an absent level is a no-op
  assert.equal(b.levels(1), 2);
});

test('a crossed book is detected, kept out of stats, and repaired by the next snapshot', () => {
  const lob = new LobEngine(1);
  lob.apply(depth([[100, 1]], [[101, 1]]));
  // Both sides of the crossing were set in this message: no side is known stale, nothing is pruned.
  lob.apply(level(1, 102, 1), false);
  assert.equal(lob.apply(level(-1, 101, 3), true), false, 'crossing update gives no stats');
  assert.equal(lob.counters.prunedLevels, 0);
  assert.equal(lob.isBroken(0), true);
  assert.equal(lob.counters.crossed, 1);
  assert.equal(lob.stats(0).bestBid, 100, 'stats keep the last good book');
  assert.equal(lob.apply(depth([[101, 1]], [[103, 1]])), true);
  assert.equal(lob.isBroken(0), false);
  assert.equal(lob.counters.repaired, 1);
  assert.equal(lob.stats(0).bestAsk, 103);
});

test('updates within one exchange message are checked at its end only', () => {
  const lob = new LobEngine(1);
  lob.apply(depth([[100, 1]], [[101, 1]]));
  // Price moves up: the new bid arrives before the old ask is removed.
  assert.equal(lob.apply(level(1, 101, 2), false), false);
  assert.equal(lob.apply(level(-1, 101, 0), false), false);
  assert.equal(lob.apply(level(-1, 102, 3), true), true);
  assert.equal(lob.counters.crossed, 0);
  assert.equal(lob.stats(0).bestBid, 101);
});

test('clear empties the book; unknown symbols are counted', () => {
  const lob = new LobEngine(1);
  lob.apply(depth([[100, 1]], [[101, 1]]));
  lob.apply({ kind: MdKind.Clear, symbolId: 0, exchTs: 0, localTs: 0, seq: 0 });
  assert.equal(lob.book(0).levels(1), 0);
  assert.equal(lob.apply({ ...level(1, 1, 1), symbolId: 5 }), false);
  assert.equal(lob.counters.unknownSymbol, 1);
});

test('a crossing level beats the older level it crosses: stale levels are pruned, counted, book repaired', () => {
  const lob = new LobEngine(1);
  lob.apply(depth([[100, 1]], [[101, 1]]), true);
  lob.apply(level(-1, 102, 4), true);
  // The bid moves up through 101 but the removal of the old ask at 101 never arrives (no snapshots).
  assert.equal(lob.apply(level(1, 101, 2), true), true, 'pruned book is published');
  const b = lob.book(0);
  assert.equal(b.bestBid, 101);
  assert.equal(b.bestAsk, 102, 'the stale ask at 101 was removed');
  assert.deepEqual(
    { crossed: lob.counters.crossed, repaired: lob.counters.repaired, pruned: lob.counters.prunedLevels },
    { crossed: 1, repaired: 1, pruned: 1 },
  );
  assert.equal(lob.isBroken(0), false);
  assert.equal(lob.stats(0).spread, 1);
  // Same from the ask side, through two stale bid levels.
  lob.apply(level(1, 100, 3), true);
  assert.equal(lob.apply(level(-1, 100, 5), true), true);
  assert.equal(b.bestBid, 0, 'both bids at 101 and 100 were stale');
  assert.equal(lob.counters.prunedLevels, 3);
  assert.equal(lob.counters.crossed - lob.counters.repaired, 0);
});

test("a crossed snapshot is the market's book: published and flagged, never pruned", () => {
  const lob = new LobEngine(1);
  lob.apply(depth([[100, 1]], [[101, 1]]));
  assert.equal(lob.stats(0).crossed, false);
  assert.equal(lob.apply(depth([[105, 1]], [[104, 2]])), true, 'published');
  const st = lob.stats(0);
  assert.deepEqual([st.bestBid, st.bestAsk, st.spread, st.mid, st.crossed], [105, 104, -1, 104.5, true]);
  assert.equal(lob.isBroken(0), false);
  assert.equal(lob.counters.prunedLevels, 0, 'a snapshot is not pruned');
  assert.equal(lob.counters.crossed, 1);
  // Locked is flagged too; still the same episode.
  assert.equal(lob.apply(depth([[104, 1]], [[104, 2]])), true);
  assert.equal(lob.stats(0).crossed, true);
  assert.equal(lob.counters.crossed, 1);
  // The market uncrosses: nothing was repaired.
  assert.equal(lob.apply(depth([[103, 1]], [[104, 1]])), true);
  assert.equal(lob.stats(0).crossed, false);
  assert.equal(lob.counters.repaired, 0);
  // A Clear and its levels are a snapshot too, even where level diffs are repaired.
  lob.apply({ kind: MdKind.Clear, symbolId: 0, exchTs: 9, localTs: 9, seq: 0 }, false);
  lob.apply(level(1, 110, 1), false);
  assert.equal(lob.apply(level(-1, 109, 1), true), true);
  assert.deepEqual([lob.book(0).bestBid, lob.book(0).bestAsk, lob.stats(0).crossed], [110, 109, true]);
  assert.equal(lob.counters.crossed, 2);
});

test('without repair (L3 and full-depth feeds) crossing level updates are published flagged, nothing pruned', () => {
  const lob = new LobEngine(2);
  lob.setRepair(0, false);
  for (const sym of [0, 1]) {
    lob.apply({ ...depth([[100, 1]], [[101, 1]]), symbolId: sym });
    lob.apply({ ...level(-1, 102, 4), symbolId: sym }, true);
  }
  // The same update: symbol 0 keeps the ask at 101 (the feed says it is there), symbol 1 prunes it.
  assert.equal(lob.apply({ ...level(1, 101, 2), symbolId: 0 }, true), true);
  assert.equal(lob.apply({ ...level(1, 101, 2), symbolId: 1 }, true), true);
  assert.deepEqual([lob.book(0).bestBid, lob.book(0).bestAsk, lob.stats(0).crossed], [101, 101, true]);
  assert.deepEqual([lob.book(1).bestBid, lob.book(1).bestAsk, lob.stats(1).crossed], [101, 102, false]);
  assert.equal(lob.counters.prunedLevels, 1, 'only the repaired symbol');
  // Both sides fresh and crossed: published for symbol 0, held back (broken) for symbol 1.
  lob.apply({ ...level(1, 105, 1), symbolId: 0 }, false);
  assert.equal(lob.apply({ ...level(-1, 100, 1), symbolId: 0 }, true), true);
  lob.apply({ ...level(1, 105, 1), symbolId: 1 }, false);
  assert.equal(lob.apply({ ...level(-1, 100, 1), symbolId: 1 }, true), false);
  assert.equal(lob.isBroken(0), false);
  assert.equal(lob.isBroken(1), true);
  assert.equal(lob.stats(0).bestBid, 105);
  assert.equal(lob.stats(1).bestBid, 101, 'last good stats kept');
});

test('zero, negative, fractional and non-finite book values and bad sides are refused and counted', () => {
  const lob = new LobEngine(1);
  lob.apply(depth([[100, 1]], [[101, 1]]));
  const bad: LevelEvent[] = [
    level(1, 0, 5),
    level(1, -100, 5),
    level(1, 99, -1),
    level(1, Number.NaN, 1),
    level(-1, 102, Number.POSITIVE_INFINITY),
    level(1, 99.5, 1),
    level(1, 99, 0.5),
    { ...level(1, 99, 1), side: 0 as never },
  ];
  for (const ev of bad) assert.doesNotThrow(() => lob.apply(ev));
  assert.equal(lob.counters.rejected, bad.length);
  assert.equal(lob.book(0).levels(1), 1);
  assert.equal(lob.book(0).levels(-1), 1);
  // Snapshots: negative size, NaN price, unsorted side, levels beyond the arrays.
  const negative = depth([[100, -1]], [[101, 1]]);
  const nan = depth([[Number.NaN, 1]], [[101, 1]]);
  const unsorted = depth(
    [
      [99, 1],
      [100, 1],
    ],
    [[101, 1]],
  );
  const tooMany = { ...depth([[99, 1]], [[101, 1]]), levels: 7 };
  for (const ev of [negative, nan, unsorted, tooMany]) assert.equal(lob.apply(ev), false);
  assert.equal(lob.counters.rejected, bad.length + 4);
  assert.equal(lob.book(0).bestBid, 100, 'book unchanged');
  // An unknown kind is refused too.
  assert.equal(lob.apply({ ...level(1, 99, 1), kind: 9 as never }), false);
  assert.equal(lob.counters.rejected, bad.length + 5);
});

test('a refused event that ends a message still closes it', () => {
  const lob = new LobEngine(1);
  lob.apply(depth([[100, 1]], [[101, 1]]));
  assert.equal(lob.apply(level(1, 99, 4), false), false);
  assert.equal(lob.apply(level(1, -1, 4), true), true, 'the message ends: its good update is published');
  assert.equal(lob.stats(0).bidDepth, 5);
  assert.equal(lob.counters.rejected, 1);
  // A message of refused events only publishes nothing.
  assert.equal(lob.apply(level(1, -1, 4), true), false);
});

test('a trade does not touch the book', () => {
  const lob = new LobEngine(1);
  lob.apply(depth([[100, 1]], [[101, 1]]));
  const trade: MarketEvent = {
    kind: MdKind.Trade,
    symbolId: 0,
    exchTs: 5,
    localTs: 5,
    seq: 0,
    price: 101,
    qty: 1,
    aggressor: 1,
  };
  assert.equal(lob.apply(trade), false);
  assert.equal(lob.counters.applied, 1);
});
