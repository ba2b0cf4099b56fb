import type { Logger } from '../core/logger.ts';
import { RingConsumer } from './byte-ring.ts';
import { insertBatch } from './insert-batch.ts';
import { openServerStore, type ServerOptions } from './server-store.ts';
import type { SharedStats } from './shared-stats.ts';
import { removeStatus, writeStatus } from './status.ts';
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
import { FLAG_ATTEMPTED, ridString } from './wal/format.ts';
import { emptyLoadResult, topicDrained, WalLoader } from './wal/loader.ts';
import { SELF_OWNER } from './wal/segments.ts';
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
  /** How long close() keeps loading WAL backlog into the sink before leaving it for the next start. */
  closeTimeoutMs: number;
}

/** What the persister tells the trading thread. */
export type PersisterEvent =
  | { op: 'error'; message: string }
  | { op: 'disk'; reading: DiskReading }
  | { op: 'sink'; kind: string; version: string; degraded: string[] };

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

/**
 * The recorder's worker side: drains the topic rings into per-table batches (appending each batch's record
 * id to its rows), and ships a batch when it is full or old enough: to the sink directly (fallback mode)
 * or to the WAL first (wal_first). A failed direct insert sends the batch and every later one of that table
 * to the WAL; a loader replays the WAL with backoff and the table returns to direct inserts once drained.
 */
export class Persister {
  private store: Store | null = null;
  private loader: WalLoader | null = null;
  private readonly wal: WalWriter;
  private readonly rings: RingConsumer[];
  private readonly batches: Batch[] = TOPICS.map(() => newBatch());
  /** Tables whose rows currently go to the WAL (fallback mode: after a failure, until the backlog is loaded). */
  private readonly onWal: boolean[] = TOPICS.map(() => false);
  private readonly queue: Pending[] = [];
  /** Batches per table in `queue` (queued or being inserted). */
  private readonly queued: number[] = TOPICS.map(() => 0);
  /** Batches the WAL could not take (disk error) and that may not be shed: retried every tick. */
  private readonly stuck: Pending[] = [];
  private pendingBytes = 0;
  private pumping: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private loaderDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private closing = false;
  private blocked = false;
  private lastError: string | null = null;
  private disk: DiskReading = { level: 'ok', usedPct: 0, freeBytes: 0, walBytes: 0, walFiles: 0, walPct: 0 };
  private lastDiskCheck = 0;
  private lastStatus = 0;
  private readonly shedAt: (DiskLevel | null)[];

  constructor(
    private readonly cfg: PersisterConfig,
    rings: SharedArrayBuffer[],
    private readonly stats: SharedStats,
    private readonly logger: Logger,
    private readonly emit: (e: PersisterEvent) => void,
  ) {
    this.rings = rings.map((m) => new RingConsumer(m));
    this.wal = new WalWriter(cfg.wal);
    this.shedAt = TOPICS.map((t) => (t.sheddable ? (cfg.disk.shedAt[t.name] ?? null) : null));
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
      this.setError(`ClickHouse server unreachable at start: ${(err as Error).message}`);
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
    this.checkDisk(Date.now());
    this.timer = setInterval(() => this.tick(), POLL_MS);
    this.loaderDone = this.loaderLoop();
  }

  /** Ships every non-empty batch now. */
  flushNow(): void {
    this.drain(Date.now(), true);
  }

  /** Resolves when everything recorded so far is in the sink or (synced) in the WAL. */
  async sync(): Promise<void> {
    this.flushNow();
    await this.idle();
    this.wal.sync();
  }

  /** Ships everything, loads WAL backlog for up to closeTimeoutMs, closes WAL and sink. */
  async close(): Promise<string | null> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    this.wake?.();
    await this.loaderDone;
    this.drain(Date.now(), true);
    await this.idle();
    this.retryStuck();
    for (const p of this.stuck) this.lose(p, 'WAL unwritable at close');
    this.wal.sealAll();
    if (this.store !== null && this.loader !== null) {
      try {
        await this.loadBacklog(Date.now() + this.cfg.closeTimeoutMs);
      } catch (err) {
        this.setError((err as Error).message);
        this.logger.warn(
          { err: (err as Error).message },
          'WAL backlog left for the next start or `hft recorder replay`',
        );
      }
      this.loader.releaseClaims();
    }
    this.wal.close();
    removeStatus(this.cfg.wal.dir, SELF_OWNER);
    try {
      await this.store?.close();
    } catch (err) {
      this.setError(`store close failed: ${(err as Error).message}`);
    }
    return this.lastError;
  }

  private tick(): void {
    const now = Date.now();
    this.retryStuck();
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
    if (now - this.lastDiskCheck >= this.cfg.disk.checkIntervalMs) this.checkDisk(now);
    if (now - this.lastStatus >= STATUS_MS) this.publishStatus(now);
  }

  /** Moves ring rows into batches; ships full ones, and due ones (age, or `force`). */
  private drain(now: number, force: boolean): void {
    for (const t of TOPICS) {
      const c = this.rings[t.id];
      let b = this.batches[t.id];
      for (let len = c.next(); len >= 0; len = c.next()) {
        if (b.rows === 0) {
          b.ridLo = this.wal.nextRid();
          b.ridHi = this.wal.ridHi;
          b.startedAt = now;
        }
        if (b.pos + len + 8 > b.buf.length) {
          const bigger = Buffer.allocUnsafe(Math.max(b.buf.length * 2, b.pos + len + 8));
          b.buf.copy(bigger, 0, 0, b.pos);
          b.buf = bigger;
        }
        c.bytes.copy(b.buf, b.pos, c.start, c.start + len);
        b.pos += len;
        b.buf.writeUInt32LE(b.ridLo, b.pos);
        b.buf.writeUInt32LE(b.ridHi, b.pos + 4);
        b.pos += 8;
        b.rows++;
        c.advance(len);
        // Group commit: while an earlier batch of the table is still on its way to the sink, this one keeps
        // growing (up to MAX_BATCH_ROWS), so a sink that pays per insert gets fewer, larger inserts.
        if (b.rows >= MAX_BATCH_ROWS || (b.rows >= this.cfg.batchRows && this.queued[t.id] === 0)) {
          c.release();
          this.ship(t);
          b = this.batches[t.id];
        }
      }
      c.release();
      const due = force || (now - b.startedAt >= this.cfg.flushIntervalMs && this.queued[t.id] === 0);
      if (b.rows > 0 && due) this.ship(t);
    }
    this.wal.flush(now);
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
      flags: 0,
    };
    if (this.onWal[t.id]) {
      this.toWal(p); // synchronous: the buffer is reused
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

  /** Sends queued batches to the sink one at a time, in order; failures go to the WAL. */
  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const p = this.queue[0];
      const t = p.topic;
      if (this.onWal[t.id] || this.store === null) this.toWal(p);
      else {
        try {
          await insertBatch(this.store, t, p.payload, p.rows, ridString(p.ridHi, p.ridLo));
          this.stats.add(t.id, 'written', p.rows);
        } catch (err) {
          const outage = this.store.isOutage(err);
          const message = (err as Error).message;
          this.stats.set('failed_batches', this.stats.global('failed_batches') + 1);
          this.stats.add(t.id, 'diverted', p.rows);
          this.setError(`insert into ${t.table} failed: ${message}`);
          this.logger.error({ table: t.name, rows: p.rows, outage, err: message }, 'recorder insert failed');
          if (outage) this.sinkDown();
          else this.onWal[t.id] = true;
          this.toWal({ ...p, flags: FLAG_ATTEMPTED });
          this.wake?.();
        }
      }
      this.queue.shift();
      this.queued[t.id]--;
      this.pendingBytes -= p.payload.length;
      this.stats.set('pending_batches', this.queue.length);
      this.stats.set('pending_bytes', this.pendingBytes);
      this.wal.flush(Date.now());
    }
  }

  private async idle(): Promise<void> {
    this.kick();
    while (this.pumping !== null) await this.pumping;
  }

  /** Appends to the WAL, unless the disk policy sheds the topic; a WAL error keeps the batch for a retry. */
  private toWal(p: Pending): void {
    const t = p.topic;
    if (mustShed(this.disk.level, this.shedAt[t.id])) {
      this.stats.add(t.id, 'shed', p.rows);
      return;
    }
    if (this.stuck.length > 0) {
      this.keep(p);
      return;
    }
    try {
      this.wal.append(t, p.ridHi, p.ridLo, p.flags, p.rows, p.payload);
      this.stats.add(t.id, 'wal_rows', p.rows);
    } catch (err) {
      this.setError(`WAL append failed: ${(err as Error).message}`);
      this.logger.error({ table: t.name, rows: p.rows, err: (err as Error).message }, 'WAL append failed');
      if (t.sheddable) this.stats.add(t.id, 'shed', p.rows);
      else this.keep(p);
    }
  }

  private keep(p: Pending): void {
    const copy = Buffer.from(p.payload);
    this.stuck.push({ ...p, payload: copy });
    this.pendingBytes += copy.length;
  }

  private retryStuck(): void {
    while (this.stuck.length > 0) {
      const p = this.stuck[0];
      try {
        this.wal.append(p.topic, p.ridHi, p.ridLo, p.flags, p.rows, p.payload);
      } catch {
        return;
      }
      this.stats.add(p.topic.id, 'wal_rows', p.rows);
      this.stuck.shift();
      this.pendingBytes -= p.payload.length;
    }
  }

  private lose(p: Pending, why: string): void {
    this.stats.add(p.topic.id, 'lost', p.rows);
    this.logger.error({ table: p.topic.name, rows: p.rows }, `recorder lost rows: ${why}`);
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
    this.loader = new WalLoader(store, this.cfg.wal.dir, this.logger);
    this.emit({
      op: 'sink',
      kind: store.kind,
      version: store.features.version,
      degraded: store.features.degraded,
    });
    return store;
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
          this.setError(`WAL replay failed: ${(err as Error).message}`);
          this.logger.warn(
            { err: (err as Error).message, attempt: failures },
            'WAL replay failed; retrying with backoff',
          );
        }
      }
      const wait =
        failures === 0
          ? this.cfg.loaderPollMs
          : Math.min(this.cfg.retryMaxMs, this.cfg.retryBaseMs * 2 ** (failures - 1));
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
   * Loads sealed segments; in fallback mode a drained table goes back to direct inserts, after its open
   * segment was sealed and loaded too (nothing of it may be left on the WAL when direct inserts resume).
   */
  private async loadBacklog(deadline: number): Promise<void> {
    const loader = this.loader as WalLoader;
    for (let round = 0; round < 20 && Date.now() < deadline; round++) {
      const res = emptyLoadResult();
      try {
        await loader.loadAvailable(deadline, res);
      } finally {
        for (const t of TOPICS) {
          this.stats.add(t.id, 'replayed', res.rows[t.name]);
          this.stats.add(t.id, 'written', res.rows[t.name] + res.found[t.name]);
        }
        this.stats.set('found', this.stats.global('found') + res.foundRecords);
      }
      if (this.cfg.mode === 'wal_first' && !this.closing) return;
      let sealed = false;
      for (const t of TOPICS) {
        if (!(this.onWal[t.id] || this.closing) || !topicDrained(this.cfg.wal.dir, t.name)) continue;
        if (this.wal.openRecords(t.id) > 0) {
          this.wal.seal(t.id);
          sealed = true;
        } else if (this.onWal[t.id] && this.cfg.mode === 'fallback' && !this.closing) {
          this.onWal[t.id] = false;
          this.logger.info({ table: t.name }, 'WAL backlog loaded: direct inserts resume');
        }
      }
      if (!sealed) return;
    }
  }

  private checkDisk(now: number): void {
    this.lastDiskCheck = now;
    const r = readDisk(this.cfg.wal.dir, this.cfg.disk);
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

  private setError(message: string): void {
    this.lastError = message;
    this.emit({ op: 'error', message });
  }

  private publishStatus(now: number): void {
    this.lastStatus = now;
    const s = this.stats;
    writeStatus(this.cfg.wal.dir, {
      owner: SELF_OWNER,
      pid: process.pid,
      mode: this.cfg.mode,
      sink: {
        kind: this.sinkKind,
        location: this.cfg.server?.url ?? this.cfg.dataDir,
        version: this.store?.features.version ?? '',
        degraded: this.store?.features.degraded ?? [],
        up: this.store !== null && !TOPICS.every((t) => this.onWal[t.id]),
      },
      updated_at: new Date(now).toISOString(),
      written: s.byTopic('written'),
      wal_rows: s.byTopic('wal_rows'),
      shed: s.byTopic('shed'),
      disk: { level: this.disk.level, used_pct: this.disk.usedPct, wal_bytes: this.disk.walBytes },
      topics_on_wal: TOPICS.filter((t) => this.onWal[t.id]).map((t) => t.name),
      last_error: this.lastError,
    });
  }
}
