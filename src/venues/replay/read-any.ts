import { basename } from 'node:path';
import { UserError } from '../../core/errors.ts';
import {
  type BinanceFile,
  type BinanceMarket,
  gunzipRecording,
  parseBinance,
  readBinanceFile,
} from './read-binance.ts';
import { isZstd, parseDbn } from './read-dbn.ts';
import { LOBSTER_FILE, readLobster } from './read-lobster.ts';
import { parseTaifex } from './read-taifex.ts';
import {
  REPLAY_FORMATS,
  type ReadOptions,
  type ReplayData,
  type ReplayFormat,
  readBytes,
} from './replay-data.ts';
import { screenTimes } from './time-screen.ts';

/** More refused records than this share (and MIN_REFUSED, or all of them) refuse the file as a whole. */
const MAX_REFUSED_SHARE = 0.1;
const MIN_REFUSED = 100;

/**
 * Reads one recording: a data file (the format told by its content, else its name, or
 * `opts.format`), or several Binance files of one market and symbol read as one stream (a file may
 * need the snapshot of the one before it). Then the shared checks of every source run: the time
 * screen (screenTimes), and the refusal of a file whose refused records exceed 10% (and 100, or
 * all of them): that is a broken or mislabelled file, not a few bad values.
 */
export async function readAny(
  paths: string | readonly string[],
  opts: ReadOptions = {},
): Promise<ReplayData> {
  const list = typeof paths === 'string' ? [paths] : paths;
  if (list.length === 0) throw new UserError('no data file given');
  if (list.length > 1) {
    const files: BinanceFile[] = [];
    for (const p of list) files.push(await readBinanceFile(p));
    return finishRead(parseBinance(files, binanceMarket(opts.format)));
  }
  const path = list[0];
  const bytes = await readBytes(path);
  const format = opts.format ?? detectFormat(bytes, path);
  switch (format) {
    case 'taifex-parquet':
      return finishRead(parseTaifex(bytes, path, opts));
    case 'dbn-mbo':
      return finishRead(parseDbn(bytes, path));
    case 'lobster':
      return finishRead(await readLobster(path, opts));
    case 'binance':
    case 'binance-usdm':
    case 'binance-coinm':
    case 'binance-spot':
      return finishRead(parseBinance([gunzipRecording(bytes, path)], binanceMarket(opts.format)));
  }
}

/** The shared checks after any reader (also used for store data): the time screen, too many refusals. */
export function finishRead(d: ReplayData): ReplayData {
  const label = d.paths.map((p) => basename(p)).join(' + ');
  const { columns, report } = screenTimes(d.columns, label, d.rejects, d.truth);
  d.columns = columns;
  d.time = report;
  const refused = d.rejects.total;
  if (refused > MAX_REFUSED_SHARE * d.records && (refused > MIN_REFUSED || refused >= d.records)) {
    const reasons = Object.entries(d.rejects.byReason)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    throw new UserError(
      `${label}: ${refused} of ${d.records} records refused (${reasons}; first: ${d.rejects.examples[0]}): not usable data`,
    );
  }
  return d;
}

/**
 * A file's format from its first bytes: "PAR1" is Parquet (the TAIFEX event layout), a zstd frame or
 * "DBN" is Databento DBN, gzip is a Binance recording (the market from its messages, else its name),
 * text is LOBSTER (which needs its two files' names). Else a UserError asking for --format.
 */
export function detectFormat(bytes: Uint8Array, path: string): ReplayFormat | 'binance' {
  const name = basename(path);
  // No format fits an empty file: asking for --format sent the user after the wrong cause.
  if (bytes.length === 0) throw new UserError(`${name}: empty file (0 bytes), not a recording`);
  const head = (s: string) => s.split('').every((ch, i) => bytes[i] === ch.charCodeAt(0));
  if (head('PAR1')) return 'taifex-parquet';
  if (isZstd(bytes) || head('DBN')) return 'dbn-mbo';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'binance'; // the market from the content (parseBinance)
  if (LOBSTER_FILE.test(name)) return 'lobster';
  throw new UserError(
    `${name}: unknown data format (not Parquet, DBN, a gzip Binance recording or a LOBSTER pair); ` +
      `pass --format ${REPLAY_FORMATS.join('|')}`,
  );
}

/** Parses a --format value (undefined or 'auto': detect). */
export function parseFormat(v: string | undefined, flag = '--format'): ReplayFormat | undefined {
  if (v === undefined || v === 'auto') return undefined;
  if ((REPLAY_FORMATS as readonly string[]).includes(v)) return v as ReplayFormat;
  throw new UserError(`${flag} expects auto or one of ${REPLAY_FORMATS.join(', ')}, got '${v}'`);
}

export function binanceMarket(format: ReplayFormat | undefined): BinanceMarket | undefined {
  return format?.startsWith('binance-') ? (format.slice('binance-'.length) as BinanceMarket) : undefined;
}
