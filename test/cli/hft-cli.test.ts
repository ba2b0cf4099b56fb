import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/symbols.ts';

const exec = promisify(execFile);
const hft = path.join(repoRoot, 'bin/hft.mjs');

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [hft, ...args], {
      cwd: repoRoot,
      env: { ...process.env, HFT_LOG_LEVEL: 'warn' },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test('hft run sim writes the summary JSON and hft db query sees the recorded fills', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-cli-'));
  const json = path.join(dir, 's.json');
  const store = ['--set', `store.path=${path.join(dir, 'data')}`];
  const r = await run([
    'run',
    'sim',
    '--duration',
    '120',
    '--clock',
    'sim',
    '--summary-json',
    json,
    ...store,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /run finished: 120\.0 s of sim time/);
  assert.match(r.stdout, /latency event->intent: p50/);
  const s = JSON.parse(readFileSync(json, 'utf8'));
  for (const k of [
    'events',
    'orders',
    'fills',
    'rejects',
    'pnl',
    'positions',
    'latency_us',
    'recorded_rows',
  ]) {
    assert.ok(k in s, `summary has ${k}`);
  }
  assert.ok(s.fills > 0);
  assert.equal(typeof s.latency_us.p50, 'number');
  assert.equal(typeof s.latency_us.p99, 'number');
  assert.equal(s.recorded_rows.trades, s.fills);
  const q = await run(['db', 'query', 'SELECT count() FROM hft.trades', '--format', 'TSV', ...store]);
  assert.equal(q.code, 0, q.stderr);
  assert.equal(Number(q.stdout.trim()), s.fills);
});

test('a bad flag or config value fails at start with a clear message and no stack trace', async () => {
  const r = await run(['run', 'sim', '--duration', '1', '--set', 'risk.max_position=-3', '--no-record']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /config error in CLI flag --set risk\.max_position at 'risk\.max_position'/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const bad = await run(['run', 'sim', '--duration', 'soon']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--duration expects a non-negative number/);
  const live = await run(['run', 'live', '--venue', 'nope', '--set', 'ops.enabled=false']);
  assert.equal(live.code, 2);
  assert.match(live.stderr, /live venue 'nope' is unknown/);
  assert.doesNotMatch(live.stderr, /\n\s+at /);
  const endpoint = await run(['run', 'live', '--endpoint', 'ftp://x']);
  assert.equal(endpoint.code, 2);
  assert.match(endpoint.stderr, /--endpoint expects an http\(s\) URL/);
});

test('while hft run owns the store, hft db query goes through its API (read statements) and says so', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-api-'));
  const store = ['--set', `store.path=${path.join(dir, 'data')}`];
  // Until stopped below: on a loaded machine the queries can take longer than any fixed run.
  const child = spawn(
    process.execPath,
    [hft, 'run', 'sim', '--duration', '0', '--set', 'ops.port=0', ...store],
    { cwd: repoRoot, env: { ...process.env, HFT_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    // The run advertises its API once the ops server is up.
    const apiFile = path.join(dir, 'data', '.api.json');
    for (let i = 0; i < 200 && !existsSync(apiFile); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(apiFile), 'the running process advertised its API');
    const q = await run(['db', 'query', 'SELECT count() > 0 FROM system.one', '--format', 'TSV', ...store]);
    assert.equal(q.code, 0, q.stderr);
    assert.equal(q.stdout.trim(), '1');
    assert.match(q.stderr, new RegExp(`owned by running process ${child.pid}; answered through its API`));
    const drop = await run(['db', 'query', 'DROP TABLE hft.trades', ...store]);
    assert.equal(drop.code, 2);
    assert.match(drop.stderr, /query refused by running process \d+: Drop is not a read statement/);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
  }
  assert.equal(
    existsSync(path.join(dir, 'data', '.api.json')),
    false,
    'the advertisement is removed at exit',
  );
});
