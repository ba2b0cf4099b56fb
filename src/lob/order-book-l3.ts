import type { Side } from '../contracts/market.ts';
import { PriceLevels } from '../core/price-levels.ts';

/** An exchange order id: a number when it fits in 2^53, else a bigint (Databento's u64 ids). */
export type OrderId = number | bigint;

const NONE = -1;

/**
 * Order-level (L3, market-by-order) book of one symbol: order id -> side, price, size and time
 * priority (a FIFO queue per price level), with the L2 view (`bids`, `asks`: aggregate quantity per
 * price, best-first) kept up to date by every change, so reading it costs nothing extra.
 *
 * Orders and levels live in typed-array pools indexed by slot (queues are doubly linked through
 * them); the only allocation per event is the id -> slot map entry of a new order (and pool
 * growth, amortized). Prices and sizes are scaled integers.
 *
 * Priority rule (CME Globex, as Databento's MBO book documents it; LOBSTER has no modify): an order
 * keeps its place when its size decreases (partial cancel, fill, modify down); it goes to the back
 * of its level's queue when a modify raises its size or changes its price.
 */
export class OrderBookL3 {
  /** L2 view: aggregate quantity per price, best-first. */
  readonly bids: PriceLevels;
  readonly asks: PriceLevels;

  private readonly slots = new Map<OrderId, number>();
  // Order pool.
  private oSide: Int8Array;
  private oPrice: Float64Array;
  private oSize: Float64Array;
  private oPrev: Int32Array;
  private oNext: Int32Array;
  private oLevel: Int32Array;
  /** Time priority: a number drawn from `seq` each time the order joins the back of a queue. */
  private oSeq: Float64Array;
  private seq = 0;
  private oFree = NONE;
  private oUsed = 0;
  // Level pool: one FIFO queue per (side, price).
  private readonly levelOf = { 1: new Map<number, number>(), [-1]: new Map<number, number>() } as Record<
    Side,
    Map<number, number>
  >;
  private lQty: Float64Array;
  private lCount: Int32Array;
  private lHead: Int32Array;
  private lTail: Int32Array;
  private lFree = NONE;
  private lUsed = 0;
  private readonly count = { 1: 0, [-1]: 0 } as Record<Side, number>;

  constructor(orderCapacity = 4096, levelCapacity = 256) {
    this.bids = new PriceLevels(64, 1);
    this.asks = new PriceLevels(64, -1);
    this.oSide = new Int8Array(orderCapacity);
    this.oPrice = new Float64Array(orderCapacity);
    this.oSize = new Float64Array(orderCapacity);
    this.oPrev = new Int32Array(orderCapacity);
    this.oNext = new Int32Array(orderCapacity);
    this.oLevel = new Int32Array(orderCapacity);
    this.oSeq = new Float64Array(orderCapacity);
    this.lQty = new Float64Array(levelCapacity);
    this.lCount = new Int32Array(levelCapacity);
    this.lHead = new Int32Array(levelCapacity);
    this.lTail = new Int32Array(levelCapacity);
  }

  get bestBid(): number {
    return this.bids.best;
  }
  get bestAsk(): number {
    return this.asks.best;
  }
  get bestBidQty(): number {
    return this.bids.n > 0 ? this.bids.qty[0] : 0;
  }
  get bestAskQty(): number {
    return this.asks.n > 0 ? this.asks.qty[0] : 0;
  }

  /** Resting orders on a side. */
  orders(side: Side): number {
    return this.count[side];
  }

  /** Orders resting at `price` on a side. */
  ordersAt(side: Side, price: number): number {
    const l = this.levelOf[side].get(price);
    return l === undefined ? 0 : this.lCount[l];
  }

  has(id: OrderId): boolean {
    return this.slots.has(id);
  }
  /** Side of a resting order (0 when unknown). */
  sideOf(id: OrderId): Side | 0 {
    const s = this.slots.get(id);
    return s === undefined ? 0 : (this.oSide[s] as Side);
  }
  /** Price of a resting order (0 when unknown). */
  priceOf(id: OrderId): number {
    const s = this.slots.get(id);
    return s === undefined ? 0 : this.oPrice[s];
  }
  /** Remaining size of a resting order (0 when unknown). */
  sizeOf(id: OrderId): number {
    const s = this.slots.get(id);
    return s === undefined ? 0 : this.oSize[s];
  }

  /**
   * An order's time priority (-1 when unknown): lower is earlier in its queue. It changes only when
   * the order loses its place (a modify up or to a new price), so two orders at one price compare by it.
   */
  priorityOf(id: OrderId): number {
    const s = this.slots.get(id);
    return s === undefined ? -1 : this.oSeq[s];
  }

  /**
   * Draws the next priority without adding an order: an order kept outside the book (a simulated
   * exchange's own order) that joins now ranks behind every order resting and ahead of every later one.
   */
  nextPriority(): number {
    return ++this.seq;
  }

  /** Quantity queued ahead of an order at its price (-1 when unknown): its true queue position. */
  queueAhead(id: OrderId): number {
    const s = this.slots.get(id);
    if (s === undefined) return -1;
    let q = 0;
    for (let o = this.oPrev[s]; o !== NONE; o = this.oPrev[o]) q += this.oSize[o];
    return q;
  }

  /** Order ids at a price in priority order (for tests and inspection; allocates). */
  queue(side: Side, price: number): OrderId[] {
    const l = this.levelOf[side].get(price);
    if (l === undefined) return [];
    const bySlot = new Map<number, OrderId>();
    for (const [id, s] of this.slots) bySlot.set(s, id);
    const out: OrderId[] = [];
    for (let o = this.lHead[l]; o !== NONE; o = this.oNext[o]) out.push(bySlot.get(o) as OrderId);
    return out;
  }

  /** Adds an order at the back of its level's queue; false (book unchanged) when the id rests already or the order is void. */
  add(id: OrderId, side: Side, price: number, size: number): boolean {
    if (!(size > 0) || !(price > 0) || (side !== 1 && side !== -1) || this.slots.has(id)) return false;
    const s = this.newOrder();
    this.oSide[s] = side;
    this.oPrice[s] = price;
    this.oSize[s] = size;
    this.slots.set(id, s);
    this.count[side]++;
    this.link(s, side, price);
    return true;
  }

  /** Removes up to `size` of an order (its place kept; removed at 0); the size removed, -1 when unknown. */
  cancel(id: OrderId, size: number): number {
    const s = this.slots.get(id);
    if (s === undefined) return -1;
    const cut = Math.min(size, this.oSize[s]);
    if (cut >= this.oSize[s]) this.drop(id, s);
    else {
      this.oSize[s] -= cut;
      this.setLevelQty(s, -cut);
    }
    return cut;
  }

  /** An execution against a resting order: removes `size` of it, as cancel does. */
  fill(id: OrderId, size: number): number {
    return this.cancel(id, size);
  }

  /** Removes an order whole; its size, -1 when unknown. */
  remove(id: OrderId): number {
    const s = this.slots.get(id);
    if (s === undefined) return -1;
    const size = this.oSize[s];
    this.drop(id, s);
    return size;
  }

  /**
   * Changes an order's price and size (size 0 removes it). It keeps its place when only its size
   * decreases (or nothing changes) and goes to the back of the queue at its (new) price otherwise.
   * False when the id is unknown.
   */
  modify(id: OrderId, price: number, size: number): boolean {
    const s = this.slots.get(id);
    if (s === undefined) return false;
    if (!(size > 0)) {
      this.drop(id, s);
      return true;
    }
    const side = this.oSide[s] as Side;
    const old = this.oSize[s];
    if (price === this.oPrice[s] && size <= old) {
      this.oSize[s] = size;
      this.setLevelQty(s, size - old);
      return true;
    }
    this.unlink(s, side);
    this.oPrice[s] = price;
    this.oSize[s] = size;
    this.link(s, side, price);
    return true;
  }

  /** Empties the book (keeps the pools). */
  clear(): void {
    this.slots.clear();
    this.levelOf[1].clear();
    this.levelOf[-1].clear();
    this.bids.n = 0;
    this.asks.n = 0;
    this.count[1] = 0;
    this.count[-1] = 0;
    this.oFree = NONE;
    this.oUsed = 0;
    this.lFree = NONE;
    this.lUsed = 0;
  }

  private drop(id: OrderId, s: number): void {
    const side = this.oSide[s] as Side;
    this.unlink(s, side);
    this.slots.delete(id);
    this.count[side]--;
    this.oNext[s] = this.oFree;
    this.oFree = s;
  }

  /** Appends order slot `s` (size set) to the back of the queue at `price`. */
  private link(s: number, side: Side, price: number): void {
    let l = this.levelOf[side].get(price);
    if (l === undefined) {
      l = this.newLevel();
      this.levelOf[side].set(price, l);
      this.lQty[l] = 0;
      this.lCount[l] = 0;
      this.lHead[l] = NONE;
      this.lTail[l] = NONE;
    }
    const tail = this.lTail[l];
    this.oPrev[s] = tail;
    this.oNext[s] = NONE;
    if (tail === NONE) this.lHead[l] = s;
    else this.oNext[tail] = s;
    this.lTail[l] = s;
    this.lCount[l]++;
    this.oLevel[s] = l;
    this.oSeq[s] = ++this.seq;
    this.setLevelQty(s, this.oSize[s]);
  }

  /** Takes order slot `s` out of its queue, with its size; frees the level when it empties. */
  private unlink(s: number, side: Side): void {
    const l = this.oLevel[s];
    const prev = this.oPrev[s];
    const next = this.oNext[s];
    if (prev === NONE) this.lHead[l] = next;
    else this.oNext[prev] = next;
    if (next === NONE) this.lTail[l] = prev;
    else this.oPrev[next] = prev;
    this.setLevelQty(s, -this.oSize[s]);
    if (--this.lCount[l] === 0) {
      this.levelOf[side].delete(this.oPrice[s]);
      this.lHead[l] = this.lFree;
      this.lFree = l;
    }
  }

  private setLevelQty(s: number, delta: number): void {
    const l = this.oLevel[s];
    const q = this.lQty[l] + delta;
    this.lQty[l] = q;
    (this.oSide[s] === 1 ? this.bids : this.asks).set(this.oPrice[s], q);
  }

  private newOrder(): number {
    if (this.oFree !== NONE) {
      const s = this.oFree;
      this.oFree = this.oNext[s];
      return s;
    }
    if (this.oUsed === this.oSide.length) this.growOrders();
    return this.oUsed++;
  }

  private newLevel(): number {
    if (this.lFree !== NONE) {
      const l = this.lFree;
      this.lFree = this.lHead[l];
      return l;
    }
    if (this.lUsed === this.lQty.length) this.growLevels();
    return this.lUsed++;
  }

  private growOrders(): void {
    const n = this.oSide.length * 2;
    this.oSide = grown(this.oSide, new Int8Array(n));
    this.oPrice = grown(this.oPrice, new Float64Array(n));
    this.oSize = grown(this.oSize, new Float64Array(n));
    this.oPrev = grown(this.oPrev, new Int32Array(n));
    this.oNext = grown(this.oNext, new Int32Array(n));
    this.oLevel = grown(this.oLevel, new Int32Array(n));
    this.oSeq = grown(this.oSeq, new Float64Array(n));
  }

  private growLevels(): void {
    const n = this.lQty.length * 2;
    this.lQty = grown(this.lQty, new Float64Array(n));
    this.lCount = grown(this.lCount, new Int32Array(n));
    this.lHead = grown(this.lHead, new Int32Array(n));
    this.lTail = grown(this.lTail, new Int32Array(n));
  }
}

function grown<T extends Int8Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
