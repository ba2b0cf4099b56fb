import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { createRingMemory, RingConsumer, RingProducer } from '../../src/recorder/byte-ring.ts';
import { openEmbeddedStore } from '../../src/recorder/store.ts';
import { DiskFaults, useDiskFaults } from '../../src/recorder/wal/disk-io.ts';
import { mustShed, readDisk } from '../../src/recorder/wal/disk-monitor.ts';
import {
  FLAG_COPY,
  FRAME_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  scanSegment,
} from '../../src/recorder/wal/format.ts';
import { LOCAL_MANIFEST, topicDrained, WalLoader } from '../../src/recorder/wal/loader.ts';
import { listSegments, SELF_OWNER } from '../../src/recorder/wal/segments.ts';
import { WalWriter } from '../../src/recorder/wal/writer.ts';
import { captureLogger, rows, tempDataDir } from './helpers.ts';
import { appendOrders, appendTrades, ORDERS, tradeBatch } from './wal-fixtures.ts';

/** A pid that is not running (pid_max on Linux is at most 2^22). */
const DEAD = '4194305-1';

test('the shared byte ring hands over every row, intact and in order, across wrap-arounds', () => {
  const mem = createRingMemory(4096);
  const p = new RingProducer(mem);
  const c = new RingConsumer(mem);
  const rng = new Rng(5);
  const sent: number[][] = [];
  let got = 0;
  let refused = 0;
  for (let step = 0; step < 20_000; step++) {
    if (rng.int(0, 2) > 0) {
      const n = rng.int(0, 300);
      if (!p.begin(n)) {
        refused++;
        continue;
      }
      const row = Array.from({ length: n }, () => rng.int(0, 255));
      for (const b of row) p.w.u8(b);
      assert.ok(p.commit());
      sent.push(row);
    } else {
      for (let k = rng.int(1, 5), len = c.next(); k > 0 && len >= 0; k--, len = c.next()) {
        assert.deepEqual([...c.bytes.subarray(c.start, c.start + len)], sent[got++]);
        c.advance(len);
      }
      c.release();
    }
  }
  for (let len = c.next(); len >= 0; len = c.next()) {
    assert.deepEqual([...c.bytes.subarray(c.start, c.start + len)], sent[got++]);
    c.advance(len);
  }
  assert.equal(got, sent.length);
  assert.ok(
    refused > 0 && sent.length > 5000,
    `exercised full and wrapping ring (${sent.length} rows, ${refused} refused)`,
  );
});

test('a torn or corrupt tail ends the scan at the last whole frame, at every cut point', () => {
  const dir = tempDataDir();
  const wal = new WalWriter({ dir });
  for (let i = 0; i < 3; i++) appendTrades(wal, i * 10, 10);
  wal.close();
  const [seg] = listSegments(dir);
  assert.equal(seg.state, 'sealed');
  const whole = readFileSync(join(dir, seg.file));
  const frames = scanSegment(whole).records.map((r) => r.offset);
  assert.equal(frames.length, 3);
  const ends = [...frames.slice(1), whole.length];
  for (let cut = SEGMENT_HEADER_BYTES; cut < whole.length; cut++) {
    const s = scanSegment(whole.subarray(0, cut));
    const complete = ends.filter((e) => e <= cut).length;
    assert.equal(s.records.length, complete, `cut at ${cut}`);
    assert.equal(s.validEnd, complete === 0 ? SEGMENT_HEADER_BYTES : ends[complete - 1]);
    assert.equal(s.problem === null, ends.includes(cut) || cut === SEGMENT_HEADER_BYTES);
  }
  // A flipped payload byte in the second frame: the scan keeps only the first.
  const bad = Buffer.from(whole);
  bad[frames[1] + FRAME_HEADER_BYTES + 5] ^= 0x40;
  const s = scanSegment(bad);
  assert.equal(s.records.length, 1);
  assert.match(s.problem ?? '', /checksum/);
});

test('segments rotate by size and by age; every writer run gets its own record-id stream', () => {
  const dir = tempDataDir();
  const a = new WalWriter({ dir, segmentBytes: 2000, segmentMs: 60_000 });
  for (let i = 0; i < 10; i++) appendTrades(a, i * 10, 10);
  a.sealDue(Date.now());
  assert.ok(listSegments(dir).filter((s) => s.state === 'sealed').length >= 3, 'rotated by size');
  const b = new WalWriter({ dir, segmentMs: 0 });
  assert.ok(b.ridHi > a.ridHi, 'a second writer on the directory takes a new stream');
  appendTrades(b, 1000, 1);
  b.sealDue(Date.now());
  assert.equal(
    listSegments(dir).filter((s) => s.state === 'writing' && s.id.includes(b.ridHi.toString(16))).length,
    0,
    'rotated by age',
  );
  a.close();
  const ids = new Set<string>();
  for (const s of listSegments(dir)) {
    for (const r of scanSegment(readFileSync(join(dir, s.file))).records) ids.add(`${r.ridHi}:${r.ridLo}`);
  }
  assert.equal(ids.size, 11, 'record ids never repeat');
});

test('the loader inserts each record once: a segment replayed twice adds nothing, the manifest says what was loaded', async () => {
  const dir = tempDataDir();
  const walDir = join(dir, 'wal');
  const wal = new WalWriter({ dir: walDir, segmentBytes: 4000 });
  const N = 40;
  for (let i = 0; i < N; i++) appendTrades(wal, i * 25, 25);
  wal.close();
  const sealed = listSegments(walDir);
  assert.ok(sealed.length > 3);
  const copy = join(dir, 'copy.wal');
  copyFileSync(join(walDir, sealed[1].file), copy);

  const store = await openEmbeddedStore(dir);
  try {
    const loader = new WalLoader(store, walDir, captureLogger().logger);
    const first = await loader.loadAvailable();
    assert.equal(first.records, N);
    assert.equal(first.rows.market_data, N * 25);
    assert.equal(first.foundRecords, 0);
    assert.equal(listSegments(walDir).length, 0, 'loaded segments are removed');
    assert.ok(topicDrained(walDir, 'market_data'));

    renameSync(copy, join(walDir, sealed[1].file)); // the same segment shows up again
    const second = await loader.loadAvailable();
    assert.equal(second.records, 0);
    assert.ok(second.foundRecords > 0);

    const [t] = rows(
      await store.query(
        'SELECT count() AS n, uniqExact(seq) AS u, min(seq) AS lo, max(seq) AS hi FROM hft.market_data SETTINGS output_format_json_quote_64bit_integers = 0',
        'JSONEachRow',
      ),
    );
    assert.deepEqual(t, { n: N * 25, u: N * 25, lo: 0, hi: N * 25 - 1 });
    const m = rows(
      await store.query(
        `SELECT found, count() AS n FROM hft.wal_manifest WHERE segment = '${sealed[1].id}' GROUP BY found ORDER BY found SETTINGS output_format_json_quote_64bit_integers = 0`,
        'JSONEachRow',
      ),
    );
    const perSegment = second.foundRecords;
    assert.deepEqual(m, [
      { found: 0, n: perSegment },
      { found: 1, n: perSegment },
    ]);
    const local = readFileSync(join(walDir, LOCAL_MANIFEST), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(local.length, sealed.length + 1);
    assert.equal(local.at(-1).found, perSegment);
  } finally {
    await store.close();
  }
});

test("segments of dead processes are taken over: a dead writer's torn tail is cut and quarantined", async () => {
  const dir = tempDataDir();
  const walDir = join(dir, 'wal');
  const wal = new WalWriter({ dir: walDir });
  appendTrades(wal, 0, 10);
  appendTrades(wal, 10, 10);
  const lo = wal.nextRid();
  wal.append(ORDERS, wal.ridHi, lo, 0, 0, Buffer.alloc(0)); // an (empty) orders segment, claimed by a dead loader below
  wal.sync();
  // Pretend the writer died mid-write: its open segment gets a torn frame and a dead owner.
  const open = listSegments(walDir).filter((s) => s.state === 'writing');
  const md = open.find((s) => s.topic === 'market_data')!;
  const torn = tradeBatch(wal.ridHi, wal.nextRid(), 20, 10);
  writeFileSync(
    join(walDir, md.file),
    Buffer.concat([
      readFileSync(join(walDir, md.file)),
      Buffer.alloc(FRAME_HEADER_BYTES, 7),
      torn.subarray(0, 50),
    ]),
  );
  renameSync(join(walDir, md.file), join(walDir, `${md.id}.w-${DEAD}`));
  const ord = open.find((s) => s.topic === 'orders')!;
  renameSync(join(walDir, ord.file), join(walDir, `${ord.id}.l-${DEAD}`));
  assert.ok(!topicDrained(walDir, 'market_data'), "a dead writer's segment is backlog");

  const { logger, lines } = captureLogger();
  const store = await openEmbeddedStore(dir);
  try {
    const res = await new WalLoader(store, walDir, logger).loadAvailable();
    assert.equal(res.rows.market_data, 20, 'the two whole records are loaded, the torn one is not');
    assert.equal(res.cutBytes, FRAME_HEADER_BYTES + 50);
    assert.equal(res.segments, 2);
    assert.ok(lines.some((l) => String(l.msg).includes('torn or corrupt tail cut')));
    assert.ok(lines.some((l) => String(l.msg).includes('dead process')));
    const q = readdirSync(join(walDir, 'quarantine'));
    assert.equal(q.length, 1);
    assert.equal(readFileSync(join(walDir, 'quarantine', q[0])).length, FRAME_HEADER_BYTES + 50);
    const [t] = rows(
      await store.query(
        'SELECT toString(count()) AS n, toString(max(seq)) AS hi FROM hft.market_data',
        'JSONEachRow',
      ),
    );
    assert.deepEqual(t, { n: '20', hi: '19' });
  } finally {
    await store.close();
  }
  assert.ok(existsSync(walDir));
  assert.equal(listSegments(walDir).length, 0);
  assert.notEqual(SELF_OWNER, DEAD);
});

test('disk levels follow filesystem use and the WAL quota; sheddable topics shed from their level on', () => {
  const dir = tempDataDir();
  const t = { warnPct: 80, criticalPct: 90, haltPct: 95, walMaxBytes: 0 };
  const at = (usedPct: number) =>
    readDisk(dir, t, () => ({ total: 1000, available: 1000 - usedPct * 10 })).level;
  assert.deepEqual(
    [at(10), at(80), at(89.9), at(90), at(95), at(100)],
    ['ok', 'warn', 'warn', 'critical', 'halt', 'halt'],
  );
  const wal = new WalWriter({ dir });
  appendTrades(wal, 0, 100);
  wal.sync();
  const quota = readDisk(dir, { ...t, walMaxBytes: 100 }, () => ({ total: 1000, available: 900 }));
  assert.equal(quota.level, 'halt', 'a WAL over its quota is HALT even on an empty disk');
  assert.ok(quota.walBytes > 100);
  assert.equal(quota.walFiles, 1);
  assert.equal(readDisk(dir, t).level, 'ok', 'the real filesystem of the test has room');
  assert.deepEqual(
    (['ok', 'warn', 'critical', 'halt'] as const).map((l) => mustShed(l, 'critical')),
    [false, false, true, true],
  );
  assert.equal(mustShed('halt', null), false, 'never-shed topics are never shed');
  wal.close();
});

test('a segment whose fsync fails is given up (sealed as it is) and its orders come back as copies; loading both copies stores each row once', async () => {
  const dir = tempDataDir();
  const walDir = join(dir, 'wal');
  const faults = new DiskFaults();
  useDiskFaults(faults);
  try {
    const errors: string[] = [];
    const wal = new WalWriter({ dir: walDir });
    wal.onIoError = (what, err) => errors.push(`${what}: ${err.message}`);
    appendOrders(wal, 1, 10);
    appendOrders(wal, 11, 10);
    faults.fail('ENOSPC', walDir);
    assert.equal(wal.sync(), false);
    assert.equal(wal.healthy, false);
    assert.match(errors[0], /^fdatasync: ENOSPC/);
    assert.equal(wal.orphans.length, 2, 'both records: their durability is unknown');
    assert.ok(wal.orphans.every((o) => (o.flags & FLAG_COPY) !== 0));
    assert.deepEqual(
      listSegments(walDir).map((s) => s.state),
      ['sealed'],
      'given up: sealed for loading, nothing more written to it',
    );
    assert.throws(() => appendOrders(wal, 21, 10), /ENOSPC/);
    faults.heal();
    for (const o of wal.orphans.splice(0)) wal.append(o.topic, o.ridHi, o.ridLo, o.flags, o.rows, o.payload);
    appendOrders(wal, 21, 10);
    assert.equal(wal.sync(), true);
    assert.equal(wal.healthy, true);
    wal.close();

    const store = await openEmbeddedStore(dir);
    try {
      const res = await new WalLoader(store, walDir, captureLogger().logger).loadAvailable();
      assert.equal(res.rows.orders, 30, 'the first copies and the later batch are inserted');
      assert.equal(res.foundRecords, 0, 'second copies found in the table are not counted again');
      const [r] = rows(
        await store.query(
          'SELECT count() AS n, uniqExact(order_id) AS u FROM hft.orders SETTINGS output_format_json_quote_64bit_integers = 0',
          'JSONEachRow',
        ),
      );
      assert.deepEqual(r, { n: 30, u: 30 });
    } finally {
      await store.close();
    }
  } finally {
    useDiskFaults(null);
  }
});
