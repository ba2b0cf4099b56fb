import { gunzipSync } from 'node:zlib';
import type { FileMetaData } from 'hyparquet';
import { parquetMetadata, snappyUncompress } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { Epoch } from '../../core/clock.ts';
import { zstdDecompressInto } from './zstd.ts';

/**
 * Reads flat numeric columns (INT32, INT64, FLOAT, DOUBLE; REQUIRED or OPTIONAL, nulls as NaN) of a
 * Parquet file into Float64Arrays. hyparquet parses the footer and the page headers (thrift, bounded
 * by the bytes it is given); the pages are decoded here, because hyparquet's decoder trusts the
 * lengths inside a page (one flipped byte in an RLE run length grew a JS array past V8's limit: an
 * uncatchable abort). Every length the file states is checked before it sizes anything:
 * - rows: consistent across the footer, the row groups and every column chunk, and at most
 *   MAX_ROWS_PER_BYTE per byte of the file (and MAX_ROWS);
 * - column chunks and pages: inside the file, the chunk and the page they belong to;
 * - uncompressed page sizes: bounded by the values the page declares, which are bounded by rows;
 * - RLE runs and bit-packed groups: within the values the page declares and the bytes it holds;
 * - dictionary indices: within the dictionary.
 * INT64 values are rounded to the nearest float64 (as Number(bigint) would), except in the columns
 * of `opts.relative`: those are exact ns relative to an epoch (see ParquetReadOptions). Throws
 * ParquetError.
 */
export function readParquetColumns(
  bytes: Uint8Array,
  names: readonly string[],
  opts: ParquetReadOptions = {},
): ParquetColumns {
  if (bytes.length < 12 || !magicAt(bytes, 0) || !magicAt(bytes, bytes.length - 4)) {
    throw new ParquetError('not a parquet file (no PAR1 magic at both ends)');
  }
  let meta: FileMetaData;
  try {
    meta = parquetMetadata(bytes);
  } catch (e) {
    throw new ParquetError(`unreadable footer (${(e as Error).message})`);
  }
  const dataEnd = bytes.length - 8 - Number(meta.metadata_length);
  const rows = count(meta.num_rows, 'num_rows');
  const maxRows = Math.min(MAX_ROWS, MAX_ROWS_PER_BYTE * bytes.length);
  if (rows > maxRows)
    throw new ParquetError(`num_rows ${rows} is implausible for a file of ${bytes.length} bytes`);

  const leaves = leafColumns(meta);
  const out = new Map<string, Float64Array>();
  for (const name of names) {
    const leaf = leaves.get(name);
    if (leaf === undefined) continue;
    out.set(name, new Float64Array(rows));
    const choose = opts.relative?.[name];
    if (choose !== undefined && leaf.type === 'INT64') leaf.origin = { epoch: null, choose };
  }
  let groupStart = 0;
  for (let g = 0; g < meta.row_groups.length; g++) {
    const rg = meta.row_groups[g];
    const groupRows = count(rg.num_rows, `row group ${g} num_rows`);
    if (groupStart + groupRows > rows)
      throw new ParquetError(`row groups hold more rows than num_rows ${rows}`);
    for (const chunk of rg.columns) {
      const md = chunk.meta_data;
      const name = md?.path_in_schema?.length === 1 ? md.path_in_schema[0] : undefined;
      const target = name === undefined ? undefined : out.get(name);
      if (md === undefined || target === undefined) continue;
      const leaf = leaves.get(name as string) as Leaf;
      const where = `column ${name}, row group ${g}`;
      if (md.type !== leaf.type)
        throw new ParquetError(`${where}: type ${md.type} differs from the schema's ${leaf.type}`);
      if (count(md.num_values, `${where} num_values`) !== groupRows) {
        throw new ParquetError(`${where}: ${md.num_values} values for ${groupRows} rows`);
      }
      const dict = md.dictionary_page_offset;
      const first =
        dict !== undefined && dict > 0n && dict < md.data_page_offset ? dict : md.data_page_offset;
      const start = count(first, `${where} page offset`);
      const end = start + count(md.total_compressed_size, `${where} size`);
      if (start < 4 || end > dataEnd)
        throw new ParquetError(`${where}: bytes ${start}..${end} lie outside the data`);
      readChunk(bytes, start, end, md.codec, leaf, groupRows, target, groupStart, where);
    }
    groupStart += groupRows;
  }
  if (groupStart !== rows)
    throw new ParquetError(`row groups hold ${groupStart} rows, num_rows says ${rows}`);
  const epochs = new Map<string, Epoch>();
  for (const [name, leaf] of leaves) if (leaf.origin) epochs.set(name, leaf.origin.epoch ?? Epoch.ZERO);
  return { rows, columns: out, schema: [...leaves.keys()], epochs };
}

export interface ParquetReadOptions {
  /**
   * INT64 columns read exactly, relative to an epoch: the UTC midnight before the first value (in
   * file order) that `choose` accepts (else the first value). Exact for values within ±2^53 ns
   * (104 days) of it; the epoch comes back in `epochs`.
   */
  relative?: Record<string, (abs: bigint) => boolean>;
}

/** Decoded columns by name (only the requested ones the file has) and the names of all its columns. */
export interface ParquetColumns {
  rows: number;
  columns: Map<string, Float64Array>;
  schema: string[];
  /** Origins of the columns read relative to one (ParquetReadOptions.relative). */
  epochs: Map<string, Epoch>;
}

/** A structural problem of the file; the message says what and where (column, row group, byte). */
export class ParquetError extends Error {}

/** Rows per byte of file above which num_rows is refused: far beyond what market data compresses to. */
const MAX_ROWS_PER_BYTE = 64;
/** Hard cap (the event columns built from the rows take ~40 bytes per row). */
const MAX_ROWS = 1 << 27;

type NumType = 'INT32' | 'INT64' | 'FLOAT' | 'DOUBLE';
const WIDTH: Record<NumType, number> = { INT32: 4, INT64: 8, FLOAT: 4, DOUBLE: 8 };

interface Leaf {
  type: NumType;
  optional: boolean;
  unsigned: boolean;
  /** INT64 read relative to an epoch, chosen from the first value `choose` accepts. */
  origin?: { epoch: Epoch | null; choose: (abs: bigint) => boolean };
}

/** Top-level primitive columns of a numeric type, by name (nested columns are not ours to read). */
function leafColumns(meta: FileMetaData): Map<string, Leaf> {
  const leaves = new Map<string, Leaf>();
  const schema = meta.schema;
  const top = Number(schema[0]?.num_children ?? 0);
  // Walk the root's children; a child with children is a group: skip its whole subtree.
  let i = 1;
  for (let c = 0; c < top && i < schema.length; c++) {
    const el = schema[i];
    const kids = Number(el.num_children ?? 0);
    if (kids > 0) {
      i = skipSubtree(schema, i);
      continue;
    }
    i++;
    const t = el.type as string;
    if (t !== 'INT32' && t !== 'INT64' && t !== 'FLOAT' && t !== 'DOUBLE') continue;
    if (el.repetition_type === 'REPEATED') continue;
    const unsigned = el.converted_type === 'UINT_64' || el.converted_type === 'UINT_32';
    leaves.set(String(el.name), { type: t, optional: el.repetition_type === 'OPTIONAL', unsigned });
  }
  return leaves;
}

function skipSubtree(schema: FileMetaData['schema'], i: number): number {
  let pending = 1;
  while (pending > 0 && i < schema.length) {
    pending += Number(schema[i].num_children ?? 0) - 1;
    i++;
  }
  return i;
}

/** Reads the pages of one column chunk into `target` from row `row0`. */
function readChunk(
  bytes: Uint8Array,
  start: number,
  end: number,
  codec: string,
  leaf: Leaf,
  values: number,
  target: Float64Array,
  row0: number,
  where: string,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, end - start);
  const width = WIDTH[leaf.type];
  let dict: Float64Array | null = null;
  let done = 0;
  let pos = 0; // within the chunk
  while (done < values) {
    if (pos >= view.byteLength)
      throw new ParquetError(`${where}: chunk ends after ${done} of ${values} values`);
    const at = `${where}, page at byte ${start + pos}`;
    const reader = { view, offset: pos };
    let h: ReturnType<typeof parquetHeader>;
    try {
      h = parquetHeader(reader);
    } catch (e) {
      throw new ParquetError(`${at}: unreadable page header (${(e as Error).message})`);
    }
    const csize = h.compressed_page_size;
    const usize = h.uncompressed_page_size;
    if (!isCount(csize) || !isCount(usize) || reader.offset + csize > view.byteLength) {
      throw new ParquetError(`${at}: page sizes ${csize}/${usize} do not fit the column chunk`);
    }
    const body = new Uint8Array(view.buffer, view.byteOffset + reader.offset, csize);
    pos = reader.offset + csize;
    if (h.type === 'DICTIONARY_PAGE') {
      const n = h.dictionary_page_header?.num_values;
      if (dict !== null || done > 0) throw new ParquetError(`${at}: dictionary page after the first page`);
      if (!isCount(n) || n > values || usize !== n * width) {
        throw new ParquetError(`${at}: dictionary of ${n} values in ${usize} bytes`);
      }
      const page = decompress(body, usize, codec, at);
      dict = new Float64Array(n);
      readPlain(page, 0, n, leaf, dict, 0);
    } else if (h.type === 'DATA_PAGE' || h.type === 'DATA_PAGE_V2') {
      const v2 = h.data_page_header_v2;
      const n = v2 ? v2.num_values : h.data_page_header?.num_values;
      if (!isCount(n) || n > values - done) {
        throw new ParquetError(`${at}: ${n} values where ${values - done} remain in the chunk`);
      }
      // Levels (<= 4n bytes, see readLevels) + values (<= 8 bytes each, or a dictionary index) + headers.
      if (usize > n * (width + 5) + 64) throw new ParquetError(`${at}: ${usize} bytes for ${n} values`);
      const encoding = v2 ? v2.encoding : h.data_page_header?.encoding;
      const p = new PageCursor(at);
      if (v2) {
        const rl = v2.repetition_levels_byte_length;
        const dl = v2.definition_levels_byte_length;
        if (!isCount(rl) || !isCount(dl) || rl !== 0 || dl > csize || dl > usize) {
          throw new ParquetError(`${at}: level lengths ${rl}/${dl} do not fit the page`);
        }
        if (v2.num_rows !== n) throw new ParquetError(`${at}: ${v2.num_rows} rows for ${n} values`);
        const levels = body.subarray(0, dl);
        const compressed = v2.is_compressed !== false;
        const data = compressed ? decompress(body.subarray(dl), usize - dl, codec, at) : body.subarray(dl);
        const present = leaf.optional ? p.levels(levels, 0, dl, n) : null;
        p.values(data, 0, data.length, n, present, encoding, dict, leaf, target, row0 + done);
      } else {
        const page = decompress(body, usize, codec, at);
        let off = 0;
        let present: Uint8Array | null = null;
        if (leaf.optional) {
          if (h.data_page_header?.definition_level_encoding !== 'RLE') {
            throw new ParquetError(
              `${at}: definition levels encoded ${h.data_page_header?.definition_level_encoding}`,
            );
          }
          const len = p.u32(page, 0);
          if (4 + len > page.length)
            throw new ParquetError(`${at}: definition levels of ${len} bytes overrun the page`);
          present = p.levels(page, 4, 4 + len, n);
          off = 4 + len;
        }
        p.values(page, off, page.length, n, present, encoding, dict, leaf, target, row0 + done);
      }
      done += n;
    } else if (h.type !== 'INDEX_PAGE') {
      throw new ParquetError(`${at}: unknown page type ${h.type}`);
    }
  }
}

/** Decodes the parts of one data page; every read is checked against the bytes and values it may use. */
class PageCursor {
  constructor(private readonly at: string) {}

  u32(b: Uint8Array, off: number): number {
    if (off + 4 > b.length) this.fail('truncated');
    return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16)) + b[off + 3] * 0x1000000;
  }

  /** Definition levels (max level 1): 1 where a value is present. */
  levels(b: Uint8Array, off: number, end: number, n: number): Uint8Array {
    const levels = this.hybrid(b, off, end, 1, n);
    const present = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (levels[i] > 1) this.fail(`definition level ${levels[i]}`);
      present[i] = levels[i];
    }
    return present;
  }

  /** The page's values into target[row..row+n), NaN where `present` says null. */
  values(
    b: Uint8Array,
    off: number,
    end: number,
    n: number,
    present: Uint8Array | null,
    encoding: string | undefined,
    dict: Float64Array | null,
    leaf: Leaf,
    target: Float64Array,
    row: number,
  ): void {
    let nonNull = n;
    if (present !== null) {
      nonNull = 0;
      for (let i = 0; i < n; i++) nonNull += present[i];
    }
    const dense = present === null || nonNull === n ? target : new Float64Array(nonNull);
    const at = dense === target ? row : 0;
    if (encoding === 'PLAIN') {
      if (off + nonNull * WIDTH[leaf.type] > end) this.fail(`${nonNull} plain values overrun the page`);
      readPlain(b, off, nonNull, leaf, dense, at);
    } else if (encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY') {
      if (dict === null) this.fail('dictionary-encoded page without a dictionary');
      if (nonNull > 0) {
        if (off >= end) this.fail('truncated');
        const bitWidth = b[off];
        if (bitWidth > 32) this.fail(`dictionary index width ${bitWidth}`);
        const idx = this.hybrid(b, off + 1, end, bitWidth, nonNull);
        const d = dict as Float64Array;
        for (let i = 0; i < nonNull; i++) {
          const k = idx[i];
          if (k >= d.length) this.fail(`dictionary index ${k} of a ${d.length}-entry dictionary`);
          dense[at + i] = d[k];
        }
      }
    } else {
      this.fail(`encoding ${encoding} not supported (PLAIN and dictionary encodings are)`);
    }
    if (dense !== target) {
      let k = 0;
      for (let i = 0; i < n; i++) target[row + i] = present![i] ? dense[k++] : Number.NaN;
    }
  }

  /**
   * RLE / bit-packed hybrid: n values of `width` bits. A run may not produce more than the values
   * left, nor read past `end`.
   */
  hybrid(b: Uint8Array, off: number, end: number, width: number, n: number): Uint32Array {
    const out = new Uint32Array(n);
    let i = 0;
    const mask = width >= 32 ? 0xffffffff : (1 << width) - 1;
    while (i < n) {
      // varint header (a run count fits 32 bits)
      let header = 0;
      let shift = 0;
      for (;;) {
        if (off >= end) this.fail(`run header past the end after ${i} of ${n} values`);
        const byte = b[off++];
        header += (byte & 0x7f) * 2 ** shift;
        if ((byte & 0x80) === 0) break;
        shift += 7;
        if (shift > 28) this.fail('run header longer than 5 bytes');
      }
      if (header % 2 === 1) {
        // bit-packed: groups of 8 values, `width` bytes per group; values past n are padding
        const groups = (header - 1) / 2;
        const bytes = groups * width;
        if (groups === 0 || off + bytes > end)
          this.fail(`bit-packed run of ${groups} groups overruns the page`);
        const take = Math.min(groups * 8, n - i);
        if (width <= 24) {
          // a 32-bit window holds the bits left over plus one more byte
          let p = off;
          let acc = 0;
          let have = 0;
          for (let k = 0; k < take; k++) {
            while (have < width) {
              acc |= b[p++] << have;
              have += 8;
            }
            out[i++] = acc & mask;
            acc >>>= width;
            have -= width;
          }
        } else {
          for (let k = 0, bit = off * 8; k < take; k++, bit += width) {
            let v = 0;
            for (let got = 0; got < width; ) {
              const inByte = (bit + got) & 7;
              const use = Math.min(8 - inByte, width - got);
              v += ((b[Math.floor((bit + got) / 8)] >> inByte) & ((1 << use) - 1)) * 2 ** got;
              got += use;
            }
            out[i++] = v;
          }
        }
        off += bytes;
      } else {
        const run = header / 2;
        if (run === 0 || run > n - i) this.fail(`RLE run of ${run} values where ${n - i} remain`);
        const vb = (width + 7) >> 3;
        if (off + vb > end) this.fail('RLE value past the end of the page');
        let v = 0;
        for (let k = 0; k < vb; k++) v += b[off + k] * 2 ** (8 * k);
        off += vb;
        out.fill(v, i, i + run);
        i += run;
      }
    }
    return out;
  }

  fail(why: string): never {
    throw new ParquetError(`${this.at}: ${why}`);
  }
}

/** n fixed-width little-endian values from b[off..] into out[at..] (bounds checked by the caller). */
function readPlain(b: Uint8Array, off: number, n: number, leaf: Leaf, out: Float64Array, at: number): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (off + n * WIDTH[leaf.type] > b.length)
    throw new ParquetError(`${n} values overrun a ${b.length}-byte page`);
  switch (leaf.type) {
    case 'DOUBLE':
      for (let i = 0; i < n; i++) out[at + i] = dv.getFloat64(off + 8 * i, true);
      break;
    case 'FLOAT':
      for (let i = 0; i < n; i++) out[at + i] = dv.getFloat32(off + 4 * i, true);
      break;
    case 'INT32':
      for (let i = 0; i < n; i++)
        out[at + i] = leaf.unsigned ? dv.getUint32(off + 4 * i, true) : dv.getInt32(off + 4 * i, true);
      break;
    case 'INT64': {
      const hiAt = (i: number) =>
        leaf.unsigned ? dv.getUint32(off + 8 * i + 4, true) : dv.getInt32(off + 8 * i + 4, true);
      const origin = leaf.origin;
      if (origin === undefined) {
        // hi * 2^32 is exact; adding lo rounds once: the nearest float64, as Number(bigint) gives.
        for (let i = 0; i < n; i++) out[at + i] = hiAt(i) * 4294967296 + dv.getUint32(off + 8 * i, true);
        break;
      }
      if (origin.epoch === null && n > 0) {
        const abs = (i: number) => BigInt(hiAt(i)) * 4294967296n + BigInt(dv.getUint32(off + 8 * i, true));
        let k = 0;
        while (k < n && !origin.choose(abs(k))) k++;
        origin.epoch = Epoch.midnightBefore(abs(k < n ? k : 0));
      }
      const e = origin.epoch as Epoch;
      for (let i = 0; i < n; i++) out[at + i] = e.fromParts(hiAt(i), dv.getUint32(off + 8 * i, true));
      break;
    }
  }
}

/** A page body decompressed into exactly `size` bytes (size already bounded by the caller). */
function decompress(body: Uint8Array, size: number, codec: string, at: string): Uint8Array {
  let out: Uint8Array;
  try {
    if (codec === 'UNCOMPRESSED') out = body;
    else if (codec === 'ZSTD') out = zstdDecompressInto(body, size);
    else if (codec === 'SNAPPY') {
      out = new Uint8Array(size);
      snappyUncompress(body, out);
    } else if (codec === 'GZIP') out = gunzipSync(body, { maxOutputLength: Math.max(size, 1) });
    else throw new ParquetError(`compression ${codec} not supported (zstd, snappy, gzip or none)`);
  } catch (e) {
    if (e instanceof ParquetError) throw new ParquetError(`${at}: ${e.message}`);
    throw new ParquetError(`${at}: page does not decompress (${(e as Error).message})`);
  }
  if (out.length !== size)
    throw new ParquetError(`${at}: page decompresses to ${out.length} bytes, header says ${size}`);
  return out;
}

function magicAt(b: Uint8Array, i: number): boolean {
  return b[i] === 0x50 && b[i + 1] === 0x41 && b[i + 2] === 0x52 && b[i + 3] === 0x31;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** A non-negative count from the footer (bigint or number), or a ParquetError. */
function count(v: unknown, what: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (!isCount(n)) throw new ParquetError(`${what} ${String(v)} is not a count`);
  return n;
}
