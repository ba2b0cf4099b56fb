import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownerAlive } from './wal/segments.ts';

/** What a running recorder publishes about itself in <wal dir>/status/<owner>.json (read by `hft recorder status`). */
export interface RecorderStatus {
  owner: string;
  pid: number;
  mode: string;
  sink: { kind: string; location: string; version: string; degraded: string[]; up: boolean };
  updated_at: string;
  written: Record<string, number>;
  wal_rows: Record<string, number>;
  shed: Record<string, number>;
  disk: { level: string; used_pct: number; wal_bytes: number };
  topics_on_wal: string[];
  last_error: string | null;
}

const statusDir = (walDir: string) => join(walDir, 'status');

/** Replaces this recorder's status file atomically. */
export function writeStatus(walDir: string, s: RecorderStatus): void {
  const dir = statusDir(walDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${s.owner}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(s)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function removeStatus(walDir: string, owner: string): void {
  rmSync(join(statusDir(walDir), `${owner}.json`), { force: true });
}

/** Status files of recorders using `walDir`, with whether each process still runs. */
export function readStatuses(walDir: string): (RecorderStatus & { alive: boolean })[] {
  let files: string[];
  try {
    files = readdirSync(statusDir(walDir)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: (RecorderStatus & { alive: boolean })[] = [];
  for (const f of files) {
    try {
      const s = JSON.parse(readFileSync(join(statusDir(walDir), f), 'utf8')) as RecorderStatus;
      out.push({ ...s, alive: ownerAlive(s.owner) });
    } catch {
      // being replaced right now
    }
  }
  return out;
}
