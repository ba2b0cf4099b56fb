import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Recorder } from '../../src/recorder/recorder.ts';
import { openEmbeddedStore } from '../../src/recorder/store.ts';
import { FRAME_HEADER_BYTES } from '../../src/recorder/wal/format.ts';
import { listSegments } from '../../src/recorder/wal/segments.ts';
import { captureLogger, rows, tempDataDir } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./fixtures/wal-writer-child.ts', import.meta.url));

test('a writer killed with SIGKILL mid-write: on restart every acknowledged row is replayed once, the torn tail is cut', async () => {
  const dataDir = tempDataDir();
  const walDir = join(dataDir, 'wal');
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, walDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let acked = 0; // acks cover seq 0 .. acked-1, contiguously
  let acks = 0;
  let buf = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const [, first, n] = buf.slice(0, i).split(' ').map(Number);
        buf = buf.slice(i + 1);
        assert.equal(first, acked, 'acks are contiguous');
        acked += n;
        if (++acks === 40) resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`writer exited early (code ${code})`)));
  });
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.ok(acked > 0);

  // Whatever the kill left, make sure the dead writer's open segment ends in a torn frame.
  const open = listSegments(walDir).filter((s) => s.state === 'writing');
  assert.equal(open.length, 1, 'the dead writer left its open segment');
  appendFileSync(join(walDir, open[0].file), Buffer.alloc(FRAME_HEADER_BYTES + 10, 0x11));

  const { logger, lines } = captureLogger();
  const rec = await Recorder.open({ dataDir, walDir, logger, closeTimeoutMs: 60_000 });
  const stats = await rec.close();
  assert.ok(
    stats.replayed.market_data >= acked,
    `replayed ${stats.replayed.market_data} of ${acked} acknowledged rows`,
  );
  assert.equal(stats.failed_rows, 0);
  assert.equal(listSegments(walDir).length, 0, 'the WAL is empty after the replay');
  assert.ok(lines.some((l) => String(l.msg).includes('torn or corrupt tail cut')));
  assert.ok(readdirSync(join(walDir, 'quarantine')).length >= 1, 'the cut tail is kept in quarantine');

  const store = await openEmbeddedStore(dataDir);
  try {
    const [t] = rows(
      await store.query(
        `SELECT count() AS n, uniqExact(seq) AS u, countIf(seq < ${acked}) AS acked, min(seq) AS lo
         FROM hft.market_data SETTINGS output_format_json_quote_64bit_integers = 0`,
        'JSONEachRow',
      ),
    );
    assert.equal(t.acked, acked, 'every acknowledged row is in the table');
    assert.equal(t.n, t.u, 'no row twice');
    assert.equal(t.lo, 0);
    assert.equal(t.n, stats.replayed.market_data);
  } finally {
    await store.close();
  }
});
