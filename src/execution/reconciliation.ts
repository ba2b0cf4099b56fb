import type { SymbolSpec } from '../contracts/symbols.ts';
import type { VenueAccount } from '../contracts/venue.ts';
import { NS_PER_MS } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { Scheduler } from '../core/scheduler.ts';
import type { OrderAdapter } from '../order/order-adapter.ts';
import { isOpen } from '../order/order-state.ts';
import type { PositionStore } from './positions.ts';
import type { ExecutionRouter } from './router.ts';

export interface ReconOptions {
  intervalNs: number;
  /** Consecutive critical observations of one difference before HALT. */
  debounce: number;
  /** Same, when the venue reports flat while we hold a position. */
  brokerZeroDebounce: number;
  /** Stocks: a difference is critical above max(shares, pct% of |local|); futures: any. */
  stockToleranceShares: number;
  stockTolerancePct: number;
  /** Orphan callbacks are matched for this long, then settled (booked as unattributed). */
  orphanTtlNs: number;
}

/** One symbol whose local and venue positions differ. */
export interface Discrepancy {
  symbol: string;
  local: number;
  venue: number;
  diff: number;
  critical: boolean;
  /** Consecutive checks it has been critical. */
  observations: number;
}

export interface ReconCounters {
  checks: number;
  /** Checks that found any position difference. */
  dirty: number;
  /** Critical findings that reached their debounce (each calls onCritical). */
  critical: number;
  /** Local orders the venue no longer had, closed locally. */
  repairedOrders: number;
}

export interface ReconHooks {
  /** A critical mismatch passed its debounce (StormGuard HALT). */
  onCritical(reason: string): void;
  /** A check found nothing critical (lets a reconciliation HALT latch go). */
  onClean(): void;
}

/**
 * Periodically compares local positions (all strategies, per symbol) and working orders with the
 * venue's account view. A position difference is critical if the signs differ, or for futures
 * any |diff| >= 1, for stocks |diff| > max(shares, pct% of |local|); after `debounce`
 * consecutive critical observations it calls onCritical (HALT). A venue order we do not hold
 * open is critical after the same debounce; a local open order the venue no longer has is
 * closed locally. Also settles orphan callbacks past their time to live.
 */
export class Reconciler {
  readonly counters: ReconCounters = { checks: 0, dirty: 0, critical: 0, repairedOrders: 0 };
  /** Position differences found by the last check. */
  last: Discrepancy[] = [];
  /** Last critical finding, '' when none. */
  lastCritical = '';
  private readonly observed: Int32Array;
  private readonly injected: Float64Array;
  private readonly venueOnly = new Map<number, number>();
  private readonly localOnly = new Map<number, number>();
  private running = false;

  constructor(
    private readonly symbols: readonly SymbolSpec[],
    private readonly positions: PositionStore,
    private readonly orders: OrderAdapter,
    private readonly router: ExecutionRouter,
    private readonly account: VenueAccount,
    private readonly scheduler: Scheduler,
    private readonly o: ReconOptions,
    private readonly log: Logger,
    private readonly hooks: ReconHooks,
  ) {
    this.observed = new Int32Array(symbols.length);
    this.injected = new Float64Array(symbols.length);
  }

  start(): void {
    this.running = true;
    this.scheduler.after(this.o.intervalNs, this.tick);
  }

  stop(): void {
    this.running = false;
  }

  /** Test hook: adds `qty` to the venue's reported position in a symbol (simulates a lost or phantom fill). */
  injectMismatch(symbolId: number, qty: number): void {
    this.injected[symbolId] += qty;
  }

  private readonly tick = (): void => {
    if (!this.running) return;
    this.check();
    this.scheduler.after(this.o.intervalNs, this.tick);
  };

  /** One reconciliation pass. */
  check(): void {
    const now = this.scheduler.clock.nowNs();
    this.counters.checks++;
    this.router.settleOrphans(now, this.o.orphanTtlNs);
    let critical = '';
    const venuePos = this.account.positions();
    const found: Discrepancy[] = [];
    for (const spec of this.symbols) {
      const id = spec.id;
      const local = this.positions.netQty(id);
      const venue = (venuePos.get(id) ?? 0) + this.injected[id];
      const diff = venue - local;
      if (diff === 0) {
        this.observed[id] = 0;
        continue;
      }
      const isCritical = this.isCritical(spec, local, venue, diff);
      this.observed[id] = isCritical ? this.observed[id] + 1 : 0;
      found.push({
        symbol: spec.code,
        local,
        venue,
        diff,
        critical: isCritical,
        observations: this.observed[id],
      });
      const needed = venue === 0 && local !== 0 ? this.o.brokerZeroDebounce : this.o.debounce;
      if (isCritical && this.observed[id] >= needed && critical === '')
        critical = `recon_mismatch ${spec.code}: local ${local} venue ${venue} (${this.observed[id]} checks)`;
    }
    this.last = found;
    if (found.length > 0) {
      this.counters.dirty++;
      this.log.warn({ discrepancies: found }, 'reconciliation: positions differ from the venue');
    }
    const orderIssue = this.checkOrders();
    if (critical === '') critical = orderIssue;
    if (critical !== '') {
      this.counters.critical++;
      this.lastCritical = critical;
      this.log.error({ reason: critical }, 'reconciliation: critical mismatch');
      this.hooks.onCritical(critical);
    } else if (!found.some((d) => d.critical) && this.venueOnly.size === 0) this.hooks.onClean();
  }

  private isCritical(spec: SymbolSpec, local: number, venue: number, diff: number): boolean {
    if (local !== 0 && venue !== 0 && Math.sign(local) !== Math.sign(venue)) return true;
    if (spec.type !== 'stock') return Math.abs(diff) >= 1;
    return (
      Math.abs(diff) >
      Math.max(this.o.stockToleranceShares, (Math.abs(local) * this.o.stockTolerancePct) / 100)
    );
  }

  /** Open orders on one side only, debounced; returns a critical reason or ''. */
  private checkOrders(): string {
    const atVenue = this.account.openOrderIds();
    let critical = '';
    const seenVenue = new Set<number>();
    for (const id of atVenue) {
      const o = this.orders.get(id);
      if (o !== undefined && isOpen(o)) continue;
      seenVenue.add(id);
      const n = (this.venueOnly.get(id) ?? 0) + 1;
      this.venueOnly.set(id, n);
      if (n >= this.o.debounce && critical === '')
        critical = `recon_order_mismatch: order ${id} working at the venue, not open locally (${n} checks)`;
    }
    for (const id of this.venueOnly.keys()) if (!seenVenue.has(id)) this.venueOnly.delete(id);

    const seenLocal = new Set<number>();
    for (const o of [...this.orders.allOpen()]) {
      // In flight or never sent: the venue cannot know it yet.
      if (o.queued || o.status === 'pending_new' || atVenue.has(o.orderId)) continue;
      seenLocal.add(o.orderId);
      const n = (this.localOnly.get(o.orderId) ?? 0) + 1;
      this.localOnly.set(o.orderId, n);
      if (n >= this.o.debounce) {
        this.localOnly.delete(o.orderId);
        this.counters.repairedOrders++;
        this.log.warn(
          { orderId: o.orderId },
          'reconciliation: venue no longer has this order; closed locally',
        );
        this.router.finishLocally(o, 'canceled', 'UNKNOWN_ORDER');
      }
    }
    for (const id of this.localOnly.keys()) if (!seenLocal.has(id)) this.localOnly.delete(id);
    return critical;
  }
}

/** Config (ms) to options (ns). */
export function reconOptions(r: {
  interval_ms: number;
  debounce: number;
  broker_zero_debounce: number;
  stock_tolerance_shares: number;
  stock_tolerance_pct: number;
  orphan_ttl_ms: number;
}): ReconOptions {
  return {
    intervalNs: r.interval_ms * NS_PER_MS,
    debounce: r.debounce,
    brokerZeroDebounce: r.broker_zero_debounce,
    stockToleranceShares: r.stock_tolerance_shares,
    stockTolerancePct: r.stock_tolerance_pct,
    orphanTtlNs: r.orphan_ttl_ms * NS_PER_MS,
  };
}
