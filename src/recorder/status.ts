import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as io from './wal/disk-io.ts';
import { ownerAlive } from './wal/segments.ts';

/** What a running recorder publishes about itself in <wal dir>/status/<owner>.json (read by `hft recorder status`). */
export interface RecorderStatus {
  owner: string;
  pid: number;
  /** The mode the recorder runs in (which may differ from the config `hft recorder status` reads). */
  mode: string;
  /** `up`: the sink is open and its last operation succeeded. */
  sink: { kind: string; location: string; version: string; degraded: string[]; up: boolean };
  updated_at: string;
  written: Record<string, number>;
  wal_rows: Record<string, number>;
  shed: Record<string, number>;
  /** Rows stored nowhere, per table. */
  lost?: Record<string, number>;
  /** Rows waiting in memory because neither the sink nor the WAL takes them (trading is halted meanwhile). */
  held_rows?: number;
  disk: { level: string; used_pct: number; wal_bytes: number };
  topics_on_wal: string[];
  /** The last error with its time, and "recovered at" once nothing fails any more. */
  last_error: string | null;
}

/** The fields every reader of a status file uses. */
function isStatus(v: unknown): v is RecorderStatus {
  const s = v as RecorderStatus | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.owner === 'string' &&
    typeof s.pid === 'number' &&
    typeof s.mode === 'string' &&
    typeof s.sink === 'object' &&
    s.sink !== null &&
    typeof s.disk === 'object' &&
    s.disk !== null &&
    Array.isArray(s.topics_on_wal)
  );
}

const statusDir = (walDir: string) => join(walDir, 'status');

/** Replaces this recorder's status file atomically; throws on a disk error (the caller decides). */
export function writeStatus(walDir: string, s: RecorderStatus): void {
  const dir = statusDir(walDir);
  io.mkdirp(dir);
  const file = join(dir, `${s.owner}.json`);
  io.writeFile(`${file}.tmp`, `${JSON.stringify(s)}\n`);
  io.rename(`${file}.tmp`, file);
}

export function removeStatus(walDir: string, owner: string): void {
  io.remove(join(statusDir(walDir), `${owner}.json`));
}

/**
 * Status files of recorders using `walDir`, with whether each process still runs. The file of a process
 * that is gone (killed: it could not remove its own) is returned once, marked, and removed, so a dead
 * recorder never shows as one that runs; with `prune` false it is only marked.
 */
export function readStatuses(walDir: string, prune = true): (RecorderStatus & { alive: boolean })[] {
  let files: string[];
  try {
    files = readdirSync(statusDir(walDir)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: (RecorderStatus & { alive: boolean })[] = [];
  for (const f of files) {
    const path = join(statusDir(walDir), f);
    let s: RecorderStatus;
    try {
      s = JSON.parse(readFileSync(path, 'utf8')) as RecorderStatus;
    } catch {
      continue; // being replaced right now
    }
    // Not a status file of ours (damaged, or another program's JSON): its missing fields crashed the reader.
    if (!isStatus(s)) continue;
    const alive = ownerAlive(s.owner);
    out.push({ ...s, alive });
    if (!alive && prune) {
      try {
        io.remove(path);
      } catch {
        // shown again next time
      }
    }
  }
  return out;
}
