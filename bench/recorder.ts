/**
 * Recorder figures (called from bench/run.ts):
 *   - sustained market-data ingest into embedded ClickHouse and into a clickhouse-server (when installed),
 *     with the trading thread's cost per recorded row and its event-loop delay, against the same paced loop
 *     without recording
 *   - where the embedded insert's time goes: CPU per market-data row of each step (building the Native
 *     block, staging it, the engine's parse and conversion, the MergeTree write and its merges), for the
 *     Native block and for the row layout with casts (the path before it)
 *   - WAL append throughput with fsync per batch, against the disk's sequential write bandwidth
 * Rates are shown with the load average beside them: on a machine shared with other work they say as much
 * about the machine as about the recorder.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../src/core/logger.ts';
import {
  KIND_DEPTH,
  KIND_TRADE,
  MARKET_SELECT,
  MARKET_STRUCTURE,
  marketRowBound,
  writeMarketRow,
} from '../src/recorder/market-layout.ts';
import { marketToNative, NativeScratch } from '../src/recorder/market-native.ts';
import { Recorder, type RecorderOptions } from '../src/recorder/recorder.ts';
import { openEmbeddedStore } from '../src/recorder/store.ts';
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
  const load0 = loadavg()[0];
  const t0 = performance.now();
  const p = await paced(rate, seconds, rec);
  const s = await rec.close();
  const wall = (performance.now() - t0) / 1000;
  const out = {
    target_rows_per_s: rate,
    offered: p.offered,
    offered_rows_per_s: Math.round(p.offered / seconds),
    written: s.written.market_data,
    shed: s.shed_market_data,
    // Until everything offered is stored or shed (the close included).
    stored_rows_per_s: Math.round(s.written.market_data / wall),
    stored_pct: Math.round((s.written.market_data / p.offered) * 1000) / 10,
    load_avg_1m: { start: round1(load0), end: round1(loadavg()[0]) },
    cores: availableParallelism(),
    record_ns_per_row: p.record_ns_per_row,
    loop_delay_us: { p50: p.loop_delay_p50_us, p99: p.loop_delay_p99_us },
    sink: `${s.sink.kind} ${s.sink.version}`,
  };
  results[name] = out;
  row(
    `${name}: ${rate / 1000}k depth rows/s for ${seconds} s`,
    `stored/offered ${out.stored_rows_per_s}/${out.offered_rows_per_s} rows/s (${out.stored_pct}%, shed ${out.shed}), ` +
      `load avg ${out.load_avg_1m.start}->${out.load_avg_1m.end} on ${out.cores} cores, ${out.sink}`,
  );
  row(
    `${name}: trading thread`,
    `${out.record_ns_per_row} ns/row, event-loop delay p50 ${out.loop_delay_us.p50} us p99 ${out.loop_delay_us.p99} us`,
  );
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * Market-data batches as the worker hands them to the sink: rows of four symbols (one in ten a trade), each
 * followed by its rid and run id, `rows` per batch. Distinct times per batch, so the table's parts differ.
 */
function layoutBatches(count: number, rows: number): Buffer[] {
  const syms = ['TXFD6', 'MXFD6', 'TMFD6', '2330'];
  const run = Buffer.from('20260408T010203.456Z-0badcafe');
  const one = new Float64Array(marketRowBound(LEVELS) / 8);
  const oneBytes = Buffer.from(one.buffer);
  return Array.from({ length: count }, (_, b) => {
    const out = Buffer.alloc(rows * (marketRowBound(LEVELS) + 9 + run.length));
    let at = 0;
    for (let i = 0; i < rows; i++) {
      const seq = b * rows + i;
      const ts = T0 + seq * 256;
      const kind = i % 10 === 0 ? KIND_TRADE : KIND_DEPTH;
      const n = writeMarketRow(
        one,
        oneBytes,
        0,
        syms[i % 4],
        1,
        kind,
        ts,
        ts,
        seq,
        3_300_000 + (i % 50),
        i % 7,
        LEVELS,
        px,
        qty,
        px,
        qty,
      );
      at += oneBytes.copy(out, at, 0, n);
      out.writeUInt32LE(b, at);
      out.writeUInt32LE(1, at + 4);
      out[at + 8] = run.length;
      at += 9 + run.copy(out, at + 9);
    }
    return out.subarray(0, at);
  });
}

/**
 * Where an embedded market-data insert's time goes: the process's CPU time per row (every thread: the
 * engine's included) of each step, steps interleaved over several rounds and the median kept. Merges are
 * stopped while the steps run (they would land in whichever step comes next) and measured apart: one merge
 * of everything inserted into one part. Each step includes the ones before it on its path: encode <
 * staging + the engine's parse (into a Null table) < MergeTree insert (sort, compress, write the part, the
 * 1-minute view).
 */
async function embeddedBreakdown(results: Record<string, unknown>, row: Row): Promise<void> {
  const ROWS = 50_000;
  const dir = mkdtempSync(join(tmpdir(), 'hft-bench-steps-'));
  const store = await openEmbeddedStore(dir);
  try {
    const md = TOPIC_BY_NAME.market_data;
    await store.exec(
      `CREATE TABLE hft.md_null (${md.columns.map(([n, t]) => `${n} ${t}`).join(', ')}) ENGINE = Null`,
    );
    const batches = layoutBatches(4, ROWS);
    const scratch = new NativeScratch();
    let token = 0;
    const layout = { structure: MARKET_STRUCTURE, select: MARKET_SELECT };
    const steps: Record<string, (b: Buffer) => unknown> = {
      native_encode: (b) => marketToNative(b, ROWS, scratch),
      native_parse_null: (b) =>
        store.insert('hft.md_null', md.columns, () => marketToNative(b, ROWS, scratch), null, {
          native: true,
        }),
      native_insert: (b) =>
        store.insert(md.table, md.columns, () => marketToNative(b, ROWS, scratch), String(++token), {
          native: true,
        }),
      layout_parse_null: (b) => store.insert('hft.md_null', md.columns, b, null, layout),
      layout_insert: (b) => store.insert(md.table, md.columns, b, String(++token), layout),
    };
    const samples: Record<string, number[]> = {};
    const load0 = loadavg()[0];
    await store.exec('SYSTEM STOP MERGES hft.market_data');
    for (let round = 0; round < 7; round++) {
      for (const [name, step] of Object.entries(steps)) {
        const c0 = process.cpuUsage();
        for (const b of batches) await step(b);
        const c = process.cpuUsage(c0);
        (samples[name] ??= []).push(((c.user + c.system) * 1000) / (ROWS * batches.length));
      }
    }
    await store.exec('SYSTEM START MERGES hft.market_data');
    const [inserted, parts] = (
      await store.query(
        "SELECT sum(rows), count() FROM system.parts WHERE database = 'hft' AND table = 'market_data' AND active",
        'TSV',
      )
    )
      .trim()
      .split('\t')
      .map(Number);
    const m0 = process.cpuUsage();
    await store.exec('OPTIMIZE TABLE hft.market_data FINAL');
    const m = process.cpuUsage(m0);
    const median = (v: number[]) => Math.round(v.sort((a, b) => a - b)[v.length >> 1]);
    const ns = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    ns.merge_into_one_part = Math.round(((m.user + m.system) * 1000) / inserted);
    const out = {
      batch_rows: ROWS,
      levels: LEVELS,
      cpu_ns_per_row: ns,
      load_avg_1m: { start: round1(load0), end: round1(loadavg()[0]) },
    };
    results.embedded_insert_steps = out;
    const load = `load avg ${out.load_avg_1m.start}->${out.load_avg_1m.end}`;
    row(
      'embedded insert, CPU per row: Native block',
      `encode ${ns.native_encode} ns, +stage+parse ${ns.native_parse_null - ns.native_encode} ns, ` +
        `+MergeTree ${ns.native_insert - ns.native_parse_null} ns = ${ns.native_insert} ns (${load})`,
    );
    row(
      'embedded insert, CPU per row: layout with casts',
      `stage+parse+casts ${ns.layout_parse_null} ns, +MergeTree ${ns.layout_insert - ns.layout_parse_null} ns = ${ns.layout_insert} ns`,
    );
    row(
      'embedded merge, CPU per row',
      `${ns.merge_into_one_part} ns (${inserted} rows in ${parts} parts merged into one)`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
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
  await embeddedBreakdown(results, row);
  walVsDisk(results, row);
}
