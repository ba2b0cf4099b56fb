import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BacktestConfig } from '../../backtest/runner.ts';
import type { SearchData } from './data.ts';
import type { TrialScore } from './fitness.ts';

/** The work-queue item kind of a search's formulas (`hft worker` runs it). */
export const SEARCH_KIND = 'search';

/**
 * How a worker gets the search's data: it reads the same files (by path, or by base name in its
 * `--data-dir`) and refuses when a file's content or the sampled columns differ from the sender's.
 */
export interface SearchDataSpec {
  files: { path: string; sha256: string }[];
  barMs: number;
  featureSet: string;
  /** What the loader needs of the project (no strategies). */
  cfg: Pick<BacktestConfig, 'settings' | 'root' | 'symbols'>;
  /** sha256 of the sampled columns (columnsHash): the same files read by another version differ here. */
  columns: string;
}

/** One work item: a slice of a batch's formulas, with everything needed to score them. */
export interface SearchTask {
  data: SearchDataSpec;
  target: { horizon: number; split: number; blocks: number };
  pool: string[];
  poolPenalty: number;
  formulas: string[];
}

export function fileSha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** sha256 of the names, every column, the mids and the bars, bit for bit. */
export function columnsHash(d: SearchData): string {
  const h = createHash('sha256');
  const add = (a: Float64Array) => h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  h.update(JSON.stringify(d.names));
  for (const k of d.names) add(d.cols[k]);
  add(d.mid);
  add(d.bar);
  return h.digest('hex');
}

// JSON writes NaN and ±Infinity as null and -0 as 0: sent as strings, so that the scores arrive
// bit for bit and the search's results equal a local run's.
const SPECIAL: Record<string, number> = { NaN: Number.NaN, Infinity: 1 / 0, '-Infinity': -1 / 0, '-0': -0 };

export function encodeScores(s: readonly TrialScore[]): string {
  return JSON.stringify(s, (_k, v) =>
    typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))
      ? Object.is(v, -0)
        ? '-0'
        : String(v)
      : v,
  );
}

export function decodeScores(v: unknown): TrialScore[] {
  if (typeof v !== 'string') throw new Error('a search item answered something else than its scores');
  // No string field in a TrialScore: every string is one of the special numbers.
  return JSON.parse(v, (_k, x) => (typeof x === 'string' && x in SPECIAL ? SPECIAL[x] : x)) as TrialScore[];
}
