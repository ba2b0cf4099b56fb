import { basename } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { readBinance } from './read-binance.ts';
import { readDbn } from './read-dbn.ts';
import { readLobster } from './read-lobster.ts';
import { readTaifex } from './read-taifex.ts';
import type { ReadOptions, ReplayData } from './replay-data.ts';

/** Reads any supported recording, choosing the reader by file name. */
export function readAny(path: string, opts: ReadOptions = {}): Promise<ReplayData> {
  const name = basename(path);
  if (name.endsWith('.parquet')) return readTaifex(path, opts);
  if (/^binance-.*\.gz$/.test(name)) return readBinance(path);
  if (/\.dbn(\.zst)?$/.test(name)) return readDbn(path);
  if (/_(message|orderbook)_\d+\.csv$/.test(name)) return readLobster(path, opts);
  return Promise.reject(
    new UserError(
      `${name}: unknown replay format (expected taifex-*.parquet, binance-*.gz, *.dbn[.zst], *_message_<N>.csv)`,
    ),
  );
}
