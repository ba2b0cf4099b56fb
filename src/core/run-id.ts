import { randomBytes } from 'node:crypto';

/**
 * What a run is. An open set: the shipped kinds are below; later run modes add their own names
 * (lowercase letters, digits, '-' and '_').
 */
export type RunKind = 'sim' | 'replay' | 'backtest' | 'live' | 'record' | 'shadow' | (string & {});

/**
 * Run ids: the UTC start time in ISO 8601 basic format with milliseconds, then 8 random hex digits,
 * e.g. `20260408T013000.123Z-3f9a2c1b`. They sort by start time as plain strings (also in SQL), and two
 * hosts starting runs in the same millisecond collide with probability 2^-32.
 */
export const RUN_ID = /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}$/;

const KIND = /^[a-z][a-z0-9_-]{0,31}$/;

/** A new run id for a run starting at `nowMs` (epoch ms); `random` gives the 4 random bytes (tests). */
export function newRunId(nowMs = Date.now(), random: () => Buffer = () => randomBytes(4)): string {
  const iso = new Date(nowMs).toISOString(); // 2026-04-08T01:30:00.123Z
  if (iso.length !== 24) throw new RangeError(`run start ${iso} is outside years 0000-9999`);
  const basic = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17)}`;
  return `${basic}-${random().toString('hex').slice(0, 8).padStart(8, '0')}`;
}

/** Start time (epoch ms) of a run id. */
export function runIdStartMs(id: string): number {
  return Date.parse(
    `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 11)}:${id.slice(11, 13)}:${id.slice(13, 19)}Z`,
  );
}

/** Throws unless `id` is a run id (a bug: ids come from newRunId). */
export function checkRunId(id: string): void {
  if (!RUN_ID.test(id)) throw new Error(`not a run id: '${id}'`);
}

/** Throws unless `kind` is a valid run kind. */
export function checkRunKind(kind: string): void {
  if (!KIND.test(kind)) throw new Error(`not a run kind: '${kind}' (lowercase letters, digits, - and _)`);
}
