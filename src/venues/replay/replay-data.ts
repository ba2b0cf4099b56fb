import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ReplayFormat } from '../../contracts/market.ts';
import { UserError } from '../../core/errors.ts';
import type { BookChecks } from './book-checks.ts';
import type { EventColumns } from './event-columns.ts';
import type { TimeReport } from './time-screen.ts';

export { REPLAY_FORMATS, type ReplayFormat } from '../../contracts/market.ts';

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
  /**
   * Book states published by the source, for checking a book built from `columns`. `independent`
   * is false where the reader itself builds its book from the same states (LOBSTER's orderbook
   * file fills the levels the messages cannot explain): `messagesOnly` then says how a book from
   * the messages alone compares with them.
   */
  truth?: BookChecks;
  truthIndependent?: boolean;
  messagesOnly?: MessagesOnlyCheck;
  /** Records or events refused (dropped from `columns`), by reason, with the first few places. */
  rejects: Rejects;
  /** Time anomalies found (and outliers dropped) by the shared time screen; set by screenTimes. */
  time?: TimeReport;
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
  /** The data's format; default: detected from the content (then the name). */
  format?: ReplayFormat;
}

/** A book from the messages alone against the published states: all levels, and best bid/ask only. */
export interface MessagesOnlyCheck {
  points: number;
  mismatches: number;
  firstMismatch: string;
  bboMismatches: number;
  firstBboMismatch: string;
}

/** Refused values of one recording: counts by reason and the first few places (line, byte, event). */
export class Rejects {
  total = 0;
  readonly byReason: Record<string, number> = {};
  readonly examples: string[] = [];

  /**
   * Counts one refusal under `reason` (a category: "bad depth message"); `where` locates it in the
   * file ("line 12", "byte 4096", "event 7"), `detail` says what was wrong with this one.
   */
  add(reason: string, where: string, detail = ''): void {
    this.total++;
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    if (this.examples.length < MAX_EXAMPLES) {
      this.examples.push(`${where}: ${reason}${detail ? ` (${detail.slice(0, 120)})` : ''}`);
    }
  }

  toJSON(): { total: number; byReason: Record<string, number>; examples: string[] } {
    return { total: this.total, byReason: this.byReason, examples: this.examples };
  }
}

const MAX_EXAMPLES = 5;

/** Reads a whole file: a missing path says "not found", a directory or unreadable file says so. */
export async function readBytes(path: string): Promise<Uint8Array> {
  const name = basename(path);
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new UserError(`${path}: is a directory, expected a data file`);
    // A device or a pipe is read to its end: /dev/zero has none (inspect grew memory until killed).
    if (!s.isFile()) throw new UserError(`${path}: not a regular file, expected a data file`);
    return await readFile(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${path}: not found`);
    throw new UserError(`${name}: cannot read file (${code ?? (e as Error).message})`);
  }
}

/** Wraps a decoder failure into a UserError naming the file and what was expected. */
export function badFile(path: string, what: string, cause?: unknown): UserError {
  if (cause instanceof UserError) return cause;
  const why = cause instanceof Error ? ` (${cause.message})` : '';
  return new UserError(`${basename(path)}: ${what}${why}`);
}
