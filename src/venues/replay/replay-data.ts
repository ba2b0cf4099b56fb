import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { UserError } from '../../core/errors.ts';
import type { BookChecks } from './book-checks.ts';
import type { EventColumns } from './event-columns.ts';

export type ReplayFormat = 'taifex-parquet' | 'binance-usdm' | 'binance-spot' | 'dbn-mbo' | 'lobster';

/** What every reader returns: one symbol's events, its scales, and the truth the file carries. */
export interface ReplayData {
  format: ReplayFormat;
  /** File(s) read. */
  paths: string[];
  symbol: string;
  /** Scaled price = price * priceScale; quantities likewise with qtyScale. */
  priceScale: number;
  qtyScale: number;
  /** Smallest price increment, scaled (the finest band for laddered instruments). */
  tick: number;
  /** Source records read (parquet rows, text lines, DBN records, LOBSTER messages). */
  records: number;
  columns: EventColumns;
  /** Book states published by the source, for checking a book built from `columns`. */
  truth?: BookChecks;
  /** Reader counters (sync, gaps, anomalies), by name. */
  stats: Record<string, number>;
  /** Plain-language remarks on how the data was interpreted. */
  notes: string[];
}

export interface ReadOptions {
  /**
   * Modelled feed latency (ns) for sources without a receive time (TAIFEX, LOBSTER):
   * localTs = exchTs + feedLatencyNs. Default 0. Ignored where the source records localTs.
   */
  feedLatencyNs?: number;
}

/** Reads a whole file, turning a missing/unreadable file into a UserError. */
export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${basename(path)}: cannot read file (${code ?? (e as Error).message})`);
  }
}

/** Wraps a decoder failure into a UserError naming the file and what was expected. */
export function badFile(path: string, what: string, cause?: unknown): UserError {
  if (cause instanceof UserError) return cause;
  const why = cause instanceof Error ? ` (${cause.message})` : '';
  return new UserError(`${basename(path)}: ${what}${why}`);
}
