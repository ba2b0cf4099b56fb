/**
 * Recorder figures (called from bench/run.ts):
 *   - sustained market-data ingest into embedded ClickHouse and into a clickhouse-server (when installed),
 *     with the trading thread's cost per recorded row and its event-loop delay, against the same paced loop
 *     without recording
 *   - WAL append throughput with fsync per batch, against the disk's sequential write bandwidth
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../src/core/logger.ts';
import { KIND_DEPTH, marketRowBound, writeMarketRow } from '../src/recorder/market-layout.ts';
import { Recorder, type RecorderOptions } from '../src/recorder/recorder.ts';
import { TOPIC_BY_NAME } from '../src/recorder/topics.ts';
import { WalWriter } from '../src/recorder/wal/writer.ts';
import { ClickHouseServer, findClickHouseServer } from '../test/recorder/clickhouse-server.ts';

type Row = (name: string, value: string) => void;
const T0 = 1_700_000_000_000_000_000;
const LEVELS = 5;
const px = Float64Array.from({ length: LEVELS }, (_, i) => 3_300_000 - i * 100);
const qty = Float64Array.from({ length: LEVELS }, (_, i) => 5 + i);

interface PacedResult {
  offered: number;
  record_ns_per_row: number;
  loop_delay_p50_us: number;
  loop_delay_p99_us: number;
}

/**
 * Offers `rate` depth rows per second for `seconds`, in 1 ms bursts (the way a feed arrives), through
 * `record` (or nowhere when null); measures the trading thread's cost per row and its event-loop delay.
 */
async function paced(rate: number, seconds: number, rec: Recorder | null): Promise<PacedResult> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let offered = 0;
  let spent = 0;
  const t0 = performance.now();
  for (let now = t0; now - t0 < seconds * 1000; now = performance.now()) {
    const due = Math.floor(((now - t0) / 1000) * rate);
    const a = performance.now();
    for (; offered < due; offered++) {
      const seq = offered;
      if (rec !== null)
        rec.recordDepth('TXFD6', 1, T0 + seq * 256, T0 + seq * 256, seq, LEVELS, px, qty, px, qty);
    }
    spent += performance.now() - a;
    await sleep(1);
  }
  h.disable();
  return {
    offered,
    record_ns_per_row: Math.round((spent * 1e6) / offered),
    loop_delay_p50_us: Math.round(h.percentile(50) / 1000),
    loop_delay_p99_us: Math.round(h.percentile(99) / 1000),
  };
}

/** Sustained ingest at `rate` rows/s into the recorder's sink: written rows/s until everything is stored. */
async function ingest(
  name: string,
  rate: number,
  seconds: number,
  opts: Omit<RecorderOptions, 'logger'>,
  results: Record<string, unknown>,
  row: Row,
): Promise<void> {
  const rec = await Recorder.open({ ...opts, logger: createLogger('warn'), ringMb: 64 });
  const t0 = performance.now();
  const p = await paced(rate, seconds, rec);
  const s = await rec.close();
  const wall = (performance.now() - t0) / 1000;
  const out = {
    target_rows_per_s: rate,
    offered: p.offered,
    written: s.written.market_data,
    shed: s.shed_market_data,
    written_rows_per_s: Math.round(s.written.market_data / wall),
    record_ns_per_row: p.record_ns_per_row,
    loop_delay_us: { p50: p.loop_delay_p50_us, p99: p.loop_delay_p99_us },
    sink: `${s.sink.kind} ${s.sink.version}`,
  };
  results[name] = out;
  row(
    `${name}: ${rate / 1000}k depth rows/s offered for ${seconds} s`,
    `${out.written_rows_per_s} rows/s stored (${out.written}/${out.offered}, shed ${out.shed}), ${out.sink}`,
  );
  row(
    `${name}: trading thread`,
    `${out.record_ns_per_row} ns/row, event-loop delay p50 ${out.loop_delay_us.p50} us p99 ${out.loop_delay_us.p99} us`,
  );
}

/** One market-data batch as the worker builds it (wire layout, each row followed by its rid). */
function depthBatch(rows: number): Buffer {
  const mem = new ArrayBuffer(rows * (marketRowBound(LEVELS) + 8));
  const f64 = new Float64Array(mem);
  const bytes = Buffer.from(mem);
  let at = 0;
  for (let i = 0; i < rows; i++) {
    const ts = T0 + i * 256;
    at +=
      writeMarketRow(f64, bytes, at, 'TXFD6', 1, KIND_DEPTH, ts, ts, i, 0, 0, LEVELS, px, qty, px, qty) + 8;
  }
  return bytes.subarray(0, at);
}

/** WAL appends of full batches, fdatasync after each, vs writing the same bytes with one fdatasync at the end. */
function walVsDisk(results: Record<string, unknown>, row: Row): void {
  const dir = mkdtempSync(join(tmpdir(), 'hft-bench-wal-'));
  try {
    const batch = depthBatch(5000);
    const md = TOPIC_BY_NAME.market_data;
    const wal = new WalWriter({ dir, fsync: 'batch' });
    let records = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 3000) {
      wal.append(md, wal.ridHi, wal.nextRid(), 0, 5000, batch);
      wal.flush(Date.now());
      records++;
    }
    const s = (performance.now() - t0) / 1000;
    wal.close();
    const walMBs = (records * batch.length) / s / 1e6;

    const total = Math.max(256 * 1024 * 1024, records * batch.length);
    const block = Buffer.alloc(1024 * 1024, 0x5a);
    const fd = openSync(join(dir, 'seq.bin'), 'w');
    const d0 = performance.now();
    for (let n = 0; n < total; n += block.length) writeSync(fd, block);
    fdatasyncSync(fd);
    closeSync(fd);
    const diskMBs = total / ((performance.now() - d0) / 1000) / 1e6;
    results.wal_append = {
      batch_rows: 5000,
      batch_bytes: batch.length,
      records_per_s: Math.round(records / s),
      rows_per_s: Math.round((records * 5000) / s),
      mb_per_s: Math.round(walMBs),
      fsync: 'per batch',
    };
    results.disk_seq_write = {
      mb_per_s: Math.round(diskMBs),
      bytes: total,
      method: '1 MiB writes, one fdatasync (dd conv=fdatasync)',
    };
    row(
      'WAL append, fdatasync per 5000-row batch',
      `${Math.round(records / s)} records/s, ${Math.round((records * 5000) / s)} rows/s, ${Math.round(walMBs)} MB/s`,
    );
    row(
      'disk sequential write (1 MiB blocks, fdatasync at end)',
      `${Math.round(diskMBs)} MB/s -> WAL at ${Math.round((walMBs / diskMBs) * 100)}%`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every recorder figure; `row` prints one line of the bench table. */
export async function benchRecorder(results: Record<string, unknown>, row: Row): Promise<void> {
  const base = await paced(500_000, 4, null);
  results.paced_loop_without_recording = base;
  row(
    'paced loop without recording (500k rows/s)',
    `event-loop delay p50 ${base.loop_delay_p50_us} us p99 ${base.loop_delay_p99_us} us`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'hft-bench-rec-'));
  try {
    await ingest('ingest_embedded', 500_000, 8, { dataDir }, results, row);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const bin = findClickHouseServer();
  if (bin === null) row('ingest_server', 'skipped: clickhouse-server not installed');
  else {
    const server = await ClickHouseServer.start(bin);
    const dir = mkdtempSync(join(tmpdir(), 'hft-bench-rec-'));
    try {
      await ingest('ingest_server', 300_000, 8, { dataDir: dir, server: { url: server.url } }, results, row);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  walVsDisk(results, row);
}
