import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatStatus, walStatus } from '../../src/cli/recorder.ts';
import { Recorder } from '../../src/recorder/recorder.ts';
import { readStatuses } from '../../src/recorder/status.ts';
import { captureLogger, tempDataDir, until } from './helpers.ts';
import { Traffic } from './traffic.ts';

test('hft recorder status: a healthy wal_first recorder shows its own mode and its sink up', async () => {
  const dataDir = tempDataDir();
  const walDir = join(dataDir, 'wal');
  const rec = await Recorder.open({ dataDir, walDir, logger: captureLogger().logger, mode: 'wal_first' });
  try {
    new Traffic(rec).send(20);
    await rec.sync();
    // The configuration `hft recorder status` reads says fallback; the recorder runs wal_first.
    const target = { mode: 'fallback' as const, server: null, dataDir, walDir };
    await until(() => walStatus(target).recorders.length === 1, 'status file');
    const s = walStatus(target);
    assert.equal(s.recorders[0].mode, 'wal_first');
    assert.equal(s.recorders[0].sink_up, true, 'every table on the WAL is not a sink that is down');
    assert.equal(s.recorders[0].alive, true);
    const text = formatStatus(s);
    assert.match(text, /recorder pid \d+ running: mode wal_first, sink chdb .* up, disk ok/);
    assert.doesNotMatch(text, /DOWN|fallback/);
    assert.match(text, /last error: none/);
  } finally {
    await rec.close();
  }
});

test('status files of recorders that were killed are shown once, as gone, and removed', async () => {
  const dataDir = tempDataDir();
  const walDir = join(dataDir, 'wal');
  mkdirSync(join(walDir, 'status'), { recursive: true });
  // A pid above Linux's pid_max: a process that cannot be running.
  const dead = {
    owner: '4194305-1',
    pid: 4194305,
    mode: 'wal_first',
    sink: { kind: 'chdb', location: dataDir, version: '', degraded: [], up: true },
    updated_at: '2026-01-01T00:00:00.000Z',
    written: {},
    wal_rows: {},
    shed: {},
    disk: { level: 'ok', used_pct: 30, wal_bytes: 0 },
    topics_on_wal: [],
    last_error: null,
  };
  const file = join(walDir, 'status', `${dead.owner}.json`);
  writeFileSync(file, JSON.stringify(dead));
  const target = { mode: 'fallback' as const, server: null, dataDir, walDir };
  const first = walStatus(target);
  assert.equal(first.recorders.length, 1);
  assert.equal(first.recorders[0].alive, false);
  assert.match(
    formatStatus(first),
    /recorder pid 4194305 gone \(killed or crashed; its last status, shown once\)/,
  );
  assert.match(formatStatus(first), /no recorder running; configured: mode fallback/);
  assert.deepEqual(walStatus(target).recorders, [], 'shown once');
  // A recorder starting on the directory removes them too.
  writeFileSync(file, JSON.stringify(dead));
  const rec = await Recorder.open({ dataDir, walDir, logger: captureLogger().logger });
  try {
    assert.ok(!readdirSync(join(walDir, 'status')).includes(`${dead.owner}.json`));
    assert.ok(readStatuses(walDir, false).every((x) => x.pid === process.pid));
  } finally {
    await rec.close();
  }
});
