import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { hft as hftExec, readCsv, TXO, tmpDir, txoStrategies } from '../backtest/helpers.ts';
import { natsServerBinary, startNatsServer } from '../helpers/nats-server.ts';
import { requireData } from '../venues/replay/data-dir.ts';
import { hft, stopProc } from './processes.ts';

const data = requireData();
const skip =
  data.skip ||
  (natsServerBinary() === null && process.env.CI !== 'true'
    ? 'nats-server not installed (apt-get install nats-server)'
    : false);
if (skip) process.stdout.write(`# SKIP distributed sweep CLI test: ${skip}\n`);

test('hft backtest sweep --nats: the points run on two hft worker processes, the same results as on threads', {
  skip,
  timeout: 600_000,
}, async () => {
  const server = await startNatsServer();
  const dir = tmpDir('hft-wq-');
  const strategies = txoStrategies(dir);
  const common = ['--strategy', 'mm-txo', '--data', TXO, '--set', `strategies_file=${strategies}`];
  const grid = ['--grid', 'half_spread_ticks=0.5,2'];
  const workers = ['w1', 'w2'].map((name) =>
    hft(name, ['worker', '--nats', server.url, '--work-queue', 'cli', '--name', name]),
  );
  try {
    await Promise.all(workers.map((w) => w.waitFor(/worker w\d: queue cli/)));
    const out = path.join(dir, 'nats');
    const r = await hftExec([
      'backtest',
      'sweep',
      ...common,
      ...grid,
      '--out',
      out,
      '--nats',
      server.url,
      '--work-queue',
      'cli',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /2 points to the work queue 'cli'/);
    assert.match(r.stderr, /point \d on w\d/);
    const threads = path.join(dir, 'threads');
    const t = await hftExec(['backtest', 'sweep', ...common, ...grid, '--out', threads, '--workers', '2']);
    assert.equal(t.code, 0, t.stderr);
    assert.deepEqual(readCsv(path.join(out, 'results.csv')), readCsv(path.join(threads, 'results.csv')));
    const s = JSON.parse(readFileSync(path.join(out, 'point-001', 'summary.json'), 'utf8'));
    assert.equal(s.strategy.params.half_spread_ticks, 2, 'the worker wrote the point report');
  } finally {
    for (const w of workers) await stopProc(w);
    await server.stop();
  }
  for (const w of workers) assert.match(w.out(), /items done/);
});
