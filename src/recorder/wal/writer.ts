import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TopicSpec } from '../topics.ts';
import * as io from './disk-io.ts';
import { FLAG_COPY, FRAME_HEADER_BYTES, fillFrameHeader, segmentHeader } from './format.ts';
import { SELF_OWNER, segmentId } from './segments.ts';

export type FsyncPolicy = 'batch' | 'interval' | 'off';

export interface WalWriterOptions {
  dir: string;
  /** batch: fdatasync after every flush cycle (default); interval: at most every fsyncIntervalMs; off: at seal only. */
  fsync?: FsyncPolicy;
  fsyncIntervalMs?: number;
  /** Rotate a segment once it holds this many bytes. */
  segmentBytes?: number;
  /** Rotate a non-empty segment once it is this old, so loaders see it. */
  segmentMs?: number;
  /** 0..255, distinct per host when several hosts load into one ClickHouse (part of every record id). */
  writerId?: number;
}

/** A record of a never-shed topic whose segment could not be synced: it must be appended again. */
export interface OrphanRecord {
  topic: TopicSpec;
  ridHi: number;
  ridLo: number;
  flags: number;
  rows: number;
  payload: Buffer;
}

interface OpenSegment {
  fd: number;
  file: string;
  id: string;
  bytes: number;
  records: number;
  openedAt: number;
  /** Copies of the never-shed records appended since the segment was last synced. */
  unsynced: OrphanRecord[];
}

const STREAM_BITS = 24;

/**
 * Appends batches to per-topic segment files. Record ids are (stream, counter): the stream (writer id and a
 * per-directory counter, allocated with O_EXCL marker files) is unique per writer run, so ids never repeat.
 * Synchronous I/O: it runs in the recorder worker (or a loader), never on the trading loop.
 *
 * A failing disk never leaves a segment that later appends would corrupt: a failed append is cut off (or,
 * when even that fails, the segment is given up: sealed as it is, nothing more written to it). append()
 * throws; the other methods never do (they report through onIoError). A segment whose fdatasync failed is
 * given up too, and the never-shed records written to it since its last good sync come back in `orphans`,
 * flagged as copies, for the caller to append again (a loader skips whichever copy is already in the sink).
 */
export class WalWriter {
  readonly dir: string;
  /** High word of every record id this writer hands out. */
  ridHi = 0;
  /** Records of never-shed topics whose segment failed to sync, oldest first: the caller appends them again. */
  readonly orphans: OrphanRecord[] = [];
  /** Called for every I/O failure the writer handled itself (a failed sync, rename, truncate). */
  onIoError: ((what: string, err: Error) => void) | null = null;
  /** False from an I/O failure until data is written and synced again (or written, with fsync off). */
  healthy = true;
  private ridLo = 0;
  private segSeq = 0;
  private readonly open: Map<number, OpenSegment> = new Map();
  private readonly dirty = new Set<OpenSegment>();
  /** Closed segments whose rename (or removal, when empty) failed: retried by sealDue. */
  private readonly unsealed: OpenSegment[] = [];
  private dirDirty = false;
  private lastSync = 0;
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private readonly fsync: FsyncPolicy;
  private readonly fsyncIntervalMs: number;
  private readonly segmentBytes: number;
  private readonly segmentMs: number;
  private readonly writerId: number;
  /** Totals since open. */
  appendedRecords = 0;
  appendedBytes = 0;
  syncs = 0;

  constructor(opts: WalWriterOptions) {
    this.dir = opts.dir;
    this.fsync = opts.fsync ?? 'batch';
    this.fsyncIntervalMs = opts.fsyncIntervalMs ?? 100;
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
    this.segmentMs = opts.segmentMs ?? 2000;
    this.writerId = opts.writerId ?? 0;
    io.mkdirp(this.dir);
    this.newStream();
  }

  /** Allocates the id of a new batch (low word; the high word is `ridHi`). */
  nextRid(): number {
    if (this.ridLo === 0xffffffff) {
      this.sealAll();
      this.newStream();
    }
    return ++this.ridLo;
  }

  /** Appends one batch. Throws on I/O errors, leaving the segment as it was before the call. */
  append(
    topic: TopicSpec,
    ridHi: number,
    ridLo: number,
    flags: number,
    rows: number,
    payload: Uint8Array,
  ): void {
    let seg = this.open.get(topic.id);
    if (seg !== undefined && seg.bytes >= this.segmentBytes) {
      this.seal(topic.id);
      seg = undefined;
    }
    seg ??= this.create(topic);
    fillFrameHeader(this.header, ridHi, ridLo, topic.id, flags, rows, payload);
    const n = FRAME_HEADER_BYTES + payload.length;
    const path = join(this.dir, seg.file);
    let written: number;
    try {
      // Positioned: after a cut-off failure the next frame starts exactly where the last good one ended.
      written = io.writev(seg.fd, [this.header, payload], path, seg.bytes);
    } catch (err) {
      this.healthy = false;
      this.cut(seg, topic.id);
      throw err;
    }
    if (written !== n) {
      this.healthy = false;
      this.cut(seg, topic.id);
      throw new Error(`WAL short write to ${seg.file}: ${written} of ${n} bytes`);
    }
    if (this.fsync === 'off') this.healthy = true;
    seg.bytes += n;
    seg.records++;
    this.dirty.add(seg);
    if (!topic.sheddable) {
      seg.unsynced.push({
        topic,
        ridHi,
        ridLo,
        flags: flags | FLAG_COPY,
        rows,
        payload: Buffer.from(payload),
      });
    }
    this.appendedRecords++;
    this.appendedBytes += n;
  }

  /** Applies the fsync policy after a flush cycle; returns false when a sync failed. */
  flush(now: number): boolean {
    if (this.fsync === 'off') return true;
    if (this.fsync === 'interval' && now - this.lastSync < this.fsyncIntervalMs) return true;
    this.lastSync = now;
    return this.sync();
  }

  /**
   * fdatasync of every segment written since the last sync (and the directory after new files); true when
   * all of it is durable. A segment that fails is given up (see the class comment).
   */
  sync(): boolean {
    const work = this.dirty.size > 0;
    let ok = true;
    for (const seg of [...this.dirty]) {
      try {
        io.fdatasync(seg.fd, join(this.dir, seg.file));
        this.dirty.delete(seg);
        seg.unsynced.length = 0;
      } catch (err) {
        ok = false;
        this.report('fdatasync', err);
        this.retire(seg, false);
      }
    }
    if (this.dirDirty) {
      try {
        io.syncDir(this.dir);
        this.dirDirty = false;
      } catch (err) {
        ok = false;
        this.report('directory fsync', err);
      }
    }
    if (ok) this.syncs++;
    if (!ok) this.healthy = false;
    else if (work) this.healthy = true;
    return ok;
  }

  /** Seals segments older than segmentMs, and retries renames that failed (call periodically). */
  sealDue(now: number): void {
    for (const seg of this.unsealed.splice(0)) this.finish(seg);
    for (const [topicId, seg] of this.open) if (now - seg.openedAt >= this.segmentMs) this.seal(topicId);
  }

  /** Records in the topic's open segment (0 when none). */
  openRecords(topicId: number): number {
    return this.open.get(topicId)?.records ?? 0;
  }

  /** Segments this writer closed but could not rename yet. */
  get unsealedCount(): number {
    return this.unsealed.length;
  }

  /** Syncs, closes and renames the topic's open segment to sealed; an empty one is removed. */
  seal(topicId: number): void {
    const seg = this.open.get(topicId);
    if (seg !== undefined) this.retire(seg, true);
  }

  sealAll(): void {
    for (const seg of [...this.open.values()]) this.retire(seg, true);
    for (const seg of this.unsealed.splice(0)) this.finish(seg);
  }

  /** Seals everything; the writer must not be used afterwards. */
  close(): void {
    this.sealAll();
  }

  /**
   * Takes a segment out of use: syncs it (when `sync`), closes and seals it. Records whose durability is
   * not known (no sync, or a failed one) go to `orphans`.
   */
  private retire(seg: OpenSegment, sync: boolean): void {
    for (const [topicId, s] of this.open) if (s === seg) this.open.delete(topicId);
    this.dirty.delete(seg);
    let synced = false;
    if (sync) {
      try {
        io.fdatasync(seg.fd, join(this.dir, seg.file));
        synced = true;
      } catch (err) {
        this.report('fdatasync', err);
      }
    }
    if (!synced) this.orphans.push(...seg.unsynced);
    seg.unsynced = [];
    io.closeQuietly(seg.fd);
    seg.fd = -1;
    this.finish(seg);
  }

  /** Renames a closed segment to sealed (removes it when empty); on failure keeps it for sealDue. */
  private finish(seg: OpenSegment): void {
    const path = join(this.dir, seg.file);
    try {
      if (seg.records === 0) io.remove(path);
      else io.rename(path, join(this.dir, `${seg.id}.wal`));
    } catch (err) {
      this.report(seg.records === 0 ? 'remove' : 'seal', err);
      this.unsealed.push(seg);
      return;
    }
    this.dirDirty = true;
    try {
      io.syncDir(this.dir);
      this.dirDirty = false;
    } catch (err) {
      this.report('directory fsync', err);
    }
  }

  /** Cuts a failed append off; when even that fails, gives the segment up (nothing more is written to it). */
  private cut(seg: OpenSegment, topicId: number): void {
    try {
      io.ftruncate(seg.fd, seg.bytes, join(this.dir, seg.file));
    } catch (err) {
      this.report('truncate after a failed append', err);
      if (this.open.get(topicId) === seg) this.retire(seg, true);
    }
  }

  private create(topic: TopicSpec): OpenSegment {
    const id = segmentId(topic.name, this.ridHi, this.segSeq + 1);
    const file = `${id}.w-${SELF_OWNER}`;
    const path = join(this.dir, file);
    let fd: number;
    try {
      fd = io.createExclusive(path);
    } catch (err) {
      // A name is used up only by a file (a full disk retried every few ms must not burn sequence numbers).
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') this.segSeq++;
      throw err;
    }
    this.segSeq++;
    const header = segmentHeader(topic.id);
    const seg: OpenSegment = {
      fd,
      file,
      id,
      bytes: header.length,
      records: 0,
      openedAt: Date.now(),
      unsynced: [],
    };
    try {
      const n = io.write(fd, header, path, 0);
      if (n !== header.length) throw new Error(`WAL short write to ${file}: ${n} of ${header.length} bytes`);
    } catch (err) {
      io.closeQuietly(fd);
      seg.fd = -1;
      this.finish(seg); // removes the empty file (or retries that later)
      throw err;
    }
    this.open.set(topic.id, seg);
    this.dirDirty = true;
    return seg;
  }

  /** Takes the next stream number of this directory (O_EXCL marker), pruning older markers. */
  private newStream(): void {
    const streams = join(this.dir, 'streams');
    io.mkdirp(streams);
    const mine = (name: string) =>
      /^[0-9a-f]{8}$/.test(name) && Number.parseInt(name, 16) >>> STREAM_BITS === this.writerId;
    let last = 0;
    for (const name of readdirSync(streams))
      if (mine(name)) last = Math.max(last, Number.parseInt(name, 16) & 0xffffff);
    for (let n = last + 1; ; n++) {
      if (n >= 1 << STREAM_BITS) throw new Error(`WAL ${this.dir}: stream numbers exhausted`);
      const hi = ((this.writerId << STREAM_BITS) | n) >>> 0;
      const name = hi.toString(16).padStart(8, '0');
      try {
        io.closeQuietly(io.createExclusive(join(streams, name)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      io.syncDir(streams);
      for (const old of readdirSync(streams)) {
        if (!mine(old) || (Number.parseInt(old, 16) & 0xffffff) >= n) continue;
        try {
          io.remove(join(streams, old));
        } catch {
          // an old marker left behind only costs a directory entry
        }
      }
      this.ridHi = hi;
      this.ridLo = 0;
      return;
    }
  }

  private report(what: string, err: unknown): void {
    this.healthy = false;
    this.onIoError?.(what, err as Error);
  }
}
