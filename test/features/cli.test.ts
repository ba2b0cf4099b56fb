import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parquetMetadata } from 'hyparquet';
import { MdKind } from '../../src/contracts/market.ts';
import { LOB_CORE } from '../../src/features/sets.ts';
import { EV_LAST } from '../../src/venues/replay/event-columns.ts';
import { readAny } from '../../src/venues/replay/read-any.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';

const exec = promisify(execFile);
const hft = path.join(repoRoot, 'bin/hft.mjs');
const HEADER = `exch_ts,event,${LOB_CORE.features.map((f) => f.id).join(',')}`;

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [hft, ...args], { cwd: repoRoot, maxBuffer: 1 << 24 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Expected rows, counted from the raw events: one per message that changes the book, one per trade. */
async function expectedRows(file: string): Promise<{ books: number; trades: number }> {
  const c = (await readAny(dataFile(file))).columns;
  let books = 0;
  let trades = 0;
  let levelInMessage = false;
  for (let i = 0; i < c.n; i++) {
    if (c.kind[i] === MdKind.Trade) trades++;
    if (c.kind[i] === MdKind.Level) levelInMessage = true;
    if (c.flags[i] & EV_LAST) {
      if (levelInMessage) books++;
      levelInMessage = false;
    }
  }
  return { books, trades };
}

describe('hft features compute', requireData(), () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hft-features-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('writes the feature time series of a TAIFEX recording as CSV', async () => {
    const file = 'taifex-txo35000q6-20260417.parquet';
    const out = path.join(dir, 'txo.csv');
    const r = await run(['features', 'compute', '--data', dataFile(file), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.equal(lines[0], HEADER);
    // The recording has no crossed book, so every message with a level event gives a row.
    const want = await expectedRows(file);
    const rows = lines.slice(1).map((l) => l.split(','));
    assert.equal(rows.length, want.books + want.trades);
    assert.equal(rows.filter((f) => f[1] === 'trade').length, want.trades);
    assert.match(r.stdout, new RegExp(`${rows.length} rows`));
    let prevTs = 0;
    for (const f of rows) {
      assert.equal(f.length, LOB_CORE.features.length + 2);
      const ts = Number(f[0]);
      assert.ok(ts >= prevTs, 'rows in time order');
      prevTs = ts;
    }
    // Every feature has real values once warmed up; `nan` before.
    for (let k = 2; k < HEADER.split(',').length; k++) {
      assert.ok(
        rows.some((f) => Number.isFinite(Number(f[k]))),
        `column ${HEADER.split(',')[k]} has values`,
      );
    }
    assert.equal(rows[0][rows[0].length - 3], 'nan', 'rv_10s is warming up on the first row');
  });

  test('writes Parquet with typed columns', async () => {
    const file = 'AAPL_2012-06-21_34200000_57600000_message_10.csv';
    const out = path.join(dir, 'aapl.parquet');
    const r = await run(['features', 'compute', '--data', dataFile(file), '--out', out, '--set', 'lob_core']);
    assert.equal(r.code, 0, r.stderr);
    const meta = parquetMetadata(readFileSync(out));
    const want = await expectedRows(file);
    assert.equal(Number(meta.num_rows), want.books + want.trades);
    assert.deepEqual(
      meta.schema.slice(1).map((s) => s.name),
      HEADER.split(','),
    );
  });

  test('a Binance file without its depth snapshot: trade features only, and a note saying why', async () => {
    const file = 'binance-spot-btcusdt-20240809.gz';
    const out = path.join(dir, 'spot.csv');
    const r = await run(['features', 'compute', '--data', dataFile(file), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /without its own depth snapshot/);
    assert.match(r.stderr, /--data <previous> --data <this>/);
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n').slice(1);
    assert.equal(rows.length, (await expectedRows(file)).trades);
    assert.ok(
      rows.every((l) => l.split(',')[2] === 'nan'),
      'no book: mid is nan',
    );
  });

  test('a malformed file: exit code 2 and a one-line reason, no stack trace', async () => {
    const bad = path.join(dir, 'taifex-txf-20990101.parquet');
    writeFileSync(bad, 'PAR1 not really parquet');
    const r = await run(['features', 'compute', '--data', bad, '--out', path.join(dir, 'bad.csv')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^hft: taifex-txf-20990101\.parquet: not a readable parquet file/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const unknownSet = await run([
      'features',
      'compute',
      '--data',
      bad,
      '--out',
      path.join(dir, 'x.csv'),
      '--set',
      'nope',
    ]);
    assert.equal(unknownSet.code, 2);
    assert.match(unknownSet.stderr, /unknown feature set 'nope' \(known: lob_core\)/);
  });
});
