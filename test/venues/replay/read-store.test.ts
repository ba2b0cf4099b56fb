import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadProject } from '../../../src/config/project.ts';
import { MdKind } from '../../../src/contracts/market.ts';
import { UserError } from '../../../src/core/errors.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { runQuery } from '../../../src/recorder/query.ts';
import { TradingSystem } from '../../../src/services/trading-system.ts';
import { EV_LAST, EV_SNAPSHOT } from '../../../src/venues/replay/event-columns.ts';
import { readStore, type StoreData } from '../../../src/venues/replay/read-store.ts';
import { repoRoot } from '../../helpers/symbols.ts';

function load(overrides: Record<string, unknown>) {
  const { settings, symbols, strategies } = loadProject({
    root: repoRoot,
    env: 'test',
    envVars: {},
    overrides: Object.entries(overrides).map(([key, value]) => ({ key, value, label: 'test' })),
  });
  return { settings, root: repoRoot, symbols, strategies, log: createLogger('silent') };
}

describe('replay of our own recorder store', () => {
  let dir = '';
  let data: StoreData[] = [];
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hft-store-replay-'));
    const sys = await TradingSystem.create({ ...load({ 'store.path': dir }), record: true });
    await sys.run(60);
    data = await readStore(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('each depth row becomes one snapshot message, each trade row one trade, per symbol', async () => {
    const counts = await runQuery(
      dir,
      "SELECT symbol, countIf(type = 'depth'), countIf(type = 'trade') FROM hft.market_data GROUP BY symbol ORDER BY symbol",
      'TSV',
    );
    const rows = counts
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    assert.deepEqual(
      data.map((d) => d.symbol),
      rows.map((r) => r[0]),
    );
    for (const [i, d] of data.entries()) {
      const [, depth, trades] = rows[i].map(Number);
      const c = d.columns;
      let messages = 0;
      let clears = 0;
      let tradeEvents = 0;
      for (let k = 0; k < c.n; k++) {
        if (c.flags[k] & EV_LAST) messages++;
        if (c.kind[k] === MdKind.Clear) clears++;
        if (c.kind[k] === MdKind.Trade) tradeEvents++;
        if (c.kind[k] === MdKind.Level) assert.ok(c.flags[k] & EV_SNAPSHOT);
      }
      assert.equal(d.records, depth + trades);
      assert.equal(messages, depth + trades);
      assert.equal(clears, depth);
      assert.equal(tradeEvents, trades);
      assert.equal(d.priceScale, 100);
      for (let k = 1; k < c.n; k++) assert.ok(c.localTs[k] >= c.localTs[k - 1], 'rows in receive order');
    }
  });

  test('store:<dir> replays through the whole runtime; the book ends as the last recorded snapshot', async () => {
    const sys = await TradingSystem.create({
      ...load({ 'feed.kind': 'replay', 'feed.data': [`store:${dir}?symbols=TXFD6`], 'feed.speed': 'max' }),
      record: false,
    });
    const s = await sys.run(0);
    const txf = data.find((d) => d.symbol === 'TXFD6')!;
    assert.equal(s.events, txf.columns.n);
    assert.equal(s.feed.crossed_books, 0);
    assert.equal(s.feed.out_of_order, 0);
    assert.deepEqual(
      sys.symbols.map((x) => x.code),
      ['TXFD6'],
    );
    const last = await runQuery(
      dir,
      "SELECT bids_price[1], bids_vol[1], asks_price[1], asks_vol[1] FROM hft.market_data WHERE symbol = 'TXFD6' AND type = 'depth' ORDER BY ingest_ts DESC, seq DESC LIMIT 1",
      'TSV',
    );
    const st = sys.lob.stats(0);
    assert.equal(last.trim(), [st.bestBid, st.bestBidQty, st.bestAsk, st.bestAskQty].join('\t'));
  });

  test('a time range narrows the rows; an empty selection or a missing store is a clear error', async () => {
    const txf = data.find((d) => d.symbol === 'TXFD6')!.columns;
    const mid = txf.exchTs[Math.floor(txf.n / 2)];
    const half = await readStore(dir, { symbols: ['TXFD6'], fromNs: txf.epoch.toAbs(mid) });
    assert.ok(half[0].columns.n < txf.n && half[0].columns.exchTs[0] >= mid);
    await assert.rejects(readStore(dir, { symbols: ['NOPE'] }), /no market data for NOPE/);
    await assert.rejects(readStore(dir, { symbols: ["x'; DROP"] }), UserError);
    await assert.rejects(readStore(path.join(dir, 'absent')), /no such directory/);
    await assert.rejects(readStore(path.join(dir, 'metadata')), /not a ClickHouse store/);
  });
});
