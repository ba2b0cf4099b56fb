import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runQuery } from '../../src/recorder/query.ts';
import { tempDataDir } from './helpers.ts';

const SCRIPT = fileURLToPath(new URL('./fixtures/record-plain.mjs', import.meta.url));

test('the recorder worker loads its TypeScript when the app registers tsx itself (bin/hft.mjs)', async () => {
  const dir = tempDataDir();
  // execArgv deliberately empty: no --import tsx for the child or its worker.
  const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, dir]);
  const stats = JSON.parse(stdout);
  assert.equal(stats.written.market_data, 10);
  assert.equal(stats.batches, 1);
  assert.equal((await runQuery(dir, 'SELECT sum(price) FROM hft.market_data', 'TSV')).trim(), String(170045));
});
