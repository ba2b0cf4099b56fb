import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { BusSlot } from '../../../src/bus/event-bus.ts';
import { EventBus } from '../../../src/bus/event-bus.ts';
import { loadProject } from '../../../src/config/project.ts';
import { type MarketEvent, MdKind } from '../../../src/contracts/market.ts';
import type { VenueHandlers } from '../../../src/contracts/venue.ts';
import { SimClock } from '../../../src/core/clock.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { Scheduler } from '../../../src/core/scheduler.ts';
import { Normalizer } from '../../../src/feed/normalizer.ts';
import { LobEngine } from '../../../src/lob/lob-engine.ts';
import { MarketDataService } from '../../../src/services/market-data.ts';
import type { StrategyRunner } from '../../../src/strategy/runner.ts';
import { BinanceVenue } from '../../../src/venues/binance/binance-venue.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile, requireData } from '../replay/data-dir.ts';

/** The JSON parts of the recording's first `n` lines. */
function frames(n: number): string[] {
  const text = gunzipSync(readFileSync(dataFile('binance-usdm-btcusdt-20240808.gz'))).toString('utf8');
  return text
    .split('\n', n)
    .filter((l) => l.length > 0)
    .map((l) => l.slice(l.indexOf(' ') + 1));
}

/**
 * The recording through a BinanceVenue into the market-data service (normalizer, LOB, bus, a
 * recording consumer): with `batch` the venue hands each depth message over in one onLevels call,
 * else one onMarketEvent per level. What the consumer saw at each published book, the counters.
 */
function run(lines: string[], batch: boolean, mangle = false, top = false) {
  const { settings, symbols } = loadProject({ root: repoRoot, env: 'test', envVars: {}, overrides: [] });
  const spec = { ...symbols.find((s) => s.code === 'BTCUSDT-PERP')!, id: 0 };
  const clock = new SimClock();
  const venue = new BinanceVenue({
    name: 'binance-usdm',
    symbols: [spec],
    venueSymbols: ['BTCUSDT'],
    scheduler: new Scheduler(clock),
    clock,
    log: createLogger('silent'),
    settings: { ...settings.live, endpoint: 'http://127.0.0.1:9' },
    credentials: null,
  });
  venue.stop(); // no socket, no REST: the recorded snapshots stand in for fetched ones
  const lob = new LobEngine(1);
  lob.setRepair(0, false);
  const normalizer = new Normalizer([spec], 20, () => 0);
  const bus = new EventBus(1024, 'drop_oldest');
  const seen: number[] = [];
  const runner = {
    eventT0: 0,
    onSlot: (slot: BusSlot) => {
      const e = slot.event!;
      seen.push(e.kind, e.exchTs, e.localTs);
      const st = slot.stats;
      if (st !== null)
        seen.push(
          st.bestBid,
          st.bestAsk,
          st.bestBidQty,
          st.bestAskQty,
          st.bidDepth,
          st.askDepth,
          st.imbalance,
        );
    },
  } as unknown as StrategyRunner;
  const md = new MarketDataService([spec], normalizer, lob, bus, runner, null, null);
  const handlers: VenueHandlers = {
    onQuote() {},
    onMarketEvent: mangle
      ? (e: MarketEvent, end: boolean) => {
          // Some messages stamped earlier than the one before (out of order, counted per level).
          if (e.kind === MdKind.Level && e.exchTs % 7 === 0) e.exchTs -= 1e12;
          md.onMarketEvent(e, end);
        }
      : md.onMarketEvent,
    onExec() {},
  };
  if (batch)
    handlers.onLevels = mangle
      ? (hdr, bids, bidN, asks, askN) => {
          const h = { ...hdr };
          if (h.exchTs % 7 === 0) h.exchTs -= 1e12;
          md.onLevels(h, bids, bidN, asks, askN);
        }
      : md.onLevels;
  // The venue checks bookTicker against the system's book instead of a copy of its own.
  if (top) handlers.bookTop = (id) => lob.book(id);
  venue.connect(handlers);
  for (const f of lines) {
    if (f.startsWith('{"lastUpdateId"')) venue.loadSnapshot(0, f);
    else venue.onFrame(Buffer.from(f, 'utf8'));
  }
  const own = (venue as unknown as { books: { bids: { n: number } }[] }).books[0].bids.n;
  return {
    ownLevels: own,
    seen,
    events: md.events,
    normalizer: { ...normalizer.counters },
    lob: { ...lob.counters },
    published: bus.published,
    book: [1, -1].flatMap((side) =>
      Array.from({ length: lob.book(0).levels(side as 1 | -1) }, (_, i) =>
        lob.book(0).price(side as 1 | -1, i),
      ),
    ),
    venue: { ...venue.counters },
  };
}

test(
  'a depth message in one onLevels call: the same books, published stats, events and counters as one onMarketEvent per level',
  requireData(),
  () => {
    const lines = frames(40_000);
    for (const mangle of [false, true]) {
      const perLevel = run(lines, false, mangle);
      const batch = run(lines, true, mangle);
      assert.ok(
        perLevel.venue.depthDiffs > 1000 && perLevel.published > 1000,
        JSON.stringify(perLevel.venue),
      );
      assert.ok(perLevel.venue.tickersChecked > 100, JSON.stringify(perLevel.venue));
      assert.equal(perLevel.venue.tickersMismatched, 0);
      if (mangle) assert.ok(perLevel.normalizer.outOfOrder > 1000, JSON.stringify(perLevel.normalizer));
      assert.deepEqual(batch.venue, perLevel.venue);
      assert.deepEqual(batch.normalizer, perLevel.normalizer);
      assert.deepEqual(batch.lob, perLevel.lob);
      assert.equal(batch.events, perLevel.events);
      assert.equal(batch.published, perLevel.published);
      assert.deepEqual(batch.book, perLevel.book);
      assert.equal(batch.seen.length, perLevel.seen.length);
      for (let i = 0; i < perLevel.seen.length; i++)
        if (batch.seen[i] !== perLevel.seen[i]) assert.fail(`published value ${i} differs`);
    }
  },
);

test('onLevels: a message of bids only, of asks only, and of an unknown symbol', () => {
  const { symbols } = loadProject({ root: repoRoot, env: 'test', envVars: {}, overrides: [] });
  const spec = { ...symbols.find((s) => s.code === 'BTCUSDT-PERP')!, id: 0 };
  const make = () => {
    const lob = new LobEngine(1);
    lob.setRepair(0, false);
    const normalizer = new Normalizer([spec], 20, () => 0);
    const bus = new EventBus(64, 'drop_oldest');
    const out: number[] = [];
    const runner = {
      eventT0: 0,
      onSlot: (s: BusSlot) => out.push(s.stats!.bestBid, s.stats!.bestAsk, s.stats!.bestBidQty),
    } as unknown as StrategyRunner;
    return {
      lob,
      normalizer,
      out,
      md: new MarketDataService([spec], normalizer, lob, bus, runner, null, null),
    };
  };
  const bids = Float64Array.of(100, 5, 99, 6, 98, 0);
  const asks = Float64Array.of(101, 7, 102, 8);
  const cases: [Float64Array, number, Float64Array, number][] = [
    [bids, 6, asks, 0],
    [bids, 0, asks, 4],
    [bids, 4, asks, 4],
  ];
  const a = make();
  const b = make();
  let ts = 1;
  for (const [bp, bn, ap, an] of cases) {
    const hdr = { symbolId: 0, exchTs: ts, localTs: ts, seq: 0 };
    ts++;
    a.md.onLevels(hdr, bp, bn, ap, an);
    const n = (bn + an) / 2;
    let k = 0;
    for (const [arr, m, side] of [
      [bp, bn, 1],
      [ap, an, -1],
    ] as const)
      for (let i = 0; i < m; i += 2) {
        k++;
        b.md.onMarketEvent({ kind: MdKind.Level, ...hdr, side, price: arr[i], qty: arr[i + 1] }, k === n);
      }
  }
  assert.deepEqual(a.out, b.out);
  assert.deepEqual(a.out, [100, 0, 5, 100, 101, 5, 100, 101, 5]);
  a.md.onLevels({ symbolId: 3, exchTs: 9, localTs: 9, seq: 0 }, bids, 4, asks, 2);
  assert.equal(a.normalizer.counters.unknownSymbol, 3);
  a.md.onLevels({ symbolId: 0, exchTs: 0, localTs: 9, seq: 0 }, bids, 4, asks, 0);
  assert.equal(a.normalizer.counters.malformed, 2);
  assert.equal(a.md.events, b.md.events);
});

test(
  "bookTicker checked against the system's book (bookTop): the same checks and no copy of the book in the venue",
  requireData(),
  () => {
    const lines = frames(40_000);
    const own = run(lines, true);
    for (const batch of [true, false]) {
      const top = run(lines, batch, false, true);
      assert.ok(own.ownLevels > 100);
      assert.equal(top.ownLevels, 0, 'the venue kept no levels of its own');
      assert.deepEqual(top.venue, own.venue);
      assert.equal(top.venue.tickersMismatched, 0);
      assert.deepEqual(top.book, own.book);
    }
  },
);

test('bookTop: a system book that differs from the exchange is counted as a bookTicker mismatch', () => {
  const { settings, symbols } = loadProject({ root: repoRoot, env: 'test', envVars: {}, overrides: [] });
  const spec = { ...symbols.find((s) => s.code === 'BTCUSDT-PERP')!, id: 0 };
  const clock = new SimClock();
  const venue = new BinanceVenue({
    name: 'binance-usdm',
    symbols: [spec],
    venueSymbols: ['BTCUSDT'],
    scheduler: new Scheduler(clock),
    clock,
    log: createLogger('silent'),
    settings: { ...settings.live, endpoint: 'http://127.0.0.1:9' },
    credentials: null,
  });
  venue.stop();
  const lob = new LobEngine(1);
  lob.setRepair(0, false);
  let skew = 0;
  venue.connect({
    onQuote() {},
    onMarketEvent: (e, end) => void lob.apply(e, end),
    onExec() {},
    bookTop: (id) => {
      const b = lob.book(id);
      return {
        bestBid: b.bestBid + skew,
        bestBidQty: b.bestBidQty,
        bestAsk: b.bestAsk,
        bestAskQty: b.bestAskQty,
      };
    },
  });
  venue.loadSnapshot(
    0,
    '{"lastUpdateId":10,"E":1,"T":1,"bids":[["100.0","1.000"]],"asks":[["100.5","2.000"]]}',
  );
  const depth = (U: number, u: number, pu: number, bid: string) =>
    `{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":2,"T":2,"s":"BTCUSDT","U":${U},"u":${u},"pu":${pu},"b":[["${bid}","3.000"]],"a":[]}}`;
  const ticker = (u: number, bid: string) =>
    `{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":${u},"s":"BTCUSDT","b":"${bid}","B":"3.000","a":"100.5","A":"2.000","T":2,"E":2}}`;
  venue.onFrame(Buffer.from(depth(9, 11, 8, '100.1')));
  venue.onFrame(Buffer.from(ticker(11, '100.1')));
  assert.deepEqual([venue.counters.tickersChecked, venue.counters.tickersMismatched], [1, 0]);
  skew = 1;
  venue.onFrame(Buffer.from(ticker(12, '100.2')));
  venue.onFrame(Buffer.from(depth(12, 12, 11, '100.2')));
  assert.deepEqual([venue.counters.tickersChecked, venue.counters.tickersMismatched], [2, 1]);
  assert.equal(venue.counters.jsonFrames, 0);
});
