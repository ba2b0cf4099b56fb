import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { parquetMetadata } from 'hyparquet';
import { MdKind } from '../../src/contracts/market.ts';
import { LOB_CORE } from '../../src/features/sets.ts';
import { EV_LAST } from '../../src/venues/replay/event-columns.ts';
import { readParquetColumns } from '../../src/venues/replay/parquet-columns.ts';
import { readAny } from '../../src/venues/replay/read-any.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';
import { decodeMbo } from '../venues/replay/dbn-file.ts';

const exec = promisify(execFile);
const hft = path.join(repoRoot, 'bin/hft.mjs');
const HEAD = ['exch_ts', 'local_ts', 'symbol', 'price_scale', 'event'];
const HEADER = [...HEAD, ...LOB_CORE.features.map((f) => f.id)].join(',');
/** Column of `event` in a row. */
const EVENT = HEAD.indexOf('event');

/** A CSV output's rows as fields (header checked). */
function csvRows(file: string): string[][] {
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], HEADER);
  return lines.slice(1).map((l) => l.split(','));
}

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
    const rows = csvRows(out);
    // Every message with a level event gives a row (a crossed book too: it is published).
    const want = await expectedRows(file);
    assert.equal(rows.length, want.books + want.trades);
    assert.equal(rows.filter((f) => f[EVENT] === 'trade').length, want.trades);
    assert.match(r.stdout, new RegExp(`${rows.length} rows`));
    let prevTs = 0n;
    for (const f of rows) {
      assert.equal(f.length, LOB_CORE.features.length + HEAD.length);
      const ts = BigInt(f[0]);
      assert.ok(ts >= prevTs, 'rows in time order');
      prevTs = ts;
      // The symbol as configured, its price scale (mid and microprice are in scaled units), and the
      // receive time: the data has none, so exch_ts + feed.latency_us (1000 us by default), exactly.
      assert.deepEqual([f[2], f[3]], ['TXO35000Q6', '100']);
      assert.equal(BigInt(f[1]) - ts, 1_000_000n);
    }
    assert.match(r.stderr, /no receive time in the data: local_ts = exch_ts \+ 1000 us/);
    // Every feature has real values once warmed up; `nan` before.
    for (let k = HEAD.length; k < HEADER.split(',').length; k++) {
      assert.ok(
        rows.some((f) => Number.isFinite(Number(f[k]))),
        `column ${HEADER.split(',')[k]} has values`,
      );
    }
    assert.equal(rows[0][rows[0].length - 3], 'nan', 'rv_10s is warming up on the first row');
    const zero = path.join(dir, 'txo0.csv');
    assert.equal(
      (await run(['features', 'compute', '--data', dataFile(file), '--out', zero, '--feed-latency-us', '0']))
        .code,
      0,
    );
    assert.ok(
      csvRows(zero).every((f) => f[0] === f[1]),
      '--feed-latency-us 0: local_ts = exch_ts',
    );
  });

  test('DBN: exact exchange and receive times; the Parquet file reads back equal with our own reader', async () => {
    const file = dataFile('esh4-glbx-mdp3-20231225.mbo.dbn.zst');
    const csv = path.join(dir, 'es.csv');
    const pq = path.join(dir, 'es.parquet');
    for (const out of [csv, pq]) {
      const r = await run(['features', 'compute', '--data', file, '--out', out]);
      assert.equal(r.code, 0, r.stderr);
    }
    const rows = csvRows(csv);
    const want = await expectedRows('esh4-glbx-mdp3-20231225.mbo.dbn.zst');
    assert.equal(rows.length, want.books + want.trades, 'the pre-open crossed books give rows too');
    // Each row's two times are a record's ts_event and ts_recv (u64, decoded here with BigInt), in order.
    const recs = decodeMbo(file);
    let j = 0;
    for (const [i, f] of rows.entries()) {
      const e = BigInt(f[0]);
      const l = BigInt(f[1]);
      while (j < recs.length && (recs[j].tsEvent !== e || recs[j].tsRecv !== l)) j++;
      assert.ok(j < recs.length, `row ${i}: (${e}, ${l}) is no record's (ts_event, ts_recv)`);
    }

    const bytes = readFileSync(pq);
    const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    assert.deepEqual(
      meta.schema.slice(1).map((s) => [s.name, s.type]),
      HEADER.split(',').map((n) => [
        n,
        HEAD.includes(n)
          ? ({ symbol: 'BYTE_ARRAY', event: 'BYTE_ARRAY', price_scale: 'INT32' }[n] ?? 'INT64')
          : 'DOUBLE',
      ]),
    );
    const numeric = HEADER.split(',').filter((n) => n !== 'symbol' && n !== 'event');
    const all = () => true;
    const back = readParquetColumns(bytes, numeric, { relative: { exch_ts: all, local_ts: all } });
    assert.equal(back.rows, rows.length);
    const header = HEADER.split(',');
    for (const name of numeric) {
      const col = back.columns.get(name)!;
      const k = header.indexOf(name);
      const epoch = back.epochs.get(name);
      for (let i = 0; i < rows.length; i++) {
        const text = rows[i][k];
        const ok =
          epoch !== undefined
            ? epoch.toAbs(col[i]) === BigInt(text)
            : text === 'nan'
              ? Number.isNaN(col[i])
              : col[i] === Number(text);
        if (!ok) assert.fail(`${name} row ${i}: parquet ${col[i]}, csv ${text}`);
      }
    }
  });

  test('a Binance file without its depth snapshot: trade features only, and a note saying why', async () => {
    const file = 'binance-spot-btcusdt-20240809.gz';
    const out = path.join(dir, 'spot.csv');
    const r = await run(['features', 'compute', '--data', dataFile(file), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /without its own depth snapshot/);
    assert.match(r.stderr, /--data <previous> --data <this>/);
    const rows = csvRows(out);
    assert.equal(rows.length, (await expectedRows(file)).trades);
    assert.ok(
      rows.every((f) => f[HEAD.length] === 'nan'),
      'no book: mid is nan',
    );
    // Trade rows carry the line's receive time and the trade's T (ms), both exactly.
    const want: string[] = [];
    for (const line of gunzipSync(readFileSync(dataFile(file)))
      .toString('utf8')
      .split('\n')) {
      const sp = line.indexOf(' ');
      if (sp < 0 || !line.includes('@trade')) continue;
      const msg = JSON.parse(line.slice(sp + 1));
      want.push(`${line.slice(0, sp)} ${BigInt(msg.data.T) * 1_000_000n}`);
    }
    assert.deepEqual(
      rows.map((f) => `${f[1]} ${f[0]}`),
      want,
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
      '--feature-set',
      'nope',
    ]);
    assert.equal(unknownSet.code, 2);
    assert.match(unknownSet.stderr, /unknown feature set 'nope' \(known: lob_core\)/);
    // The flag's old name still works (hidden).
    const oldName = await run([
      'features',
      'compute',
      '--data',
      bad,
      '--out',
      path.join(dir, 'y.csv'),
      '--set',
      'nope',
    ]);
    assert.match(oldName.stderr, /unknown feature set 'nope'/);
  });
});
