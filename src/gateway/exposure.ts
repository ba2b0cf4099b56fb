import type { Nanos } from '../core/clock.ts';
import type { GatewayReason } from './envelope.ts';

export interface ExposureLimits {
  /** Account-wide open notional cap, money units (MONEY_SCALE); 0 = unlimited. */
  globalMax: number;
  /** Per-strategy cap, money units; strategies not listed use `strategyDefault` (0 = unlimited). */
  strategyMax: ReadonlyMap<string, number>;
  strategyDefault: number;
  /** At most this many (strategy, symbol) buckets holding exposure at once. */
  maxBuckets: number;
}

/** Hash table slots at first (grows x2 past half full). */
const FIRST_SLOTS = 1024;

/**
 * Account-wide open-order exposure (the original's gateway/exposure.py), in integer money
 * units: global and per strategy, per-order reservations. A NEW is checked with its full
 * notional; an AMEND by its delta against the order it replaces (only a positive delta is
 * checked) and the reservation moves to the new order. CANCEL and FORCE_FLAT are not checked.
 * `check` decides without changing anything; `reserve`/`amend` book an order once it is sent.
 *
 * On the in-process hot path (every intent a strategy forms): no allocation and no Map per
 * intent. Strategies get a row index once (the last one looked up is remembered, so a run of
 * one strategy's intents compares one string reference); each row's open notional per symbol is
 * a Float64Array indexed by symbol id; reservations live in typed arrays, an open-addressing
 * table (linear probing, backward-shift deletion) keyed by client order id.
 */
export class ExposureStore {
  private global = 0;
  private buckets = 0;
  lastReject: GatewayReason = 'GLOBAL_EXPOSURE_LIMIT';
  readonly counters = { reserved: 0, released: 0, expired: 0 };

  /** Strategy id -> row index (rows are never removed: a strategy's row is reused). */
  private readonly rowIndex = new Map<string, number>();
  private lastId = '';
  private lastRow = -1;
  private rowTotal = new Float64Array(8);
  private rowCap = new Float64Array(8);
  /** Open notional per row and symbol id. */
  private readonly rowSym: Float64Array[] = [];

  /** Reservations: order id (0 = empty slot), notional, time, symbol id, row. */
  private keys = new Float64Array(FIRST_SLOTS);
  private resNotional = new Float64Array(FIRST_SLOTS);
  private resTs = new Float64Array(FIRST_SLOTS);
  private resSym = new Int32Array(FIRST_SLOTS);
  private resRow = new Int32Array(FIRST_SLOTS);
  private mask = FIRST_SLOTS - 1;
  private shift = 32 - Math.log2(FIRST_SLOTS);
  private count = 0;
  /**
   * No reservation is older than this (a lower bound: releases only raise the true oldest), so
   * `expire` scans the table only when one may have outlived the TTL.
   */
  private oldestTs = Number.POSITIVE_INFINITY;

  constructor(private readonly limits: ExposureLimits) {}

  get total(): number {
    return this.global;
  }

  strategyTotal(strategyId: string): number {
    const r = this.findRow(strategyId);
    return r < 0 ? 0 : this.rowTotal[r];
  }

  reservationOf(orderId: number): number {
    const i = this.slotOf(orderId);
    return i < 0 ? 0 : this.resNotional[i];
  }

  get openReservations(): number {
    return this.count;
  }

  /** Null when `notional` more (for an AMEND: the delta over `targetOrderId`'s reservation) fits. */
  check(strategyId: string, symbolId: number, notional: number, targetOrderId: number): GatewayReason | null {
    const delta = targetOrderId > 0 ? notional - this.reservationOf(targetOrderId) : notional;
    if (delta <= 0) return null;
    const L = this.limits;
    if (L.globalMax > 0 && this.global + delta > L.globalMax) return this.reject('GLOBAL_EXPOSURE_LIMIT');
    const r = this.findRow(strategyId);
    const cap = r < 0 ? (L.strategyMax.get(strategyId) ?? L.strategyDefault) : this.rowCap[r];
    if (cap > 0 && (r < 0 ? 0 : this.rowTotal[r]) + delta > cap)
      return this.reject('STRATEGY_EXPOSURE_LIMIT');
    if (this.buckets >= L.maxBuckets && !(r >= 0 && symbolId >= 0 && (this.rowSym[r][symbolId] ?? 0) > 0))
      return this.reject('EXPOSURE_SYMBOL_LIMIT');
    return null;
  }

  /** Books the reservation of a sent order. */
  reserve(orderId: number, strategyId: string, symbolId: number, notional: number, now: Nanos): void {
    if (notional <= 0) return;
    if (!(orderId > 0) || !(symbolId >= 0))
      throw new RangeError(`exposure: bad order ${orderId} or symbol ${symbolId}`);
    const r = this.rowOf(strategyId);
    if (this.slotOf(orderId) >= 0) this.releaseAll(orderId); // a reused id replaces its reservation
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    let i = this.home(orderId);
    while (this.keys[i] !== 0) i = (i + 1) & this.mask;
    this.keys[i] = orderId;
    this.resNotional[i] = notional;
    this.resTs[i] = now;
    this.resSym[i] = symbolId;
    this.resRow[i] = r;
    this.count++;
    if (now < this.oldestTs) this.oldestTs = now;
    this.add(r, symbolId, notional);
    this.counters.reserved++;
  }

  /** AMEND sent as `orderId`: the target's reservation is replaced by the new order's. */
  amend(
    targetOrderId: number,
    orderId: number,
    strategyId: string,
    symbolId: number,
    notional: number,
    now: Nanos,
  ): void {
    // A replace of an order still held by the rate limiter keeps its id (edited in place).
    this.releaseAll(targetOrderId);
    this.reserve(orderId, strategyId, symbolId, notional, now);
  }

  /** A fill of an order: releases the filled part (at most what is left reserved). */
  releaseFill(orderId: number, notional: number): void {
    const i = this.slotOf(orderId);
    if (i < 0) return;
    const part = Math.min(notional, this.resNotional[i]);
    this.resNotional[i] -= part;
    this.add(this.resRow[i], this.resSym[i], -part);
    if (this.resNotional[i] <= 0) {
      this.remove(i);
      this.counters.released++;
    }
  }

  /** The order is done (canceled, rejected, fully filled): releases what it still holds. */
  releaseAll(orderId: number): void {
    const i = this.slotOf(orderId);
    if (i < 0) return;
    this.add(this.resRow[i], this.resSym[i], -this.resNotional[i]);
    this.remove(i);
    this.counters.released++;
  }

  /** Releases reservations older than `ttlNs` (their reports were lost); returns how many. */
  expire(now: Nanos, ttlNs: number): number {
    if (this.count === 0) this.oldestTs = Number.POSITIVE_INFINITY;
    if (now - this.oldestTs < ttlNs) return 0;
    // Collected first: a deletion shifts later entries back into the slot just passed.
    const old: number[] = [];
    let oldest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] === 0) continue;
      const ts = this.resTs[i];
      if (now - ts >= ttlNs) old.push(this.keys[i]);
      else if (ts < oldest) oldest = ts;
    }
    this.oldestTs = oldest;
    for (const id of old) {
      const i = this.slotOf(id);
      this.add(this.resRow[i], this.resSym[i], -this.resNotional[i]);
      this.remove(i);
    }
    this.counters.expired += old.length;
    return old.length;
  }

  private findRow(strategyId: string): number {
    if (strategyId === this.lastId) return this.lastRow;
    const r = this.rowIndex.get(strategyId);
    if (r === undefined) return -1;
    this.lastId = strategyId;
    this.lastRow = r;
    return r;
  }

  private rowOf(strategyId: string): number {
    const found = this.findRow(strategyId);
    if (found >= 0) return found;
    const r = this.rowSym.length;
    if (r === this.rowTotal.length) {
      const t = new Float64Array(r * 2);
      t.set(this.rowTotal);
      this.rowTotal = t;
      const c = new Float64Array(r * 2);
      c.set(this.rowCap);
      this.rowCap = c;
    }
    this.rowCap[r] = this.limits.strategyMax.get(strategyId) ?? this.limits.strategyDefault;
    this.rowSym.push(new Float64Array(16));
    this.rowIndex.set(strategyId, r);
    this.lastId = strategyId;
    this.lastRow = r;
    return r;
  }

  private home(orderId: number): number {
    // Order ids are integers below 2^53: mix the low and high 32 bits, Fibonacci hashing.
    const h = (orderId >>> 0) ^ Math.imul(Math.floor(orderId / 4294967296), 0x85ebca6b);
    return Math.imul(h, 0x9e3779b1) >>> this.shift;
  }

  private slotOf(orderId: number): number {
    if (this.count === 0) return -1;
    let i = this.home(orderId);
    for (;;) {
      const k = this.keys[i];
      if (k === orderId) return i;
      if (k === 0) return -1;
      i = (i + 1) & this.mask;
    }
  }

  /** Empties slot `i`, moving later entries of its probe run back (no tombstones). */
  private remove(i: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j];
      if (k === 0) break;
      const h = this.home(k);
      // The entry at j may move to i unless its home lies cyclically in (i, j].
      if (i <= j ? i < h && h <= j : i < h || h <= j) continue;
      keys[i] = k;
      this.resNotional[i] = this.resNotional[j];
      this.resTs[i] = this.resTs[j];
      this.resSym[i] = this.resSym[j];
      this.resRow[i] = this.resRow[j];
      i = j;
    }
    keys[i] = 0;
    this.count--;
  }

  private grow(): void {
    const keys = this.keys;
    const n = this.resNotional;
    const ts = this.resTs;
    const sym = this.resSym;
    const row = this.resRow;
    const size = keys.length * 2;
    this.keys = new Float64Array(size);
    this.resNotional = new Float64Array(size);
    this.resTs = new Float64Array(size);
    this.resSym = new Int32Array(size);
    this.resRow = new Int32Array(size);
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
    for (let j = 0; j < keys.length; j++) {
      if (keys[j] === 0) continue;
      let i = this.home(keys[j]);
      while (this.keys[i] !== 0) i = (i + 1) & this.mask;
      this.keys[i] = keys[j];
      this.resNotional[i] = n[j];
      this.resTs[i] = ts[j];
      this.resSym[i] = sym[j];
      this.resRow[i] = row[j];
    }
  }

  private add(r: number, symbolId: number, v: number): void {
    if (v === 0) return;
    this.global += v;
    this.rowTotal[r] += v;
    let bySym = this.rowSym[r];
    if (symbolId >= bySym.length) {
      const b = new Float64Array(Math.max(symbolId + 1, bySym.length * 2));
      b.set(bySym);
      this.rowSym[r] = bySym = b;
    }
    const before = bySym[symbolId];
    const after = before + v;
    if (after <= 0) {
      if (before > 0) this.buckets--;
      bySym[symbolId] = 0;
    } else {
      if (before <= 0) this.buckets++;
      bySym[symbolId] = after;
    }
  }

  private reject(r: GatewayReason): GatewayReason {
    this.lastReject = r;
    return r;
  }
}
