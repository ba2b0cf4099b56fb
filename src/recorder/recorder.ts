import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
// Keeps the native engine loaded in this thread too: when only the worker has loaded it, the addon is
// unloaded as the worker exits, which crashes the process (measured, chdb 3.4).
import 'chdb';
import { Epoch } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { checkRunId, newRunId } from '../core/run-id.ts';
import { workerUrl } from '../core/worker-url.ts';
import { createRingMemory, RingConsumer, RingProducer } from './byte-ring.ts';
import { KIND_DEPTH, KIND_TRADE, MAX_LEVELS, marketRowBound, writeMarketRow } from './market-layout.ts';
import type { PersisterConfig, RecorderMode } from './persister.ts';
import type { FromRecorderWorker, RecorderWorkerData, ToRecorderWorker } from './recorder-worker.ts';
import { RowWriter } from './row-writer.ts';
import {
  type AuditRows,
  type AuditTable,
  auditBound,
  type FillRecord,
  fillBound,
  type OrderRecord,
  orderBound,
  type RunRecord,
  riskBound,
  runBound,
  spanBound,
  writeAudit,
  writeFill,
  writeOrder,
  writeRisk,
  writeRun,
  writeSpan,
} from './rows.ts';
import type { ServerOptions } from './server-store.ts';
import { SharedStats } from './shared-stats.ts';
import { TOPIC_BY_NAME, TOPICS, type TopicCounts, type TopicName, topicCounts } from './topics.ts';
import type { DiskFaults } from './wal/disk-io.ts';
import { DISK_LEVELS, type DiskLevel, type DiskReading } from './wal/disk-monitor.ts';
import type { WalWriterOptions } from './wal/writer.ts';

export interface RecorderOptions {
  logger: Logger;
  /** The run id every recorded row carries (core/run-id.ts); default: a new one. */
  runId?: string;
  /** Embedded ClickHouse data directory (used when no server is given). */
  dataDir: string;
  /** A ClickHouse server instead of the embedded store. */
  server?: ServerOptions | null;
  /** fallback (default): direct inserts, the WAL when the sink fails; wal_first: every batch through the WAL. */
  mode?: RecorderMode;
  /** WAL directory; default <dataDir>/wal. */
  walDir?: string;
  wal?: Omit<WalWriterOptions, 'dir'>;
  /** A batch older than this is shipped. Default 200. */
  flushIntervalMs?: number;
  /** Rows per batch. Default 5000. */
  batchRows?: number;
  /** Shared ring memory for all topics, MiB (market data gets 60%). Default 32. */
  ringMb?: number;
  /** Batches the worker may hold before it stops draining the rings, MiB. Default 256. */
  memoryLimitMb?: number;
  /** Book levels kept per depth row; deeper levels are not recorded. Default 10. */
  depthLevels?: number;
  disk?: Partial<PersisterConfig['disk']>;
  retryBaseMs?: number;
  retryMaxMs?: number;
  loaderPollMs?: number;
  closeTimeoutMs?: number;
  /** Rows of never-shed tables the trading thread may keep while their ring is full, MiB; beyond, they are lost (counted). Default 64. */
  spillLimitMb?: number;
  /** Called on every change of the WAL disk level. */
  onDiskLevel?: (r: DiskReading) => void;
  /**
   * Called with a reason when trading must halt for the recorder's sake (WAL disk at its HALT level, orders
   * or fills that nothing can store, a dead worker, the spill limit) and with null once none holds any more:
   * the trading system holds StormGuard HALT while it does.
   */
  onHold?: (reason: string | null) => void;
  /** Worker restarts after a crash before the recorder gives up (stays down, HALT held). Default 3. */
  maxRestarts?: number;
  /** Injected disk faults (tests): every disk write of the worker sees them. */
  diskFaults?: DiskFaults;
}

/** The worker thread: up, being restarted after a crash, dead for good, or closed. */
export type WorkerState = 'up' | 'restarting' | 'dead' | 'closed';

export interface RecorderStats {
  mode: RecorderMode;
  sink: { kind: 'chdb' | 'server'; version: string; degraded: string[] };
  /** Rows accepted by record*() (market data includes rows later shed). */
  enqueued: TopicCounts;
  /** Rows in the sink: inserted directly, loaded from the WAL, or found there by the loader. */
  written: TopicCounts;
  /** Rows appended to the WAL. */
  wal_rows: TopicCounts;
  /** Rows loaded from the WAL into the sink (also in `written`). */
  replayed: TopicCounts;
  /** Rows dropped on purpose: full ring or disk policy (sheddable topics only). */
  shed: TopicCounts;
  shed_market_data: number;
  /** Batches whose direct insert failed (their rows went to the WAL), and those rows. */
  failed_batches: number;
  diverted_rows: number;
  /** Rows stored nowhere (neither sink nor WAL), per table: must stay 0. */
  lost: TopicCounts;
  /** Their sum. */
  failed_rows: number;
  /** The part of failed_rows that were orders or fills. */
  lost_orders_trades: number;
  /** WAL records the loader found already in the sink (not inserted twice). */
  found_records: number;
  batches: number;
  /** Batches queued for the sink. */
  pending: number;
  /** Rows refused at encoding (NaN, Infinity, out of range, wrong type). */
  invalid_rows: number;
  /** Rows of never-shed topics held in trading-thread memory because their ring was full. */
  spills: number;
  disk_level: DiskLevel;
  /** Level as a number (0 ok .. 3 halt) and free bytes of the WAL's filesystem (checked every disk.check_interval_ms). */
  disk: { level: number; free_bytes: number };
  /** Segment files waiting in the WAL directory and their size. */
  wal: { backlog_files: number; backlog_bytes: number };
  /** Rows of never-shed tables waiting in the worker's memory: neither the sink nor the WAL takes them. */
  held_rows: number;
  worker: { state: WorkerState; restarts: number };
  /** Why trading is held for the recorder (see onHold), or null. */
  hold: string | null;
  /** How long close() took, ms (null before it ran): part of a run's wall time. */
  close_ms: number | null;
  /** The last error with its time, and when it recovered ("...; recovered at ...") if nothing fails now. */
  lastError: string | null;
}

interface Lane {
  p: RingProducer;
  /** Encoded rows waiting for ring space, oldest first (never-shed topics only). */
  spill: Buffer[];
}

const MD = TOPIC_BY_NAME.market_data.id;
const ORDERS = TOPIC_BY_NAME.orders.id;
const TRADES = TOPIC_BY_NAME.trades.id;
const SPANS = TOPIC_BY_NAME.latency_spans.id;
const RISK = TOPIC_BY_NAME.risk_events.id;
const RUNS = TOPIC_BY_NAME.runs.id;
/** A run row above this (its ring holds about twice as much) keeps a note instead of its summary. */
const MAX_RUN_ROW_BYTES = 256 * 1024;
const MIB = 1024 * 1024;
const NONE = new Float64Array(0);

/** Resolves when the worker has opened the sink; rejects with its error (a UserError stays one). */
function workerReady(worker: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onMessage = (msg: FromRecorderWorker) => {
      if (msg.op !== 'ready' && msg.op !== 'failed') return;
      cleanup();
      if (msg.op === 'ready') resolve();
      else reject(msg.name === 'UserError' ? new UserError(msg.message) : new Error(msg.message));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number) =>
      onError(new Error(`recorder worker exited (code ${code}) before opening`));
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/**
 * Records market data, orders, fills, latency spans, risk events and audit rows from the trading loop.
 * record*() encodes the row (RowBinary) straight into a shared-memory ring of its topic: no allocation, no
 * message, no I/O. A worker thread drains the rings into batches for the sink and the write-ahead log
 * (see Persister). A full market-data or latency ring sheds the row (counted); the other topics are never
 * dropped: their rows wait in this thread's memory until the ring has room.
 */
export class Recorder {
  /** The run id appended to every row this recorder writes. */
  readonly runId: string;
  onDiskLevel: ((r: DiskReading) => void) | null;
  private holdListener: ((reason: string | null) => void) | null;
  private readonly lanes: Lane[];
  private readonly rings: SharedArrayBuffer[];
  private scratch = new RowWriter(new ArrayBuffer(MIB));
  private readonly enqueued = topicCounts();
  private readonly shedRing = topicCounts();
  private invalidRows = 0;
  private spills = 0;
  private spillTimer: NodeJS.Timeout | null = null;
  private lastError: string | null = null;
  private sink: RecorderStats['sink'];
  private diskLevel: DiskLevel = 'ok';
  private nextSync = 0;
  private readonly syncs = new Map<number, () => void>();
  private closing: Promise<RecorderStats> | null = null;
  private onClosed: (() => void) | null = null;
  /** True while no worker answers requests (dead, restarting or closed). */
  private workerGone = false;
  private workerState: WorkerState = 'up';
  private restarts = 0;
  private readonly maxRestarts: number;
  /** What holds trading for the recorder, by condition. */
  private readonly holds = new Map<'disk' | 'held' | 'worker' | 'spill', string>();
  private holdReason: string | null = null;
  /** Rows lost on this thread (spill limit, a dead worker's memory), per topic. */
  private readonly lostHere = topicCounts();
  /** Per topic, rows of dead workers already counted lost (so the next death counts only its own). */
  private readonly settledOffset = topicCounts();
  private spillBytes = 0;
  private readonly spillLimitBytes: number;
  private closeMs: number | null = null;
  private readonly depthLevels: number;
  /** Most bytes of one market-data row (layout: market-layout.ts). */
  private readonly marketBytes: number;
  /** Origin of the times given to record*() (the run's clock epoch): rows carry absolute ns. */
  private epoch = Epoch.ZERO;

  private constructor(
    private worker: Worker,
    private readonly stats_: SharedStats,
    rings: SharedArrayBuffer[],
    private readonly mode: RecorderMode,
    private readonly logger: Logger,
    opts: RecorderOptions,
    early: FromRecorderWorker[],
    private readonly workerData: RecorderWorkerData,
    private readonly closeTimeoutMs: number,
  ) {
    this.lanes = rings.map((m) => ({ p: new RingProducer(m), spill: [] }));
    this.rings = rings;
    this.runId = opts.runId as string;
    this.depthLevels = Math.min(opts.depthLevels ?? 10, MAX_LEVELS);
    this.marketBytes = marketRowBound(this.depthLevels);
    this.holdListener = opts.onHold ?? null;
    this.onDiskLevel = opts.onDiskLevel ?? null;
    this.maxRestarts = opts.maxRestarts ?? 3;
    this.spillLimitBytes = (opts.spillLimitMb ?? 64) * MIB;
    this.sink = { kind: opts.server ? 'server' : 'chdb', version: '', degraded: [] };
    this.attach(worker, early);
  }

  /** Replaceable after open (the trading system holds StormGuard HALT here); hears a hold already in force at once. */
  set onHold(fn: ((reason: string | null) => void) | null) {
    this.holdListener = fn;
    if (fn !== null && this.holdReason !== null) fn(this.holdReason);
  }

  /** Starts the worker (opening the sink, applying the schema, replaying WAL backlog) and returns a ready recorder. */
  static async open(opts: RecorderOptions): Promise<Recorder> {
    const ringBytes = (opts.ringMb ?? 32) * MIB;
    const rings = TOPICS.map((t) =>
      createRingMemory(Math.max(t.minRingBytes, Math.floor(ringBytes * t.ringShare))),
    );
    const stats = new SharedStats();
    const mode = opts.mode ?? 'fallback';
    const runId = opts.runId ?? newRunId();
    checkRunId(runId);
    opts = { ...opts, runId };
    const config: PersisterConfig = {
      runId,
      mode,
      dataDir: opts.dataDir,
      server: opts.server ?? null,
      wal: { ...opts.wal, dir: opts.walDir ?? join(opts.dataDir, 'wal') },
      flushIntervalMs: opts.flushIntervalMs ?? 200,
      batchRows: opts.batchRows ?? 5000,
      memoryLimitBytes: (opts.memoryLimitMb ?? 256) * MIB,
      disk: {
        warnPct: 80,
        criticalPct: 90,
        haltPct: 95,
        walMaxBytes: 0,
        checkIntervalMs: 1000,
        shedAt: { market_data: 'critical', latency_spans: 'critical' },
        ...opts.disk,
      },
      retryBaseMs: opts.retryBaseMs ?? 200,
      retryMaxMs: opts.retryMaxMs ?? 10_000,
      loaderPollMs: opts.loaderPollMs ?? 100,
      closeTimeoutMs: opts.closeTimeoutMs ?? 10_000,
    };
    const data: RecorderWorkerData = {
      config,
      rings,
      stats: stats.memory,
      logLevel: opts.logger.level,
      diskFaults: opts.diskFaults?.memory ?? null,
    };
    const { worker, early } = await startWorker(data, opts.logger);
    return new Recorder(worker, stats, rings, mode, opts.logger, opts, early, data, config.closeTimeoutMs);
  }

  /**
   * Sets the origin of the times given to record*() (the run's clock epoch; default Epoch.ZERO: times are
   * ns since 1970). Rows are stored with absolute Int64 ns, exactly.
   */
  setEpoch(epoch: Epoch): void {
    this.epoch = epoch;
    this.scratch.epoch = epoch;
    for (const lane of this.lanes) lane.p.w.epoch = epoch;
  }

  /** Records a top-`levels` book snapshot (arrays are copied). Prices scaled by `priceScale`, times are Nanos. */
  recordDepth(
    symbol: string,
    priceScale: number,
    exchTs: number,
    localTs: number,
    seq: number,
    levels: number,
    bidPx: ArrayLike<number>,
    bidQty: ArrayLike<number>,
    askPx: ArrayLike<number>,
    askQty: ArrayLike<number>,
  ): void {
    const p = this.lanes[MD].p;
    this.enqueued.market_data++;
    if (!p.begin(this.marketBytes)) {
      this.shedRing.market_data++;
      return;
    }
    const at = p.w.pos;
    const n = Math.min(levels, this.depthLevels);
    const len = writeMarketRow(
      p.f64,
      p.w.bytes,
      at,
      symbol,
      priceScale,
      KIND_DEPTH,
      exchTs,
      localTs,
      seq,
      0,
      0,
      n,
      bidPx,
      bidQty,
      askPx,
      askQty,
      this.epoch,
    );
    this.publishMarket(p, at, len);
  }

  /** Records a market trade print. */
  recordTrade(
    symbol: string,
    priceScale: number,
    exchTs: number,
    localTs: number,
    seq: number,
    price: number,
    qty: number,
  ): void {
    const p = this.lanes[MD].p;
    this.enqueued.market_data++;
    if (!p.begin(this.marketBytes)) {
      this.shedRing.market_data++;
      return;
    }
    const at = p.w.pos;
    const len = writeMarketRow(
      p.f64,
      p.w.bytes,
      at,
      symbol,
      priceScale,
      KIND_TRADE,
      exchTs,
      localTs,
      seq,
      price,
      qty,
      0,
      NONE,
      NONE,
      NONE,
      NONE,
      this.epoch,
    );
    this.publishMarket(p, at, len);
  }

  /** Records one latency span (stage name, duration in ns, at `ts` ns). Shed when its ring is full. */
  recordLatency(ts: number, stage: string, ns: number): void {
    const p = this.lanes[SPANS].p;
    if (!p.begin(spanBound(stage))) {
      this.enqueued.latency_spans++;
      this.shedRing.latency_spans++;
      return;
    }
    writeSpan(p.w, ts, stage, ns);
    this.committed(SPANS, p.commit());
  }

  /** Records one order lifecycle event; the fields are copied, so `ev` may be reused. Never dropped. */
  recordOrder(ev: OrderRecord): void {
    const lane = this.lanes[ORDERS];
    if (this.ready(lane, orderBound(ev))) {
      writeOrder(lane.p.w, ev);
      this.committed(ORDERS, lane.p.commit());
    } else {
      this.prepareScratch(orderBound(ev));
      writeOrder(this.scratch, ev);
      this.keep(ORDERS, lane);
    }
  }

  /** Records one own fill; the fields are copied, so `fill` may be reused. Never dropped. */
  recordFill(fill: FillRecord): void {
    const lane = this.lanes[TRADES];
    if (this.ready(lane, fillBound(fill))) {
      writeFill(lane.p.w, fill);
      this.committed(TRADES, lane.p.commit());
    } else {
      this.prepareScratch(fillBound(fill));
      writeFill(this.scratch, fill);
      this.keep(TRADES, lane);
    }
  }

  /** Records a risk / StormGuard event (e.g. a state change from `from` to `to`). Never dropped. */
  recordRiskEvent(ts: number, kind: string, from: string, to: string, reason: string): void {
    const lane = this.lanes[RISK];
    const bound = riskBound(kind, from, to, reason);
    if (this.ready(lane, bound)) {
      writeRisk(lane.p.w, ts, kind, from, to, reason);
      this.committed(RISK, lane.p.commit());
    } else {
      this.prepareScratch(bound);
      writeRisk(this.scratch, ts, kind, from, to, reason);
      this.keep(RISK, lane);
    }
  }

  /** Records a row of hft.runs (the run's start or end). Never dropped. */
  recordRun(run: RunRecord): void {
    let r = run;
    if (runBound(r) > MAX_RUN_ROW_BYTES) {
      const summary = JSON.stringify({ truncated: true, summary_bytes: Buffer.byteLength(r.summary) });
      r = { ...r, summary };
      if (runBound(r) > MAX_RUN_ROW_BYTES) r = { ...r, config: '{"truncated":true}' };
    }
    const lane = this.lanes[RUNS];
    const bound = runBound(r);
    if (this.ready(lane, bound)) {
      writeRun(lane.p.w, r);
      this.committed(RUNS, lane.p.commit());
    } else {
      this.prepareScratch(bound);
      writeRun(this.scratch, r);
      this.keep(RUNS, lane);
    }
  }

  /** Records one audit row into audit.<table>. Never dropped; a row with a missing or mistyped column is refused and counted. */
  recordAudit<T extends AuditTable>(table: T, row: AuditRows[T]): void {
    const id = TOPIC_BY_NAME[table as TopicName].id;
    const lane = this.lanes[id];
    const bound = auditBound(table, row);
    if (this.ready(lane, bound)) {
      writeAudit(lane.p.w, table, row);
      this.committed(id, lane.p.commit());
    } else {
      this.prepareScratch(bound);
      writeAudit(this.scratch, table, row);
      this.keep(id, lane);
    }
  }

  /** Asks the worker to ship every partial batch now (asynchronous; see sync()). */
  flush(): void {
    if (!this.workerGone) this.post({ op: 'flush' });
  }

  /** Resolves once every row recorded so far is in the sink or synced to the WAL. */
  async sync(): Promise<RecorderStats> {
    await this.pumpSpills(true);
    if (!this.workerGone) {
      const id = ++this.nextSync;
      await new Promise<void>((resolve) => {
        this.syncs.set(id, resolve);
        this.post({ op: 'sync', id });
      });
    }
    return this.stats();
  }

  stats(): RecorderStats {
    const s = this.stats_;
    const per = (stat: Parameters<SharedStats['get']>[1]) => {
      const c = topicCounts();
      for (const t of TOPICS) c[t.name] = s.get(t.id, stat);
      return c;
    };
    const shed = per('shed');
    for (const t of TOPICS) shed[t.name] += this.shedRing[t.name];
    const sum = (c: TopicCounts) => Object.values(c).reduce((a, b) => a + b, 0);
    const lost = per('lost');
    for (const t of TOPICS) lost[t.name] += this.lostHere[t.name];
    return {
      mode: this.mode,
      sink: this.sink,
      enqueued: { ...this.enqueued },
      written: per('written'),
      wal_rows: per('wal_rows'),
      replayed: per('replayed'),
      shed,
      shed_market_data: shed.market_data,
      failed_batches: s.global('failed_batches'),
      diverted_rows: sum(per('diverted')),
      lost,
      failed_rows: sum(lost),
      lost_orders_trades: lost.orders + lost.trades,
      found_records: s.global('found'),
      batches: sum(per('batches')),
      pending: s.global('pending_batches'),
      invalid_rows: this.invalidRows,
      spills: this.spills,
      disk_level: DISK_LEVELS[s.global('disk_level')] ?? this.diskLevel,
      disk: { level: s.global('disk_level'), free_bytes: s.global('disk_free_bytes') },
      wal: { backlog_files: s.global('wal_files'), backlog_bytes: s.global('wal_bytes') },
      held_rows: this.workerState === 'up' ? s.global('held_rows') : 0,
      worker: { state: this.workerState, restarts: this.restarts },
      hold: this.holdReason,
      close_ms: this.closeMs,
      lastError: this.lastError,
    };
  }

  /** Ships everything, replays WAL backlog (bounded by closeTimeoutMs), closes the sink and the worker. */
  close(): Promise<RecorderStats> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<RecorderStats> {
    const t0 = performance.now();
    await this.pumpSpills(true);
    if (this.spillTimer) clearTimeout(this.spillTimer);
    if (this.workerGone) this.loseUnread('the recorder closed with no worker to take them');
    if (!this.workerGone) {
      // The worker handles requests in order: 'closed' comes after everything was shipped. It bounds its own
      // close by closeTimeoutMs; a worker that does not answer well after that (a hung sink call) is stopped.
      let timer: NodeJS.Timeout | undefined;
      const answered = await Promise.race([
        new Promise<boolean>((resolve) => {
          this.onClosed = () => resolve(true);
          this.post({ op: 'close' });
        }),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), this.closeTimeoutMs + CLOSE_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      if (!answered) {
        this.logger.error(
          { close_timeout_ms: this.closeTimeoutMs, grace_ms: CLOSE_GRACE_MS },
          'recorder worker did not close in time: stopped (rows in its memory counted lost)',
        );
        this.workerState = 'closed';
        this.workerGone = true;
        await this.worker.terminate();
        this.countWorkerLoss();
        this.loseUnread('the recorder worker was stopped at close');
      } else {
        // Rows recorded after the worker's last batch (a venue still delivering as the run ends)
        // were shipped nowhere: counted, not silently left in the rings.
        this.loseUnread('recorded after the recorder had shipped its last batch at close');
      }
    }
    this.workerState = 'closed';
    this.holds.clear();
    await this.worker.terminate();
    this.closeMs = Math.round(performance.now() - t0);
    return this.stats();
  }

  /** True when the lane has no older rows waiting and the ring has room (then begin() was called). */
  private ready(lane: Lane, bound: number): boolean {
    if (lane.spill.length > 0) this.pumpLane(lane);
    return lane.spill.length === 0 && lane.p.begin(bound);
  }

  private committed(topicId: number, ok: boolean): void {
    if (ok) this.enqueued[TOPICS[topicId].name]++;
    else this.invalidRows++;
  }

  /** Publishes a market-data row of `len` bytes at `at`; -1 (an unstorable value) is counted as invalid instead. */
  private publishMarket(p: RingProducer, at: number, len: number): void {
    if (len < 0) {
      this.enqueued.market_data--;
      this.invalidRows++;
      return;
    }
    p.w.pos = at + len;
    p.commit();
  }

  /** Prepares the scratch writer for a row that must wait in memory. */
  private prepareScratch(bound: number): void {
    if (this.scratch.bytes.length < bound) {
      this.scratch = new RowWriter(new ArrayBuffer(bound * 2));
      this.scratch.epoch = this.epoch;
    }
    this.scratch.pos = 0;
    this.scratch.invalid = false;
  }

  /**
   * Keeps the row in the scratch writer until its ring has room (allocates: only when the ring is full).
   * Beyond spillLimitMb the row is lost (counted) and trading is held: memory stays bounded.
   */
  private keep(topicId: number, lane: Lane): void {
    if (this.scratch.invalid) {
      this.invalidRows++;
      return;
    }
    const name = TOPICS[topicId].name;
    this.enqueued[name]++;
    if (this.spillBytes + this.scratch.pos > this.spillLimitBytes) {
      if (this.lostHere[name]++ === 0 || this.lostHere[name] % 10_000 === 0) {
        this.logger.error(
          { table: name, lost: this.lostHere[name], limit_mb: this.spillLimitBytes / MIB },
          'recorder spill limit reached: rows lost',
        );
      }
      this.setHold('spill', `recorder spill limit reached (${this.spillLimitBytes / MIB} MiB): rows lost`);
      return;
    }
    this.spillBytes += this.scratch.pos;
    lane.spill.push(Buffer.from(this.scratch.bytes.subarray(0, this.scratch.pos)));
    if (++this.spills === 1 || this.spills % 10_000 === 0) {
      this.logger.warn({ table: name, spills: this.spills }, 'recorder ring full: rows wait in memory');
    }
    this.spillTimer ??= setTimeout(() => {
      this.spillTimer = null;
      void this.pumpSpills(false);
    }, 5);
  }

  private pumpLane(lane: Lane): void {
    while (lane.spill.length > 0) {
      const row = lane.spill[0];
      if (!lane.p.begin(row.length)) return;
      lane.p.w.raw(row);
      lane.p.commit();
      lane.spill.shift();
      this.spillBytes -= row.length;
    }
    if (this.spillBytes === 0 && this.holds.has('spill')) this.setHold('spill', null);
  }

  /** Counts the rows in the rings and spills as lost: no worker will take them (call with no worker running). */
  private loseUnread(why: string): void {
    for (const t of TOPICS) {
      const lane = this.lanes[t.id];
      const ring = new RingConsumer(this.rings[t.id]);
      let n = lane.spill.length;
      for (let len = ring.next(); len >= 0; len = ring.next()) {
        ring.advance(len);
        n++;
      }
      for (const row of lane.spill) this.spillBytes -= row.length;
      lane.spill.length = 0;
      if (n === 0) continue;
      this.lostHere[t.name] += n;
      this.logger.error({ table: t.name, rows: n }, `recorder lost rows: ${why}`);
    }
  }

  /** Moves waiting rows into their rings; with `all`, waits (off the hot path) until every one is in. */
  private async pumpSpills(all: boolean): Promise<void> {
    for (;;) {
      let waiting = 0;
      for (const lane of this.lanes) {
        this.pumpLane(lane);
        waiting += lane.spill.length;
      }
      if (waiting === 0 || this.workerGone) return;
      if (!all) {
        this.spillTimer ??= setTimeout(() => {
          this.spillTimer = null;
          void this.pumpSpills(false);
        }, 5);
        return;
      }
      this.flush();
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  private post(msg: ToRecorderWorker): void {
    this.worker.postMessage(msg);
  }

  private onMessage(msg: FromRecorderWorker): void {
    switch (msg.op) {
      case 'log':
        relog(this.logger, msg.line);
        break;
      case 'error':
        this.lastError = msg.message;
        break;
      case 'sink':
        this.sink = { kind: msg.kind as 'chdb' | 'server', version: msg.version, degraded: msg.degraded };
        break;
      case 'disk': {
        const r = msg.reading;
        this.diskLevel = r.level;
        this.onDiskLevel?.(r);
        this.setHold(
          'disk',
          r.level === 'halt'
            ? `recorder disk at HALT level (${r.usedPct.toFixed(1)}% used, WAL ${r.walBytes} B)`
            : null,
        );
        break;
      }
      case 'held':
        this.setHold('held', msg.reason);
        break;
      case 'synced':
        this.syncs.get(msg.id)?.();
        this.syncs.delete(msg.id);
        break;
      case 'closed':
        if (msg.error !== null) this.lastError = msg.error;
        this.workerGone = true;
        this.workerState = 'closed';
        this.onClosed?.();
        break;
    }
  }

  /** Listens to a (new) worker; `early` holds what it said before it was attached. */
  private attach(worker: Worker, early: FromRecorderWorker[]): void {
    this.worker = worker;
    worker.on('message', (msg: FromRecorderWorker) => {
      if (worker === this.worker) this.onMessage(msg);
    });
    worker.on('error', (err) => this.onWorkerDied(worker, `recorder worker crashed: ${err.message}`));
    worker.on('exit', (code) => this.onWorkerDied(worker, `recorder worker exited (code ${code})`));
    for (const msg of early) if (msg.op !== 'ready') this.onMessage(msg);
  }

  /**
   * The worker died (a bug: disk and sink failures are handled inside it). Waiters are released, what it
   * held in memory is counted lost, trading is held, and a new worker takes over the same rings (their
   * rows are intact) and the dead one's WAL segments.
   */
  private onWorkerDied(worker: Worker, reason: string): void {
    if (worker !== this.worker || this.workerState !== 'up') return;
    this.workerGone = true;
    this.lastError = `${reason} (at ${new Date().toISOString()})`;
    this.logger.error({ err: reason }, 'recorder worker is gone');
    for (const resolve of this.syncs.values()) resolve();
    this.syncs.clear();
    this.countWorkerLoss();
    this.holds.delete('disk'); // the next worker reports the disk again
    this.holds.delete('held');
    if (this.closing !== null) {
      this.workerState = 'dead';
      this.onClosed?.();
      return;
    }
    if (this.restarts >= this.maxRestarts) {
      this.workerState = 'dead';
      this.setHold('worker', `${reason}; not restarted (${this.restarts} restarts already)`);
      return;
    }
    this.workerState = 'restarting';
    this.setHold('worker', `${reason}; restarting it`);
    void this.restart();
  }

  /** Rows the dead worker had taken from the rings and not yet stored anywhere: counted lost. */
  private countWorkerLoss(): void {
    const s = this.stats_;
    for (const t of TOPICS) {
      const inFlight = s.get(t.id, 'drained') - s.get(t.id, 'settled') - this.settledOffset[t.name];
      if (inFlight <= 0) continue;
      this.settledOffset[t.name] += inFlight;
      this.lostHere[t.name] += inFlight;
      this.logger.error(
        { table: t.name, rows: inFlight },
        'recorder lost rows: in the memory of a dead worker',
      );
    }
  }

  private async restart(): Promise<void> {
    this.restarts++;
    const data = { ...this.workerData, config: { ...this.workerData.config, restarted: true } };
    for (let attempt = 1; this.closing === null; attempt++) {
      try {
        await this.worker.terminate();
        const { worker, early } = await startWorker(data, this.logger);
        if (this.closing !== null) {
          await worker.terminate();
          return;
        }
        this.workerGone = false;
        this.workerState = 'up';
        this.attach(worker, early);
        this.logger.warn({ restarts: this.restarts }, 'recorder worker restarted');
        this.setHold('worker', null);
        return;
      } catch (err) {
        this.logger.error({ err: (err as Error).message, attempt }, 'recorder worker restart failed');
        await new Promise((r) => setTimeout(r, Math.min(10_000, 200 * 2 ** attempt)));
      }
    }
  }

  /** Sets or clears one reason to hold trading; onHold hears the combined reason when it changes. */
  private setHold(kind: 'disk' | 'held' | 'worker' | 'spill', reason: string | null): void {
    if (reason === null) this.holds.delete(kind);
    else this.holds.set(kind, reason);
    const combined = this.holds.size === 0 ? null : [...this.holds.values()].join('; ');
    if (combined === this.holdReason) return;
    this.holdReason = combined;
    this.holdListener?.(combined);
  }
}

/** After close() asked the worker to finish, how much longer than closeTimeoutMs it may take. */
const CLOSE_GRACE_MS = 30_000;

/** Starts a worker and waits until it has opened the sink; returns it with what it said before. */
async function startWorker(
  data: RecorderWorkerData,
  logger: Logger,
): Promise<{ worker: Worker; early: FromRecorderWorker[] }> {
  const worker = new Worker(workerUrl('recorder-worker', import.meta.url), { workerData: data });
  // Everything the worker says before the recorder listens (logs, sink info) is kept and replayed to it.
  const early: FromRecorderWorker[] = [];
  const collect = (msg: FromRecorderWorker) => early.push(msg);
  worker.on('message', collect);
  try {
    await workerReady(worker);
  } catch (err) {
    for (const msg of early) if (msg.op === 'log') relog(logger, msg.line);
    await worker.terminate();
    throw err;
  }
  worker.off('message', collect);
  return { worker, early };
}

/** Writes a worker log line through `logger` at its level. */
function relog(logger: Logger, line: string): void {
  const {
    level,
    time: _time,
    msg,
    ...rest
  } = JSON.parse(line) as { level: number; time: number; msg: string };
  const label = (logger.levels.labels[level] ?? 'info') as 'info';
  logger[label](rest, msg);
}
