import { statSync } from 'node:fs';
import { join } from 'node:path';
import { diskSpace } from './disk-io.ts';
import { listSegments } from './segments.ts';

export const DISK_LEVELS = ['ok', 'warn', 'critical', 'halt'] as const;
export type DiskLevel = (typeof DISK_LEVELS)[number];

export interface DiskThresholds {
  /** Filesystem use (percent) at which each level starts. */
  warnPct: number;
  criticalPct: number;
  haltPct: number;
  /** WAL size quota in bytes (0: none); the WAL's share of it is measured against the same percentages. */
  walMaxBytes: number;
}

export interface DiskReading {
  level: DiskLevel;
  /** Filesystem use, percent. */
  usedPct: number;
  freeBytes: number;
  walBytes: number;
  walFiles: number;
  /** WAL size as a percent of the quota (0 without one). */
  walPct: number;
}

/** Filesystem capacity and free space of the WAL's disk (replaceable in tests). */
export type DiskProbe = (dir: string) => { total: number; available: number };

export const statfsProbe: DiskProbe = diskSpace;

/** Segment files in `dir` and the bytes they hold. */
export function walSize(dir: string): { files: number; bytes: number } {
  let bytes = 0;
  let files = 0;
  for (const s of listSegments(dir)) {
    try {
      bytes += statSync(join(dir, s.file)).size;
      files++;
    } catch {
      // loaded and removed since the listing
    }
  }
  return { files, bytes };
}

/** Level of the WAL directory's disk: the worse of filesystem use and WAL quota use. */
export function readDisk(dir: string, t: DiskThresholds, probe: DiskProbe = statfsProbe): DiskReading {
  const { total, available } = probe(dir);
  const usedPct = total > 0 ? ((total - available) / total) * 100 : 0;
  const wal = walSize(dir);
  const walPct = t.walMaxBytes > 0 ? (wal.bytes / t.walMaxBytes) * 100 : 0;
  const pct = Math.max(usedPct, walPct);
  const level: DiskLevel =
    pct >= t.haltPct ? 'halt' : pct >= t.criticalPct ? 'critical' : pct >= t.warnPct ? 'warn' : 'ok';
  return {
    level,
    usedPct: Math.round(usedPct * 10) / 10,
    freeBytes: available,
    walBytes: wal.bytes,
    walFiles: wal.files,
    walPct: Math.round(walPct * 10) / 10,
  };
}

/** Whether a topic whose policy sheds at `shedAt` must shed at `level`. */
export function mustShed(level: DiskLevel, shedAt: DiskLevel | null): boolean {
  return shedAt !== null && DISK_LEVELS.indexOf(level) >= DISK_LEVELS.indexOf(shedAt);
}
