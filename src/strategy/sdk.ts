import type { LobStats, Side, TradeEvent } from '../contracts/market.ts';
import type { ExecReport, TimeInForce } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Epoch, Nanos } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { FeatureView } from '../features/feature-engine.ts';
import type { OrderBook } from '../lob/order-book.ts';
import type { OrderState } from '../order/order-state.ts';

/** What a strategy can see and do. The same context runs in sim, replay, backtest and live. */
export interface StrategyContext {
  readonly strategyId: string;
  readonly log: Logger;
  /** Now, in ns relative to `epoch` (like every time the strategy sees: exchTs, localTs, report times). */
  now(): Nanos;
  /** Absolute origin of the run's times: `epoch.toIso(ctx.now())`, `epoch.toAbs(st.exchTs)` (exact ns since 1970). */
  readonly epoch: Epoch;
  symbol(code: string): SymbolSpec;
  book(symbolId: number): OrderBook;
  stats(symbolId: number): LobStats;
  /** Current values of the strategy's `featureSet` for a symbol (read-only; NaN while warming up). */
  features(symbolId: number): FeatureView;
  /** Net quantity held by this strategy in the symbol. */
  position(symbolId: number): number;
  /**
   * True while risk accepts only position-reducing orders (StormGuard STORM or HALT): a quoting
   * strategy should pull and not re-send quotes that would grow its position, which risk refuses.
   */
  reduceOnly(): boolean;
  /** This strategy's orders that are still working (or pending). */
  openOrders(): ReadonlySet<OrderState>;
  /** Places a limit order; returns its client order id, or 0 when risk or the order adapter refused it. */
  place(symbolId: number, side: Side, price: number, qty: number, tif?: TimeInForce): number;
  /** Requests a cancel; false when the order is unknown or already done. */
  cancel(orderId: number): boolean;
  /**
   * Cancel/replace: moves a working order to a new price and quantity (same side and symbol).
   * Returns the id of the order that now stands for it (a new id; the same id when the order
   * was still held by the rate limiter and was edited in place), or 0 when refused (the order
   * is left as it was).
   */
  replace(orderId: number, price: number, qty: number): number;
  /** Calls onTimer(tag) after `delayNs`. */
  setTimer(delayNs: Nanos, tag?: number): void;
}

/** Base class of every strategy: override the callbacks you need. */
export abstract class Strategy<P = Record<string, unknown>> {
  constructor(
    readonly id: string,
    readonly symbols: readonly SymbolSpec[],
    readonly params: P,
  ) {}

  /** Registered feature set (src/features/sets.ts) this strategy reads through ctx.features; null: none. */
  readonly featureSet: string | null = null;

  onStart(_ctx: StrategyContext): void {}
  /** The book of one of this strategy's symbols changed; `stats` is reused, copy what you keep. */
  onBook(_ctx: StrategyContext, _stats: LobStats): void {}
  onTrade(_ctx: StrategyContext, _trade: TradeEvent): void {}
  /** Any order state change (ack, reject, partial, fill, canceled, cancel_reject); `report` is reused, copy what you keep. */
  onOrderUpdate(_ctx: StrategyContext, _report: ExecReport): void {}
  /** A fill (partial or complete) of one of this strategy's orders. */
  onFill(_ctx: StrategyContext, _report: ExecReport): void {}
  onTimer(_ctx: StrategyContext, _tag: number): void {}
  onStop(_ctx: StrategyContext): void {}
}

export type StrategyFactory = (
  id: string,
  symbols: readonly SymbolSpec[],
  params: Record<string, unknown>,
) => Strategy;
