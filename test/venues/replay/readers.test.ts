import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { MdKind } from '../../../src/contracts/market.ts';
import { EV_LAST, EV_SNAPSHOT, type EventColumns } from '../../../src/venues/replay/event-columns.ts';
import { readAny } from '../../../src/venues/replay/read-any.ts';
import { readBinance } from '../../../src/venues/replay/read-binance.ts';
import { readLobster } from '../../../src/venues/replay/read-lobster.ts';
import { ReferenceBook, verifyTruth } from '../../../src/venues/replay/reference-book.ts';
import type { ReplayData } from '../../../src/venues/replay/replay-data.ts';
import { DATA_DIR, dataFile, HAVE_DATA, requireData } from './data-dir.ts';

const needData = requireData();
const LOBSTER = 'AAPL_2012-06-21_34200000_57600000_message_10.csv';

/** Index of the first i < n (among those passing `keep`) whose value is below the previous kept one; -1 if none. */
function firstDecrease(a: ArrayLike<number>, n: number, keep: (i: number) => boolean = () => true): number {
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!keep(i)) continue;
    if (a[i] < prev) return i;
    prev = a[i];
  }
  return -1;
}

/** Index of the first Level/Trade event whose price or qty is off the grid; -1 if none. */
function firstOffGrid(d: ReplayData, tickAt: (price: number) => number = () => d.tick): number {
  const c = d.columns;
  for (let i = 0; i < c.n; i++) {
    if (c.kind[i] === MdKind.Clear) continue;
    const p = c.price[i];
    const q = c.qty[i];
    if (!Number.isSafeInteger(p) || p <= 0 || p % tickAt(p) !== 0) return i;
    if (!Number.isSafeInteger(q) || q < 0 || (c.kind[i] === MdKind.Trade && q === 0)) return i;
  }
  return -1;
}

/** [side, price, qty, exchTs] of the first Trade event. */
function firstTrade(c: EventColumns): [number, number, number, number] {
  for (let i = 0; i < c.n; i++)
    if (c.kind[i] === MdKind.Trade)
      return [c.side[i], c.price[i], c.qty[i], Number(c.epoch.toAbs(c.exchTs[i]))];
  return [0, 0, 0, 0];
}

function countKind(c: EventColumns, kind: number): number {
  let n = 0;
  for (let i = 0; i < c.n; i++) if (c.kind[i] === kind) n++;
  return n;
}

function countFlag(c: EventColumns, flag: number, kind?: number): number {
  let n = 0;
  for (let i = 0; i < c.n; i++) if (c.flags[i] & flag && (kind === undefined || c.kind[i] === kind)) n++;
  return n;
}

describe('every real data file', needData, () => {
  test('reads through readAny with events', async () => {
    const names = HAVE_DATA
      ? readdirSync(DATA_DIR).filter((f) => f !== 'README.md' && !f.includes('_orderbook_'))
      : [];
    assert.ok(names.length >= 10, `files in ${DATA_DIR}: ${names.join(', ')}`);
    for (const name of names) {
      const d = await readAny(dataFile(name));
      assert.ok(d.columns.n > 0, `${name}: no events`);
      assert.ok(d.records > 0, `${name}: no records`);
      assert.equal(d.columns.flags[d.columns.n - 1] & EV_LAST, EV_LAST, `${name}: last message not closed`);
    }
  });
});

describe('TAIFEX parquet', needData, () => {
  const files: [string, number, string][] = [
    ['taifex-txf-20260408.parquet', 849_329, 'TXF'],
    ['taifex-txf-20260410.parquet', 899_554, 'TXF'],
    ['taifex-tmf-20260408.parquet', 1_029_841, 'TMF'],
    ['taifex-txo35000q6-20260417.parquet', 66_907, 'TXO35000Q6'],
  ];
  const data = new Map<string, ReplayData>();
  before(async () => {
    for (const [name] of files) data.set(name, await readAny(dataFile(name)));
  });

  for (const [name, rows, symbol] of files) {
    test(`${name}: one event per row (${rows}), a leading Clear, non-decreasing time`, () => {
      const d = data.get(name)!;
      const c = d.columns;
      assert.equal(d.symbol, symbol);
      assert.equal(d.records, rows);
      assert.equal(c.n, rows);
      assert.equal(c.kind[0], MdKind.Clear);
      assert.equal(countKind(c, MdKind.Clear), 1);
      assert.equal(firstDecrease(c.exchTs, c.n), -1);
      for (let i = 0; i < c.n; i++) {
        if (c.kind[i] !== MdKind.Clear)
          assert.ok(c.side[i] === 1 || c.side[i] === -1, `row ${i}: side ${c.side[i]}`);
        assert.equal(c.localTs[i], c.exchTs[i], `row ${i}: default feed latency is 0`);
      }
    });

    test(`${name}: a message is the run of events sharing one exch_ts`, () => {
      const c = data.get(name)!.columns;
      for (let i = 0; i + 1 < c.n; i++) {
        const last = (c.flags[i] & EV_LAST) !== 0;
        assert.equal(last, c.exchTs[i + 1] !== c.exchTs[i], `row ${i}`);
      }
    });
  }

  test('trade side comes from the ev buy/sell bits (0xE0000002 = buy aggressor)', () => {
    // Row 11 of the TXF 04-08 file: ev 0xE0000002, px 34502, qty 41.
    assert.deepEqual(
      firstTrade(data.get('taifex-txf-20260408.parquet')!.columns),
      [1, 3_450_200, 41, 1775608275e9],
    );
    // Row 11 of the TMF file: ev 0xD0000002 (sell), px 34300, qty 332.
    assert.deepEqual(
      firstTrade(data.get('taifex-tmf-20260408.parquet')!.columns).slice(0, 3),
      [-1, 3_430_000, 332],
    );
  });

  test('futures prices are whole index points, scaled by 100', () => {
    for (const name of files.slice(0, 3).map((f) => f[0])) {
      const d = data.get(name)!;
      assert.equal(d.priceScale, 100);
      assert.equal(d.tick, 100);
      assert.equal(firstOffGrid(d), -1, name);
    }
  });

  test('TXO premiums lie on the TAIFEX option tick ladder (0.1 / 0.5 / 1 / 5 / 10 points)', () => {
    const d = data.get('taifex-txo35000q6-20260417.parquet')!;
    const ladder = (p: number) => (p < 1000 ? 10 : p < 5000 ? 50 : p < 50000 ? 100 : p < 100000 ? 500 : 1000);
    assert.equal(d.tick, 10);
    assert.equal(firstOffGrid(d, ladder), -1);
    // Sub-point premiums exist in this file, so a scale of 1 would not do.
    let sub = 0;
    for (let i = 0; i < d.columns.n; i++) if (d.columns.price[i] % 100 !== 0) sub++;
    assert.ok(sub > 0);
  });

  test('feedLatencyNs models the receive time', async () => {
    const d = await readAny(dataFile('taifex-txo35000q6-20260417.parquet'), { feedLatencyNs: 1_500_000 });
    const c = d.columns;
    // Times relative to the file's epoch are exact: the modelled latency is exactly 1.5 ms on every row.
    for (let i = 0; i < c.n; i++) assert.equal(c.localTs[i] - c.exchTs[i], 1_500_000, `row ${i}`);
  });
});

describe('Binance gz', needData, () => {
  test('USDⓈ-M futures: synced book agrees with every bookTicker sharing a diff update id', async () => {
    const d = await readAny(dataFile('binance-usdm-btcusdt-20240808.gz'));
    const c = d.columns;
    assert.equal(d.format, 'binance-usdm');
    assert.equal(d.symbol, 'BTCUSDT');
    assert.equal(d.records, 93_954);
    assert.equal(d.stats.snapshots, 1);
    assert.equal(d.stats.gaps, 0);
    assert.equal(d.stats.unsyncedDiffs, 0);
    assert.ok(d.stats.droppedDiffs > 0, 'diffs older than the snapshot are dropped');
    assert.equal(d.stats.appliedDiffs + d.stats.droppedDiffs, 6551);
    assert.equal(countKind(c, MdKind.Trade), 21_313);
    assert.equal([d.priceScale, d.tick, d.qtyScale].join(), '100,10,1000');
    assert.equal(firstOffGrid(d), -1);
    assert.ok(d.truth && d.truth.n >= 600, `truth points: ${d.truth?.n}`);
    assert.deepEqual(verifyTruth(c, d.truth), []);
    assert.equal(firstDecrease(d.truth.eventIndex, d.truth.n), -1);
  });

  test('timestamps: local time never decreases; exchange time never decreases within one stream', async () => {
    for (const name of ['binance-usdm-btcusdt-20240808.gz', 'binance-spot-btcusdt-20240808.gz']) {
      const c = (await readAny(dataFile(name))).columns;
      assert.equal(firstDecrease(c.localTs, c.n), -1, name);
      assert.equal(
        firstDecrease(c.exchTs, c.n, (i) => c.kind[i] === MdKind.Trade),
        -1,
        name,
      );
      assert.equal(
        firstDecrease(c.exchTs, c.n, (i) => c.kind[i] !== MdKind.Trade),
        -1,
        name,
      );
    }
  });

  test('spot: the snapshot rebuilds the book and the bookTicker agrees at every shared update id', async () => {
    const d = await readAny(dataFile('binance-spot-btcusdt-20240808.gz'));
    const c = d.columns;
    assert.equal(d.format, 'binance-spot');
    assert.equal(d.records, 41_249);
    assert.equal([d.priceScale, d.tick, d.qtyScale].join(), '100,1,100000000');
    assert.equal(firstOffGrid(d), -1);
    // First trade: p "61837.63000000", q "0.02000000", m true (buyer is maker => seller aggressed), T ms.
    assert.deepEqual(firstTrade(c), [-1, 6_183_763, 2_000_000, 1723161255342e6]);
    assert.equal(d.stats.gaps, 0);
    // REST snapshot: 1000 levels per side, as one message of Clear + levels.
    assert.equal(countFlag(c, EV_SNAPSHOT, MdKind.Level), 2000);
    assert.equal(countFlag(c, EV_SNAPSHOT, MdKind.Clear), 1);
    assert.ok(d.truth && d.truth.n >= 500);
    assert.deepEqual(verifyTruth(c, d.truth), []);
  });

  test('spot 08-09 alone has no snapshot: its diffs are reported, not applied', async () => {
    const d = await readAny(dataFile('binance-spot-btcusdt-20240809.gz'));
    assert.equal(d.records, 58_325);
    assert.equal(countKind(d.columns, MdKind.Level), 0);
    assert.equal(d.stats.unsyncedDiffs, 3044);
    assert.equal(d.truth, undefined);
    assert.ok(d.notes.some((n) => n.includes('no depth snapshot')));
  });

  test('spot 08-08 + 08-09 read as one stream chain without a gap', async () => {
    const d = await readBinance([
      dataFile('binance-spot-btcusdt-20240808.gz'),
      dataFile('binance-spot-btcusdt-20240809.gz'),
    ]);
    assert.equal(d.records, 41_249 + 58_325);
    assert.equal(d.stats.gaps, 0);
    assert.equal(d.stats.appliedDiffs, 3449 + 3044);
    assert.ok(d.truth && d.truth.n > 1000);
    assert.deepEqual(verifyTruth(d.columns, d.truth), []);
  });

  test('the recorder clock offset is measured and reported', async () => {
    const d = await readAny(dataFile('binance-spot-btcusdt-20240808.gz'));
    // localTs - exchTs is about -1.27 s: the recording host's clock ran behind Binance's.
    assert.ok(d.stats.localMinusExchMedianNs < -1e9 && d.stats.localMinusExchMedianNs > -1.5e9);
    assert.ok(d.notes.some((n) => n.includes('receive clock')));
  });
});

describe('Databento DBN MBO', needData, () => {
  let snap: ReplayData;
  let live: ReplayData;
  before(async () => {
    snap = await readAny(dataFile('esh4-glbx-mdp3-20231224.mbo.dbn.zst'));
    live = await readAny(dataFile('esh4-glbx-mdp3-20231225.mbo.dbn.zst'));
  });

  test('12-24: 8,725 snapshot adds become one snapshot message', () => {
    const c = snap.columns;
    assert.equal(snap.symbol, 'ESH4');
    assert.equal(snap.records, 8725);
    assert.equal(countFlag(c, EV_SNAPSHOT, MdKind.Level), 8725);
    assert.equal(c.kind[0], MdKind.Clear);
    assert.equal(countFlag(c, EV_LAST), 1);
  });

  test('12-25: the same snapshot, then 60,067 live records', () => {
    const c = live.columns;
    assert.equal(live.records, 68_792);
    assert.equal(live.stats.snapshotRecords, 8725);
    assert.equal(live.stats.liveRecords, 60_067);
    assert.equal(countFlag(c, EV_SNAPSHOT, MdKind.Level), 8725);
    assert.equal(countKind(c, MdKind.Trade), 2973); // the T records
    const sides = { buy: 0, sell: 0 };
    for (let i = 0; i < c.n; i++) {
      if (c.kind[i] !== MdKind.Trade) continue;
      if (c.side[i] === 1) sides.buy++;
      if (c.side[i] === -1) sides.sell++;
    }
    assert.deepEqual(sides, { buy: 1542, sell: 1430 }); // T with side B / A; one T has side N
    assert.equal(live.stats.unknownOrders, 0);
    assert.equal(live.stats.overCancels, 0);
    assert.equal(firstDecrease(c.exchTs, c.n), -1);
    assert.equal(firstDecrease(c.localTs, c.n), -1);
    assert.equal([live.priceScale, live.tick].join(), '100,25');
    assert.equal(firstOffGrid(live), -1);
    assert.equal(firstOffGrid(snap), -1);
  });

  test('the L3 -> L2 book is never crossed once the 23:00 UTC open has traded', () => {
    const c = live.columns;
    const book = new ReferenceBook();
    let opened = false;
    let crossedBefore = 0;
    for (let i = 0; i < c.n; i++) {
      book.apply(c, i);
      if (c.kind[i] === MdKind.Trade) opened = true;
      if (!(c.flags[i] & EV_LAST)) continue;
      const bid = book.best(1);
      const ask = book.best(-1);
      if (bid > 0 && ask > 0 && bid >= ask) {
        assert.ok(!opened, `crossed at event ${i} after the open: ${bid} >= ${ask}`);
        crossedBefore++;
      }
    }
    assert.ok(crossedBefore > 0, 'the pre-open book is expected to cross');
    assert.equal(c.epoch.toIso(c.exchTs[countFlag(c, EV_SNAPSHOT)]).slice(0, 10), '2023-12-25');
  });

  test('both files rebuild the same snapshot book', () => {
    const a = new ReferenceBook();
    for (let i = 0; i < snap.columns.n; i++) a.apply(snap.columns, i);
    const b = new ReferenceBook();
    for (let i = 0; i < live.columns.n && live.columns.flags[i] & EV_SNAPSHOT; i++) b.apply(live.columns, i);
    assert.deepEqual([...b.bids].sort(), [...a.bids].sort());
    assert.deepEqual([...b.asks].sort(), [...a.asks].sort());
    assert.deepEqual(a.top(1, 1), [[479900, 16]]);
    assert.deepEqual(a.top(-1, 1), [[479950, 23]]);
  });
});

describe('LOBSTER', needData, () => {
  test('999 messages; the book matches the 10-level orderbook file after every one', async () => {
    const d = await readAny(dataFile(LOBSTER));
    const c = d.columns;
    assert.equal(d.symbol, 'AAPL');
    assert.equal(d.records, 999);
    assert.equal(countFlag(c, EV_LAST), 1000); // the starting snapshot + one per message
    assert.equal(countKind(c, MdKind.Trade), 98 + 61); // visible + hidden executions
    assert.equal(d.stats.hiddenExecutions, 61);
    // Line 36: execution of a resting sell (-1) of 40 @ 585.74: the buyer aggressed.
    assert.deepEqual(firstTrade(c).slice(0, 3), [1, 5_857_400, 40]);
    assert.equal(d.truth?.n, 999);
    assert.equal(d.truth?.levels, 10);
    assert.deepEqual(verifyTruth(c, d.truth!), []);
    // Orders from before the sample surface from beyond level 10; two changes have no message at all.
    assert.equal(d.stats.reveals, 12);
    assert.equal(d.stats.anomalies, 2);
    assert.equal([d.priceScale, d.tick].join(), '10000,100');
    assert.equal(firstOffGrid(d), -1);
  });

  test('times are New York (EDT) seconds after midnight, non-decreasing', async () => {
    const c = (await readLobster(dataFile(LOBSTER.replace('message', 'orderbook')))).columns;
    assert.equal(firstDecrease(c.exchTs, c.n), -1);
    assert.equal(c.epoch.toIso(c.exchTs[0]), '2012-06-21T13:30:00.004Z');
    assert.equal(c.epoch.toIso(c.exchTs[c.n - 1]), '2012-06-21T13:30:49.086Z');
  });
});
