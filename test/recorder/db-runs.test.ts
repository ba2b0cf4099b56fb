import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadProject } from '../../src/config/project.ts';
import { createLogger } from '../../src/core/logger.ts';
import { newRunId } from '../../src/core/run-id.ts';
import { Recorder } from '../../src/recorder/recorder.ts';
import { openEmbeddedStore } from '../../src/recorder/store.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { captureLogger, tempDataDir } from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function hft(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [join(root, 'bin/hft.mjs'), ...args], {
      cwd: root,
      env: { ...process.env, HFT_LOG_LEVEL: 'warn' },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The simulated symbols of the test config, in the run's order. */
let simSymbols: string[] = [];

async function simSession(dir: string, seconds: number) {
  const { settings, symbols, strategies } = loadProject({
    root,
    env: 'test',
    envVars: {},
    overrides: [
      { key: 'store.path', value: dir, label: 'test' },
      { key: 'run.clock', value: 'sim', label: 'test' },
    ],
  });
  simSymbols = settings.sim.symbols;
  const sys = await TradingSystem.create({
    settings,
    symbols,
    strategies,
    root,
    log: createLogger('silent'),
    record: true,
  });
  return sys.run(seconds);
}

test('hft db runs lists runs newest first with kind, times, rows per table and results; a crashed run has no end', async () => {
  const dir = tempDataDir();
  const store = ['--set', `store.path=${dir}`];
  const empty = await hft(['db', 'runs', ...store]);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /not a ClickHouse store/);

  // Rows of an older build (no run id).
  const old = await openEmbeddedStore(dir);
  await old.exec("INSERT INTO hft.orders (ts, order_id, symbol, event) VALUES (1, 1, 'TXFD6', 'new')");
  await old.close();
  const first = await simSession(dir, 20);
  const second = await simSession(dir, 10);
  // A run that died: its start row and some rows, no end (the pid is of a process that is gone).
  const crashed = newRunId();
  const rec = await Recorder.open({ dataDir: dir, runId: crashed, logger: captureLogger().logger });
  const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
  rec.recordRun({
    revision: 0,
    kind: 'replay',
    configHash: '0123456789abcdef',
    config: '{}',
    codeVersion: 'test',
    host: hostname(),
    pid: gone,
    startMs: Date.now(),
    endMs: 0,
    symbols: ['TXFD6'],
    summary: '',
  });
  rec.recordRiskEvent(1, 'storm_guard', 'NORMAL', 'HALT', 'test');
  await rec.close();

  const text = await hft(['db', 'runs', ...store]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trim().split('\n');
  assert.match(lines[0], /^run +kind +start \(UTC\) +duration +symbols +rows md\/ord\/trd\/other +result$/);
  assert.deepEqual(
    lines.slice(1).map((l) => l.split(/\s+/)[0]),
    [crashed, second.run_id, first.run_id, '(before'],
  );
  assert.match(lines[1], /replay .* no end +TXFD6 +0\/0\/0\/1 +no summary \(crashed or killed\)$/);
  const md = second.recorded_rows.market_data;
  const symbols = simSymbols.join(',');
  assert.match(
    lines[2],
    new RegExp(
      `^${second.run_id} +sim +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +[\\d.]+ s +${symbols} +${md}/${second.recorded_rows.orders}/${second.recorded_rows.trades}/\\d+ +orders ${second.orders} +fills ${second.fills} +PnL ${second.pnl.total.toFixed(2)}$`,
    ),
  );
  assert.match(lines[4], /^\(before run ids\) +- +- +- +- +0\/1\/0\/0/);

  const json = await hft(['db', 'runs', '--json', '--limit', '2', ...store]);
  assert.equal(json.code, 0, json.stderr);
  const runs = JSON.parse(json.stdout);
  assert.deepEqual(
    runs.map((r: { run: string; status: string }) => [r.run, r.status]),
    [
      [crashed, 'no end'],
      [second.run_id, 'ended'],
    ],
  );
  const s = runs[1];
  assert.equal(s.kind, 'sim');
  assert.equal(s.rows.orders, second.recorded_rows.orders);
  assert.equal(s.rows.trades, second.recorded_rows.trades);
  assert.equal(s.summary.orders, second.orders);
  assert.deepEqual(s.summary.pnl, second.pnl);
  assert.ok(s.duration_s >= 0 && Date.parse(s.end) >= Date.parse(s.start));
  assert.deepEqual(s.market_data.symbols, [...simSymbols].sort());
  assert.equal(s.market_data.from, '2026-04-08T01:00:00.000Z');
  assert.match(s.code_version, /^hft-platform@/);

  const bad = await hft(['db', 'runs', '--limit', 'x', ...store]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--limit expects a whole number/);
});

test('a run killed with SIGKILL: running while its process lives (listed through its API), then without an end', async () => {
  const dir = tempDataDir();
  const store = ['--set', `store.path=${dir}`];
  const child = spawn(
    process.execPath,
    [join(root, 'bin/hft.mjs'), 'run', 'sim', '--duration', '0', '--set', 'ops.port=0', ...store],
    { cwd: root, env: { ...process.env, HFT_LOG_LEVEL: 'warn' }, stdio: 'ignore' },
  );
  type Listed = { run: string; status: string; kind: string; pid: number; rows: Record<string, number> };
  let live: Listed | undefined;
  try {
    // The run advertises its API once started; its hft.runs row lands within a flush interval.
    for (let i = 0; i < 600 && live === undefined; i++) {
      await sleep(200);
      if (!existsSync(join(dir, '.api.json'))) continue;
      const r = await hft(['db', 'runs', '--json', ...store]);
      if (r.code !== 0) continue;
      assert.match(r.stderr, new RegExp(`owned by running process ${child.pid}`));
      live = (JSON.parse(r.stdout) as Listed[]).find((x) => x.pid === child.pid);
    }
    assert.ok(live !== undefined, 'the running process listed its run');
    assert.equal(live.status, 'running');
    assert.equal(live.kind, 'sim');
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  const after = await hft(['db', 'runs', '--json', ...store]);
  assert.equal(after.code, 0, after.stderr);
  const dead = (JSON.parse(after.stdout) as Listed[]).find((x) => x.run === live.run);
  assert.equal(dead?.status, 'no end', 'killed: its start row and no end');
  const text = await hft(['db', 'runs', ...store]);
  assert.match(text.stdout, new RegExp(`^${live.run} +sim +.* no end `, 'm'));
});
