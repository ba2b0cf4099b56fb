import { decompress } from 'fzstd';

/** zstd's largest block (decompressed), and the largest window we accept (the zstd CLI's default limit). */
const BLOCK_MAX = 128 * 1024;
const WINDOW_MAX = 2 ** 27;

/**
 * Decompresses a zstd stream (one or more frames) after checking, from the frame and block headers
 * alone, that it cannot produce more than `maxOut` bytes: a frame's declared content size must be
 * reachable by its blocks and the sum must stay within `maxOut`, so no length read from the input
 * sizes an allocation before it was checked against the input's own size. Throws Error with a
 * plain reason (truncated, malformed, too large, or the decoder's own error).
 */
export function zstdDecompress(input: Uint8Array, maxOut: number): Uint8Array {
  const bound = zstdBound(input);
  if (bound > maxOut) throw new Error(`zstd stream would expand to ${bound} bytes (limit ${maxOut})`);
  // No output buffer: fzstd compares its buffer argument with `==`, which stringifies a typed array.
  return decompress(input);
}

/**
 * Decompresses a zstd stream whose size is known (a Parquet page) into a new buffer of exactly
 * `size` bytes (already bounded by the caller); a frame declaring more is refused before decoding.
 */
export function zstdDecompressInto(input: Uint8Array, size: number): Uint8Array {
  zstdBound(input, size);
  const out = new Uint8Array(size);
  // fzstd tests its buffer argument with `== 1`, which would stringify the whole typed array on
  // every call: give this one a primitive value.
  (out as unknown as { valueOf: () => number }).valueOf = () => 0;
  return decompress(input, out);
}

/** Upper bound of the decompressed size, from the headers; throws on a malformed stream. */
export function zstdBound(b: Uint8Array, declaredMax = Number.POSITIVE_INFINITY): number {
  let off = 0;
  let bound = 0;
  while (off < b.length) {
    if (off + 8 > b.length) throw new Error(`zstd frame at byte ${off} truncated`);
    const magic = u32(b, off);
    if (magic >>> 4 === 0x184d2a5) {
      off += 8 + u32(b, off + 4); // skippable frame
      if (off > b.length) throw new Error('zstd skippable frame truncated');
      continue;
    }
    if (magic !== 0xfd2fb528) throw new Error(`no zstd frame at byte ${off}`);
    const flg = b[off + 4];
    if (flg & 8) throw new Error(`zstd frame at byte ${off}: reserved flag set`);
    const fcf = flg >> 6;
    const single = (flg >> 5) & 1;
    let p = off + 5;
    let window = 0;
    if (!single) {
      const wd = b[p++];
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
      if (window > WINDOW_MAX) throw new Error(`zstd frame at byte ${off}: window of ${window} bytes`);
    }
    p += [0, 1, 2, 4][flg & 3]; // dictionary id
    const sizeBytes = fcf === 0 ? single : 1 << fcf;
    let content = -1;
    if (sizeBytes > 0) {
      if (p + sizeBytes > b.length) throw new Error(`zstd frame at byte ${off} truncated`);
      content = 0;
      for (let k = sizeBytes - 1; k >= 0; k--) content = content * 256 + b[p + k];
      if (sizeBytes === 2) content += 256;
      p += sizeBytes;
    }
    const blockMax = single ? Math.min(BLOCK_MAX, content) : Math.min(BLOCK_MAX, window);
    let blocks = 0;
    for (;;) {
      if (p + 3 > b.length) throw new Error(`zstd block at byte ${p} truncated`);
      const h = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16);
      p += 3;
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      if (type === 3) throw new Error(`zstd block at byte ${p - 3}: reserved type`);
      if (size > BLOCK_MAX) throw new Error(`zstd block at byte ${p - 3}: ${size} bytes`);
      p += type === 1 ? 1 : size; // an RLE block holds one byte repeated `size` times
      if (p > b.length) throw new Error(`zstd block at byte ${p} truncated`);
      blocks += type === 2 ? blockMax : size;
      if (h & 1) break;
    }
    if ((flg >> 2) & 1) p += 4; // checksum
    if (p > b.length) throw new Error(`zstd frame at byte ${off}: checksum truncated`);
    if (content >= 0 && content > blocks) {
      throw new Error(
        `zstd frame at byte ${off} declares ${content} bytes, its blocks hold at most ${blocks}`,
      );
    }
    if (content > declaredMax)
      throw new Error(`zstd frame at byte ${off} declares ${content} bytes, ${declaredMax} expected`);
    bound += content >= 0 ? content : blocks;
    off = p;
  }
  return bound;
}

function u32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16)) + b[i + 3] * 0x1000000;
}
