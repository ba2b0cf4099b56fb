import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UserError } from '../../../src/core/errors.ts';
import { readAny } from '../../../src/venues/replay/read-any.ts';
import { loadReplay } from '../../../src/venues/replay/replay-sources.ts';
import { binanceGz, binanceUsdmLines, dbnFile, dbnRecords } from '../../helpers/market-files.ts';
import { repoRoot, shippedSymbols } from '../../helpers/symbols.ts';
import { dataFile, requireData } from './data-dir.ts';

const table = shippedSymbols();
const opts = {
  root: repoRoot,
  symbolMap: { TXF: 'TXFD6', TMF: 'TMFD6', 'binance-usdm:BTCUSDT': 'BTCUSDT-PERP' },
  feedLatencyNs: 1_000_000,
};

describe('replay sources: files -> symbols of the run and streams', requireData(), () => {
  test('data symbols map to symbol codes; ids are dense; the feed latency sets the receive time', async () => {
    const r = await loadReplay(
      [dataFile('taifex-tmf-20260408.parquet'), dataFile('taifex-txf-20260408.parquet')],
      table,
      opts,
    );
    assert.deepEqual(
      r.symbols.map((s) => [s.id, s.code]),
      [
        [0, 'TMFD6'],
        [1, 'TXFD6'],
      ],
    );
    assert.deepEqual(
      r.streams.map((s) => [s.symbolId, s.columns.n]),
      [
        [0, 1_029_841],
        [1, 849_329],
      ],
    );
    const c = r.streams[1].columns;
    // Float64 ns are exact to 256 ns at today's epoch.
    assert.ok(Math.abs(c.localTs[5] - c.exchTs[5] - 1_000_000) <= 256);
    assert.deepEqual(
      r.sources.map((s) => [s.dataSymbol, s.symbol]),
      [
        ['TMF', 'TMFD6'],
        ['TXF', 'TXFD6'],
      ],
    );
  });

  test('prices are rescaled exactly to the symbol’s price scale (Binance futures: 1/100 -> 1/10)', async () => {
    const raw = await readAny(dataFile('binance-usdm-btcusdt-20240808.gz'));
    const r = await loadReplay([dataFile('binance-usdm-btcusdt-20240808.gz')], table, opts);
    assert.equal(r.symbols[0].code, 'BTCUSDT-PERP');
    assert.equal(r.symbols[0].priceScale, 10);
    const c = r.streams[0].columns;
    for (const i of [1, 1000, c.n - 1]) assert.equal(c.price[i] * 10, raw.columns.price[i]);
  });

  test('consecutive Binance files form one stream; the two LOBSTER files count once', async () => {
    const r = await loadReplay(
      [
        dataFile('binance-spot-btcusdt-20240809.gz'),
        dataFile('AAPL_2012-06-21_34200000_57600000_message_10.csv'),
        dataFile('binance-spot-btcusdt-20240808.gz'),
        dataFile('AAPL_2012-06-21_34200000_57600000_orderbook_10.csv'),
      ],
      table,
      opts,
    );
    // Read alone, the 08-09 file has trades only (10,147 events): its diffs need the 08-08 snapshot.
    assert.deepEqual(
      r.sources.map((s) => [s.symbol, s.events]),
      [
        ['AAPL', 1_131],
        ['BTCUSDT', 319_999],
      ],
    );
    assert.match(r.sources[1].source, /20240808\.gz \+ .*20240809\.gz/);
    assert.equal(r.streams.length, 2);
  });

  test('an unmapped data symbol, a scale that does not divide, and overlapping streams are refused', async () => {
    await assert.rejects(
      loadReplay([dataFile('taifex-txf-20260408.parquet')], table, { ...opts, symbolMap: {} }),
      /data symbol TXF maps to TXF, which is not in the symbol table/,
    );
    const coarse = table.map((s) => (s.code === 'AAPL' ? { ...s, priceScale: 3 } : s));
    await assert.rejects(
      loadReplay([dataFile('AAPL_2012-06-21_34200000_57600000_message_10.csv')], coarse, opts),
      /price_scale 3 \(it must divide the data scale\)/,
    );
    await assert.rejects(
      loadReplay([dataFile('taifex-txf-20260408.parquet'), dataFile('taifex-tmf-20260408.parquet')], table, {
        ...opts,
        symbolMap: { TXF: 'TXFD6', TMF: 'TXFD6' },
      }),
      (e: unknown) => e instanceof UserError && /both hold TXFD6 over the same time/.test(e.message),
    );
    await assert.rejects(loadReplay([], table, opts), /no data given/);
    await assert.rejects(loadReplay(['store:'], table, opts), /expected store:<dir>/);
    await assert.rejects(loadReplay(['store:/tmp?when=now'], table, opts), /unknown parameter 'when'/);
  });
});

describe('replay sources: formats by content, units and ticks of the symbol', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hft-sources-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a missing file is "not found", before any other file is read', async () => {
    await assert.rejects(
      loadReplay([dataFile('taifex-txf-20260408.parquet'), join(dir, 'nope.parquet')], table, opts),
      (e: unknown) => e instanceof UserError && e.message === `${join(dir, 'nope.parquet')}: not found`,
    );
  });

  test('Binance files are told by their content, whatever their names; the format can be forced', async () => {
    writeFileSync(join(dir, 'recording.gz'), binanceGz(binanceUsdmLines(30)));
    const d = await readAny(join(dir, 'recording.gz'));
    assert.equal(d.format, 'binance-usdm');
    assert.equal(d.symbol, 'BTCUSDT');
    const r = await loadReplay([join(dir, 'recording.gz')], table, opts);
    assert.equal(r.symbols[0].code, 'BTCUSDT-PERP');
    // Forced to spot, the same futures file is a spot recording (no pu chain): the user's choice.
    assert.equal(
      (await readAny(join(dir, 'recording.gz'), { format: 'binance-spot' })).format,
      'binance-spot',
    );
  });

  test('COIN-M futures are read (not refused by name): contracts, a delivery-suffixed symbol', async () => {
    const lines = binanceUsdmLines(30).map(([t, m]) => {
      const s = JSON.stringify(m)
        .replaceAll('btcusdt@', 'btcusd_perp@')
        .replaceAll('"BTCUSDT"', '"BTCUSD_PERP"')
        .replace(/"(\d+)\.(\d)\d\d"/g, (_, a) => `"${a}"`); // quantities in whole contracts
      return [t, JSON.parse(s)] as [number, unknown];
    });
    writeFileSync(join(dir, 'binance-coinm-btcusd_perp-20240808.gz'), binanceGz(lines));
    const d = await readAny(join(dir, 'binance-coinm-btcusd_perp-20240808.gz'));
    assert.equal(d.format, 'binance-coinm');
    assert.equal(d.symbol, 'BTCUSD_PERP');
    assert.equal(d.qtyScale, 1);
    assert.ok(d.columns.n > 30);
  });

  test('quantities in other units than the symbol’s are refused (USDⓈ-M 0.001 BTC as spot 1e-8 BTC)', async () => {
    await assert.rejects(
      loadReplay([dataFile('binance-usdm-btcusdt-20240808.gz')], table, { ...opts, symbolMap: {} }),
      (e: unknown) =>
        e instanceof UserError &&
        e.message ===
          'binance-usdm-btcusdt-20240808.gz: quantities count units of 1/1000 (binance-usdm), BTCUSDT counts units ' +
            'of 1/100000000 (qty_scale 100000000): map the data to a symbol with the same units (feed.symbols) or ' +
            'fix qty_scale in the symbol table',
    );
  });

  test('prices off the symbol’s tick ladder are dropped and counted', async () => {
    const recs = dbnRecords(40);
    recs[6].price += 100_000_000n; // +0.10: on the reader's 0.01 grid, off ESH4's 0.25 tick
    writeFileSync(join(dir, 'es.mbo.dbn'), dbnFile(recs));
    const r = await loadReplay([join(dir, 'es.mbo.dbn')], table, { ...opts, symbolMap: { UNKNOWN: 'ESH4' } });
    assert.equal(r.sources[0].rejected, 1);
    const c = r.streams[0].columns;
    for (let i = 0; i < c.n; i++) assert.equal(c.price[i] % 25, 0, `event ${i}`);
  });
});
