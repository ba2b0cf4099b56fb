import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { repoRoot } from '../../helpers/symbols.ts';
import { DATA_DIR, dataFile, requireData } from './data-dir.ts';

const exec = promisify(execFile);
const hft = path.join(repoRoot, 'bin/hft.mjs');

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [hft, ...args], {
      cwd: repoRoot,
      // A free port for the ops server: the default one may be taken (a sim running beside the tests).
      env: { ...process.env, HFT_LOG_LEVEL: 'warn', HFT_OPS__PORT: '0' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at /, `stack trace in: ${s}`);

describe('hft data inspect', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hft-inspect-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('works on every file of the data folder', requireData(), async () => {
    const files = readdirSync(DATA_DIR)
      .filter((f) => f !== 'README.md')
      .sort();
    assert.ok(files.length >= 11, `${files.length} files`);
    const r = await run(['data', 'inspect', ...files.map(dataFile)]);
    assert.equal(r.code, 0, r.stderr);
    const reports = r.stdout.trim().split('\n\n');
    assert.equal(reports.length, files.length);
    for (const [i, f] of files.entries()) {
      assert.ok(reports[i].split('\n')[0].includes(f), `report ${i} names ${f}`);
      assert.match(reports[i], /\n(symbol|records|time|max depth) /);
    }
    const txf = reports[files.indexOf('taifex-txf-20260408.parquet')];
    assert.match(txf, /events 849,329 \(level 784,252, trade 65,076, clear 1/);
    assert.match(txf, /2026-04-08T00:31:10\.000Z \.\. 2026-04-08T13:56:32\.094Z/);
    assert.match(txf, /max depth {3}bid 5 levels, ask 5 levels/);
    assert.match(txf, /first book .*\n.*\n\s+3 +34500 \| 34502 /);
    assert.match(txf, /last book/);
    const lobster = reports[files.indexOf('AAPL_2012-06-21_34200000_57600000_message_10.csv')];
    assert.match(lobster, /999 check points x 10 levels: 0 mismatches/);
  });

  test('--json gives the summary as data', requireData(), async () => {
    const r = await run(['data', 'inspect', '--json', dataFile('taifex-txo35000q6-20260417.parquet')]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.symbol, 'TXO35000Q6');
    assert.equal(s.events, 66_907);
    assert.deepEqual(s.byKind, { level: 66_591, trade: 315, clear: 1 });
  });

  test('a malformed or missing file gives a clear error, exit code 2 and no stack trace', async () => {
    const cases: [string, Buffer | null, RegExp][] = [
      ['taifex-txf-20990101.parquet', Buffer.from('PAR1 not parquet PAR1'), /not a readable parquet/],
      ['binance-usdm-btcusdt-20990101.gz', gzipSync('hello\n').subarray(0, 12), /gzip/],
      [
        'binance-spot-btcusdt-20990101.gz',
        gzipSync('1 {"stream":"btcusdt@trade","data":{"p":"x"}}\n'),
        /1 of 1 records refused \(bad trade 1; .*price "x"/,
      ],
      ['x.mbo.dbn.zst', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 9, 9]), /zstd/],
      ['notes.txt', Buffer.from('hi'), /unknown data format/],
      ['taifex-txf-20990102.parquet', null, /taifex-txf-20990102\.parquet: not found$/m],
    ];
    for (const [name, bytes, reason] of cases) {
      const p = path.join(dir, name);
      if (bytes) writeFileSync(p, bytes);
      const r = await run(['data', 'inspect', p]);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      // Named by the file's name, or its path when it is missing.
      assert.match(r.stderr, new RegExp(`^hft: (\\S*/)?${name.replace(/\./g, '\\.')}: `));
      assert.match(r.stderr, reason);
      noStack(r.stderr);
    }
    // A directory named like a data file.
    mkdirSync(path.join(dir, 'taifex-txf-20990103.parquet'));
    const d = await run(['data', 'inspect', path.join(dir, 'taifex-txf-20990103.parquet')]);
    assert.equal(d.code, 2);
    noStack(d.stderr);
  });
});

describe('hft run sim --feed replay', requireData(), () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hft-replay-run-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const replayTxf = async (tag: string) => {
    const json = path.join(dir, `${tag}.json`);
    const r = await run([
      'run',
      'sim',
      '--feed',
      'replay',
      '--data',
      dataFile('taifex-txf-20260408.parquet'),
      '--speed',
      'max',
      '--clock',
      'sim',
      '--no-record',
      '--summary-json',
      json,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return { out: r.stdout, s: JSON.parse(readFileSync(json, 'utf8')) };
  };

  test('the TXF file drives the whole runtime: every event processed, the same run twice', async () => {
    const a = await replayTxf('a');
    const b = await replayTxf('b');
    // 849,329 events in the file (README; none empty): every one reached the market-data service.
    assert.equal(a.s.events, 849_329);
    // 275 pre-open prints and 727 pre-open book events (08:30-08:45, 14:50-15:00 Taipei): indicative,
    // they set the book but fill nothing (feed.exclude_preopen).
    assert.deepEqual(a.s.feed.replay, {
      events: 849_329,
      messages: 213_569,
      late_messages: 0,
      indicative_trades: 275,
      indicative_events: 1002,
      data_rejected: 0,
      data_gaps: 0,
    });
    assert.equal(a.s.clock, 'sim');
    // From the first to the last event of the data (08:31:10 to 21:56:32 Taipei).
    assert.ok(Math.abs(a.s.duration_s - 48_322.094) < 0.01, `duration ${a.s.duration_s}`);
    for (const k of [
      'malformed',
      'bad_values',
      'unknown_symbol',
      'out_of_order',
      'lob_rejected',
      'crossed_books',
    ])
      assert.equal(a.s.feed[k], 0, k);
    assert.ok(a.s.orders > 1000, `the market maker quoted (${a.s.orders} orders)`);
    assert.match(a.out, /feed: replayed 849329 events in 213569 messages/);
    const key = (s: typeof a.s) =>
      JSON.stringify([
        s.events,
        s.orders,
        s.fills,
        s.cancels,
        s.rejects,
        s.pnl,
        s.positions,
        s.feed,
        s.duration_s,
      ]);
    assert.equal(key(a.s), key(b.s));
  });

  test('--data alone implies --feed replay; contradicting flags and unknown data symbols are clear errors', async () => {
    const bad = await run([
      'run',
      'sim',
      '--data',
      dataFile('taifex-txf-20260408.parquet'),
      '--speed',
      'max',
      '--clock',
      'real',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--speed max runs in simulated time/);
    const speed = await run([
      'run',
      'sim',
      '--data',
      dataFile('taifex-txf-20260408.parquet'),
      '--speed',
      'fast',
    ]);
    assert.equal(speed.code, 2);
    assert.match(speed.stderr, /--speed expects a positive number or 'max'/);
    const unmapped = await run([
      'run',
      'sim',
      '--data',
      dataFile('taifex-tmf-20260408.parquet'),
      '--speed',
      'max',
      '--no-record',
      '--set',
      'feed.symbols.TMF=NOPE',
    ]);
    assert.equal(unmapped.code, 2);
    assert.match(unmapped.stderr, /data symbol TMF maps to NOPE, which is not in the symbol table/);
    noStack(unmapped.stderr);
  });

  test('--format reaches the readers of hft run sim and hft backtest run (the content is not second-guessed)', async () => {
    // A parquet file read as DBN because the user said so: the DBN reader refuses it, naming the file.
    const txf = dataFile('taifex-txf-20260408.parquet');
    const sim = await run([
      'run',
      'sim',
      '--data',
      txf,
      '--format',
      'dbn-mbo',
      '--speed',
      'max',
      '--no-record',
    ]);
    const bt = await run([
      'backtest',
      'run',
      '--strategy',
      'mm-txf',
      '--data',
      txf,
      '--format',
      'dbn-mbo',
      '--out',
      path.join(dir, 'bt-format'),
    ]);
    const cfg = await run([
      'run',
      'sim',
      '--data',
      txf,
      '--set',
      'feed.format=dbn-mbo',
      '--speed',
      'max',
      '--no-record',
    ]);
    for (const r of [sim, bt, cfg]) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^hft: taifex-txf-20260408\.parquet: not a DBN file/);
      noStack(r.stderr);
    }
  });
});
