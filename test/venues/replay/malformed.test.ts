import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { query } from 'chdb';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { loadProject } from '../../../src/config/project.ts';
import { UserError } from '../../../src/core/errors.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { formatSummary } from '../../../src/services/summary.ts';
import { loadReplayData, TradingSystem } from '../../../src/services/trading-system.ts';
import { inspectFile } from '../../../src/venues/replay/inspect.ts';
import { readAny } from '../../../src/venues/replay/read-any.ts';
import type { ReadOptions } from '../../../src/venues/replay/replay-data.ts';
import { replayStartTs } from '../../../src/venues/replay/replay-venue.ts';
import {
  binanceGz,
  binanceUsdmLines,
  dbnFile,
  dbnRecords,
  lobsterTexts,
  nthDepthLine,
} from '../../helpers/market-files.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile, requireData } from './data-dir.ts';

/** Expects a UserError whose message names the file and matches `reason`. */
async function rejectsClearly(path: string, file: string, reason: RegExp, opts?: ReadOptions): Promise<void> {
  await assert.rejects(readAny(path, opts), (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${e}`);
    assert.ok(e.message.startsWith(file), `message should name the file: ${e.message}`);
    assert.match(e.message, reason);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return true;
  });
}

let dir = '';
const at = (name: string) => join(dir, name);
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hft-replay-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('broken files are refused with one line naming the file and the reason', () => {
  test('truncated gzip', async () => {
    const gz = binanceGz(binanceUsdmLines(50));
    writeFileSync(at('binance-spot-btcusdt-20990101.gz'), gz.subarray(0, gz.length - 20));
    await rejectsClearly(at('binance-spot-btcusdt-20990101.gz'), 'binance-spot-btcusdt-20990101.gz', /gzip/);
  });

  test('a gzip file of which every line is refused', async () => {
    writeFileSync(at('notes.gz'), gzipSync('hello\nworld\n'));
    await rejectsClearly(at('notes.gz'), 'notes.gz', /not a Binance recording \(no "<ns> <json>" line/);
    writeFileSync(at('binance-usdm-btcusdt-20990101.gz'), gzipSync('hello\nworld\n'));
    await rejectsClearly(
      at('binance-usdm-btcusdt-20990101.gz'),
      'binance-usdm-btcusdt-20990101.gz',
      /2 of 2 records refused \(not a recorded Binance message 2/,
    );
  });

  test('garbage parquet', async () => {
    writeFileSync(at('taifex-txf-20990101.parquet'), Buffer.from('PAR1 this is not parquet at all'));
    await rejectsClearly(
      at('taifex-txf-20990101.parquet'),
      'taifex-txf-20990101.parquet',
      /not a readable parquet/,
    );
  });

  test('parquet with the wrong columns', async () => {
    const path = at('taifex-txf-20990102.parquet');
    query(
      `SELECT number AS ts, toFloat64(number) AS px FROM numbers(3) INTO OUTFILE '${path}' TRUNCATE FORMAT Parquet`,
    );
    await rejectsClearly(path, 'taifex-txf-20990102.parquet', /missing column\(s\) ev, exch_ts, qty/);
  });

  test('a valid file with no rows: a replay refuses it (a backtest of nothing was written as a report)', async () => {
    const path = at('taifex-txf-20990103.parquet');
    query(
      `SELECT * FROM file('${dataFile('taifex-txf-20260408.parquet')}') LIMIT 0 INTO OUTFILE '${path}' TRUNCATE FORMAT Parquet`,
    );
    const { settings, symbols } = loadProject({ root: repoRoot, env: 'test', envVars: {} });
    await assert.rejects(
      loadReplayData({ ...settings, feed: { ...settings.feed, data: [path] } }, symbols, repoRoot),
      (e: Error) =>
        e instanceof UserError &&
        e.message === 'taifex-txf-20990103.parquet: no events to replay (empty data)',
    );
  });

  test('not DBN: told by the content, or by --format', async () => {
    writeFileSync(at('bad.mbo.dbn'), Buffer.from('XYZ\u0001 definitely not databento'));
    await rejectsClearly(at('bad.mbo.dbn'), 'bad.mbo.dbn', /unknown data format .* pass --format/);
    await rejectsClearly(at('bad.mbo.dbn'), 'bad.mbo.dbn', /not a DBN file/, { format: 'dbn-mbo' });
  });

  test('zstd that does not decompress', async () => {
    writeFileSync(at('bad.mbo.dbn.zst'), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]));
    await rejectsClearly(at('bad.mbo.dbn.zst'), 'bad.mbo.dbn.zst', /zstd/);
  });

  test('a zstd header that claims a huge content is refused before anything is allocated', async () => {
    // Frame header: single segment, 8-byte content size of 2^40, then one raw block of 3 bytes.
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 0x19, 0, 0, 1, 2, 3]);
    writeFileSync(at('huge.mbo.dbn.zst'), frame);
    await rejectsClearly(
      at('huge.mbo.dbn.zst'),
      'huge.mbo.dbn.zst',
      /declares 1099511627776 bytes, its blocks hold at most 3/,
    );
  });

  test('DBN whose last record is cut short', async () => {
    writeFileSync(at('cut.mbo.dbn'), dbnFile(dbnRecords(3)).subarray(0, 116 + 56 * 2 + 20));
    await rejectsClearly(at('cut.mbo.dbn'), 'cut.mbo.dbn', /truncated/);
  });

  test('a LOBSTER pair whose every message row is broken', async () => {
    const stem = 'AAPL_2012-06-21_34200000_57600000';
    writeFileSync(at(`${stem}_message_1.csv`), '34200.1,1,16113575,18,5853300\n');
    writeFileSync(at(`${stem}_orderbook_1.csv`), '5859400,200,5853300,18\n');
    await rejectsClearly(
      at(`${stem}_message_1.csv`),
      `${stem}_message_1.csv`,
      /1 of 1 records refused \(5 columns, expected 6/,
    );
  });

  test('unknown format, missing file, a directory', async () => {
    writeFileSync(at('notes.txt'), 'hello');
    await rejectsClearly(at('notes.txt'), 'notes.txt', /unknown data format/);
    await rejectsClearly(
      at('taifex-txf-20990109.parquet'),
      at('taifex-txf-20990109.parquet'),
      /: not found$/,
    );
    await rejectsClearly(dir, dir, /is a directory, expected a data file/);
  });

  test('inspect passes the UserError through', async () => {
    await assert.rejects(inspectFile(at('bad.mbo.dbn')), UserError);
  });
});

describe('bad values are dropped and counted, the rest of the file is used', () => {
  test('Binance: a null in a depth level array is a counted rejection (was a TypeError), and a gap', async () => {
    const lines = binanceUsdmLines(100);
    const diff = lines[nthDepthLine(lines, 8)][1] as { data: { b: unknown[] } };
    diff.data.b = [null, ...diff.data.b];
    writeFileSync(at('null.gz'), binanceGz(lines));
    const d = await readAny(at('null.gz'));
    assert.deepEqual(d.rejects.byReason, { 'bad depth message': 1 });
    assert.equal(
      d.rejects.examples[0],
      `null.gz: line ${nthDepthLine(lines, 8) + 1}: bad depth message (b[0] is null)`,
    );
    assert.equal(d.stats.gaps, 1, 'the next diff no longer chains');
    assert.ok(d.columns.n > 50);
  });

  test('a replay run counts what the reader refused and the gaps it found in its summary', async () => {
    const lines = binanceUsdmLines(400);
    const diff = lines[nthDepthLine(lines, 8)][1] as { data: { b: unknown[] } };
    diff.data.b = [null, ...diff.data.b];
    writeFileSync(at('binance-usdm-btcusdt-20240808.gz'), binanceGz(lines));
    const project = loadProject({
      root: repoRoot,
      env: 'test',
      envVars: {},
      overrides: [
        ['feed.kind', 'replay'],
        ['feed.data', [at('binance-usdm-btcusdt-20240808.gz')]],
        ['feed.speed', 'max'],
        ['metrics.enabled', false],
      ].map(([key, value]) => ({ key: key as string, value, label: 'test' })),
    });
    const sys = await TradingSystem.create({
      ...project,
      strategies: [],
      root: repoRoot,
      log: createLogger('silent'),
      record: false,
    });
    const s = await sys.run(0);
    assert.equal(s.feed.replay?.data_rejected, 1);
    assert.equal(s.feed.replay?.data_gaps, 1);
    assert.match(formatSummary(s), /the data readers refused 1 records and found 1 sequence gaps/);
    // A replay's clock is the data's; a histogram without samples is not a 0 us measurement.
    assert.match(formatSummary(s), /run finished: [\d.]+ s of data time/);
    const none = formatSummary({ ...s, latency_us: { p50: 0, p99: 0, max: 0, count: 0 } });
    assert.match(none, /latency event->intent: no samples/);
    assert.doesNotMatch(none, /p50 0 us/);
  });

  test('Binance: fields of the wrong type, bad decimals, NaN and negative values', async () => {
    const lines = binanceUsdmLines(100);
    const data = (k: number) => (lines[k][1] as { data: Record<string, unknown> }).data;
    data(nthDepthLine(lines, 20)).U = 'x';
    const trade = lines.findIndex((l) => JSON.stringify(l[1]).includes('@trade'));
    data(trade).p = '-1.00';
    const ticker = lines.findIndex((l) => JSON.stringify(l[1]).includes('@bookTicker'));
    data(ticker).b = 'NaN';
    writeFileSync(at('types.gz'), binanceGz(lines));
    const d = await readAny(at('types.gz'));
    assert.deepEqual(d.rejects.byReason, { 'bad depth message': 1, 'bad trade': 1, 'bad bookTicker': 1 });
  });

  test('Binance: a receive time of 0 on one line is dropped, not replayed from 1970', async () => {
    const lines = binanceUsdmLines(200);
    lines[nthDepthLine(lines, 60)][0] = 0; // a diff of one bid and one ask: 2 events
    writeFileSync(at('zero.gz'), binanceGz(lines));
    const d = await readAny(at('zero.gz'));
    assert.equal(d.time?.dropped, 2);
    assert.equal(d.rejects.byReason['receive time outlier'], 2);
    // The replay (with an exchange model) starts at the data, not 54 years earlier.
    const start = d.columns.epoch.toAbs(replayStartTs([{ symbolId: 0, columns: d.columns }], true));
    assert.ok(start > BigInt(Date.UTC(2024, 0, 1)) * 1_000_000n, `starts at ${start}`);
    const s = await inspectFile(at('zero.gz'));
    assert.equal(s.time?.dropped, 2);
  });

  test('DBN: prices off the 0.01 grid, not positive, adds without a side are counted; off-tick flagged', async () => {
    const recs = dbnRecords(60);
    recs[10].price += 5_000_000n; // 4800.005: finer than 0.01
    recs[12].price = -recs[12].price;
    recs[8].side = 'N';
    recs[16].price += 10_000_000n * 10n; // 4800.10: on the 0.01 grid, off the 0.25 tick
    writeFileSync(at('off.mbo.dbn'), dbnFile(recs));
    const d = await readAny(at('off.mbo.dbn'));
    assert.deepEqual(d.rejects.byReason, {
      'price finer than 0.01': 1,
      'price not positive': 1,
      'order without a side': 1,
    });
    const s = await inspectFile(at('off.mbo.dbn'));
    assert.ok(s.offTick >= 1, `off-tick events ${s.offTick}`);
  });

  test('LOBSTER: values above 2^53 and off-tick prices are counted, not accepted', async () => {
    const stem = 'MSFT_2012-06-21_34200000_57600000';
    const { messages, orderbook } = lobsterTexts(40);
    const rows = messages.trim().split('\n');
    rows[5] = rows[5].replace(/,5853000,/, ',99999999999999999999,');
    rows[7] = rows[7].replace(/,5853000,/, ',5853050,');
    writeFileSync(at(`${stem}_message_1.csv`), `${rows.join('\n')}\n`);
    writeFileSync(at(`${stem}_orderbook_1.csv`), orderbook);
    const d = await readAny(at(`${stem}_message_1.csv`));
    assert.deepEqual(d.rejects.byReason, { 'not integers within 2^53': 1, 'price off the 0.01 tick': 1 });
    assert.match(d.rejects.examples[0], /_message_1\.csv: line 6: not integers within 2\^53/);
  });
});

describe('TAIFEX parquet: the crash and the spin seen under fault injection', requireData(), () => {
  test('one flipped byte (TXO, offset 216914 = 0x9f) is a clear refusal, not a V8 abort', async () => {
    const bytes = readFileSync(dataFile('taifex-txo35000q6-20260417.parquet'));
    bytes[216914] = 0x9f;
    writeFileSync(at('taifex-txo35000q6-20260417.parquet'), bytes);
    await rejectsClearly(
      at('taifex-txo35000q6-20260417.parquet'),
      'taifex-txo35000q6-20260417.parquet',
      /not a readable parquet file \(column px, row group 0, page at byte 202515: /,
    );
  });

  test('a flipped byte in a timestamp: the rows are dropped and reported, the replay does not jump', async () => {
    // The TXO file rewritten without compression, so one byte of one exch_ts dictionary entry flips.
    const plain = at('taifex-txo35000q6-20260418.parquet');
    query(
      `SELECT * FROM file('${dataFile('taifex-txo35000q6-20260417.parquet')}', Parquet) INTO OUTFILE '${plain}' ` +
        "TRUNCATE FORMAT Parquet SETTINGS output_format_parquet_compression_method = 'none'",
    );
    const bytes = readFileSync(plain);
    const before = await readAny(plain);
    const md = parquetMetadata(bytes).row_groups[0].columns.find(
      (c) => c.meta_data?.path_in_schema[0] === 'exch_ts',
    )?.meta_data;
    assert.ok(md?.dictionary_page_offset !== undefined);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const reader = { view, offset: Number(md.dictionary_page_offset) };
    const header = parquetHeader(reader);
    const entries = header.dictionary_page_header?.num_values ?? 0;
    const entry = Math.floor(entries / 2);
    bytes[reader.offset + 8 * entry + 6] ^= 0x01; // +-2^48 ns: 3.3 days
    writeFileSync(plain, bytes);
    const d = await readAny(plain);
    assert.ok((d.time?.dropped ?? 0) >= 1, `dropped ${d.time?.dropped}`);
    assert.equal(d.columns.n, before.columns.n - (d.time?.dropped ?? 0));
    assert.equal(d.columns.exchTs[d.columns.n - 1], before.columns.exchTs[before.columns.n - 1]);
    let maxStep = 0;
    for (let i = 1; i < d.columns.n; i++)
      maxStep = Math.max(maxStep, d.columns.exchTs[i] - d.columns.exchTs[i - 1]);
    assert.ok(maxStep < 2 * 3600e9, `largest step ${maxStep / 3600e9} h`);
    const s = await inspectFile(plain);
    assert.ok(s.rejected.byReason['receive time outlier'] >= 1);
  });
});
