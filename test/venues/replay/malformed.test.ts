import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { query } from 'chdb';
import { UserError } from '../../../src/core/errors.ts';
import { inspectFile } from '../../../src/venues/replay/inspect.ts';
import { readAny } from '../../../src/venues/replay/read-any.ts';

/** Expects a UserError whose message names the file and matches `reason`. */
async function rejectsClearly(path: string, file: string, reason: RegExp): Promise<void> {
  await assert.rejects(readAny(path), (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${e}`);
    assert.ok(e.message.startsWith(file), `message should name the file: ${e.message}`);
    assert.match(e.message, reason);
    return true;
  });
}

describe('malformed replay files give a UserError with a clear message', () => {
  let dir = '';
  const at = (name: string) => join(dir, name);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hft-replay-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('truncated gzip', async () => {
    const line = `1723161254087896568 {"stream":"btcusdt@trade","data":{"T":1,"p":"1.00","q":"1","m":true}}\n`;
    const gz = gzipSync(line.repeat(50));
    writeFileSync(at('binance-spot-btcusdt-20990101.gz'), gz.subarray(0, gz.length - 20));
    await rejectsClearly(at('binance-spot-btcusdt-20990101.gz'), 'binance-spot-btcusdt-20990101.gz', /gzip/);
  });

  test('a gzip line that is not "<ns> <json>"', async () => {
    const text = `1723161254087896568 {"stream":"btcusdt@trade","data":{"T":1,"p":"1.00","q":"1","m":true}}\nhello\n`;
    writeFileSync(at('binance-spot-btcusdt-20990102.gz'), gzipSync(text));
    await rejectsClearly(
      at('binance-spot-btcusdt-20990102.gz'),
      'binance-spot-btcusdt-20990102.gz',
      /line 2/,
    );
  });

  test('a price with more decimals than the tick allows', async () => {
    const text = `1 {"stream":"btcusdt@trade","data":{"T":1,"p":"1.005","q":"1","m":true}}\n`;
    writeFileSync(at('binance-spot-btcusdt-20990103.gz'), gzipSync(text));
    await rejectsClearly(
      at('binance-spot-btcusdt-20990103.gz'),
      'binance-spot-btcusdt-20990103.gz',
      /bad price "1.005"/,
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

  test('bad DBN magic', async () => {
    writeFileSync(at('bad.mbo.dbn'), Buffer.from('XYZ\u0001 definitely not databento'));
    await rejectsClearly(at('bad.mbo.dbn'), 'bad.mbo.dbn', /not a DBN file/);
  });

  test('zstd that does not decompress', async () => {
    writeFileSync(at('bad.mbo.dbn.zst'), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]));
    await rejectsClearly(at('bad.mbo.dbn.zst'), 'bad.mbo.dbn.zst', /zstd/);
  });

  test('DBN whose last record is cut short', async () => {
    const meta = Buffer.alloc(108); // dataset, schema 0 = MBO, no symbols
    const head = Buffer.from([0x44, 0x42, 0x4e, 1, 108, 0, 0, 0]);
    const record = Buffer.alloc(20);
    record[0] = 14; // 56 bytes announced, 20 present
    record[1] = 0xa0;
    writeFileSync(at('cut.mbo.dbn'), Buffer.concat([head, meta, record]));
    await rejectsClearly(at('cut.mbo.dbn'), 'cut.mbo.dbn', /truncated/);
  });

  test('LOBSTER message file with the wrong column count', async () => {
    const stem = 'AAPL_2012-06-21_34200000_57600000';
    writeFileSync(at(`${stem}_message_1.csv`), '34200.1,1,16113575,18,5853300\n');
    writeFileSync(at(`${stem}_orderbook_1.csv`), '5859400,200,5853300,18\n');
    await rejectsClearly(
      at(`${stem}_message_1.csv`),
      `${stem}_message_1.csv`,
      /line 1 has 5 columns, expected 6/,
    );
  });

  test('unknown format and missing file', async () => {
    await rejectsClearly(at('notes.txt'), 'notes.txt', /unknown replay format/);
    await rejectsClearly(
      at('taifex-txf-20990109.parquet'),
      'taifex-txf-20990109.parquet',
      /cannot read file \(ENOENT\)/,
    );
  });

  test('inspect passes the UserError through', async () => {
    await assert.rejects(inspectFile(at('bad.mbo.dbn')), UserError);
  });
});
