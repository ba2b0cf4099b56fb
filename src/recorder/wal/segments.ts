import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOPIC_NAMES, type TopicName } from '../topics.ts';
import * as io from './disk-io.ts';

/**
 * Segment files and who owns them. A segment's state is in its name, and every change of state is a
 * rename, which is atomic: of several processes renaming the same file, exactly one succeeds.
 *   <topic>.<stream>.<seq>.w-<owner>   being written by process <owner>
 *   <topic>.<stream>.<seq>.wal         sealed, waiting for a loader
 *   <topic>.<stream>.<seq>.l-<owner>   claimed by loader process <owner>
 * <owner> is "<pid>-<start>" with the process start time, so a reused pid is not taken for the owner.
 * <stream> (8 hex digits) is the writer's high record-id word; segments sort by (stream, seq).
 */

export type SegmentState = 'writing' | 'sealed' | 'loading';

export interface SegmentName {
  file: string;
  topic: TopicName;
  stream: number;
  seq: number;
  state: SegmentState;
  /** Owner of a writing/loading segment ("" when sealed). */
  owner: string;
  /** The name without its state suffix: the segment's identity across renames. */
  id: string;
}

const PATTERN = /^([a-z_]+)\.([0-9a-f]{8})\.(\d{8})\.(wal|w-(\d+-\d+)|l-(\d+-\d+))$/;
const TOPICS: ReadonlySet<string> = new Set(TOPIC_NAMES);

export function segmentId(topic: TopicName, stream: number, seq: number): string {
  return `${topic}.${stream.toString(16).padStart(8, '0')}.${String(seq).padStart(8, '0')}`;
}

export function parseSegment(file: string): SegmentName | null {
  const m = PATTERN.exec(file);
  if (m === null || !TOPICS.has(m[1])) return null;
  const state: SegmentState = m[4] === 'wal' ? 'sealed' : m[5] !== undefined ? 'writing' : 'loading';
  return {
    file,
    topic: m[1] as TopicName,
    stream: Number.parseInt(m[2], 16),
    seq: Number(m[3]),
    state,
    owner: m[5] ?? m[6] ?? '',
    id: `${m[1]}.${m[2]}.${m[3]}`,
  };
}

/** Every segment in `dir`, oldest first per topic. */
export function listSegments(dir: string): SegmentName[] {
  let files: Dirent[];
  try {
    files = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SegmentName[] = [];
  for (const f of files) {
    // A directory with a segment's name is not one: reading it failed every load with EISDIR.
    if (f.isDirectory()) continue;
    const s = parseSegment(f.name);
    if (s !== null) out.push(s);
  }
  return out.sort((a, b) => a.stream - b.stream || a.seq - b.seq);
}

/** Start time of a process in clock ticks since boot (Linux), or null when unknown. */
function startTime(pid: number | 'self'): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Field 22; the command name (field 2) may contain spaces, so count from its closing parenthesis.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** This process as a segment owner. */
export const SELF_OWNER = `${process.pid}-${startTime('self') ?? '0'}`;

/** Whether the owning process still runs (same pid and, where /proc shows it, same start time). */
export function ownerAlive(owner: string): boolean {
  if (owner === SELF_OWNER) return true;
  const [pidText, start] = owner.split('-');
  const pid = Number(pidText);
  const actual = startTime(pid);
  if (actual !== null) return start === '0' || actual === start;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Seals the segments this process was writing (after its recorder worker died: nobody writes them any
 * more, and as this process still runs no loader would take them over); returns how many.
 */
export function adoptOwnSegments(dir: string): number {
  let n = 0;
  for (const s of listSegments(dir)) {
    if (s.state !== 'writing' || s.owner !== SELF_OWNER) continue;
    try {
      io.rename(join(dir, s.file), join(dir, `${s.id}.wal`));
      n++;
    } catch {
      // left for a loader of another process once this one has exited
    }
  }
  return n;
}
