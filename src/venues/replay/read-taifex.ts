import { basename } from 'node:path';
import { decompress } from 'fzstd';
import { parquetMetadata, parquetRead } from 'hyparquet';
import { MdKind } from '../../contracts/market.ts';
import { Epoch } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { EV_SNAPSHOT, EventColumnsBuilder } from './event-columns.ts';
import { badFile, type ReadOptions, type ReplayData, readBytes } from './replay-data.ts';

/** Index points -> scaled: 100 makes TXO's 0.1-point ticks integers too. */
const PRICE_SCALE = 100;
const COLUMNS = ['ev', 'exch_ts', 'px', 'qty'] as const;

// hftbacktest event flags (docs/data.md): bit 29 buy side, bit 28 sell side, low byte = kind.
const BUY_BIT = 1 << 29;
const SELL_BIT = 1 << 28;
const KIND_DEPTH = 1;
const KIND_TRADE = 2;
const KIND_CLEAR = 3;

/**
 * Reads a TAIFEX recording (`taifex-<code>-<yyyymmdd>.parquet`, hftbacktest layout ev/exch_ts/px/qty).
 * Events sharing one exch_ts form one message. The feed has no receive time: localTs = exchTs +
 * opts.feedLatencyNs (default 0). Times are exact, on the UTC midnight before the first event.
 */
export async function readTaifex(path: string, opts: ReadOptions = {}): Promise<ReplayData> {
  const code = /^taifex-([a-z0-9]+)-\d{8}\.parquet$/i.exec(basename(path))?.[1]?.toUpperCase();
  if (!code) throw new UserError(`${basename(path)}: expected a name like taifex-<code>-<yyyymmdd>.parquet`);
  const latency = opts.feedLatencyNs ?? 0;
  const bytes = await readBytes(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(file);
  } catch (e) {
    throw badFile(path, 'not a readable parquet file', e);
  }
  const names = new Set(metadata.schema.slice(1).map((s) => s.name));
  const missing = COLUMNS.filter((c) => !names.has(c));
  if (missing.length > 0) {
    throw new UserError(
      `${basename(path)}: not an hftbacktest event file: missing column(s) ${missing.join(', ')} ` +
        `(has ${[...names].join(', ')})`,
    );
  }
  const rows = Number(metadata.num_rows);
  const ev = new Float64Array(rows);
  const ts = new Float64Array(rows);
  const px = new Float64Array(rows);
  const qty = new Float64Array(rows);
  const target: Record<string, Float64Array> = { ev, exch_ts: ts, px, qty };
  let epoch: Epoch | null = null;
  try {
    await parquetRead({
      file,
      metadata,
      columns: [...COLUMNS],
      compressors: { ZSTD: (input, length) => decompress(input, new Uint8Array(length)) },
      onChunk: ({ columnName, columnData, rowStart }) => {
        const out = target[columnName];
        if (columnName === 'exch_ts') {
          // Int64 ns arrive as bigint: exact relative to the epoch of the first one seen.
          if (columnData.length > 0) epoch ??= Epoch.midnightBefore(BigInt(columnData[0] as bigint));
          for (let i = 0; i < columnData.length; i++)
            out[rowStart + i] = epoch!.fromAbs(BigInt(columnData[i] as bigint));
          return;
        }
        for (let i = 0; i < columnData.length; i++) out[rowStart + i] = Number(columnData[i]);
      },
    });
  } catch (e) {
    throw badFile(path, 'cannot decode parquet data', e);
  }

  const b = new EventColumnsBuilder(rows + 1);
  b.epoch = epoch ?? Epoch.ZERO;
  let inSnapshot = false;
  for (let i = 0; i < rows; i++) {
    const flags = ev[i] % 0x1_0000_0000; // low 32 bits; ev never exceeds them in this layout
    const kindByte = flags & 0xff;
    const side = flags & BUY_BIT ? 1 : flags & SELL_BIT ? -1 : 0;
    const t = ts[i];
    if (kindByte === KIND_CLEAR) {
      inSnapshot = true;
      b.push(MdKind.Clear, 0, t, t + latency, 0, 0, EV_SNAPSHOT);
    } else {
      const kind = kindByte === KIND_DEPTH ? MdKind.Level : kindByte === KIND_TRADE ? MdKind.Trade : 0;
      const p = Math.round(px[i] * PRICE_SCALE);
      const q = qty[i];
      if (kind === 0 || (kind === MdKind.Level && side === 0)) {
        throw new UserError(`${basename(path)}: row ${i}: unknown ev value 0x${flags.toString(16)}`);
      }
      if (Math.abs(p - px[i] * PRICE_SCALE) > 1e-6 || !Number.isInteger(q) || q < 0) {
        throw new UserError(`${basename(path)}: row ${i}: price ${px[i]} / qty ${q} not on the 0.01/1 grid`);
      }
      b.push(kind, side, t, t + latency, p, q, inSnapshot && kind === MdKind.Level ? EV_SNAPSHOT : 0);
    }
    if (i === rows - 1 || ts[i + 1] !== t) {
      b.endMessage();
      inSnapshot = false;
    }
  }
  const isOption = code.startsWith('TXO');
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
    stats: {},
    notes: [
      `no receive time in the source: localTs = exchTs + ${latency} ns (feedLatencyNs)`,
      'events sharing one exch_ts are one message',
    ],
  };
}
