import type { Logger } from '../core/logger.ts';
import { RingConsumer } from './byte-ring.ts';
import { insertBatch } from './insert-batch.ts';
import { openServerStore, type ServerOptions } from './server-store.ts';
import type { SharedStats } from './shared-stats.ts';
import { type RecorderStatus, readStatuses, removeStatus, writeStatus } from './status.ts';
import { openEmbeddedStore, type Store } from './store.ts';
import { TOPICS, type TopicName, type TopicSpec } from './topics.ts';
import {
  DISK_LEVELS,
  type DiskLevel,
  type DiskReading,
  type DiskThresholds,
  mustShed,
  readDisk,
} from './wal/disk-monitor.ts';
import { FLAG_ATTEMPTED, FLAG_COPY, FLAG_RUN_ID, ridString } from './wal/format.ts';
import { emptyLoadResult, topicDrained, WalLoader } from './wal/loader.ts';
import { adoptOwnSegments, SELF_OWNER } from './wal/segments.ts';
import { WalWriter, type WalWriterOptions } from './wal/writer.ts';

export type RecorderMode = 'fallback' | 'wal_first';

/** Everything the worker needs (plain data: it crosses the thread boundary). */
export interface PersisterConfig {
  mode: RecorderMode;
  /** Embedded store directory (used without a server). */
  dataDir: string;
  server: ServerOptions | null;
  wal: WalWriterOptions;
  flushIntervalMs: number;
  batchRows: number;
  /** Bytes of batches the worker may hold (queued for the sink or waiting for the disk) before it stops draining the rings. */
  memoryLimitBytes: number;
  disk: DiskThresholds & {
    checkIntervalMs: number;
    /** Level from which WAL writes of a topic are shed (sheddable topics only). */
    shedAt: Partial<Record<TopicName, DiskLevel>>;
  };
  retryBaseMs: number;
  retryMaxMs: number;
  loaderPollMs: number;
  /** Bound of close(): shipping what is left and loading WAL backlog; the rest stays for the next start. */
  closeTimeoutMs: number;
  /** This worker replaces one that died in this process: its open segments are sealed for loading. */
  restarted?: boolean;
  /** The run id appended to every row (after its rid). */
  runId: string;
}

/** What the persister tells the trading thread. */
export type PersisterEvent =
  | { op: 'error'; message: string }
  | { op: 'disk'; reading: DiskReading }
  | { op: 'sink'; kind: string; version: string; degraded: string[] }
  /** Rows that may not be shed wait in memory because neither the sink nor the WAL takes them (null: none). */
  | { op: 'held'; reason: string | null };

interface Batch {
  buf: Buffer;
  pos: number;
  rows: number;
  ridHi: number;
  ridLo: number;
  startedAt: number;
}

interface Pending {
  topic: TopicSpec;
  payload: Buffer;
  rows: number;
  ridHi: number;
  ridLo: number;
  flags: number;
}

/** Where an error came from; an error is "recovered" once the same kind of operation succeeds again. */
type ErrorKind = 'sink' | 'wal' | 'status' | 'disk' | 'internal';

const POLL_MS = 5;
/** Largest batch: one insert block (below max_insert_block_size), so an insert stays all-or-nothing. */
const MAX_BATCH_ROWS = 500_000;
const STATUS_MS = 1000;
const INITIAL_BATCH_BYTES = 1 << 20;

const newBatch = (bytes = INITIAL_BATCH_BYTES): Batch => ({
  buf: Buffer.allocUnsafe(bytes),
  pos: 0,
  rows: 0,
  ridHi: 0,
  ridLo: 0,
  startedAt: 0,
});

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The recorder's worker side: drains the topic rings into per-table batches (appending each batch's record
 * id to its rows), and ships a batch when it is full or old enough: to the sink directly (fallback mode)
 * or to the WAL first (wal_first). A failed direct insert sends the batch and every later one of that table
 * to the WAL; a loader replays the WAL with backoff and the table returns to direct inserts once drained.
 *
 * A full or failing disk never stops it: every disk write has an outcome. Sheddable rows the WAL cannot
 * take are shed (counted); the others are held in memory, in order, and retried (WAL first, then the sink)
 * until one takes them, while the trading thread is told to HALT (`held`). Beyond memoryLimitBytes the
 * rings are not drained (their rows wait there, or in the trading thread's spill).
 */
export class Persister {
  private store: Store | null = null;
  private loader: WalLoader | null = null;
  private readonly wal: WalWriter;
  private readonly rings: RingConsumer[];
  private readonly batches: Batch[] = TOPICS.map(() => newBatch());
  /** Tables whose rows currently go to the WAL (fallback mode: after a failure, until the backlog is loaded). */
  private readonly onWal: boolean[] = TOPICS.map(() => false);
  /** Per table, direct inserts failed in a row, and when the last one failed (backoff before trying again). */
  private readonly insertFailures: number[] = TOPICS.map(() => 0);
  private readonly insertFailedAt: number[] = TOPICS.map(() => 0);
  private readonly queue: Pending[] = [];
  /** Batches per table in `queue` (queued or being inserted). */
  private readonly queued: number[] = TOPICS.map(() => 0);
  /** Batches of never-shed tables that neither the WAL nor the sink took yet, oldest first. */
  private readonly held: Pending[] = [];
  private heldRows = 0;
  private heldSinkRetryAt = 0;
  private heldSinkFailures = 0;
  /** A running heldToSink(), if any. */
  private heldToSinkRun: Promise<void> | null = null;
  private heldReason: string | null = null;
  private pendingBytes = 0;
  private pumping: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private loaderDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private closing = false;
  /** Loads stop before an insert after this (epoch ms): Infinity until close() sets its bound. */
  private loadDeadline = Number.POSITIVE_INFINITY;
  private blocked = false;
  /** Errors that still hold, by kind, and the most recent error of all (with when it recovered). */
  private readonly failing = new Map<ErrorKind, { message: string; at: number }>();
  private lastErr: { kind: ErrorKind; message: string; at: number; recoveredAt: number | null } | null = null;
  private disk: DiskReading = { level: 'ok', usedPct: 0, freeBytes: 0, walBytes: 0, walFiles: 0, walPct: 0 };
  private lastDiskCheck = 0;
  private lastStatus = 0;
  private readonly shedAt: (DiskLevel | null)[];
  /** RowBinary String of the run id: appended to every row after its rid. */
  private readonly runTail: Buffer;

  constructor(
    private readonly cfg: PersisterConfig,
    rings: SharedArrayBuffer[],
    private readonly stats: SharedStats,
    private readonly logger: Logger,
    private readonly emit: (e: PersisterEvent) => void,
  ) {
    this.rings = rings.map((m) => new RingConsumer(m));
    if (cfg.restarted) {
      const n = adoptOwnSegments(cfg.wal.dir);
      if (n > 0)
        logger.warn({ segments: n }, 'WAL: sealed the open segments of the recorder worker that died');
    }
    this.wal = new WalWriter(cfg.wal);
    this.wal.onIoError = (what, err) => this.walFailed(`WAL ${what} failed: ${err.message}`);
    this.shedAt = TOPICS.map((t) => (t.sheddable ? (cfg.disk.shedAt[t.name] ?? null) : null));
    const run = Buffer.from(cfg.runId, 'utf8');
    if (run.length > 127) throw new Error(`run id longer than 127 bytes: ${cfg.runId}`);
    this.runTail = Buffer.concat([Buffer.from([run.length]), run]);
  }

  get sinkKind(): 'chdb' | 'server' {
    return this.cfg.server ? 'server' : 'chdb';
  }

  /**
   * Opens the sink (an unreachable server is not fatal: rows go to the WAL until it answers), starts the
   * flush timer and the WAL loader. A locked embedded store throws.
   */
  async start(): Promise<void> {
    try {
      await this.ensureStore();
    } catch (err) {
      if (!this.cfg.server) throw err;
      this.fail('sink', `ClickHouse server unreachable at start: ${(err as Error).message}`);
      this.logger.warn(
        { err: (err as Error).message },
        'ClickHouse server unreachable: recording to the WAL until it answers',
      );
    }
    // Rows of a table with WAL backlog from an earlier run queue up behind it, so its order is kept.
    for (const t of TOPICS) {
      this.onWal[t.id] =
        this.cfg.mode === 'wal_first' || this.store === null || !topicDrained(this.cfg.wal.dir, t.name);
    }
    // Status files of recorders that were killed are removed (they cannot do it themselves).
    this.guarded(() => readStatuses(this.cfg.wal.dir));
    this.checkDisk(Date.now());
    this.timer = setInterval(() => this.tick(), POLL_MS);
    this.loaderDone = this.loaderLoop();
  }

  /** Ships every non-empty batch now. */
  flushNow(): void {
    this.guarded(() => this.drain(Date.now(), true));
  }

  /**
   * Resolves when everything recorded so far is in the sink, synced to the WAL, or held (see `held`: rows
   * neither takes are not waited for, so this never hangs on a full disk).
   */
  async sync(): Promise<void> {
    this.flushNow();
    await this.idle();
    this.guarded(() => {
      this.retryHeld();
      this.wal.sync();
      this.adoptOrphans();
    });
  }

  /**
   * Ships everything and loads WAL backlog, bounded by closeTimeoutMs (what is not loaded by then stays in
   * the WAL for the next start; batches still in memory go to the WAL), then closes WAL and sink. Rows that
   * no disk and no sink took are counted lost here. Never throws; returns the last error.
   */
  async close(): Promise<string | null> {
    const deadline = Date.now() + this.cfg.closeTimeoutMs;
    this.closing = true;
    this.loadDeadline = deadline;
    if (this.timer) clearInterval(this.timer);
    this.wake?.();
    await this.loaderDone;
    this.guarded(() => this.drain(Date.now(), true));
    await this.idle();
    await this.step('hold', async () => {
      await this.heldToSinkRun;
      this.heldToWal();
      if (this.held.length > 0 && this.store !== null) await this.heldToSink();
      this.loseHeld('neither the WAL nor the sink took them at close');
    });
    await this.step('seal', () => {
      this.wal.sealAll();
      this.adoptOrphans();
      this.loseHeld('their WAL segment failed to sync at close (durability unknown)');
    });
    if (this.store !== null && this.loader !== null) {
      await this.step('load', () => this.loadBacklog(deadline));
      this.loader.releaseClaims();
    }
    await this.step('wal', () => this.wal.close());
    this.checkDisk(Date.now()); // the backlog gauges say what is left for the next start
    await this.step('status', () => {
      removeStatus(this.cfg.wal.dir, SELF_OWNER);
      this.recovered('status');
    });
    await this.step('store', async () => this.store?.close());
    return this.lastErrorText();
  }

  /** One close step: a failure is reported and the next step still runs. */
  private async step(what: string, fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.fail(
        what === 'store' || what === 'load' ? 'sink' : 'wal',
        `close (${what}): ${(err as Error).message}`,
      );
      this.logger.warn({ step: what, err: (err as Error).message }, 'recorder close step failed');
    }
  }

  private tick(): void {
    const now = Date.now();
    this.guarded(() => {
      this.retryHeld();
      const over = this.pendingBytes > this.cfg.memoryLimitBytes;
      if (over !== this.blocked) {
        this.blocked = over;
        if (over) {
          this.logger.warn(
            { pending_bytes: this.pendingBytes, limit: this.cfg.memoryLimitBytes },
            'recorder memory guard: rings are not drained (market data will be shed) until the sink catches up',
          );
        } else this.logger.info('recorder memory guard released');
      }
      if (!over) this.drain(now, false);
      this.wal.sealDue(now);
      this.wal.flush(now);
      this.adoptOrphans();
      if (this.wal.healthy && this.held.length === 0) this.recovered('wal');
    });
    if (now - this.lastDiskCheck >= this.cfg.disk.checkIntervalMs) this.checkDisk(now);
    if (now - this.lastStatus >= STATUS_MS) this.publishStatus(now);
  }

  /**
   * Runs a step of the worker's loop. Disk failures are handled where they happen; anything reaching here
   * is a bug: reported (error, log) instead of killing the worker, and the step is retried next tick.
   */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail('internal', `recorder worker: ${(err as Error).message}`);
      this.logger.error({ err: (err as Error).stack }, 'recorder worker step failed');
    }
  }

  /** Moves ring rows into batches; ships full ones, and due ones (age, or `force`). */
  private drain(now: number, force: boolean): void {
    for (const t of TOPICS) {
      const c = this.rings[t.id];
      let b = this.batches[t.id];
      let taken = 0;
      for (let len = c.next(); len >= 0; len = c.next()) {
        if (b.rows === 0) {
          b.ridLo = this.wal.nextRid();
          b.ridHi = this.wal.ridHi;
          b.startedAt = now;
        }
        const tail = 8 + this.runTail.length;
        if (b.pos + len + tail > b.buf.length) {
          const bigger = Buffer.allocUnsafe(Math.max(b.buf.length * 2, b.pos + len + tail));
          b.buf.copy(bigger, 0, 0, b.pos);
          b.buf = bigger;
        }
        c.bytes.copy(b.buf, b.pos, c.start, c.start + len);
        b.pos += len;
        b.buf.writeUInt32LE(b.ridLo, b.pos);
        b.buf.writeUInt32LE(b.ridHi, b.pos + 4);
        b.pos += 8 + this.runTail.copy(b.buf, b.pos + 8);
        b.rows++;
        taken++;
        c.advance(len);
        // Group commit: while an earlier batch of the table is still on its way to the sink, this one keeps
        // growing (up to MAX_BATCH_ROWS), so a sink that pays per insert gets fewer, larger inserts.
        if (b.rows >= MAX_BATCH_ROWS || (b.rows >= this.cfg.batchRows && this.queued[t.id] === 0)) {
          this.release(t, c, taken);
          taken = 0;
          this.ship(t);
          b = this.batches[t.id];
        }
      }
      this.release(t, c, taken);
      const due = force || (now - b.startedAt >= this.cfg.flushIntervalMs && this.queued[t.id] === 0);
      if (b.rows > 0 && due) this.ship(t);
    }
  }

  /** Frees consumed ring rows; `drained` counts rows from the ring into this worker's memory. */
  private release(t: TopicSpec, c: RingConsumer, taken: number): void {
    c.release();
    if (taken > 0) this.stats.add(t.id, 'drained', taken);
  }

  private ship(t: TopicSpec): void {
    const b = this.batches[t.id];
    this.stats.add(t.id, 'batches', 1);
    const p: Pending = {
      topic: t,
      payload: b.buf.subarray(0, b.pos),
      rows: b.rows,
      ridHi: b.ridHi,
      ridLo: b.ridLo,
      flags: FLAG_RUN_ID,
    };
    if (this.onWal[t.id]) {
      this.toWal(p); // synchronous: the buffer is reused (toWal copies what it must keep)
      b.pos = 0;
      b.rows = 0;
      return;
    }
    this.batches[t.id] = newBatch(b.buf.length);
    this.queue.push(p);
    this.queued[t.id]++;
    this.pendingBytes += p.payload.length;
    this.stats.set('pending_batches', this.queue.length);
    this.stats.set('pending_bytes', this.pendingBytes);
    this.kick();
  }

  private kick(): void {
    if (this.pumping !== null || this.queue.length === 0) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      this.kick();
    });
  }

  /** Sends queued batches to the sink one at a time, in order; failures go to the WAL. Never rejects. */
  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const p = this.queue[0];
      const t = p.topic;
      // Past the close bound, what is left goes to the WAL (loaded at the next start) instead of the sink.
      const late = this.closing && Date.now() >= this.loadDeadline;
      if (this.onWal[t.id] || this.store === null || late) this.guarded(() => this.toWal(p));
      else {
        try {
          await insertBatch(this.store, t, p.payload, p.rows, ridString(p.ridHi, p.ridLo));
          this.stats.add(t.id, 'written', p.rows);
          this.stats.add(t.id, 'settled', p.rows);
          this.recovered('sink');
          if (this.insertFailures[t.id] > 0) {
            this.insertFailures[t.id] = 0;
            this.logger.info({ table: t.name }, 'recorder inserts succeed again');
          }
        } catch (err) {
          const outage = this.store.isOutage(err);
          const message = (err as Error).message;
          this.stats.set('failed_batches', this.stats.global('failed_batches') + 1);
          this.stats.add(t.id, 'diverted', p.rows);
          this.fail('sink', `insert into ${t.table} failed: ${message}`);
          // Logged once per failure streak of a table (counted always: failed_batches, diverted_rows).
          if (this.insertFailures[t.id]++ === 0)
            this.logger.error(
              { table: t.name, rows: p.rows, outage, err: message },
              'recorder insert failed',
            );
          this.insertFailedAt[t.id] = Date.now();
          if (outage) this.sinkDown();
          else this.onWal[t.id] = true;
          this.guarded(() => this.toWal({ ...p, flags: p.flags | FLAG_ATTEMPTED }));
          this.wake?.();
        }
      }
      this.queue.shift();
      this.queued[t.id]--;
      this.pendingBytes -= p.payload.length;
      this.stats.set('pending_batches', this.queue.length);
      this.stats.set('pending_bytes', this.pendingBytes);
      this.guarded(() => {
        this.wal.flush(Date.now());
        this.adoptOrphans();
      });
    }
  }

  private async idle(): Promise<void> {
    this.kick();
    while (this.pumping !== null) await this.pumping;
  }

  /**
   * Appends to the WAL, unless the disk policy sheds the topic. When the WAL cannot take the batch, a
   * sheddable one is shed (counted) and any other is held in memory for a retry.
   */
  private toWal(p: Pending): void {
    const t = p.topic;
    if (mustShed(this.disk.level, this.shedAt[t.id])) {
      this.shed(p);
      return;
    }
    if (this.held.length > 0) {
      // Behind older held rows (order), unless it may be shed.
      if (t.sheddable) this.shed(p);
      else this.hold(p);
      return;
    }
    try {
      this.wal.append(t, p.ridHi, p.ridLo, p.flags, p.rows, p.payload);
    } catch (err) {
      this.walFailed(`WAL append failed: ${(err as Error).message}`, t.name, p.rows);
      if (t.sheddable) this.shed(p);
      else this.hold(p);
      return;
    }
    this.appended(p);
  }

  private appended(p: Pending): void {
    this.stats.add(p.topic.id, 'wal_rows', p.rows);
    // A copy's rows were settled when the first copy was appended.
    if ((p.flags & FLAG_COPY) === 0) this.stats.add(p.topic.id, 'settled', p.rows);
  }

  private shed(p: Pending): void {
    this.stats.add(p.topic.id, 'shed', p.rows);
    this.stats.add(p.topic.id, 'settled', p.rows);
  }

  private hold(p: Pending, front = false): void {
    const copy = Buffer.from(p.payload);
    const kept = { ...p, payload: copy };
    if (front) this.held.unshift(kept);
    else this.held.push(kept);
    this.pendingBytes += copy.length;
    this.heldRows += p.rows;
    this.heldChanged();
  }

  /** Records whose WAL segment failed to sync come back from the writer: held again, ahead of newer ones. */
  private adoptOrphans(): void {
    const orphans = this.wal.orphans.splice(0);
    for (let i = orphans.length - 1; i >= 0; i--) this.hold(orphans[i], true);
  }

  /** Retries held batches on the WAL, in order; then, with backoff, on the sink (tick and sync). */
  private retryHeld(): void {
    this.heldToWal();
    if (this.held.length === 0) {
      this.heldSinkFailures = 0;
      return;
    }
    if (this.store !== null && this.heldToSinkRun === null && Date.now() >= this.heldSinkRetryAt) {
      this.heldToSinkRun = this.heldToSink().finally(() => {
        this.heldToSinkRun = null;
      });
    }
  }

  /** Appends held batches to the WAL, oldest first, until one fails (not while heldToSink owns them). */
  private heldToWal(): void {
    if (this.heldToSinkRun !== null) return;
    while (this.held.length > 0) {
      const p = this.held[0];
      try {
        this.wal.append(p.topic, p.ridHi, p.ridLo, p.flags, p.rows, p.payload);
      } catch {
        return;
      }
      this.unhold();
      this.appended(p);
    }
  }

  /** Counts every held batch as lost (close, when nothing took them). */
  private loseHeld(why: string): void {
    for (const p of this.held.splice(0)) this.lose(p, why);
    this.heldChanged();
  }

  /**
   * Inserts held batches straight into the sink (the WAL refused them); stops at the first failure. While it
   * runs it alone takes batches off `held` (heldToWal waits).
   */
  private async heldToSink(): Promise<void> {
    const store = this.store as Store;
    while (this.held.length > 0) {
      const p = this.held[0];
      try {
        await insertBatch(store, p.topic, p.payload, p.rows, ridString(p.ridHi, p.ridLo));
      } catch (err) {
        this.heldSinkFailures++;
        this.heldSinkRetryAt = Date.now() + this.backoff(this.heldSinkFailures);
        this.fail('sink', `insert into ${p.topic.table} failed: ${(err as Error).message}`);
        return;
      }
      this.unhold();
      this.stats.add(p.topic.id, 'written', p.rows);
      if ((p.flags & FLAG_COPY) === 0) this.stats.add(p.topic.id, 'settled', p.rows);
      this.recovered('sink');
    }
  }

  private unhold(): void {
    const p = this.held.shift() as Pending;
    this.pendingBytes -= p.payload.length;
    this.heldRows -= p.rows;
    this.heldChanged();
  }

  /** Publishes the held rows and tells the trading thread when holding starts or ends. */
  private heldChanged(): void {
    this.stats.set('held_rows', this.heldRows);
    const reason =
      this.held.length === 0
        ? null
        : `recorder cannot store orders/fills: sink and WAL refuse them (${this.failing.get('wal')?.message ?? this.failing.get('sink')?.message ?? 'disk error'})`;
    if ((reason === null) === (this.heldReason === null)) return;
    this.heldReason = reason;
    if (reason !== null) this.logger.error({ rows: this.heldRows }, reason);
    else this.logger.info('recorder: held rows stored, nothing waits in memory');
    this.emit({ op: 'held', reason });
  }

  private lose(p: Pending, why: string): void {
    this.stats.add(p.topic.id, 'lost', p.rows);
    if ((p.flags & FLAG_COPY) === 0) this.stats.add(p.topic.id, 'settled', p.rows);
    this.pendingBytes -= p.payload.length;
    this.heldRows -= p.rows;
    this.stats.set('held_rows', this.heldRows);
    this.logger.error({ table: p.topic.name, rows: p.rows }, `recorder lost rows: ${why}`);
  }

  private walFailed(message: string, table?: string, rows?: number): void {
    const first = !this.failing.has('wal');
    this.fail('wal', message);
    // One log line per failure streak, not per batch (a full disk fails every few ms).
    if (first) this.logger.error({ table, rows, err: message }, 'WAL write failed');
  }

  private sinkDown(): void {
    for (const t of TOPICS) this.onWal[t.id] = true;
  }

  private async ensureStore(): Promise<Store> {
    if (this.store !== null) return this.store;
    const store = this.cfg.server
      ? await openServerStore(this.cfg.server, this.logger)
      : await openEmbeddedStore(this.cfg.dataDir, this.logger);
    this.store = store;
    this.recovered('sink');
    this.loader = new WalLoader(store, this.cfg.wal.dir, this.logger);
    this.loader.onProgress = (t, inserted, foundRows, foundRecords) => {
      this.recovered('sink');
      this.stats.add(t.id, 'replayed', inserted);
      this.stats.add(t.id, 'written', inserted + foundRows);
      if (foundRecords > 0) this.stats.set('found', this.stats.global('found') + foundRecords);
    };
    this.emit({
      op: 'sink',
      kind: store.kind,
      version: store.features.version,
      degraded: store.features.degraded,
    });
    return store;
  }

  /** Wait after `failures` failures in a row: exponential from retryBaseMs, at most retryMaxMs (0 for none). */
  private backoff(failures: number): number {
    return failures === 0 ? 0 : Math.min(this.cfg.retryMaxMs, this.cfg.retryBaseMs * 2 ** (failures - 1));
  }

  private needsLoader(): boolean {
    return this.store === null || this.onWal.some(Boolean);
  }

  /** Replays the WAL while any table is on it; exponential backoff after failures. */
  private async loaderLoop(): Promise<void> {
    let failures = 0;
    while (!this.closing) {
      if (this.needsLoader()) {
        try {
          await this.ensureStore();
          await this.loadBacklog(Number.POSITIVE_INFINITY);
          if (failures > 0) this.logger.info('WAL replay succeeded: sink is back');
          failures = 0;
        } catch (err) {
          failures++;
          this.fail('sink', `WAL replay failed: ${(err as Error).message}`);
          this.logger.warn(
            { err: (err as Error).message, attempt: failures },
            'WAL replay failed; retrying with backoff',
          );
        }
      }
      const wait = failures === 0 ? this.cfg.loaderPollMs : this.backoff(failures);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /**
   * Loads sealed segments until `deadline` (and never past close()'s bound); in fallback mode a drained
   * table goes back to direct inserts, after its open segment was sealed and loaded too (nothing of it may
   * be left on the WAL when direct inserts resume).
   */
  private async loadBacklog(deadline: number): Promise<void> {
    const loader = this.loader as WalLoader;
    const until = () => Math.min(deadline, this.loadDeadline);
    for (let round = 0; round < 20 && Date.now() < until(); round++) {
      await loader.loadAvailable(until, emptyLoadResult());
      if (Date.now() >= until()) return;
      if (this.cfg.mode === 'wal_first' && !this.closing) return;
      let sealed = false;
      for (const t of TOPICS) {
        if (!(this.onWal[t.id] || this.closing) || !topicDrained(this.cfg.wal.dir, t.name)) continue;
        if (this.wal.openRecords(t.id) > 0) {
          this.wal.seal(t.id);
          this.adoptOrphans();
          sealed = true;
        } else if (
          this.onWal[t.id] &&
          this.cfg.mode === 'fallback' &&
          !this.closing &&
          this.held.every((p) => p.topic !== t) &&
          this.wal.unsealedCount === 0 &&
          Date.now() >= this.insertFailedAt[t.id] + this.backoff(this.insertFailures[t.id])
        ) {
          this.onWal[t.id] = false;
          this.logger.info({ table: t.name }, 'WAL backlog loaded: direct inserts resume');
        }
      }
      if (!sealed) return;
    }
  }

  private checkDisk(now: number): void {
    this.lastDiskCheck = now;
    let r: DiskReading;
    try {
      r = readDisk(this.cfg.wal.dir, this.cfg.disk);
    } catch (err) {
      this.fail('disk', `disk check of ${this.cfg.wal.dir} failed: ${(err as Error).message}`);
      return;
    }
    this.recovered('disk');
    const changed = r.level !== this.disk.level;
    this.disk = r;
    this.stats.set('disk_level', DISK_LEVELS.indexOf(r.level));
    this.stats.set('disk_free_bytes', r.freeBytes);
    this.stats.set('wal_bytes', r.walBytes);
    this.stats.set('wal_files', r.walFiles);
    if (!changed) return;
    const log = r.level === 'ok' ? this.logger.info.bind(this.logger) : this.logger.warn.bind(this.logger);
    log(
      { disk_level: r.level, used_pct: r.usedPct, wal_bytes: r.walBytes, wal_pct: r.walPct },
      'WAL disk level changed',
    );
    this.emit({ op: 'disk', reading: r });
  }

  private fail(kind: ErrorKind, message: string): void {
    const now = Date.now();
    this.failing.set(kind, { message, at: now });
    const same =
      this.lastErr !== null && this.lastErr.message === message && this.lastErr.recoveredAt === null;
    this.lastErr = { kind, message, at: same ? (this.lastErr as { at: number }).at : now, recoveredAt: null };
    if (!same) this.emit({ op: 'error', message: this.lastErrorText() as string });
  }

  /** An operation of `kind` succeeded: its error no longer holds. */
  private recovered(kind: ErrorKind): void {
    if (!this.failing.delete(kind)) return;
    const e = this.lastErr;
    if (e === null || this.failing.size > 0) {
      // Another kind still fails: the last error shown is the most recent of those.
      const [k, v] = [...this.failing].sort((a, b) => b[1].at - a[1].at)[0];
      this.lastErr = { kind: k, message: v.message, at: v.at, recoveredAt: null };
    } else e.recoveredAt = Date.now();
    this.emit({ op: 'error', message: this.lastErrorText() as string });
  }

  /** The last error with its time, and when it recovered if it did ("recovered at" only once nothing fails). */
  private lastErrorText(): string | null {
    const e = this.lastErr;
    if (e === null) return null;
    return `${e.message} (at ${iso(e.at)}${e.recoveredAt === null ? '' : `; recovered at ${iso(e.recoveredAt)}`})`;
  }

  private publishStatus(now: number): void {
    this.lastStatus = now;
    const s = this.stats;
    const status: RecorderStatus = {
      owner: SELF_OWNER,
      pid: process.pid,
      mode: this.cfg.mode,
      sink: {
        kind: this.sinkKind,
        location: this.cfg.server?.url ?? this.cfg.dataDir,
        version: this.store?.features.version ?? '',
        degraded: this.store?.features.degraded ?? [],
        up: this.store !== null && !this.failing.has('sink'),
      },
      updated_at: iso(now),
      written: s.byTopic('written'),
      wal_rows: s.byTopic('wal_rows'),
      shed: s.byTopic('shed'),
      lost: s.byTopic('lost'),
      held_rows: this.heldRows,
      disk: { level: this.disk.level, used_pct: this.disk.usedPct, wal_bytes: this.disk.walBytes },
      topics_on_wal: TOPICS.filter((t) => this.onWal[t.id]).map((t) => t.name),
      last_error: this.lastErrorText(),
    };
    try {
      writeStatus(this.cfg.wal.dir, status);
      this.recovered('status');
      // The WAL's directory takes writes again: with nothing held, a WAL failure no longer holds (in fallback
      // mode the WAL may not be written again for a long time).
      if (this.held.length === 0) this.recovered('wal');
    } catch (err) {
      // Not a recording failure: `hft recorder status` shows the older file meanwhile.
      if (!this.failing.has('status'))
        this.logger.warn({ err: (err as Error).message }, 'recorder status file not written');
      this.fail('status', `status file not written: ${(err as Error).message}`);
    }
  }
}
