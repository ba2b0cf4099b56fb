import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.ts';
import { insertBatch } from '../insert-batch.ts';
import { RowWriter, strBound } from '../row-writer.ts';
import type { Columns, Store } from '../store.ts';
import { TOPICS, type TopicCounts, type TopicName, type TopicSpec, topicCounts } from '../topics.ts';
import * as io from './disk-io.ts';
import { FLAG_COPY, FLAG_RUN_ID, ridString, scanSegment, type WalRecord } from './format.ts';
import { listSegments, ownerAlive, parseSegment, SELF_OWNER, type SegmentName } from './segments.ts';

const MANIFEST_COLUMNS: Columns = [
  ['segment', 'String'],
  ['topic', 'String'],
  ['rid', 'UInt64'],
  ['rows', 'UInt32'],
  ['found', 'UInt8'],
  ['loader', 'String'],
  ['loaded_at', 'Int64'],
];

/** Below max_insert_block_size (1,048,576): a replay insert stays one block, inserted whole or not at all. */
const MAX_INSERT_ROWS = 500_000;
const MAX_INSERT_BYTES = 64 * 1024 * 1024;

/** The local manifest: one JSON line per loaded segment (hft.wal_manifest in the sink has one row per record). */
export const LOCAL_MANIFEST = 'loaded.jsonl';

export interface ManifestLine {
  segment: string;
  topic: TopicName;
  records: number;
  inserted: number;
  found: number;
  rows: number;
  cut_bytes: number;
  loader: string;
  loaded_at: string;
}

export interface LoadResult {
  segments: number;
  /** Records inserted now, and their rows per topic. */
  records: number;
  rows: TopicCounts;
  /** Records already in the sink (loaded before, or a direct insert that failed late), not inserted again. */
  foundRecords: number;
  found: TopicCounts;
  /** Bytes of torn or corrupt tails cut off (kept in quarantine/). */
  cutBytes: number;
}

/** Rows of `topic` just inserted, and rows (records) found already in the sink: called as the load goes. */
export type LoadProgress = (
  topic: TopicSpec,
  inserted: number,
  foundRows: number,
  foundRecords: number,
) => void;

export function emptyLoadResult(): LoadResult {
  return { segments: 0, records: 0, rows: topicCounts(), foundRecords: 0, found: topicCounts(), cutBytes: 0 };
}

/** True when the topic has nothing waiting in `dir` but segments that live writers still have open. */
export function topicDrained(dir: string, topic: TopicName): boolean {
  return listSegments(dir).every((s) => s.topic !== topic || (s.state === 'writing' && ownerAlive(s.owner)));
}

/** Wall-clock ns for manifest ordering across processes. */
const nowNs = () => Math.round((performance.timeOrigin + performance.now()) * 1e6);

/**
 * Moves WAL segments into the sink. Any number of loaders (threads or processes) may share a directory:
 * a segment is claimed by renaming it, per topic only the oldest segment is ever claimed (so rows of a
 * topic are inserted in recorded order), and segments of dead writers or loaders are taken over.
 * Replay is idempotent: before inserting a segment the loader asks the table which of its record ids are
 * already there, and inserts carry the record id as deduplication token where the engine supports it.
 */
export class WalLoader {
  /** Per unfinished segment, the record ids this loader inserted (a retry finds them: not counted twice). */
  private readonly mine = new Map<string, Set<string>>();
  /** Told about every insert as it happens (the recorder's counters move during a long load). */
  onProgress: LoadProgress | null = null;
  /** Whether loaded.jsonl could not be written (warned once per streak). */
  private manifestFailing = false;

  constructor(
    private readonly store: Store,
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Loads every segment it can claim now, oldest first per topic, until `deadline` (epoch ms, or a function
   * returning it, read before every insert: a segment may be left half-loaded, claimed, and is resumed by
   * the next call or given back by releaseClaims). Throws on the first sink failure; the segment stays
   * claimed and is resumed by the next call. What was loaded before a failure is in `res` (pass one in to
   * keep it).
   */
  async loadAvailable(
    deadline: number | (() => number) = Number.POSITIVE_INFINITY,
    res: LoadResult = emptyLoadResult(),
  ): Promise<LoadResult> {
    const until = typeof deadline === 'number' ? () => deadline : deadline;
    for (const topic of TOPICS) {
      while (Date.now() < until()) {
        const seg = this.claimNext(topic.name);
        if (seg === null) break;
        if (!(await this.loadSegment(topic, seg, res, until))) return res;
        res.segments++;
      }
    }
    return res;
  }

  /** Gives back segments this process claimed but did not finish (they are sealed again); never throws. */
  releaseClaims(): void {
    for (const s of listSegments(this.dir)) {
      if (s.state !== 'loading' || s.owner !== SELF_OWNER) continue;
      try {
        io.rename(join(this.dir, s.file), join(this.dir, `${s.id}.wal`));
      } catch (err) {
        // Still claimed by this process: once it has exited, any loader takes the segment over.
        this.logger.warn({ segment: s.file, err: (err as Error).message }, 'WAL: claim not given back');
      }
    }
  }

  /** Claims the topic's oldest segment if nobody alive holds it; returns it renamed to this loader, or null. */
  private claimNext(topic: TopicName): string | null {
    const first = listSegments(this.dir).find((s) => s.topic === topic);
    if (first === undefined) return null;
    const mine = `${first.id}.l-${SELF_OWNER}`;
    if (first.state === 'loading' && first.owner === SELF_OWNER) return mine;
    if (first.state !== 'sealed' && ownerAlive(first.owner)) return null;
    try {
      io.rename(join(this.dir, first.file), join(this.dir, mine));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // another loader was faster
      throw err;
    }
    if (first.state !== 'sealed')
      this.logger.warn({ segment: first.file }, 'WAL: taking over a segment of a dead process');
    return mine;
  }

  /** Loads one claimed segment; false when `until` passed before it was done (it stays claimed). */
  private async loadSegment(
    topic: TopicSpec,
    file: string,
    res: LoadResult,
    until: () => number,
  ): Promise<boolean> {
    const path = join(this.dir, file);
    const seg = parseSegment(file) as SegmentName;
    const buf = readFileSync(path);
    const scan = scanSegment(buf);
    let cut = 0;
    if (scan.problem !== null) {
      cut = this.cutTail(file, buf, scan.validEnd);
      res.cutBytes += cut;
      this.logger.warn(
        { segment: seg.id, problem: scan.problem, cut_bytes: cut, records_kept: scan.records.length },
        'WAL: torn or corrupt tail cut (kept in quarantine/)',
      );
    }
    const records = scan.records.filter((r) => r.topicId === topic.id);
    const mine = this.mine.get(seg.id) ?? new Set<string>();
    this.mine.set(seg.id, mine);
    const present = await this.presentCounts(topic, records);
    const perRow = strBound(seg.id) + strBound(topic.name) + strBound(SELF_OWNER) + 21;
    const manifest = Buffer.alloc(perRow * records.length);
    const w = new RowWriter(manifest.buffer, manifest.byteOffset, manifest.length);
    const line: ManifestLine = {
      segment: seg.id,
      topic: topic.name,
      records: records.length,
      inserted: 0,
      found: 0,
      rows: 0,
      cut_bytes: cut,
      loader: SELF_OWNER,
      loaded_at: '',
    };
    const note = (r: WalRecord, found: boolean) => {
      w.str(seg.id);
      w.str(topic.name);
      w.u64Parts(r.ridHi, r.ridLo);
      w.u32(r.rows);
      w.u8(found ? 1 : 0);
      w.str(SELF_OWNER);
      w.i64(nowNs());
    };
    // Consecutive records go in one insert (one block, so still all-or-nothing): a server pays per insert.
    let run: WalRecord[] = [];
    let runRows = 0;
    let runBytes = 0;
    const flush = async () => {
      if (run.length === 0) return;
      const first = ridString(run[0].ridHi, run[0].ridLo);
      const last = ridString(run[run.length - 1].ridHi, run[run.length - 1].ridLo);
      const payload =
        run.length === 1
          ? run[0].payload
          : Buffer.concat(
              run.map((r) => r.payload),
              runBytes,
            );
      const token = run.length === 1 ? first : `${first}-${last}`;
      await insertBatch(this.store, topic, payload, runRows, token, (run[0].flags & FLAG_RUN_ID) === 0);
      for (const r of run) {
        note(r, false);
        mine.add(ridString(r.ridHi, r.ridLo));
      }
      line.inserted += run.length;
      line.rows += runRows;
      res.records += run.length;
      res.rows[topic.name] += runRows;
      this.onProgress?.(topic, runRows, 0, 0);
      run = [];
      runRows = 0;
      runBytes = 0;
    };
    for (const r of records) {
      const rid = ridString(r.ridHi, r.ridLo);
      const have = present.get(rid) ?? 0;
      if (have > 0) {
        await flush();
        note(r, true);
        line.found++;
        // A second copy (FLAG_COPY) found in the sink is the first one, already counted.
        if (!mine.has(rid) && (r.flags & FLAG_COPY) === 0) {
          res.foundRecords++;
          res.found[topic.name] += r.rows;
          this.onProgress?.(topic, 0, r.rows, 1);
        }
        if (have !== r.rows) {
          this.logger.error(
            { segment: seg.id, rid, rows: r.rows, in_table: have },
            'WAL: record partly in the table',
          );
        }
        continue;
      }
      const full = runRows + r.rows > MAX_INSERT_ROWS || runBytes + r.payload.length > MAX_INSERT_BYTES;
      // Rows with and without run ids have different layouts: one insert takes one of them.
      const layout = run.length > 0 && ((run[0].flags ^ r.flags) & FLAG_RUN_ID) !== 0;
      if (run.length > 0 && (full || layout)) {
        await flush();
        if (Date.now() >= until()) return false;
      }
      run.push(r);
      runRows += r.rows;
      runBytes += r.payload.length;
    }
    await flush();
    if (records.length > 0)
      await this.store.insert('hft.wal_manifest', MANIFEST_COLUMNS, manifest.subarray(0, w.pos), null);
    line.loaded_at = new Date().toISOString();
    this.noteLoaded(line);
    io.remove(path);
    this.mine.delete(seg.id);
    try {
      io.syncDir(this.dir);
    } catch {
      // the removal may come undone in a crash: the segment is then loaded again and found in the sink
    }
    return true;
  }

  /**
   * Appends the segment's line to loaded.jsonl. Best effort: the sink's hft.wal_manifest is the record of
   * what was loaded, and on a full disk removing the loaded segment (which frees space) matters more.
   */
  private noteLoaded(line: ManifestLine): void {
    try {
      io.appendFile(join(this.dir, LOCAL_MANIFEST), `${JSON.stringify(line)}\n`);
      this.manifestFailing = false;
    } catch (err) {
      if (!this.manifestFailing)
        this.logger.warn({ err: (err as Error).message }, `WAL: ${LOCAL_MANIFEST} not written`);
      this.manifestFailing = true;
    }
  }

  /** Rows already in the table per record id of `records` (one range query per segment). */
  private async presentCounts(
    topic: TopicSpec,
    records: { ridHi: number; ridLo: number }[],
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (records.length === 0) return out;
    let lo = (BigInt(records[0].ridHi) << 32n) | BigInt(records[0].ridLo);
    let hi = lo;
    for (const r of records) {
      const v = (BigInt(r.ridHi) << 32n) | BigInt(r.ridLo);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const text = await this.store.query(
      `SELECT toString(rid), count() FROM ${topic.table} WHERE rid >= ${lo} AND rid <= ${hi} GROUP BY rid`,
      'TSV',
    );
    for (const row of text.split('\n')) {
      if (row === '') continue;
      const [rid, n] = row.split('\t');
      out.set(rid, Number(n));
    }
    return out;
  }

  /** Moves the bytes after `validEnd` to quarantine/ and truncates the segment there; returns bytes cut. */
  private cutTail(file: string, buf: Buffer, validEnd: number): number {
    const tail = buf.subarray(validEnd);
    if (tail.length === 0) return 0;
    // The tail is cut only once its copy is safe: on a full disk the segment waits (claimed) for space.
    const q = join(this.dir, 'quarantine');
    io.mkdirp(q);
    io.writeFile(join(q, `${file.replace(/\.l-.*$/, '')}.${validEnd}.tail`), tail);
    const path = join(this.dir, file);
    const fd = io.openForUpdate(path);
    try {
      io.ftruncate(fd, validEnd, path);
      io.fsync(fd, path);
    } finally {
      io.closeQuietly(fd);
    }
    return tail.length;
  }
}
