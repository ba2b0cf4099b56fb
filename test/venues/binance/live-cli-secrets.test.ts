import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../../helpers/symbols.ts';
import { FakeBinance } from './fake-binance.ts';
import { API_KEY, API_SECRET, DATA, until } from './harness.ts';

const exec = promisify(execFile);
const hft = path.join(repoRoot, 'bin/hft.mjs');

/** Every file under `dir`, read as text (the store's parts are compressed: the dump below covers them). */
function filesUnder(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const e of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const f = path.join(dir, e);
    if (statSync(f).isFile()) out.push({ file: f, text: readFileSync(f, 'latin1') });
  }
  return out;
}

test('hft run live against the fake Binance: the API key and secret appear in no output, log, summary, store file, table or ops response', async () => {
  const fake = new FakeBinance({ file: DATA, apiKey: API_KEY, apiSecret: API_SECRET, maxLines: 20_000 });
  const url = await fake.listen();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-live-secrets-'));
  const store = ['--set', `store.path=${path.join(dir, 'data')}`];
  const json = path.join(dir, 'summary.json');
  const env = {
    ...process.env,
    HFT_LOG_LEVEL: 'debug',
    HFT_BINANCE_USDM_API_KEY: API_KEY,
    HFT_BINANCE_USDM_API_SECRET: API_SECRET,
  };
  const child = spawn(
    process.execPath,
    [
      hft,
      'run',
      'live',
      '--venue',
      'binance-usdm',
      '--endpoint',
      url,
      '--symbols',
      'BTCUSDT-PERP',
      '--duration',
      '0',
      '--summary-json',
      json,
      '--set',
      'ops.port=0',
      ...store,
    ],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const responses: { what: string; text: string }[] = [];
  try {
    // Running, connected and signed in (listenKey and account are signed requests with the key).
    await until(() => /control token .*: \S+\n/.test(stdout) || child.exitCode !== null, 120_000, 'ops up');
    assert.equal(child.exitCode, null, stderr);
    await until(() => fake.progress > 2000, 120_000, 'market data streamed');
    assert.ok(
      fake.requests.some((r) => r.includes('signature=')),
      'the run signed requests with its credentials',
    );
    const ops = /dashboard: (http\S+)/.exec(stdout)![1].replace(/\/$/, '');
    const token = /control token \(HALT, resume, cancel all\): (\S+)/.exec(stdout)![1];
    for (const p of ['/', '/api/snapshot', '/metrics', '/healthz']) {
      const r = await fetch(ops + p);
      responses.push({ what: `GET ${p}`, text: await r.text() });
    }
    const q = await fetch(`${ops}/api/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT * FROM hft.runs', format: 'TSV' }),
    });
    const runs = await q.text();
    assert.equal(q.status, 200, runs);
    responses.push({ what: 'POST /api/query hft.runs', text: runs });
  } finally {
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
    await fake.close();
  }
  assert.match(stdout, /run finished/, stderr);

  // The store as text: every hft.* table dumped through `hft db query`.
  const tables = await exec(
    process.execPath,
    [hft, 'db', 'query', 'SHOW TABLES FROM hft', '--format', 'TSV', ...store],
    {
      cwd: repoRoot,
      env,
    },
  );
  // A materialized view's inner table holds what the view shows: dumped through the view.
  const names = tables.stdout.split('\n').filter((x) => x !== '' && !x.startsWith('.inner'));
  assert.ok(names.includes('runs') && names.includes('market_data'), names.join(','));
  const dumps: { what: string; text: string }[] = [];
  for (const t of names) {
    const r = await exec(
      process.execPath,
      [hft, 'db', 'query', `SELECT * FROM hft.\`${t}\``, '--format', 'TSV', ...store],
      { cwd: repoRoot, env, maxBuffer: 1 << 30 },
    );
    dumps.push({ what: `hft.${t}`, text: r.stdout + r.stderr });
  }
  assert.ok(
    dumps.find((d) => d.what === 'hft.runs')!.text.includes('binance-usdm'),
    'the run is in hft.runs',
  );

  const haystacks = [
    { what: 'stdout', text: stdout },
    { what: 'stderr (the log)', text: stderr },
    { what: 'summary JSON', text: readFileSync(json, 'utf8') },
    ...filesUnder(dir).map((f) => ({ what: f.file, text: f.text })),
    ...dumps,
    ...responses,
  ];
  assert.ok(stderr.includes('live startup reconciliation done'), 'the log was captured');
  for (const h of haystacks) {
    for (const [name, secret] of [
      ['API key', API_KEY],
      ['API secret', API_SECRET],
    ]) {
      assert.equal(h.text.includes(secret), false, `${name} found in ${h.what}`);
    }
  }
  // The log reaches the credential objects themselves: their wrapper is what keeps the values out.
  assert.match(stderr, /"credentials":\{"api_key":"\[redacted\]","api_secret":"\[redacted\]"\}/);
});
