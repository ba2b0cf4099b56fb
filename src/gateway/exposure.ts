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

/** One order's reservation: released on fill (by the filled part), cancel, reject or TTL. */
interface Reservation {
  strategyId: string;
  symbolId: number;
  notional: number;
  ts: Nanos;
  row: StrategyRow;
}

interface StrategyRow {
  total: number;
  bySymbol: Map<number, number>;
}

/**
 * Account-wide open-order exposure (the original's gateway/exposure.py), in integer money
 * units: global and per strategy, per-order reservations. A NEW is checked with its full
 * notional; an AMEND by its delta against the order it replaces (only a positive delta is
 * checked) and the reservation moves to the new order. CANCEL and FORCE_FLAT are not checked.
 * `check` decides without changing anything; `reserve`/`amend` book an order once it is sent.
 */
export class ExposureStore {
  private global = 0;
  private readonly rows = new Map<string, StrategyRow>();
  private readonly orders = new Map<number, Reservation>();
  private buckets = 0;
  lastReject: GatewayReason = 'GLOBAL_EXPOSURE_LIMIT';
  readonly counters = { reserved: 0, released: 0, expired: 0 };

  constructor(private readonly limits: ExposureLimits) {}

  get total(): number {
    return this.global;
  }

  strategyTotal(strategyId: string): number {
    return this.rows.get(strategyId)?.total ?? 0;
  }

  reservationOf(orderId: number): number {
    return this.orders.get(orderId)?.notional ?? 0;
  }

  get openReservations(): number {
    return this.orders.size;
  }

  /** Null when `notional` more (for an AMEND: the delta over `targetOrderId`'s reservation) fits. */
  check(strategyId: string, symbolId: number, notional: number, targetOrderId: number): GatewayReason | null {
    const delta = targetOrderId > 0 ? notional - this.reservationOf(targetOrderId) : notional;
    if (delta <= 0) return null;
    const L = this.limits;
    if (L.globalMax > 0 && this.global + delta > L.globalMax) return this.reject('GLOBAL_EXPOSURE_LIMIT');
    const row = this.rows.get(strategyId);
    const cap = L.strategyMax.get(strategyId) ?? L.strategyDefault;
    if (cap > 0 && (row?.total ?? 0) + delta > cap) return this.reject('STRATEGY_EXPOSURE_LIMIT');
    if (this.buckets >= L.maxBuckets && !((row?.bySymbol.get(symbolId) ?? 0) > 0))
      return this.reject('EXPOSURE_SYMBOL_LIMIT');
    return null;
  }

  /** Books the reservation of a sent order. */
  reserve(orderId: number, strategyId: string, symbolId: number, notional: number, now: Nanos): void {
    if (notional <= 0) return;
    let row = this.rows.get(strategyId);
    if (row === undefined) {
      row = { total: 0, bySymbol: new Map() };
      this.rows.set(strategyId, row);
    }
    this.orders.set(orderId, { strategyId, symbolId, notional, ts: now, row });
    this.add(row, symbolId, notional);
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
    const r = this.orders.get(orderId);
    if (r === undefined) return;
    const part = Math.min(notional, r.notional);
    r.notional -= part;
    this.add(r.row, r.symbolId, -part);
    if (r.notional <= 0) {
      this.orders.delete(orderId);
      this.counters.released++;
    }
  }

  /** The order is done (canceled, rejected, fully filled): releases what it still holds. */
  releaseAll(orderId: number): void {
    const r = this.orders.get(orderId);
    if (r === undefined) return;
    this.orders.delete(orderId);
    this.add(r.row, r.symbolId, -r.notional);
    this.counters.released++;
  }

  /** Releases reservations older than `ttlNs` (their reports were lost); returns how many. */
  expire(now: Nanos, ttlNs: number): number {
    let n = 0;
    for (const [id, r] of this.orders) {
      if (now - r.ts < ttlNs) continue;
      this.orders.delete(id);
      this.add(r.row, r.symbolId, -r.notional);
      n++;
    }
    this.counters.expired += n;
    return n;
  }

  private add(row: StrategyRow, symbolId: number, v: number): void {
    if (v === 0) return;
    this.global += v;
    row.total += v;
    const before = row.bySymbol.get(symbolId) ?? 0;
    const after = before + v;
    if (after <= 0) {
      if (before > 0) this.buckets--;
      row.bySymbol.delete(symbolId);
    } else {
      if (before <= 0) this.buckets++;
      row.bySymbol.set(symbolId, after);
    }
  }

  private reject(r: GatewayReason): GatewayReason {
    this.lastReject = r;
    return r;
  }
}
