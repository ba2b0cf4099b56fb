import { crc32 } from 'node:zlib';

/**
 * WAL segment format (little-endian).
 *   segment header (16 bytes): magic "HFTWAL1\n", u32 topic id, u32 zero
 *   frame: u32 len | u32 crc32 | u32 rid_lo | u32 rid_hi | u8 topic | u8 flags | u16 zero | u32 rows | payload
 * `len` counts the bytes after the crc (16 + payload); the crc covers exactly those bytes. A frame is a
 * batch of rows of one topic as recorded (RowBinary, or the market-data layout of market-layout.ts); its
 * record id (rid = rid_hi * 2^32 + rid_lo) is also in every row, followed by the run id (FLAG_RUN_ID).
 * Reading stops at the first frame that is short or fails its checksum: that is the torn or corrupt tail.
 */

export const MAGIC = Buffer.from('HFTWAL1\n', 'latin1');
export const SEGMENT_HEADER_BYTES = 16;
export const FRAME_HEADER_BYTES = 24;
/** After the len and crc fields. */
const BODY_HEADER_BYTES = 16;
/** Larger frames are treated as corruption (a batch is far smaller). */
export const MAX_FRAME_BYTES = 1 << 30;

/** Frame flag: the sink was tried first and failed (the rows may have landed anyway). */
export const FLAG_ATTEMPTED = 1;
/** Frame flag: a second copy of a record whose first segment failed to sync (whichever loads first counts). */
export const FLAG_COPY = 2;
/** Frame flag: every row ends with its run id after the rid (frames without it were written before run ids). */
export const FLAG_RUN_ID = 4;

export function segmentHeader(topicId: number): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(topicId, 8);
  return b;
}

/** Fills `header` (FRAME_HEADER_BYTES) for `payload`, checksum included. */
export function fillFrameHeader(
  header: Buffer,
  ridHi: number,
  ridLo: number,
  topicId: number,
  flags: number,
  rows: number,
  payload: Uint8Array,
): void {
  header.writeUInt32LE(BODY_HEADER_BYTES + payload.length, 0);
  header.writeUInt32LE(ridLo, 8);
  header.writeUInt32LE(ridHi, 12);
  header.writeUInt8(topicId, 16);
  header.writeUInt8(flags, 17);
  header.writeUInt16LE(0, 18);
  header.writeUInt32LE(rows, 20);
  header.writeUInt32LE(crc32(payload, crc32(header.subarray(8, FRAME_HEADER_BYTES))), 4);
}

export interface WalRecord {
  ridHi: number;
  ridLo: number;
  topicId: number;
  flags: number;
  rows: number;
  /** Frame start in the segment. */
  offset: number;
  payload: Buffer;
}

export interface SegmentScan {
  records: WalRecord[];
  /** End of the last good frame: everything after it is a torn or corrupt tail. */
  validEnd: number;
  size: number;
  /** Why reading stopped before the end, or null when the file is whole. */
  problem: string | null;
}

/** Parses a whole segment; never throws on bad bytes (they end the scan and are reported). */
export function scanSegment(buf: Buffer): SegmentScan {
  const records: WalRecord[] = [];
  const size = buf.length;
  if (size < SEGMENT_HEADER_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    return { records, validEnd: 0, size, problem: size === 0 ? 'empty file' : 'bad segment header' };
  }
  let off = SEGMENT_HEADER_BYTES;
  let problem: string | null = null;
  while (off < size) {
    if (size - off < FRAME_HEADER_BYTES) {
      problem = `torn frame header at ${off}`;
      break;
    }
    const len = buf.readUInt32LE(off);
    if (len < BODY_HEADER_BYTES || len > MAX_FRAME_BYTES) {
      problem = `bad frame length ${len} at ${off}`;
      break;
    }
    const end = off + 8 + len;
    if (end > size) {
      problem = `torn frame at ${off} (${end - size} bytes missing)`;
      break;
    }
    if (crc32(buf.subarray(off + 8, end)) !== buf.readUInt32LE(off + 4)) {
      problem = `checksum mismatch at ${off}`;
      break;
    }
    records.push({
      ridLo: buf.readUInt32LE(off + 8),
      ridHi: buf.readUInt32LE(off + 12),
      topicId: buf.readUInt8(off + 16),
      flags: buf.readUInt8(off + 17),
      rows: buf.readUInt32LE(off + 20),
      offset: off,
      payload: buf.subarray(off + FRAME_HEADER_BYTES, end),
    });
    off = end;
  }
  return { records, validEnd: problem === null ? size : off, size, problem };
}

/** Record id as a decimal string (above 2^53, so not a JS number). */
export function ridString(hi: number, lo: number): string {
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}
