/**
 * Order-level (L3, market-by-order) records of one stream, as packed columns beside its L2
 * EventColumns. Row j is one record; `msgEnd[j]` ties it to the L2 events: the index of the last
 * L2 event of the exchange message it belongs to (a message that produced no L2 event passes its
 * records to the next one that did). So a consumer walking the L2 messages applies the L3 records
 * with msgEnd <= the message's last event before reading the book, and both views agree at every
 * message.
 */

/** Record actions, as Databento's MBO action bytes (LOBSTER messages map onto them). */
export const L3_ADD = 0x41; // 'A': a new order at the back of its price's queue
export const L3_CANCEL = 0x43; // 'C': `size` removed from the order (partial or full); place kept
export const L3_MODIFY = 0x4d; // 'M': new price and size (priority lost unless only the size went down)
export const L3_CLEAR = 0x52; // 'R': the book is emptied
export const L3_TRADE = 0x54; // 'T': a trade (side = aggressor, 0 unknown; id the aggressor's when known)
export const L3_FILL = 0x46; // 'F': an execution against resting order `id` (its reduction follows as C or M)

export interface L3Columns {
  n: number;
  action: Uint8Array;
  /** +1 bid/buy, -1 ask/sell, 0 none (a fill's side is the resting order's). */
  side: Int8Array;
  /**
   * Exchange order id: the source's id where it is a safe integer (Databento's u64 below 2^53,
   * LOBSTER's ids), else a dense negative stand-in that names the same order throughout the stream.
   */
  id: Float64Array;
  /** Scaled like the L2 columns' prices. */
  price: Float64Array;
  size: Float64Array;
  /** Index of the L2 event that ends this record's message (see above). */
  msgEnd: Int32Array;
}

/** Appends L3 records; `close(last)` ties the open ones to the L2 message ending at event `last`. */
export class L3ColumnsBuilder {
  n = 0;
  private cap: number;
  private action: Uint8Array;
  private side: Int8Array;
  private id: Float64Array;
  private price: Float64Array;
  private size: Float64Array;
  private msgEnd: Int32Array;
  /** First record not yet tied to a message. */
  private open = 0;
  private readonly bigIds = new Map<bigint, number>();

  constructor(capacity = 4096) {
    this.cap = Math.max(16, Math.ceil(capacity));
    this.action = new Uint8Array(this.cap);
    this.side = new Int8Array(this.cap);
    this.id = new Float64Array(this.cap);
    this.price = new Float64Array(this.cap);
    this.size = new Float64Array(this.cap);
    this.msgEnd = new Int32Array(this.cap);
  }

  /** An id for the columns: the number itself when safe, else its stand-in (stable per id). */
  idOf(id: number | bigint): number {
    if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
    const big = BigInt(id);
    if (big >= 0n && big <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(big);
    let v = this.bigIds.get(big);
    if (v === undefined) {
      v = -(this.bigIds.size + 1);
      this.bigIds.set(big, v);
    }
    return v;
  }

  push(action: number, side: number, id: number, price: number, size: number): void {
    if (this.n === this.cap) this.grow();
    const j = this.n++;
    this.action[j] = action;
    this.side[j] = side;
    this.id[j] = id;
    this.price[j] = price;
    this.size[j] = size;
    this.msgEnd[j] = -1;
  }

  /** Ties the open records to the L2 message whose last event is `last`. */
  close(last: number): void {
    for (let j = this.open; j < this.n; j++) this.msgEnd[j] = last;
    this.open = this.n;
  }

  /** Right-sized columns; records never tied to a message go with `lastEvent` (the stream's last). */
  finish(lastEvent: number): L3Columns {
    this.close(Math.max(lastEvent, 0));
    const n = this.n;
    return {
      n,
      action: this.action.slice(0, n),
      side: this.side.slice(0, n),
      id: this.id.slice(0, n),
      price: this.price.slice(0, n),
      size: this.size.slice(0, n),
      msgEnd: this.msgEnd.slice(0, n),
    };
  }

  private grow(): void {
    this.cap *= 2;
    const g = <T extends Uint8Array | Int8Array | Float64Array | Int32Array>(from: T, to: T): T => {
      to.set(from as never);
      return to;
    };
    this.action = g(this.action, new Uint8Array(this.cap));
    this.side = g(this.side, new Int8Array(this.cap));
    this.id = g(this.id, new Float64Array(this.cap));
    this.price = g(this.price, new Float64Array(this.cap));
    this.size = g(this.size, new Float64Array(this.cap));
    this.msgEnd = g(this.msgEnd, new Int32Array(this.cap));
  }
}

/** Renumbers msgEnd after L2 events were dropped: newIndex[i] is the kept event at or before i (-1: none). */
export function renumberL3(l3: L3Columns, newIndex: Int32Array): void {
  for (let j = 0; j < l3.n; j++) l3.msgEnd[j] = Math.max(0, newIndex[l3.msgEnd[j]]);
}

/** Divides every price by `f` (the replay's rescale; the caller checked L2 prices divide exactly). */
export function rescaleL3(l3: L3Columns, f: number): boolean {
  for (let j = 0; j < l3.n; j++) {
    const p = l3.price[j] / f;
    if (!Number.isInteger(p)) return false;
    l3.price[j] = p;
  }
  return true;
}
