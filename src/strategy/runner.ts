import type { BusSlot } from '../bus/event-bus.ts';
import { type LobStats, MdKind, type Side, type TradeEvent } from '../contracts/market.ts';
import {
  blankIntent,
  type ExecReport,
  type OrderIntent,
  type RejectReason,
  type TimeInForce,
} from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Epoch, Nanos } from '../core/clock.ts';
import type { LatencyHistogram } from '../core/histogram.ts';
import type { Logger } from '../core/logger.ts';
import type { Scheduler } from '../core/scheduler.ts';
import type { Position, PositionStore } from '../execution/positions.ts';
import type { FeatureEngine, FeatureView } from '../features/feature-engine.ts';
import type { FeatureHub } from '../features/feature-hub.ts';
import type { GatewayPipeline } from '../gateway/pipeline.ts';
import type { LobEngine } from '../lob/lob-engine.ts';
import type { OrderBook } from '../lob/order-book.ts';
import type { OrderAdapter } from '../order/order-adapter.ts';
import type { OrderState } from '../order/order-state.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import type { Strategy, StrategyContext } from './sdk.ts';

export interface RunnerDeps {
  scheduler: Scheduler;
  symbols: readonly SymbolSpec[];
  lob: LobEngine;
  risk: RiskEngine;
  orders: OrderAdapter;
  /** The order/risk gateway every intent goes through (dedup, TTL, policy, exposure, risk, adapter). */
  gateway: GatewayPipeline;
  positions: PositionStore;
  log: Logger;
  /** Event -> intent latency (ns), recorded when a strategy forms an intent. */
  intentLatency: LatencyHistogram;
  /** Disable a strategy after this many callback errors (`strategy.max_errors`). */
  maxErrors: number;
  /** The feature plane; required when a strategy declares a featureSet. */
  features?: FeatureHub;
}

export interface RunnerCounters {
  intents: number;
  /** Refused by risk or the gateway's policy, TTL and exposure stages. */
  rejected: number;
  /** Passed risk, refused by the order adapter (rate limit, circuit breaker, unknown target). */
  adapterRejected: number;
  errors: number;
}

/** An order sent to take a position toward flat (see `reduce`): `orderId` 0 = refused for `reason`. */
export interface ReduceOrder {
  symbolId: number;
  symbol: string;
  side: Side;
  qty: number;
  /** Scaled price (the opposite best), 0 when that side of the book is empty. */
  price: number;
  orderId: number;
  reason: string;
}

/** One strategy's health, for the run summary. */
export interface StrategyStatus {
  id: string;
  enabled: boolean;
  errors: number;
}

/** Per-strategy context: the strategy's only door to the rest of the system. */
class Context implements StrategyContext {
  readonly log: Logger;
  errors = 0;
  /** Errors counted before the operator last enabled the strategy (maxErrors counts from there). */
  errorBase = 0;
  /** Gets market data and may send orders. */
  enabled = true;
  /** Disabled after too many errors: gets nothing at all until the operator enables it. */
  failed = false;
  private readonly featureEngine: FeatureEngine | null;
  private readonly positions: Position[] = [];

  constructor(
    readonly strategy: Strategy,
    private readonly runner: StrategyRunner,
    private readonly d: RunnerDeps,
  ) {
    this.log = d.log.child({ strategy: strategy.id });
    const set = strategy.featureSet;
    if (set !== null && d.features === undefined)
      throw new Error(`strategy ${strategy.id} reads feature set ${set} but no feature plane is wired`);
    this.featureEngine = set === null ? null : d.features!.require(set);
  }

  get strategyId(): string {
    return this.strategy.id;
  }
  now(): Nanos {
    return this.d.scheduler.clock.nowNs();
  }
  get epoch(): Epoch {
    return this.d.scheduler.clock.epoch;
  }
  symbol(code: string): SymbolSpec {
    const s = this.d.symbols.find((x) => x.code === code);
    if (s === undefined) throw new Error(`unknown symbol ${code}`);
    return s;
  }
  book(symbolId: number): OrderBook {
    return this.d.lob.book(symbolId);
  }
  stats(symbolId: number): LobStats {
    return this.d.lob.stats(symbolId);
  }
  features(symbolId: number): FeatureView {
    if (this.featureEngine === null)
      throw new Error(`strategy ${this.strategy.id} reads features but declares no featureSet`);
    return this.featureEngine.view(symbolId);
  }
  position(symbolId: number): number {
    // Positions are never replaced: keep this strategy's (skips a map lookup on every book update).
    return (this.positions[symbolId] ??= this.d.positions.get(this.strategy.id, symbolId)).qty;
  }
  reduceOnly(): boolean {
    return this.d.risk.reduceOnly || this.d.risk.gate.halted;
  }
  openOrders(): ReadonlySet<OrderState> {
    return this.d.orders.openOrders(this.strategy.id);
  }
  place(symbolId: number, side: Side, price: number, qty: number, tif: TimeInForce = 'GTC'): number {
    return this.runner.submit(this, symbolId, side, price, qty, tif);
  }
  cancel(orderId: number): boolean {
    const o = this.d.orders.get(orderId);
    if (o === undefined || o.strategyId !== this.strategy.id) return false;
    return this.d.orders.cancel(orderId);
  }
  replace(orderId: number, price: number, qty: number): number {
    return this.runner.replace(this, orderId, price, qty);
  }
  setTimer(delayNs: Nanos, tag = 0): void {
    this.d.scheduler.after(delayNs, (t: number) => this.runner.timer(this, t), tag);
  }
}

/**
 * Runs strategies: dispatches bus events and execution reports to the strategies that
 * subscribe to the symbol, turns their orders into intents, and passes them through risk.
 * A strategy that throws is isolated: its error is counted and logged, and after
 * `maxErrors` it is disabled while the others keep trading.
 */
export class StrategyRunner {
  private readonly contexts: Context[] = [];
  private readonly bySymbol: Context[][] = [];
  private readonly byId = new Map<string, Context>();
  /** The context of the last report's strategy (contexts are never removed). */
  private lastReported: Context | undefined = undefined;
  private nextIntentId = 1;
  /** The intent being checked: reused (risk and the adapter copy what they keep), so a rejection allocates nothing. */
  private readonly scratch: OrderIntent = blankIntent();
  /** Why the last dispatched intent was refused (risk or adapter reason); '' after an accepted one. */
  private lastRefusal = '';
  /** performance.now() (ms) when the market-data event being processed arrived; 0 outside one. */
  eventT0 = 0;
  readonly counters: RunnerCounters = { intents: 0, rejected: 0, adapterRejected: 0, errors: 0 };

  constructor(private readonly d: RunnerDeps) {
    for (let i = 0; i < d.symbols.length; i++) this.bySymbol.push([]);
  }

  add(strategy: Strategy): void {
    if (this.byId.has(strategy.id)) throw new Error(`duplicate strategy id ${strategy.id}`);
    const ctx = new Context(strategy, this, this.d);
    this.contexts.push(ctx);
    this.byId.set(strategy.id, ctx);
    for (const s of strategy.symbols) this.bySymbol[s.id].push(ctx);
  }

  get strategies(): readonly Strategy[] {
    return this.contexts.map((c) => c.strategy);
  }

  isEnabled(strategyId: string): boolean {
    return this.byId.get(strategyId)?.enabled ?? false;
  }

  /**
   * Operator switch. A disabled strategy gets no market data and its orders are refused; its
   * working orders are cancelled, and it still gets their reports and its timers, so its own
   * view of its orders stays true for when it is enabled again. Enabling a strategy that was
   * disabled for throwing gives it `maxErrors` errors again. Returns the cancels accepted,
   * null for an unknown id.
   */
  setEnabled(strategyId: string, enabled: boolean): number | null {
    const c = this.byId.get(strategyId);
    if (c === undefined) return null;
    if (enabled) {
      if (c.failed) c.errorBase = c.errors;
      c.failed = false;
      c.enabled = true;
      return 0;
    }
    c.enabled = false;
    return this.d.orders.cancelAll(strategyId);
  }

  /**
   * Sends, for each symbol where the strategy holds a position, one IOC order against it at the
   * opposite best price, of at most its max_order_qty: through risk and the order adapter like
   * any order, so HALT, reduce-only, price bands and self-trade prevention apply. Null for an
   * unknown id.
   */
  reduce(strategyId: string): ReduceOrder[] | null {
    const c = this.byId.get(strategyId);
    if (c === undefined) return null;
    const out: ReduceOrder[] = [];
    for (const spec of c.strategy.symbols) {
      const pos = this.d.positions.get(strategyId, spec.id).qty;
      if (pos === 0) continue;
      const side: Side = pos > 0 ? -1 : 1;
      const st = this.d.lob.stats(spec.id);
      const price = side < 0 ? st.bestBid : st.bestAsk;
      const max = this.d.risk.limits(strategyId, spec.id).maxOrderQty;
      const lot = Math.max(1, spec.lotSize);
      const qty = Math.floor(Math.min(Math.abs(pos), max) / lot) * lot;
      const order: ReduceOrder = {
        symbolId: spec.id,
        symbol: spec.code,
        side,
        qty,
        price,
        orderId: 0,
        reason: '',
      };
      if (price <= 0) order.reason = 'NO_REFERENCE_PRICE';
      else if (qty <= 0) order.reason = 'MAX_ORDER_QTY';
      else {
        order.orderId = this.dispatch(c, this.intent(c, 'new', spec.id, side, price, qty, 'IOC', 0));
        order.reason = order.orderId === 0 ? this.lastRefusal : '';
      }
      out.push(order);
    }
    return out;
  }

  status(): StrategyStatus[] {
    return this.contexts.map((c) => ({ id: c.strategy.id, enabled: c.enabled, errors: c.errors }));
  }

  /** The strategies' own reports (Strategy.report) by id, those that have one. */
  reports(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const c of this.contexts) {
      const r = c.strategy.report();
      if (r !== null) out[c.strategy.id] = r;
    }
    return out;
  }

  /**
   * Market data reaches strategies only between start() and stop(): a live venue streams books
   * while the account is still being read (startup reconciliation), and a strategy quoting then
   * would trade before it knows its position, and before its own onStart.
   */
  private started = false;

  start(): void {
    for (const c of this.contexts) this.guard(c, () => c.strategy.onStart(c));
    this.started = true;
  }

  stop(): void {
    this.started = false;
    for (const c of this.contexts) this.guard(c, () => c.strategy.onStop(c));
  }

  /** Bus consumer: book updates and trades to subscribed strategies. */
  readonly onSlot = (slot: BusSlot): void => {
    if (!this.started) return;
    const ev = slot.event!;
    const subs = this.bySymbol[ev.symbolId];
    if (subs === undefined) return;
    if (ev.kind === MdKind.Trade) {
      for (let i = 0; i < subs.length; i++) {
        const c = subs[i];
        if (c.enabled) this.guardTrade(c, ev);
      }
    } else if (slot.stats !== null) {
      for (let i = 0; i < subs.length; i++) {
        const c = subs[i];
        if (c.enabled) this.guardBook(c, slot.stats);
      }
    }
  };

  /** Execution reports to the strategy that owns the order. */
  onReport(r: ExecReport): void {
    // One strategy gets most reports in a row (a backtest: all of them): no string-keyed lookup then.
    let c = this.lastReported;
    if (c === undefined || c.strategy.id !== r.strategyId)
      c = this.lastReported = this.byId.get(r.strategyId);
    if (c === undefined || c.failed) return;
    try {
      c.strategy.onOrderUpdate(c, r);
      if (r.type === 'fill' || r.type === 'partial') c.strategy.onFill(c, r);
    } catch (err) {
      this.failed(c, err);
    }
  }

  timer(c: Context, tag: number): void {
    if (!c.failed) this.guard(c, () => c.strategy.onTimer(c, tag));
  }

  /** Builds a new-order intent, runs risk and sends it; returns the client order id or 0. */
  submit(c: Context, symbolId: number, side: Side, price: number, qty: number, tif: TimeInForce): number {
    if (!c.enabled) return this.disabled();
    if (this.eventT0 > 0) this.d.intentLatency.record((performance.now() - this.eventT0) * 1e6);
    return this.dispatch(c, this.intent(c, 'new', symbolId, side, price, qty, tif, 0));
  }

  /** Builds a cancel/replace intent for one of the strategy's orders; returns the standing order id or 0. */
  replace(c: Context, orderId: number, price: number, qty: number): number {
    if (!c.enabled) return this.disabled();
    if (this.eventT0 > 0) this.d.intentLatency.record((performance.now() - this.eventT0) * 1e6);
    // An unknown target still goes through risk, which rejects it (UNKNOWN_ORDER) and counts it.
    const o = this.d.orders.get(orderId);
    const it = this.intent(
      c,
      'replace',
      o?.symbolId ?? 0,
      o?.side ?? 1,
      price,
      qty,
      o?.tif ?? 'GTC',
      orderId,
    );
    return this.dispatch(c, it);
  }

  /** An order of a disabled strategy: refused before risk (it is not a risk decision). */
  private disabled(): number {
    this.lastRefusal = 'STRATEGY_DISABLED';
    return 0;
  }

  private intent(
    c: Context,
    action: 'new' | 'replace',
    symbolId: number,
    side: Side,
    price: number,
    qty: number,
    tif: TimeInForce,
    targetOrderId: number,
  ): OrderIntent {
    const it = this.scratch;
    it.intentId = this.nextIntentId++;
    it.strategyId = c.strategy.id;
    it.symbolId = symbolId;
    it.action = action;
    it.side = side;
    it.price = price;
    it.qty = qty;
    it.tif = tif;
    it.targetOrderId = targetOrderId;
    it.ts = this.d.scheduler.clock.nowNs();
    return it;
  }

  private dispatch(c: Context, it: OrderIntent): number {
    this.counters.intents++;
    const gw = this.d.gateway;
    const id = gw.submit(it, it.action === 'replace' ? 'AMEND' : 'NEW', '', 0, 0);
    if (id !== 0) {
      this.lastRefusal = '';
      return id;
    }
    const reason = gw.lastReason as RejectReason;
    this.lastRefusal = reason;
    const byAdapter = gw.lastStage === 'adapter';
    if (byAdapter) this.counters.adapterRejected++;
    else this.counters.rejected++;
    // The logger summarises repeats (first line, then counts per window).
    if (c.log.isLevelEnabled('warn'))
      c.log.warn(
        {
          reason,
          action: it.action,
          symbolId: it.symbolId,
          side: it.side,
          price: it.price,
          qty: it.qty,
          count: gw.counters.byReason[reason] ?? 0,
        },
        byAdapter
          ? 'order adapter refused intent'
          : gw.lastStage === 'risk'
            ? 'risk rejected intent'
            : 'gateway rejected intent',
      );
    return 0;
  }

  private guardBook(c: Context, st: LobStats): void {
    try {
      c.strategy.onBook(c, st);
    } catch (err) {
      this.failed(c, err);
    }
  }

  private guardTrade(c: Context, ev: TradeEvent): void {
    try {
      c.strategy.onTrade(c, ev);
    } catch (err) {
      this.failed(c, err);
    }
  }

  private guard(c: Context, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.failed(c, err);
    }
  }

  private failed(c: Context, err: unknown): void {
    c.errors++;
    this.counters.errors++;
    c.log.error({ err, errors: c.errors }, 'strategy callback threw');
    if (c.errors - c.errorBase >= this.d.maxErrors && !c.failed) {
      c.enabled = false;
      c.failed = true;
      c.log.error({ errors: c.errors }, 'strategy disabled after too many errors');
      this.d.orders.cancelAll(c.strategy.id);
    }
  }
}
