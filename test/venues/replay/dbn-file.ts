/**
 * Databento DBN v1 MBO files for tests, independent of the reader under test: `decodeMbo` reads the
 * records of a real file with BigInt times, `encodeMbo` writes a small hand-made file (docs/data.md
 * gives the layout: 56-byte little-endian records after the metadata).
 */
import { readFileSync } from 'node:fs';
import { decompress } from 'fzstd';

export interface MboRecord {
  tsEvent: bigint;
  tsRecv: bigint;
  orderId: bigint;
  /** 1e-9 units. */
  price: bigint;
  size: number;
  flags: number;
  /** 'A' add, 'C' cancel, 'M' modify, 'R' clear, 'T' trade, 'F' fill, 'N' none. */
  action: string;
  /** 'B', 'A' or 'N'. */
  side: string;
}

export const F_LAST = 0x80;
export const F_SNAPSHOT = 0x20;
const RECORD = 56;

/** Every MBO record of a .dbn or .dbn.zst file, in file order. */
export function decodeMbo(path: string): MboRecord[] {
  let raw: Uint8Array = readFileSync(path);
  if (path.endsWith('.zst')) raw = decompress(raw);
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: MboRecord[] = [];
  for (let off = 8 + b.readUInt32LE(4); off + RECORD <= b.length; off += b[off] * 4) {
    if (b[off + 1] !== 0xa0) continue;
    out.push({
      tsEvent: b.readBigUInt64LE(off + 8),
      orderId: b.readBigUInt64LE(off + 16),
      price: b.readBigInt64LE(off + 24),
      size: b.readUInt32LE(off + 32),
      flags: b[off + 36],
      action: String.fromCharCode(b[off + 38]),
      side: String.fromCharCode(b[off + 39]),
      tsRecv: b.readBigUInt64LE(off + 40),
    });
  }
  return out;
}

/** A DBN v1 MBO file (uncompressed) of one instrument named `symbol`, holding `records`. */
export function encodeMbo(symbol: string, records: readonly MboRecord[]): Buffer {
  // Metadata: a fixed 104-byte head (schema u16 at 16: 0 = MBO; schema_definition length u32 at 100:
  // 0), then the symbol count and one 22-byte symbol.
  const meta = Buffer.alloc(104 + 4 + 22);
  meta.writeUInt16LE(0, 16);
  meta.writeUInt32LE(0, 100);
  meta.writeUInt32LE(1, 104);
  meta.write(symbol, 108, 'latin1');
  const head = Buffer.alloc(8);
  head.write('DBN', 0, 'latin1');
  head[3] = 1;
  head.writeUInt32LE(meta.length, 4);
  const body = Buffer.alloc(records.length * RECORD);
  records.forEach((r, i) => {
    const o = i * RECORD;
    body[o] = RECORD / 4;
    body[o + 1] = 0xa0;
    body.writeUInt32LE(1, o + 4);
    body.writeBigUInt64LE(r.tsEvent, o + 8);
    body.writeBigUInt64LE(r.orderId, o + 16);
    body.writeBigInt64LE(r.price, o + 24);
    body.writeUInt32LE(r.size, o + 32);
    body[o + 36] = r.flags;
    body[o + 38] = r.action.charCodeAt(0);
    body[o + 39] = r.side.charCodeAt(0);
    body.writeBigUInt64LE(r.tsRecv, o + 40);
  });
  return Buffer.concat([head, meta, body]);
}
