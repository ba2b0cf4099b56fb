import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import type { Side } from '../contracts/market.ts';
import type { OrderEventKind, OrderRecord } from '../recorder/rows.ts';

/** Order event kinds in the order they are coded. */
export const ORDER_EVENTS = ['new', 'ack', 'reject', 'partial', 'fill', 'canceled', 'cancel_reject'] as const;

/** The code of an event kind (its index in ORDER_EVENTS): a switch, not a keyed lookup by a varying string. */
function codeOf(event: OrderEventKind): number {
  switch (event) {
    case 'new':
      return 0;
    case 'ack':
      return 1;
    case 'reject':
      return 2;
    case 'partial':
      return 3;
    case 'fill':
      return 4;
    case 'canceled':
      return 5;
    case 'cancel_reject':
      return 6;
  }
}

/** One order lifecycle event: a row of hft.orders by symbol id, without the ids the log does not keep. */
export type OrderLogRow = Omit<OrderRecord, 'venueOrderId' | 'strategyId' | 'symbol' | 'priceScale'> & {
  symbolId: number;
};

/** Rows per chunk. */
const CHUNK_ROWS = 8192;
/** float64 columns: ts, orderId, price, qty, cumQty, leavesQty. */
const F64_COLS = 6;

/** One chunk's columns, views of one buffer: 54 bytes a row (float64 x 6, int32 symbol, uint8 event, int8 side). */
interface Chunk {
  bytes: Uint8Array;
  f: Float64Array;
  symbolId: Int32Array;
  event: Uint8Array;
  side: Int8Array;
}

/** Bytes of a chunk. */
const CHUNK_BYTES = CHUNK_ROWS * (8 * F64_COLS + 4 + 1 + 1);

function newChunk(): Chunk {
  const n = CHUNK_ROWS;
  const buf = new ArrayBuffer(CHUNK_BYTES);
  return {
    bytes: new Uint8Array(buf),
    f: new Float64Array(buf, 0, n * F64_COLS),
    symbolId: new Int32Array(buf, 8 * F64_COLS * n, n),
    event: new Uint8Array(buf, (8 * F64_COLS + 4) * n, n),
    side: new Int8Array(buf, (8 * F64_COLS + 5) * n, n),
  };
}

/**
 * Every order lifecycle event of a run in typed columns, chunk by chunk: a backtest sends hundreds
 * of thousands of orders, and one object per event would feed the GC. The symbol, event code and
 * side take the narrow types they fit (a row is 54 bytes, not nine float64s), so a day's log is
 * less off-heap memory, which V8 counts toward its next full collection.
 *
 * With a spill file, each full chunk is written to it and its buffer reused: the log holds one
 * chunk in memory however long the run (a market maker logs ~250 k events a day, 13 MB), and the
 * rows are read back from the file when orders.csv is written. `close` removes the file.
 */
export class OrderLog {
  length = 0;
  private readonly chunks: Chunk[] = [];
  private chunk: Chunk = newChunk();
  /** Next row in `chunk`. */
  private end = 0;
  /** Reject reasons by row; rows without one are absent. */
  private readonly reasons = new Map<number, string>();
  /** Spilling: the file's descriptor (-1: closed), chunks written to it, the chunk last read back. */
  private fd = -1;
  private spilled = 0;
  private readBack: Chunk | null = null;
  private readBackIndex = -1;

  constructor(private readonly spillFile?: string) {
    this.chunks.push(this.chunk);
    if (spillFile !== undefined) this.fd = openSync(spillFile, 'w+');
  }

  /** Chunks of rows held in memory (1 when spilling). */
  get chunksInMemory(): number {
    return this.chunks.length;
  }

  push(
    ts: number,
    orderId: number,
    symbolId: number,
    event: OrderEventKind,
    side: Side,
    price: number,
    qty: number,
    cumQty: number,
    leavesQty: number,
    reason: string,
  ): void {
    if (reason !== '') this.reasons.set(this.length, reason);
    if (this.end === CHUNK_ROWS) {
      if (this.spillFile !== undefined) {
        writeSync(this.fd, this.chunk.bytes, 0, CHUNK_BYTES, this.spilled * CHUNK_BYTES);
        this.spilled++;
      } else {
        this.chunk = newChunk();
        this.chunks.push(this.chunk);
      }
      this.end = 0;
    }
    const c = this.chunk;
    const k = this.end++;
    const f = c.f;
    const n = CHUNK_ROWS;
    f[k] = ts;
    f[n + k] = orderId;
    f[2 * n + k] = price;
    f[3 * n + k] = qty;
    f[4 * n + k] = cumQty;
    f[5 * n + k] = leavesQty;
    c.symbolId[k] = symbolId;
    c.event[k] = codeOf(event);
    c.side[k] = side;
    this.length++;
  }

  /** Row `i` as an object (for reports, not the hot path). */
  row(i: number): OrderLogRow {
    const c = this.chunkOf(Math.floor(i / CHUNK_ROWS));
    const k = i % CHUNK_ROWS;
    const f = c.f;
    const n = CHUNK_ROWS;
    return {
      ts: f[k],
      orderId: f[n + k],
      symbolId: c.symbolId[k],
      event: ORDER_EVENTS[c.event[k]],
      side: c.side[k] as Side,
      price: f[2 * n + k],
      qty: f[3 * n + k],
      cumQty: f[4 * n + k],
      leavesQty: f[5 * n + k],
      reason: this.reasons.get(i) ?? '',
    };
  }

  /** Closes and removes the spill file (the rows it held can no longer be read). */
  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    rmSync(this.spillFile!, { force: true });
  }

  /** Chunk `k` of the log: in memory, or read back from the spill file. */
  private chunkOf(k: number): Chunk {
    if (this.spillFile === undefined) return this.chunks[k];
    if (k === this.spilled) return this.chunk;
    if (this.fd < 0) throw new Error('OrderLog: the spill file was closed');
    if (this.readBackIndex !== k) {
      this.readBack ??= newChunk();
      readSync(this.fd, this.readBack.bytes, 0, CHUNK_BYTES, k * CHUNK_BYTES);
      this.readBackIndex = k;
    }
    return this.readBack!;
  }
}
