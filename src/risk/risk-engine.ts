import type { OrderIntent, RejectReason } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { FastGate } from './fast-gate.ts';
import type { Limits } from './limits.ts';
import {
  checkDuplicate,
  checkOpenOrders,
  checkOrderRate,
  checkPosition,
  checkPriceBand,
  checkSelfTrade,
  type ExposureView,
  RiskSlot,
  recordAccepted,
} from './validators.ts';

export type { ExposureView } from './validators.ts';

export interface RiskCounters {
  checked: number;
  rejected: number;
  byReason: Partial<Record<RejectReason, number>>;
}

/**
 * Pre-trade risk: the FastGate (HALT flag and arithmetic on the intent), then the validators
 * that read exposure, cheapest first: duplicate, order rate, open orders, price band,
 * position (reduce-only in STORM), self-trade. Limits are per strategy and symbol. Returns null
 * when the intent may go, or the reason code of the first failed check; allocation-free
 * once a strategy's slots exist.
 */
export class RiskEngine {
  readonly gate = new FastGate();
  /** StormGuard STORM: only position-reducing orders pass. */
  reduceOnly = false;
  readonly counters: RiskCounters = { checked: 0, rejected: 0, byReason: {} };
  private readonly slots = new Map<string, RiskSlot[]>();
  /** Limits of strategies without their own, per symbol. */
  private readonly symbolDefaults: Limits[];

  constructor(
    private readonly symbols: readonly SymbolSpec[],
    defaults: Limits,
    private readonly view: ExposureView,
  ) {
    this.symbolDefaults = symbols.map(() => defaults);
  }

  /** Kill switch: while set, every new order is rejected HALTED. */
  get halted(): boolean {
    return this.gate.halted;
  }
  set halted(v: boolean) {
    this.gate.halted = v;
  }

  /** Limits of a symbol for every strategy that has none of its own. */
  setSymbolDefaults(symbolId: number, lim: Limits): void {
    this.symbolDefaults[symbolId] = lim;
  }

  /** Limits of one strategy in one symbol (resets that slot's rate and duplicate state). */
  setLimits(strategyId: string, symbolId: number, lim: Limits): void {
    this.row(strategyId)[symbolId] = new RiskSlot(lim);
  }

  /** The limits in force for a strategy and symbol. */
  limits(strategyId: string, symbolId: number): Limits {
    return this.row(strategyId)[symbolId].lim;
  }

  /** Checks a new or replace intent; null = may go, else why not. Counts rejections by reason. */
  check(it: OrderIntent): RejectReason | null {
    this.counters.checked++;
    const reason = this.evaluate(it);
    if (reason !== null) {
      this.counters.rejected++;
      this.counters.byReason[reason] = (this.counters.byReason[reason] ?? 0) + 1;
    }
    return reason;
  }

  /** An intent that passed went out as `orderId`: feeds the order-rate and duplicate validators. */
  accepted(it: OrderIntent, orderId: number): void {
    const row = it.strategyId === this.lastId ? this.lastRow : this.slots.get(it.strategyId);
    const slot = row?.[it.symbolId];
    if (slot !== undefined) recordAccepted(it, slot, orderId);
  }

  private evaluate(it: OrderIntent): RejectReason | null {
    const spec = this.symbols[it.symbolId];
    if (spec === undefined) return this.gate.halted ? 'HALTED' : 'UNKNOWN_SYMBOL';
    const slot = this.row(it.strategyId)[it.symbolId];
    const lim = slot.lim;
    const fast = this.gate.check(it, spec, lim);
    if (fast !== null) return fast;
    const v = this.view;
    if (it.action === 'replace') {
      const t = v.order(it.targetOrderId);
      if (
        t === undefined ||
        t.strategyId !== it.strategyId ||
        t.symbolId !== it.symbolId ||
        t.side !== it.side
      )
        return 'UNKNOWN_ORDER';
    }
    return (
      checkDuplicate(it, slot, v) ??
      checkOrderRate(it, slot) ??
      checkOpenOrders(it, lim, v) ??
      checkPriceBand(it, spec, lim, v) ??
      checkPosition(it, lim, v, this.reduceOnly) ??
      checkSelfTrade(it, lim, v)
    );
  }

  private row(strategyId: string): RiskSlot[] {
    // One strategy sends most intents in a row (a backtest: all of them): no string-keyed lookup then.
    if (strategyId === this.lastId) return this.lastRow!;
    let row = this.slots.get(strategyId);
    if (row === undefined) {
      row = this.symbolDefaults.map((lim) => new RiskSlot(lim));
      this.slots.set(strategyId, row);
    }
    this.lastId = strategyId;
    this.lastRow = row;
    return row;
  }

  /** The strategy of the last `row` lookup and its row (rows are never replaced in `slots`). */
  private lastId: string | null = null;
  private lastRow: RiskSlot[] | null = null;
}
