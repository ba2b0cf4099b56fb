import type { LobStats } from '../contracts/market.ts';
import type { OrderIntent, RejectReason } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { onTick, tickAt } from '../core/ticks.ts';

/** Limits of one strategy (defaults merged with its overrides). */
export interface Limits {
  maxOrderQty: number;
  maxPosition: number;
  priceBandTicks: number;
}

/** What risk needs to know about current exposure; provided by the execution plane. */
export interface ExposureView {
  position(strategyId: string, symbolId: number): number;
  openQty(strategyId: string, symbolId: number, side: 1 | -1): number;
  stats(symbolId: number): LobStats;
}

export interface RiskCounters {
  checked: number;
  rejected: number;
  byReason: Partial<Record<RejectReason, number>>;
}

/**
 * Pre-trade checks, cheapest first, allocation-free on the pass path. Returns null when
 * the intent may go, or the reason code of the first failed check.
 */
export class RiskEngine {
  private readonly limits = new Map<string, Limits>();
  halted = false;
  readonly counters: RiskCounters = { checked: 0, rejected: 0, byReason: {} };

  constructor(
    private readonly symbols: readonly SymbolSpec[],
    private readonly defaults: Limits,
    private readonly exposure: ExposureView,
  ) {}

  setLimits(strategyId: string, overrides: Partial<Limits>): void {
    this.limits.set(strategyId, { ...this.defaults, ...overrides });
  }

  check(intent: OrderIntent): RejectReason | null {
    this.counters.checked++;
    const reason = this.evaluate(intent);
    if (reason !== null) {
      this.counters.rejected++;
      this.counters.byReason[reason] = (this.counters.byReason[reason] ?? 0) + 1;
    }
    return reason;
  }

  private evaluate(it: OrderIntent): RejectReason | null {
    if (this.halted) return 'HALTED';
    const spec = this.symbols[it.symbolId];
    if (spec === undefined) return 'UNKNOWN_SYMBOL';
    const lim = this.limits.get(it.strategyId) ?? this.defaults;
    if (!(it.qty > 0) || !Number.isInteger(it.qty)) return 'QTY_INVALID';
    if (!(it.price > 0) || !Number.isInteger(it.price)) return 'PRICE_INVALID';
    if (it.qty > lim.maxOrderQty) return 'MAX_ORDER_QTY';
    if (it.qty % spec.lotSize !== 0) return 'LOT_SIZE';
    if (!onTick(spec, it.price)) return 'TICK_SIZE';
    const mid = this.exposure.stats(it.symbolId).mid;
    if (!(mid > 0)) return 'NO_REFERENCE_PRICE';
    if (Math.abs(it.price - mid) > lim.priceBandTicks * tickAt(spec, mid)) return 'PRICE_BAND';
    // Worst case: every working order on this side fills.
    const pos = this.exposure.position(it.strategyId, it.symbolId);
    const working = this.exposure.openQty(it.strategyId, it.symbolId, it.side);
    if (Math.abs(pos + it.side * (working + it.qty)) > lim.maxPosition) return 'MAX_POSITION';
    return null;
  }
}
