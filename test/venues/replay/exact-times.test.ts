/**
 * Timestamps stay exact from the data files to every output: each reader's times equal the file's
 * integers (decoded independently here, with BigInt), and so do the times a replay records in the
 * store and a store replay reads back. (As float64 ns since 1970 they would be rounded to 256 ns.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { loadProject } from '../../../src/config/project.ts';
import { type LobStats, MdKind } from '../../../src/contracts/market.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { runQuery } from '../../../src/recorder/query.ts';
import { Recorder } from '../../../src/recorder/recorder.ts';
import { TradingSystem } from '../../../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../../../src/strategy/sdk.ts';
import type { EventColumns } from '../../../src/venues/replay/event-columns.ts';
import { readBinance } from '../../../src/venues/replay/read-binance.ts';
import { readDbn } from '../../../src/venues/replay/read-dbn.ts';
import { readStore } from '../../../src/venues/replay/read-store.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile, requireData } from './data-dir.ts';
import { decodeMbo, type MboRecord } from './dbn-file.ts';

const DBN = dataFile('esh4-glbx-mdp3-20231225.mbo.dbn.zst');
const BINANCE = dataFile('binance-usdm-btcusdt-20240808.gz');

const abs = (c: EventColumns, t: number) => c.epoch.toAbs(t);

/**
 * Matches every event's (exchTs, localTs) to a record's (ts_event, ts_recv), in order (a record
 * gives one or more events, some give none); returns the distinct pairs the events carry.
 */
function matchRecords(c: EventColumns, recs: readonly MboRecord[]): Set<string> {
  let j = 0;
  const pairs = new Set<string>();
  for (let i = 0; i < c.n; i++) {
    const e = abs(c, c.exchTs[i]);
    const l = abs(c, c.localTs[i]);
    while (j < recs.length && (recs[j].tsEvent !== e || recs[j].tsRecv !== l)) j++;
    assert.ok(j < recs.length, `event ${i} (${e}, ${l}) matches no record in order`);
    pairs.add(`${e} ${l}`);
  }
  return pairs;
}

describe('exact timestamps', requireData(), () => {
  let recs: MboRecord[] = [];
  before(() => {
    recs = decodeMbo(DBN);
  });

  test('DBN: every ts_event and ts_recv the reader gives equals the file u64', async () => {
    const rounded = recs.filter((r) => BigInt(Number(r.tsRecv)) !== r.tsRecv).length;
    assert.ok(rounded > recs.length / 2, `premise: ${rounded} of ${recs.length} ts_recv are not doubles`);
    const c = (await readDbn(DBN)).columns;
    const got = matchRecords(c, recs);
    // And the other way: the times of the records that change the book or print a trade all appear.
    const want = new Set(
      recs
        .filter((r) => 'ACMR'.includes(r.action) || (r.action === 'T' && r.price > 0n))
        .map((r) => `${r.tsEvent} ${r.tsRecv}`),
    );
    const missing = [...want].filter((p) => !got.has(p));
    assert.ok(missing.length <= want.size / 1000, `${missing.length} of ${want.size} record times missing`);
  });

  test('Binance: receive times (gz lines) and trade times (T ms) are exact', async () => {
    const lines = gunzipSync(readFileSync(BINANCE)).toString('utf8').split('\n');
    const want: [bigint, bigint][] = [];
    const received = new Set<bigint>();
    for (const line of lines) {
      const sp = line.indexOf(' ');
      if (sp < 0) continue;
      const local = BigInt(line.slice(0, sp));
      received.add(local);
      const msg = JSON.parse(line.slice(sp + 1));
      if (typeof msg.stream === 'string' && msg.stream.endsWith('@trade'))
        want.push([local, BigInt(msg.data.T) * 1_000_000n]);
    }
    const c = (await readBinance(BINANCE)).columns;
    const got: [bigint, bigint][] = [];
    for (let i = 0; i < c.n; i++) {
      assert.ok(received.has(abs(c, c.localTs[i])), `event ${i}: localTs is a line's receive time`);
      if (c.kind[i] === MdKind.Trade) got.push([abs(c, c.localTs[i]), abs(c, c.exchTs[i])]);
    }
    assert.equal(got.length, want.length);
    assert.deepEqual(got, want);
  });

  test('recorded market data read back with store: has the same times', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-exact-store-'));
    try {
      const c = (await readDbn(DBN)).columns;
      const rec = await Recorder.open({ dataDir: dir, logger: createLogger('silent') });
      rec.setEpoch(c.epoch);
      const one = new Float64Array(1);
      const qty = Float64Array.of(1);
      const sent: [bigint, bigint][] = [];
      let seq = 0;
      for (let i = 0; i < c.n; i++) {
        if (c.kind[i] === MdKind.Trade)
          rec.recordTrade('ESH4', 100, c.exchTs[i], c.localTs[i], seq++, c.price[i], c.qty[i]);
        else if (c.kind[i] === MdKind.Level && c.qty[i] > 0) {
          one[0] = c.price[i];
          rec.recordDepth('ESH4', 100, c.exchTs[i], c.localTs[i], seq++, 1, one, qty, one, qty);
        } else continue;
        sent.push([abs(c, c.exchTs[i]), abs(c, c.localTs[i])]);
      }
      const stats = await rec.close();
      assert.equal(stats.written.market_data, sent.length);
      const [back] = await readStore(dir);
      const b = back.columns;
      const got: [bigint, bigint][] = [];
      // One message per row: its last event carries the row's times.
      for (let i = 0; i < b.n; i++) if (b.flags[i] & 1) got.push([abs(b, b.exchTs[i]), abs(b, b.localTs[i])]);
      assert.equal(got.length, sent.length);
      assert.deepEqual(got, sent);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a replay recording its orders and fills', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-exact-replay-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** Quotes one lot at the best bid and ask every 500 book updates, cancelling the previous quotes. */
    class Quoter extends Strategy {
      private n = 0;
      override onBook(ctx: StrategyContext, st: LobStats): void {
        if (++this.n % 500 !== 0 || !(st.bestBid > 0 && st.bestAsk > st.bestBid) || ctx.reduceOnly()) return;
        for (const o of [...ctx.openOrders()]) ctx.cancel(o.orderId);
        ctx.place(st.symbolId, 1, st.bestBid, 1);
        ctx.place(st.symbolId, -1, st.bestAsk, 1);
      }
    }

    test('order times are ts_recv of the data, maker fill times its ts_event, all exact in the store', async () => {
      const { settings, symbols } = loadProject({
        root: repoRoot,
        env: 'test',
        envVars: {},
        overrides: [
          ['run.clock', 'sim'],
          ['feed.kind', 'replay'],
          ['feed.data', [DBN]],
          ['feed.speed', 'max'],
          ['store.path', dir],
          ['metrics.enabled', false],
        ].map(([key, value]) => ({ key: key as string, value, label: 'test' })),
      });
      const sys = await TradingSystem.create({
        settings,
        root: repoRoot,
        symbols,
        strategies: [{ id: 'q', class: 'quoter', enabled: true, symbols: ['ESH4'], params: {}, risk: {} }],
        log: createLogger('silent'),
        record: true,
        strategyClasses: { quoter: Quoter },
      });
      await sys.run(0);
      const recv = new Set(recs.map((r) => r.tsRecv.toString()));
      const event = new Set(recs.map((r) => r.tsEvent.toString()));
      const q = async (sql: string) =>
        (await runQuery(dir, sql, 'TSV'))
          .trim()
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => l.split('\t'));
      const news = await q("SELECT toString(ts) FROM hft.orders WHERE event = 'new'");
      assert.ok(news.length > 20, `orders sent: ${news.length}`);
      for (const [ts] of news) assert.ok(recv.has(ts), `order sent at ${ts}, a ts_recv of the data`);
      const fills = await q('SELECT toString(ts), toString(ingest_ts) FROM hft.trades WHERE taker = 0');
      assert.ok(fills.length > 0, 'some quotes were filled');
      const response = BigInt(settings.sim.latency.response_us) * 1000n;
      for (const [ts, ingest] of fills) {
        assert.ok(event.has(ts), `maker fill at ${ts}, a ts_event of the data`);
        assert.equal(BigInt(ingest) - BigInt(ts), response, 'reported after exactly the response latency');
      }
    });
  });
});
