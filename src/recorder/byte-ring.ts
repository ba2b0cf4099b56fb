import { RowWriter } from './row-writer.ts';

/**
 * Single-producer single-consumer ring of variable-length rows in a SharedArrayBuffer: the trading loop
 * (producer) encodes a row in place and publishes it with one atomic store; the recorder worker (consumer)
 * copies rows out and frees them with another. Neither side ever waits for the other.
 *
 * Layout: a 128-byte control block (head and tail offsets on separate cache lines), then the data area.
 * Each row is an 8-byte prefix (u32 length, u32 unused) plus its bytes, padded to 8 bytes, so every row
 * starts 8-byte aligned and can be written through a Float64Array. A row that does not fit before the end
 * of the area is written at offset 0, leaving a WRAP marker behind it. 8 bytes always stay free so
 * head === tail means empty.
 */

const HEAD = 0;
const TAIL = 16;
const CONTROL_BYTES = 128;
const WRAP = 0xffffffff;

const PREFIX = 8;
const pad8 = (n: number) => (n + 7) & ~7;

/** Allocates shared memory for a ring with about `dataBytes` of row space. */
export function createRingMemory(dataBytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + (Math.floor(dataBytes) & ~7));
}

export class RingProducer {
  /** Writes the current row; valid between begin() and commit(). */
  readonly w: RowWriter;
  /** The data area as float64 slots: a row starts at slot w.pos / 8 after begin(). */
  readonly f64: Float64Array;
  private readonly u32: Uint32Array;
  private readonly ctl: Int32Array;
  private readonly cap: number;
  private tail: number;
  private rowStart = 0;
  private wrapAt = -1;

  constructor(memory: SharedArrayBuffer) {
    this.ctl = new Int32Array(memory, 0, CONTROL_BYTES / 4);
    this.cap = memory.byteLength - CONTROL_BYTES;
    this.w = new RowWriter(memory, CONTROL_BYTES);
    this.f64 = new Float64Array(memory, CONTROL_BYTES, this.cap / 8);
    this.u32 = new Uint32Array(memory, CONTROL_BYTES, this.cap / 4);
    this.tail = Atomics.load(this.ctl, TAIL);
  }

  /** Reserves room for a row of at most `maxBytes`; false when the ring is full (nothing reserved). */
  begin(maxBytes: number): boolean {
    const need = PREFIX + pad8(maxBytes);
    const t = this.tail;
    const h = Atomics.load(this.ctl, HEAD);
    let p: number;
    this.wrapAt = -1;
    if (t >= h) {
      if (this.cap - t >= need + (h === 0 ? PREFIX : 0)) p = t;
      else if (h - PREFIX >= need) {
        p = 0;
        this.wrapAt = t;
      } else return false;
    } else if (h - t - PREFIX >= need) p = t;
    else return false;
    this.rowStart = p;
    this.w.pos = p + PREFIX;
    this.w.invalid = false;
    return true;
  }

  /** Publishes the row written since begin(); false (and nothing published) when a value was invalid. */
  commit(): boolean {
    const w = this.w;
    if (w.invalid) return false;
    const len = w.pos - this.rowStart - PREFIX;
    // Offsets are 8-aligned, so the prefix and the marker are u32 slots (native order: little-endian here,
    // and the consumer is in the same process).
    this.u32[this.rowStart >> 2] = len;
    if (this.wrapAt >= 0) this.u32[this.wrapAt >> 2] = WRAP;
    const end = this.rowStart + PREFIX + pad8(len);
    this.tail = end === this.cap ? 0 : end;
    Atomics.store(this.ctl, TAIL, this.tail);
    return true;
  }
}

export class RingConsumer {
  /** The ring's data area; the current row is bytes[start, start + length). */
  readonly bytes: Buffer;
  /** Offset of the row returned by the last next(). */
  start = 0;
  private readonly u32: Uint32Array;
  private readonly ctl: Int32Array;
  private readonly cap: number;
  private head: number;
  private nextHead: number;

  constructor(memory: SharedArrayBuffer) {
    this.ctl = new Int32Array(memory, 0, CONTROL_BYTES / 4);
    this.cap = memory.byteLength - CONTROL_BYTES;
    this.bytes = Buffer.from(memory, CONTROL_BYTES, this.cap);
    this.u32 = new Uint32Array(memory, CONTROL_BYTES, this.cap / 4);
    this.head = Atomics.load(this.ctl, HEAD);
    this.nextHead = this.head;
  }

  /** Length of the next unread row (positioning `start` on it), or -1 when none. Call advance() to consume it. */
  next(): number {
    let h = this.nextHead;
    const t = Atomics.load(this.ctl, TAIL);
    for (;;) {
      if (h === t) return -1;
      const len = this.u32[h >> 2];
      if (len === WRAP) {
        h = 0;
        continue;
      }
      this.start = h + PREFIX;
      return len;
    }
  }

  /** Consumes the row of the last next() (of length `len`); its space is freed at release(). */
  advance(len: number): void {
    const h = this.start + pad8(len);
    this.nextHead = h === this.cap ? 0 : h;
  }

  /** Frees every consumed row for the producer. */
  release(): void {
    if (this.nextHead === this.head) return;
    this.head = this.nextHead;
    Atomics.store(this.ctl, HEAD, this.head);
  }
}
