import type { Side } from '../../contracts/market.ts';
import type { TimeInForce } from '../../contracts/orders.ts';
import type { SymbolSpec } from '../../contracts/symbols.ts';

/** Receives every match, synchronously, while the engine is matching: it must not call back into the engine. */
export interface MatchListener {
  onMatch(
    makerId: number,
    takerId: number,
    price: number,
    qty: number,
    makerOwn: boolean,
    takerOwn: boolean,
    aggressor: Side,
    makerLeaves: number,
    takerLeaves: number,
  ): void;
}

/** Id the engine reports as taker for background market orders. */
export const MARKET_TAKER_ID = 0;

interface Order {
  id: number;
  own: boolean;
  side: Side;
  price: number;
  qty: number;
  level: Level | null;
  prev: Order | null;
  next: Order | null;
}

/** One price level: a FIFO queue of resting orders (doubly linked, so cancels are O(1)). */
interface Level {
  price: number;
  qty: number;
  ownQty: number;
  head: Order | null;
  tail: Order | null;
}

/** Resting orders of one side. Levels sorted so the best price is last: best-level pops and near-best inserts are cheap. */
interface BookSide {
  side: Side;
  levels: Level[];
  qty: number;
  ownQty: number;
}

const NO_LISTENER: MatchListener = { onMatch() {} };

/**
 * L3 price-time-priority matching engine for one symbol. Prices and quantities are scaled integers;
 * the caller validates them against the tick ladder and lot size. Order and level objects are pooled,
 * so matching allocates nothing.
 */
export class MatchingEngine {
  private readonly bids: BookSide = { side: 1, levels: [], qty: 0, ownQty: 0 };
  private readonly asks: BookSide = { side: -1, levels: [], qty: 0, ownQty: 0 };
  private readonly orders = new Map<number, Order>();
  private readonly orderPool: Order[] = [];
  private readonly levelPool: Level[] = [];
  private lastId = MARKET_TAKER_ID;

  constructor(
    readonly spec: SymbolSpec,
    public listener: MatchListener = NO_LISTENER,
  ) {}

  /** A fresh order id; own and background orders must draw from the same sequence so ids never collide. */
  nextOrderId(): number {
    return ++this.lastId;
  }

  /**
   * Limit order: matches what it crosses, then rests (GTC) or drops the rest (IOC). A POST_ONLY
   * order that would cross is not entered at all (0; the venue rejects it first: wouldCross).
   * Returns the resting qty.
   */
  add(id: number, side: Side, price: number, qty: number, tif: TimeInForce, own: boolean): number {
    if (!(qty > 0) || !(price > 0))
      throw new Error(`engine ${this.spec.code}: bad order qty=${qty} price=${price}`);
    if (id === MARKET_TAKER_ID || this.orders.has(id))
      throw new Error(`engine ${this.spec.code}: order id ${id} in use`);
    if (tif === 'POST_ONLY' && this.wouldCross(side, price)) return 0;
    const left = this.match(id, side, price, qty, own);
    if (left === 0 || tif === 'IOC') return 0;
    this.rest(id, side, price, left, own);
    return left;
  }

  /** True when a limit order at `price` would trade on arrival (a post-only order is then rejected). */
  wouldCross(side: Side, price: number): boolean {
    if (side === 1) {
      const ask = this.bestAsk();
      return ask > 0 && price >= ask;
    }
    const bid = this.bestBid();
    return bid > 0 && price <= bid;
  }

  /** Background market order: sweeps the opposite side up to `qty`. Returns the filled qty. */
  market(side: Side, qty: number): number {
    if (!(qty > 0)) throw new Error(`engine ${this.spec.code}: bad market qty=${qty}`);
    const limit = side === 1 ? Number.POSITIVE_INFINITY : 0;
    return qty - this.match(MARKET_TAKER_ID, side, limit, qty, false);
  }

  /** Removes a resting order; returns its remaining qty, 0 when unknown or already filled. */
  cancel(id: number): number {
    const o = this.orders.get(id);
    if (o === undefined) return 0;
    const qty = o.qty;
    this.remove(o);
    return qty;
  }

  /** True while the order rests in the book. */
  has(id: number): boolean {
    return this.orders.has(id);
  }

  get orderCount(): number {
    return this.orders.size;
  }

  bestBid(): number {
    const l = this.bids.levels;
    return l.length === 0 ? 0 : l[l.length - 1].price;
  }

  bestAsk(): number {
    const l = this.asks.levels;
    return l.length === 0 ? 0 : l[l.length - 1].price;
  }

  bestBidQty(): number {
    const l = this.bids.levels;
    return l.length === 0 ? 0 : l[l.length - 1].qty;
  }

  bestAskQty(): number {
    const l = this.asks.levels;
    return l.length === 0 ? 0 : l[l.length - 1].qty;
  }

  /** Number of price levels on a side. */
  levelCount(side: Side): number {
    return this.book(side).levels.length;
  }

  /** Total resting background (non-own) quantity on a side. */
  backgroundQty(side: Side): number {
    const b = this.book(side);
    return b.qty - b.ownQty;
  }

  /**
   * Fills the top `levels` aggregated levels per side (0 past the last level) and returns the number
   * of levels filled on the deeper side.
   */
  depth(
    levels: number,
    bidPx: Float64Array,
    bidQty: Float64Array,
    askPx: Float64Array,
    askQty: Float64Array,
  ): number {
    const nb = fillDepth(this.bids.levels, levels, bidPx, bidQty);
    const na = fillDepth(this.asks.levels, levels, askPx, askQty);
    return Math.max(nb, na);
  }

  /** Quantity resting ahead of the order at its price level, or -1 when the order is not resting. */
  queueAhead(id: number): number {
    const o = this.orders.get(id);
    if (o === undefined) return -1;
    let ahead = 0;
    for (let p = o.prev; p !== null; p = p.prev) ahead += p.qty;
    return ahead;
  }

  /**
   * Id of the background order holding the `offset`-th unit (0-based) of background quantity on a side,
   * counted from the best price outward; 0 when `offset` is beyond it. Lets a flow model cancel
   * background orders with probability proportional to their quantity.
   */
  backgroundOrderAt(side: Side, offset: number): number {
    const levels = this.book(side).levels;
    for (let i = levels.length - 1; i >= 0; i--) {
      const lv = levels[i];
      const bg = lv.qty - lv.ownQty;
      if (offset >= bg) {
        offset -= bg;
        continue;
      }
      for (let o = lv.head; o !== null; o = o.next) {
        if (o.own) continue;
        if (offset < o.qty) return o.id;
        offset -= o.qty;
      }
    }
    return 0;
  }

  private book(side: Side): BookSide {
    return side === 1 ? this.bids : this.asks;
  }

  /** Matches an aggressive order against the opposite side up to `limit`; returns the unfilled qty. */
  private match(takerId: number, side: Side, limit: number, qty: number, takerOwn: boolean): number {
    const opp = side === 1 ? this.asks : this.bids;
    const levels = opp.levels;
    const listener = this.listener;
    while (qty > 0 && levels.length > 0) {
      const lv = levels[levels.length - 1];
      if (side === 1 ? lv.price > limit : lv.price < limit) break;
      while (qty > 0 && lv.head !== null) {
        const maker = lv.head;
        const fill = Math.min(maker.qty, qty);
        maker.qty -= fill;
        qty -= fill;
        lv.qty -= fill;
        opp.qty -= fill;
        if (maker.own) {
          lv.ownQty -= fill;
          opp.ownQty -= fill;
        }
        const makerId = maker.id;
        const makerOwn = maker.own;
        const makerLeaves = maker.qty;
        if (makerLeaves === 0) this.unlink(maker);
        listener.onMatch(makerId, takerId, lv.price, fill, makerOwn, takerOwn, side, makerLeaves, qty);
      }
      if (lv.head === null) {
        levels.pop();
        this.levelPool.push(lv);
      }
    }
    return qty;
  }

  private rest(id: number, side: Side, price: number, qty: number, own: boolean): void {
    const b = this.book(side);
    const lv = this.levelFor(b, price);
    const o = this.orderPool.pop() ?? {
      id: 0,
      own: false,
      side: 1,
      price: 0,
      qty: 0,
      level: null,
      prev: null,
      next: null,
    };
    o.id = id;
    o.own = own;
    o.side = side;
    o.price = price;
    o.qty = qty;
    o.level = lv;
    o.next = null;
    o.prev = lv.tail;
    if (lv.tail === null) lv.head = o;
    else lv.tail.next = o;
    lv.tail = o;
    lv.qty += qty;
    b.qty += qty;
    if (own) {
      lv.ownQty += qty;
      b.ownQty += qty;
    }
    this.orders.set(id, o);
  }

  /** Finds or inserts the level for `price`. Key k = side*price is ascending along the array. */
  private levelFor(b: BookSide, price: number): Level {
    const levels = b.levels;
    const k = b.side * price;
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (b.side * levels[mid].price < k) lo = mid + 1;
      else hi = mid;
    }
    if (lo < levels.length && levels[lo].price === price) return levels[lo];
    const lv = this.levelPool.pop() ?? { price: 0, qty: 0, ownQty: 0, head: null, tail: null };
    lv.price = price;
    lv.qty = 0;
    lv.ownQty = 0;
    lv.head = null;
    lv.tail = null;
    // Shift by hand: splice would allocate its (empty) result array.
    levels.push(lv);
    for (let i = levels.length - 1; i > lo; i--) levels[i] = levels[i - 1];
    levels[lo] = lv;
    return lv;
  }

  /** Removes a resting order with quantity left (a cancel). */
  private remove(o: Order): void {
    const lv = o.level!;
    const b = this.book(o.side);
    lv.qty -= o.qty;
    b.qty -= o.qty;
    if (o.own) {
      lv.ownQty -= o.qty;
      b.ownQty -= o.qty;
    }
    this.unlink(o);
    if (lv.head === null) this.dropLevel(b, lv);
  }

  /** Takes an order out of its queue and the id map and returns it to the pool; the level may become empty. */
  private unlink(o: Order): void {
    const lv = o.level!;
    if (o.prev === null) lv.head = o.next;
    else o.prev.next = o.next;
    if (o.next === null) lv.tail = o.prev;
    else o.next.prev = o.prev;
    this.orders.delete(o.id);
    o.level = null;
    o.prev = null;
    o.next = null;
    this.orderPool.push(o);
  }

  private dropLevel(b: BookSide, lv: Level): void {
    const levels = b.levels;
    const i = levels.lastIndexOf(lv);
    for (let j = i; j < levels.length - 1; j++) levels[j] = levels[j + 1];
    levels.pop();
    this.levelPool.push(lv);
  }
}

function fillDepth(levels: Level[], n: number, px: Float64Array, qty: Float64Array): number {
  let filled = 0;
  for (let i = 0; i < n; i++) {
    const j = levels.length - 1 - i;
    if (j >= 0) {
      px[i] = levels[j].price;
      qty[i] = levels[j].qty;
      filled++;
    } else {
      px[i] = 0;
      qty[i] = 0;
    }
  }
  return filled;
}
