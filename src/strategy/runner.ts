import type { BusSlot } from '../bus/event-bus.ts';
import { type LobStats, MdKind, type Side, type TradeEvent } from '../contracts/market.ts';
import type { ExecReport, OrderIntent, TimeInForce } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Nanos } from '../core/clock.ts';
import type { LatencyHistogram } from '../core/histogram.ts';
import type { Logger } from '../core/logger.ts';
import type { Scheduler } from '../core/scheduler.ts';
import type { PositionStore } from '../execution/positions.ts';
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
  positions: PositionStore;
  log: Logger;
  /** Event -> intent latency (ns), recorded when a strategy forms an intent. */
  intentLatency: LatencyHistogram;
  /** Disable a strategy after this many callback errors. */
  maxErrors: number;
}

export interface RunnerCounters {
  intents: number;
  rejected: number;
  errors: number;
}

/** Per-strategy context: the strategy's only door to the rest of the system. */
class Context implements StrategyContext {
  readonly log: Logger;
  errors = 0;
  enabled = true;

  constructor(
    readonly strategy: Strategy,
    private readonly runner: StrategyRunner,
    private readonly d: RunnerDeps,
  ) {
    this.log = d.log.child({ strategy: strategy.id });
  }

  get strategyId(): string {
    return this.strategy.id;
  }
  now(): Nanos {
    return this.d.scheduler.clock.nowNs();
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
  position(symbolId: number): number {
    return this.d.positions.get(this.strategy.id, symbolId).qty;
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
  private nextIntentId = 1;
  /** performance.now() (ms) when the market-data event being processed arrived; 0 outside one. */
  eventT0 = 0;
  readonly counters: RunnerCounters = { intents: 0, rejected: 0, errors: 0 };

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

  start(): void {
    for (const c of this.contexts) this.guard(c, () => c.strategy.onStart(c));
  }

  stop(): void {
    for (const c of this.contexts) this.guard(c, () => c.strategy.onStop(c));
  }

  /** Bus consumer: book updates and trades to subscribed strategies. */
  readonly onSlot = (slot: BusSlot): void => {
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
    const c = this.byId.get(r.strategyId);
    if (c === undefined || !c.enabled) return;
    this.guard(c, () => {
      c.strategy.onOrderUpdate(c, r);
      if (r.type === 'fill' || r.type === 'partial') c.strategy.onFill(c, r);
    });
  }

  timer(c: Context, tag: number): void {
    if (c.enabled) this.guard(c, () => c.strategy.onTimer(c, tag));
  }

  /** Builds an intent, runs risk and sends it; returns the client order id or 0. */
  submit(c: Context, symbolId: number, side: Side, price: number, qty: number, tif: TimeInForce): number {
    if (this.eventT0 > 0) this.d.intentLatency.record((performance.now() - this.eventT0) * 1e6);
    const intent: OrderIntent = {
      intentId: this.nextIntentId++,
      strategyId: c.strategy.id,
      symbolId,
      action: 'new',
      side,
      price,
      qty,
      tif,
      targetOrderId: 0,
      ts: this.d.scheduler.clock.nowNs(),
    };
    this.counters.intents++;
    const reason = this.d.risk.check(intent);
    if (reason !== null) {
      this.counters.rejected++;
      // Log the first of each reason per strategy, then every 1000th, to keep logs readable.
      const n = this.d.risk.counters.byReason[reason] ?? 0;
      if (n === 1 || n % 1000 === 0) {
        c.log.warn({ reason, symbolId, side, price, qty, count: n }, 'risk rejected intent');
      }
      return 0;
    }
    return this.d.orders.send(intent).orderId;
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
    if (c.errors >= this.d.maxErrors && c.enabled) {
      c.enabled = false;
      c.log.error({ errors: c.errors }, 'strategy disabled after too many errors');
      for (const o of this.d.orders.openOrders(c.strategy.id)) this.d.orders.cancel(o.orderId);
    }
  }
}
