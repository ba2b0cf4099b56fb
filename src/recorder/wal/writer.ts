import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import type { TopicSpec } from '../topics.ts';
import { FRAME_HEADER_BYTES, fillFrameHeader, segmentHeader } from './format.ts';
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

interface OpenSegment {
  fd: number;
  file: string;
  id: string;
  bytes: number;
  records: number;
  openedAt: number;
}

const STREAM_BITS = 24;

/** fsync of a directory, so renames and new files in it survive a crash. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends batches to per-topic segment files. Record ids are (stream, counter): the stream (writer id and a
 * per-directory counter, allocated with O_EXCL marker files) is unique per writer run, so ids never repeat.
 * Synchronous I/O: it runs in the recorder worker (or a loader), never on the trading loop.
 */
export class WalWriter {
  readonly dir: string;
  /** High word of every record id this writer hands out. */
  ridHi = 0;
  private ridLo = 0;
  private segSeq = 0;
  private readonly open: Map<number, OpenSegment> = new Map();
  private readonly dirty = new Set<OpenSegment>();
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
    mkdirSync(this.dir, { recursive: true });
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
    let written = 0;
    try {
      written = writevSync(seg.fd, [this.header, payload]);
    } finally {
      // A short or failed write would leave a torn frame in the middle of the segment: cut it at once.
      if (written !== n) ftruncateSync(seg.fd, seg.bytes);
    }
    if (written !== n) throw new Error(`WAL short write to ${seg.file}: ${written} of ${n} bytes`);
    seg.bytes += n;
    seg.records++;
    this.dirty.add(seg);
    this.appendedRecords++;
    this.appendedBytes += n;
  }

  /** Applies the fsync policy after a flush cycle; returns true when data was synced. */
  flush(now: number): boolean {
    if (this.fsync === 'off') return false;
    if (this.fsync === 'interval' && now - this.lastSync < this.fsyncIntervalMs) return false;
    this.lastSync = now;
    return this.sync();
  }

  /** fdatasync of every segment written since the last sync (and the directory after new files). */
  sync(): boolean {
    if (this.dirty.size === 0 && !this.dirDirty) return false;
    for (const seg of this.dirty) fdatasyncSync(seg.fd);
    this.dirty.clear();
    if (this.dirDirty) syncDir(this.dir);
    this.dirDirty = false;
    this.syncs++;
    return true;
  }

  /** Seals segments older than segmentMs (call periodically). */
  sealDue(now: number): void {
    for (const [topicId, seg] of this.open) if (now - seg.openedAt >= this.segmentMs) this.seal(topicId);
  }

  /** Records in the topic's open segment (0 when none). */
  openRecords(topicId: number): number {
    return this.open.get(topicId)?.records ?? 0;
  }

  /** Syncs, closes and renames the topic's open segment to sealed; an empty one is removed. */
  seal(topicId: number): void {
    const seg = this.open.get(topicId);
    if (seg === undefined) return;
    this.open.delete(topicId);
    this.dirty.delete(seg);
    fdatasyncSync(seg.fd);
    closeSync(seg.fd);
    if (seg.records === 0) rmSync(join(this.dir, seg.file), { force: true });
    else renameSync(join(this.dir, seg.file), join(this.dir, `${seg.id}.wal`));
    syncDir(this.dir);
  }

  sealAll(): void {
    for (const topicId of [...this.open.keys()]) this.seal(topicId);
  }

  /** Seals everything; the writer must not be used afterwards. */
  close(): void {
    this.sealAll();
  }

  private create(topic: TopicSpec): OpenSegment {
    const id = segmentId(topic.name, this.ridHi, ++this.segSeq);
    const file = `${id}.w-${SELF_OWNER}`;
    const fd = openSync(join(this.dir, file), 'wx');
    const header = segmentHeader(topic.id);
    writeSync(fd, header);
    const seg: OpenSegment = { fd, file, id, bytes: header.length, records: 0, openedAt: Date.now() };
    this.open.set(topic.id, seg);
    this.dirDirty = true;
    return seg;
  }

  /** Takes the next stream number of this directory (O_EXCL marker), pruning older markers. */
  private newStream(): void {
    const streams = join(this.dir, 'streams');
    mkdirSync(streams, { recursive: true });
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
        closeSync(openSync(join(streams, name), 'wx'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      syncDir(streams);
      for (const old of readdirSync(streams)) {
        if (mine(old) && (Number.parseInt(old, 16) & 0xffffff) < n)
          rmSync(join(streams, old), { force: true });
      }
      this.ridHi = hi;
      this.ridLo = 0;
      return;
    }
  }
}
