import { basename } from 'node:path';
import { MdKind } from '../../contracts/market.ts';
import { Epoch } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { EV_SNAPSHOT, EventColumnsBuilder } from './event-columns.ts';
import { ParquetError, readParquetColumns } from './parquet-columns.ts';
import { type ReadOptions, Rejects, type ReplayData, readBytes } from './replay-data.ts';
import { plausibleAbs } from './time-screen.ts';

/** Index points -> scaled: 100 makes TXO's 0.1-point ticks integers too. */
const PRICE_SCALE = 100;
const COLUMNS = ['ev', 'exch_ts', 'px', 'qty'] as const;

// hftbacktest event flags (docs/data.md): bit 29 buy side, bit 28 sell side, low byte = kind.
const BUY_BIT = 1 << 29;
const SELL_BIT = 1 << 28;
const KIND_DEPTH = 1;
const KIND_TRADE = 2;
const KIND_CLEAR = 3;

/** Reads a TAIFEX recording (see parseTaifex). */
export async function readTaifex(path: string, opts: ReadOptions = {}): Promise<ReplayData> {
  return parseTaifex(await readBytes(path), path, opts);
}

/**
 * Parses a TAIFEX recording (hftbacktest layout ev/exch_ts/px/qty in Parquet; the symbol comes from
 * a name like `taifex-<code>-<yyyymmdd>.parquet`, else from the file's stem). Events sharing one
 * exch_ts form one message. The feed has no receive time: localTs = exchTs + opts.feedLatencyNs
 * (default 0). Times are exact, on the UTC midnight before the first (plausible) event. A row with
 * an unknown ev value, a price off the instrument's tick or a bad quantity
 * is dropped and counted in `rejects`; a structurally broken file is refused.
 */
export function parseTaifex(bytes: Uint8Array, path: string, opts: ReadOptions = {}): ReplayData {
  const name = basename(path);
  const code = (
    /^taifex-([a-z0-9]+)-\d{8}\.parquet$/i.exec(name)?.[1] ?? name.replace(/[.-].*$/, '')
  ).toUpperCase();
  const latency = opts.feedLatencyNs ?? 0;
  let cols: ReturnType<typeof readParquetColumns>;
  try {
    cols = readParquetColumns(bytes, COLUMNS, { relative: { exch_ts: plausibleAbs } });
  } catch (e) {
    // ParquetError says where (column, row group, byte); anything else is a decoder failure.
    const why = e instanceof ParquetError ? e.message : `decoder failed: ${(e as Error).message}`;
    throw new UserError(`${name}: not a readable parquet file (${why})`);
  }
  const missing = COLUMNS.filter((c) => !cols.columns.has(c));
  if (missing.length > 0) {
    throw new UserError(
      `${name}: not an hftbacktest event file: missing column(s) ${missing.join(', ')} ` +
        `(has ${cols.schema.join(', ')})`,
    );
  }
  const rows = cols.rows;
  const ev = cols.columns.get('ev') as Float64Array;
  const ts = cols.columns.get('exch_ts') as Float64Array;
  const px = cols.columns.get('px') as Float64Array;
  const qty = cols.columns.get('qty') as Float64Array;
  const isOption = code.startsWith('TXO');
  const tickAt = isOption ? optionTick : () => 100;
  const rejects = new Rejects();
  const reject = (i: number, why: string) => rejects.add(why, `row ${i}`);

  const b = new EventColumnsBuilder(rows + 1);
  b.epoch = cols.epochs.get('exch_ts') ?? Epoch.ZERO;
  let inSnapshot = false;
  for (let i = 0; i < rows; i++) {
    const flags = ev[i] % 0x1_0000_0000; // low 32 bits (NaN for a null)
    const kindByte = flags & 0xff;
    const side = flags & BUY_BIT ? 1 : flags & SELL_BIT ? -1 : 0;
    const t = ts[i];
    if (kindByte === KIND_CLEAR && Number.isFinite(flags)) {
      inSnapshot = true;
      b.push(MdKind.Clear, 0, t, t + latency, 0, 0, EV_SNAPSHOT);
    } else {
      const kind = kindByte === KIND_DEPTH ? MdKind.Level : kindByte === KIND_TRADE ? MdKind.Trade : 0;
      const p = Math.round(px[i] * PRICE_SCALE);
      const q = qty[i];
      if (kind === 0 || !Number.isFinite(flags) || (kind === MdKind.Level && side === 0)) {
        reject(i, `unknown ev value ${Number.isFinite(ev[i]) ? `0x${flags.toString(16)}` : ev[i]}`);
      } else if (!Number.isSafeInteger(p) || Math.abs(p - px[i] * PRICE_SCALE) > 1e-6 || p < 0) {
        reject(i, `price ${px[i]} not on the 0.01 grid`);
      } else if (!Number.isSafeInteger(q) || q < 0 || (kind === MdKind.Trade && q === 0)) {
        reject(i, `bad quantity ${q}`);
      } else if (p === 0 ? q > 0 || kind === MdKind.Trade : p % tickAt(p) !== 0) {
        reject(i, `price ${px[i]} off the ${code} tick`);
      } else {
        b.push(kind, side, t, t + latency, p, q, inSnapshot && kind === MdKind.Level ? EV_SNAPSHOT : 0);
      }
    }
    if (i === rows - 1 || ts[i + 1] !== t) {
      b.endMessage();
      inSnapshot = false;
    }
  }
  return {
    format: 'taifex-parquet',
    paths: [path],
    symbol: code,
    priceScale: PRICE_SCALE,
    qtyScale: 1,
    // TXO premiums below 10 points tick by 0.1; futures by 1 point.
    tick: isOption ? 10 : 100,
    records: rows,
    columns: b.finish(),
    rejects,
    stats: {},
    notes: [
      `no receive time in the source: localTs = exchTs + ${latency} ns (feedLatencyNs)`,
      'events sharing one exch_ts are one message',
    ],
  };
}

/** TAIFEX option premium ladder (scaled by 100): 0.1 below 10, 0.5 below 50, 1 below 500, 5 below 1000, else 10. */
function optionTick(p: number): number {
  return p < 1000 ? 10 : p < 5000 ? 50 : p < 50_000 ? 100 : p < 100_000 ? 500 : 1000;
}
