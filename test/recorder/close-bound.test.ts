import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Recorder } from '../../src/recorder/recorder.ts';
import { openEmbeddedStore } from '../../src/recorder/store.ts';
import { scanSegment } from '../../src/recorder/wal/format.ts';
import { listSegments } from '../../src/recorder/wal/segments.ts';
import { WalWriter } from '../../src/recorder/wal/writer.ts';
import { captureLogger, rows, tempDataDir, until } from './helpers.ts';
import { appendTrades } from './wal-fixtures.ts';

const SEGMENTS = 120;
const ROWS = 20;

/** Rows waiting in the WAL directory (every segment, whatever its state). */
function rowsLeft(walDir: string): number {
  let n = 0;
  for (const s of listSegments(walDir))
    for (const r of scanSegment(readFileSync(join(walDir, s.file))).records) n += r.rows;
  return n;
}

test('a large WAL backlog: its load shows progress as it goes, close returns within close_timeout_ms leaving the rest for the next start, and every row is accounted for', async () => {
  const dataDir = tempDataDir();
  const walDir = join(dataDir, 'wal');
  // One record per segment: loading them takes thousands of engine calls, far longer than a close.
  const wal = new WalWriter({ dir: walDir, segmentBytes: 1, fsync: 'off' });
  for (let i = 0; i < SEGMENTS; i++) appendTrades(wal, i * ROWS, ROWS);
  wal.close();
  const total = SEGMENTS * ROWS;
  assert.equal(rowsLeft(walDir), total);

  const rec = await Recorder.open({ dataDir, walDir, logger: captureLogger().logger, closeTimeoutMs: 0 });
  await until(() => rec.stats().replayed.market_data > 0, 'load progress in the counters');
  const seen = rec.stats().replayed.market_data;
  assert.ok(seen < total, `counters move during the load (${seen} of ${total} rows so far)`);
  const stats = await rec.close();
  const left = rowsLeft(walDir);
  assert.ok(left > 0, 'close did not wait for the whole backlog');
  assert.ok(
    listSegments(walDir).every((s) => s.state === 'sealed'),
    'what is left is sealed again, for any loader',
  );
  assert.equal(stats.replayed.market_data + left, total, 'every row loaded or still in the WAL');
  assert.equal(stats.failed_rows, 0);
  assert.equal(typeof stats.close_ms, 'number');
  assert.equal(stats.wal.backlog_files, listSegments(walDir).length, 'the backlog gauge is current');

  // The next start loads the rest: every row once.
  const again = await Recorder.open({
    dataDir,
    walDir,
    logger: captureLogger().logger,
    closeTimeoutMs: 600_000,
  });
  await again.close();
  assert.equal(listSegments(walDir).length, 0);
  const store = await openEmbeddedStore(dataDir);
  try {
    const [r] = rows(
      await store.query(
        'SELECT count() AS n, uniqExact(seq) AS u FROM hft.market_data SETTINGS output_format_json_quote_64bit_integers = 0',
        'JSONEachRow',
      ),
    );
    assert.deepEqual(r, { n: total, u: total });
  } finally {
    await store.close();
  }
});
