import type { MdKind } from '../../contracts/market.ts';
import { Epoch } from '../../core/clock.ts';
import type { BookChecks } from './book-checks.ts';
import { type L3Columns, type L3ColumnsBuilder, renumberL3 } from './l3-columns.ts';

/** Flag bit: last event of one exchange message; apply every event of a message before reading the book. */
export const EV_LAST = 1;
/** Flag bit: the event belongs to a snapshot (the Clear and the Level events that rebuild the book). */
export const EV_SNAPSHOT = 2;
/**
 * Flag bit: the event was published during a call auction (pre-open, closing call): an indicative
 * price or book, not a trade. It sets the book; an exchange model fills no order on it.
 */
export const EV_INDICATIVE = 4;

/**
 * Market data as packed columns (hftbacktest style): row i of every array is one event.
 * kind is MdKind.Level / Trade / Clear; side +1 bid/buy, -1 ask/sell, 0 unknown (Level: book side,
 * Trade: aggressor); price and qty are scaled integers (scales come with the file); times are ns
 * relative to `epoch` (exact within ±104 days of it: a reader takes the UTC midnight before its
 * file's first event, a replay puts all its streams on one epoch with `rebase`).
 * localTs is the receive time; where the source has none it is exchTs + the reader's `feedLatencyNs`.
 */
export interface EventColumns {
  n: number;
  /** Absolute origin of exchTs and localTs. */
  epoch: Epoch;
  /**
   * True for L2 diff data without snapshots (TAIFEX): a level's removal can be lost, so a crossed
   * book means stale levels, which the LOB repairs. False where the data carries its book itself
   * (L3, snapshots, sequence-checked full-depth diffs): a crossed book is the market's, published
   * flagged (LobStats.crossed).
   */
  repairCrossed: boolean;
  kind: Uint8Array;
  side: Int8Array;
  exchTs: Float64Array;
  localTs: Float64Array;
  price: Float64Array;
  qty: Float64Array;
  flags: Uint8Array;
  /** Order-level records of L3 sources (DBN MBO, LOBSTER), tied to these events' messages. */
  l3?: L3Columns;
}

/** Appends events to growable typed arrays; `finish()` returns right-sized columns. */
export class EventColumnsBuilder {
  n = 0;
  /** Origin of the times pushed (set it before the first push). */
  epoch: Epoch = Epoch.ZERO;
  /** See EventColumns.repairCrossed. */
  repairCrossed = true;
  /** Set by L3 readers: every closed message ties the L3 records pushed since the last one to it. */
  l3: L3ColumnsBuilder | null = null;
  private cap: number;
  private kind: Uint8Array;
  private side: Int8Array;
  private exchTs: Float64Array;
  private localTs: Float64Array;
  private price: Float64Array;
  private qty: Float64Array;
  private flags: Uint8Array;
  /** Index of the first event of the open message. */
  private msgStart = 0;

  constructor(capacity = 4096) {
    this.cap = Math.max(16, Math.ceil(capacity));
    this.kind = new Uint8Array(this.cap);
    this.side = new Int8Array(this.cap);
    this.exchTs = new Float64Array(this.cap);
    this.localTs = new Float64Array(this.cap);
    this.price = new Float64Array(this.cap);
    this.qty = new Float64Array(this.cap);
    this.flags = new Uint8Array(this.cap);
  }

  /** Appends one event. */
  push(
    kind: MdKind,
    side: number,
    exchTs: number,
    localTs: number,
    price: number,
    qty: number,
    flags = 0,
  ): void {
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.kind[i] = kind;
    this.side[i] = side;
    this.exchTs[i] = exchTs;
    this.localTs[i] = localTs;
    this.price[i] = price;
    this.qty[i] = qty;
    this.flags[i] = flags;
  }

  /** Closes the open message: flags its last event EV_LAST (no-op when it has no event). */
  endMessage(): void {
    if (this.n > this.msgStart) {
      this.flags[this.n - 1] |= EV_LAST;
      this.l3?.close(this.n - 1);
    }
    this.msgStart = this.n;
  }

  /** Returns the events as right-sized columns; closes a trailing open message first. */
  finish(): EventColumns {
    this.endMessage();
    const n = this.n;
    const out: EventColumns = {
      n,
      epoch: this.epoch,
      repairCrossed: this.repairCrossed,
      kind: this.kind.slice(0, n),
      side: this.side.slice(0, n),
      exchTs: this.exchTs.slice(0, n),
      localTs: this.localTs.slice(0, n),
      price: this.price.slice(0, n),
      qty: this.qty.slice(0, n),
      flags: this.flags.slice(0, n),
    };
    if (this.l3 !== null) out.l3 = this.l3.finish(n - 1);
    return out;
  }

  private grow(): void {
    this.cap *= 2;
    this.kind = resize(this.kind, new Uint8Array(this.cap));
    this.side = resize(this.side, new Int8Array(this.cap));
    this.exchTs = resize(this.exchTs, new Float64Array(this.cap));
    this.localTs = resize(this.localTs, new Float64Array(this.cap));
    this.price = resize(this.price, new Float64Array(this.cap));
    this.qty = resize(this.qty, new Float64Array(this.cap));
    this.flags = resize(this.flags, new Uint8Array(this.cap));
  }
}

/**
 * Puts `c`'s times on epoch `to` (in place, exact integer arithmetic: both epochs are integers and
 * the times stay within ±2^53 ns of `to` for data within ±104 days of it).
 */
export function rebase(c: EventColumns, to: Epoch): void {
  const shift = Number(c.epoch.ns - to.ns);
  c.epoch = to;
  if (shift === 0) return;
  for (let i = 0; i < c.n; i++) {
    c.exchTs[i] += shift;
    c.localTs[i] += shift;
  }
}

/** Absolute ns of the earliest time (exchange or receive) of the first event; null when empty. */
export function firstAbs(c: EventColumns): bigint | null {
  return c.n === 0 ? null : c.epoch.toAbs(Math.min(c.exchTs[0], c.localTs[0]));
}

/**
 * The columns without the events where drop[i] !== 0, compacted in place (the arrays are views of the
 * same buffers); a dropped message end moves to the kept event before it. `truth` check points are
 * renumbered to the last kept event at or before theirs.
 */
export function dropEvents(c: EventColumns, drop: Uint8Array, truth?: BookChecks): EventColumns {
  const newIndex = new Int32Array(c.n); // last kept event at or before i, in the new numbering
  let k = 0;
  for (let i = 0; i < c.n; i++) {
    if (drop[i] === 0) {
      c.kind[k] = c.kind[i];
      c.side[k] = c.side[i];
      c.exchTs[k] = c.exchTs[i];
      c.localTs[k] = c.localTs[i];
      c.price[k] = c.price[i];
      c.qty[k] = c.qty[i];
      c.flags[k] = c.flags[i];
      k++;
    } else if (c.flags[i] & EV_LAST && k > 0) {
      c.flags[k - 1] |= EV_LAST;
    }
    newIndex[i] = k - 1;
  }
  if (truth) for (let r = 0; r < truth.n; r++) truth.eventIndex[r] = newIndex[truth.eventIndex[r]];
  if (c.l3) renumberL3(c.l3, newIndex);
  return {
    n: k,
    epoch: c.epoch,
    repairCrossed: c.repairCrossed,
    kind: c.kind.subarray(0, k),
    side: c.side.subarray(0, k),
    exchTs: c.exchTs.subarray(0, k),
    localTs: c.localTs.subarray(0, k),
    price: c.price.subarray(0, k),
    qty: c.qty.subarray(0, k),
    flags: c.flags.subarray(0, k),
    ...(c.l3 ? { l3: c.l3 } : {}),
  };
}

function resize<T extends Uint8Array | Int8Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
