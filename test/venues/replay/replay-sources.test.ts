import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UserError } from '../../../src/core/errors.ts';
import { readAny } from '../../../src/venues/replay/read-any.ts';
import { loadReplay } from '../../../src/venues/replay/replay-sources.ts';
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
