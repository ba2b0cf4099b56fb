import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WalWriter } from '../../src/recorder/wal/writer.ts';
import { tempDataDir } from './helpers.ts';
import { appendTrades } from './wal-fixtures.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const hft = join(root, 'bin/hft.mjs');

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [hft, ...args], {
      cwd: root,
      env: { ...process.env, HFT_LOG_LEVEL: 'warn', ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test('hft recorder status shows the WAL backlog, replay loads it, db query sees the rows', async () => {
  const dir = tempDataDir();
  const wal = new WalWriter({ dir: join(dir, 'wal'), segmentBytes: 4000 });
  for (let i = 0; i < 12; i++) appendTrades(wal, i * 20, 20);
  wal.close();
  const store = ['--set', `store.path=${dir}`];

  const before = await run(['recorder', 'status', '--json', ...store]);
  assert.equal(before.code, 0, before.stderr);
  const s = JSON.parse(before.stdout);
  assert.equal(s.rows, 240);
  assert.equal(s.backlog.market_data.records, 12);
  assert.ok(s.backlog.market_data.segments > 1);
  assert.deepEqual(s.recorders, []);
  assert.equal(s.configured.mode, 'fallback');
  assert.match(s.configured.sink, /^embedded /);
  const text = (await run(['recorder', 'status', ...store])).stdout;
  assert.match(text, /market_data .* 240 rows/);
  assert.match(text, /no recorder running; configured: mode fallback, sink embedded /);

  const replay = await run(['recorder', 'replay', ...store]);
  assert.equal(replay.code, 0, replay.stderr);
  assert.match(replay.stdout, /12 records inserted \(market_data 240 rows\), 0 already in the sink/);

  const after = JSON.parse((await run(['recorder', 'status', '--json', ...store])).stdout);
  assert.equal(after.rows, 0);
  assert.equal(after.last_loaded.topic, 'market_data');
  const q = await run([
    'db',
    'query',
    'SELECT count(), uniqExact(seq) FROM hft.market_data',
    '--format',
    'TSV',
    ...store,
  ]);
  assert.equal(q.stdout.trim(), '240\t240');

  const bad = await run(['recorder', 'status', ...store], { HFT_RECORDER_MODE: 'sometimes' });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /HFT_RECORDER_MODE.*recorder\.mode/);
});
