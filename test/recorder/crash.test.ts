import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Recorder } from '../../src/recorder/recorder.ts';
import { openEmbeddedStore } from '../../src/recorder/store.ts';
import { listSegments } from '../../src/recorder/wal/segments.ts';
import { captureLogger, rows, tempDataDir } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./fixtures/wal-writer-child.ts', import.meta.url));

test('a writer killed with SIGKILL mid-write: on restart every acknowledged row is replayed once, the torn tail is cut', async () => {
  const dataDir = tempDataDir();
  const walDir = join(dataDir, 'wal');
  // 40 acknowledged batches, 25 written but never synced, then a frame cut off mid-write: the kill comes
  // while the writer has a torn frame at the end of its open segment, however slow the machine is.
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, walDir, '40', '25'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let acked = 0; // acks cover seq 0 .. acked-1, contiguously
  let acks = 0;
  let written = 0;
  let buf = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('torn ')) {
          written = Number(line.slice(5));
          resolve();
          continue;
        }
        const [, first, n] = line.split(' ').map(Number);
        assert.equal(first, acked, 'acks are contiguous');
        acked += n;
        acks++;
      }
    });
    child.once('exit', (code) => reject(new Error(`writer exited early (code ${code})`)));
  });
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal(acks, 40);

  const open = listSegments(walDir).filter((s) => s.state === 'writing');
  assert.equal(open.length, 1, 'the dead writer left its open segment');

  const { logger, lines } = captureLogger();
  const rec = await Recorder.open({ dataDir, walDir, logger, closeTimeoutMs: 600_000 }); // only a hang reaches it
  const stats = await rec.close();
  // A SIGKILL loses nothing the kernel has: every whole frame, synced or not, is replayed.
  assert.ok(written > acked);
  assert.equal(stats.replayed.market_data, written);
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
