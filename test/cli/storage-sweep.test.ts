import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { queryFailure } from '../../src/recorder/query.ts';
import { hftCli } from '../helpers/hft-cli.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { ClickHouseServer, findClickHouseServer, serverSkip } from '../recorder/clickhouse-server.ts';

/** Storage and data commands used carelessly: each case was a stack trace, a wrong exit code or lost data. */
const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-storage-sweep-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const env = { HFT_LOG_LEVEL: 'warn' };
const hft = (args: string[]) => hftCli(dir, args, env);

test('features compute: an --out that is the --data file is refused and the recording is kept', async () => {
  const data = path.join(dir, 'taifex-txf-20260408.parquet');
  writeFileSync(data, 'PAR1 the recording PAR1');
  const msg = path.join(dir, 'AAPL_2012-06-21_34200000_57600000_message_10.csv');
  const book = path.join(dir, 'AAPL_2012-06-21_34200000_57600000_orderbook_10.csv');
  writeFileSync(msg, 'messages\n');
  writeFileSync(book, 'book\n');
  const cases: [string, string][] = [
    [data, 'taifex-txf-20260408.parquet'],
    [data, `./sub/../${path.basename(data)}`],
    [msg, path.basename(book)],
  ];
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  for (const [input, out] of cases) {
    const r = await hft(['features', 'compute', '--data', input, '--out', out]);
    assert.equal(r.code, 2, `${out}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^hft: --out \S+: is the input file \S+; writing it would destroy the recording\n$/,
    );
  }
  assert.equal(readFileSync(data, 'utf8'), 'PAR1 the recording PAR1');
  assert.equal(readFileSync(book, 'utf8'), 'book\n');
});

test('recorder status and replay: a WAL directory that does not exist is an error, no store is created', async () => {
  const store = path.join(dir, 'no-store-here');
  for (const cmd of ['status', 'replay']) {
    const r = await hft(['recorder', cmd, '--set', `store.path=${store}`]);
    assert.equal(r.code, 2, `${cmd}: ${r.stdout}${r.stderr}`);
    assert.equal(
      r.stderr,
      `hft: WAL ${store}/wal: no such directory (nothing recorded there yet; check store.path and recorder.wal.dir)\n`,
    );
    assert.equal(r.stdout, '');
  }
  assert.ok(!existsSync(store), 'replay created an empty store at the wrong path');
});

/** A store under `dir/name`, created by `hft recorder replay` of an empty WAL directory. */
async function emptyStore(name: string): Promise<string> {
  const store = path.join(dir, name);
  mkdirSync(path.join(store, 'wal'), { recursive: true });
  const made = await hft(['recorder', 'replay', '--set', `store.path=${store}`]);
  assert.equal(made.code, 0, made.stderr);
  return store;
}

test('data inspect: an empty file says it is empty instead of asking for --format', async () => {
  const empty = path.join(dir, 'day.parquet');
  writeFileSync(empty, '');
  const r = await hft(['data', 'inspect', empty]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'hft: day.parquet: empty file (0 bytes), not a recording\n');
});

test('db query | head: the closed pipe ends the command quietly, not with an EPIPE stack trace', async () => {
  const store = await emptyStore('store');
  // About 14 MB of output: far beyond a pipe's buffer, so the reader closes it while the command writes.
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'bin/hft.mjs'),
      'db',
      'query',
      'SELECT number FROM numbers(2000000)',
      '--format',
      'TSV',
      '--set',
      `store.path=${store}`,
    ],
    { cwd: dir, env: { ...process.env, ...env } },
  );
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b;
  });
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});

test('db query: a result over the string limit is explained as too big to print, not as a failed query', () => {
  const err = queryFailure(new Error('Cannot create a string longer than 0x1fffffe8 characters'));
  assert.match(err.message, /^query result is over 512 MiB of text.*LIMIT.*INTO OUTFILE/);
  assert.equal(
    queryFailure(new Error('Code: 62. Syntax error')).message,
    'query failed: Code: 62. Syntax error',
  );
});

test('db query: a server URL that answers but is not ClickHouse is said to be so, in one line', async () => {
  const page =
    '<!DOCTYPE HTML>\n<html>\n<body>\n<h1>Error response</h1>\n<p>Error code: 404</p>\n</body>\n</html>\n';
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    const url = `http://127.0.0.1:${port}`;
    const r = await hft(['db', 'query', 'SELECT 1', '--set', `recorder.clickhouse.url=${url}`]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `hft: ${url} answered its /ping with an error reply: Error response Error code: 404: it is not a ` +
        "ClickHouse server's HTTP interface (recorder.clickhouse.url, e.g. http://127.0.0.1:8123)\n",
    );
  } finally {
    server.close();
  }
});

test('data inspect and features compute: a device is refused as not a regular file (inspect read /dev/zero forever)', async () => {
  const cases: [string[], string][] = [
    [['data', 'inspect', '/dev/zero'], 'hft: /dev/zero: not a regular file, expected a data file\n'],
    [
      ['features', 'compute', '--data', '/dev/zero', '--out', path.join(dir, 'z.csv')],
      'hft: /dev/zero: not a regular file, expected a data file\n',
    ],
  ];
  for (const [args, stderr] of cases) {
    // A hang guard only (the refusal takes a second): without the check inspect never ends.
    const r = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'bin/hft.mjs'), ...args], {
      cwd: dir,
      env: { ...process.env, ...env },
      timeout: 120_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number | null; stderr: string }) => e,
    );
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stderr, stderr);
  }
});

test('recorder status: a damaged status file is skipped and a torn last manifest line hides no earlier load', async () => {
  const store = path.join(dir, 'status-store');
  const wal = path.join(store, 'wal');
  mkdirSync(path.join(wal, 'status'), { recursive: true });
  writeFileSync(path.join(wal, 'status', '1.json'), 'null\n');
  writeFileSync(path.join(wal, 'status', '2.json'), '{"pid": 2}\n');
  const loaded = {
    segment: 'trades.00000001.00000031',
    topic: 'trades',
    records: 1,
    inserted: 1,
    found: 0,
    rows: 3,
    cut_bytes: 0,
    loader: '1-0',
    loaded_at: '2026-12-06T23:55:42.597Z',
  };
  writeFileSync(path.join(wal, 'loaded.jsonl'), `${JSON.stringify(loaded)}\n{"segment":"orders.0000`);
  const r = await hft(['recorder', 'status', '--set', `store.path=${store}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(
    r.stdout,
    /\nlast loaded: trades\.00000001\.00000031 at 2026-12-06T23:55:42\.597Z \(3 rows inserted, 0 records already there\)\n/,
  );
});

test('db query against a server: a wrong user or password is one line naming the keys', {
  skip: serverSkip(),
}, async () => {
  const server = await ClickHouseServer.start(findClickHouseServer() as string);
  try {
    const url = ['--set', `recorder.clickhouse.url=${server.url}`];
    const cases: [string[], RegExp][] = [
      [
        ['--set', 'recorder.clickhouse.password=wrong'],
        /refused user 'default': .*\(recorder\.clickhouse\.username, recorder\.clickhouse\.password\)\n$/,
      ],
      [
        ['--set', 'recorder.clickhouse.username=nobody'],
        /refused user 'nobody': .*\(recorder\.clickhouse\.username, recorder\.clickhouse\.password\)\n$/,
      ],
    ];
    for (const [login, stderr] of cases) {
      const r = await hft(['db', 'query', 'SELECT 1', ...url, ...login]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^hft: ClickHouse server at ${server.url} ${stderr.source}`));
    }
  } finally {
    await server.stop();
  }
});

test('recorder replay: a directory named like a segment in the WAL directory is not read as one', async () => {
  const store = path.join(dir, 'segment-dir-store');
  mkdirSync(path.join(store, 'wal', 'trades.00000001.00000050.wal'), { recursive: true });
  const r = await hft(['recorder', 'replay', '--retries', '0', '--set', `store.path=${store}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^loaded 0 segments: 0 records inserted/);
  const s = await hft(['recorder', 'status', '--set', `store.path=${store}`]);
  assert.match(s.stdout, /^WAL \S+: 0 segments, 0 bytes, 0 rows waiting\n/);
});

test('db query and runs: an API file left by a killed process whose pid is reused does not lock the store out', async () => {
  const store = await emptyStore('stale-api-store');
  // This test's pid: alive, as a reused pid is; nothing listens on port 1.
  writeFileSync(
    path.join(store, '.api.json'),
    `${JSON.stringify({ pid: process.pid, url: 'http://127.0.0.1:1/', token: 'x' })}\n`,
  );
  const q = await hft(['db', 'query', 'SELECT 41 + 1', '--format', 'TSV', '--set', `store.path=${store}`]);
  assert.equal(q.code, 0, q.stderr);
  assert.equal(q.stdout, '42\n');
  const runs = await hft(['db', 'runs', '--set', `store.path=${store}`]);
  assert.equal(runs.code, 0, runs.stderr);
  assert.equal(runs.stdout, 'no runs recorded in this store\n');
});

test('db query: a store the engine cannot load is one line naming it, not a connection stack trace', async () => {
  const store = await emptyStore('damaged-store');
  writeFileSync(path.join(store, 'metadata', 'audit.sql'), 'GARBAGE\n');
  const r = await hft(['db', 'query', 'SELECT 1', '--set', `store.path=${store}`]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `\nhft: store ${store}: ClickHouse cannot open it \\(the engine's reason is printed above: .*\\)\n$`,
    ),
  );
  assert.doesNotMatch(r.stderr, /ChdbConnectionError|\n {4}at /);
});
