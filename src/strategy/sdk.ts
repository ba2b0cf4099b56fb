import type { z } from 'zod';
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
  /**
   * Places a limit order; returns its client order id, or 0 when risk or the order adapter refused it.
   * `tif`: GTC (default), IOC, or POST_ONLY (maker only: the venue rejects it with
   * POST_ONLY_WOULD_TAKE if it would cross on arrival, instead of filling it as a taker).
   */
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

/** A parameter schema: a zod object (`z.object({...})`), checked against the strategies file's `params`. */
export type ParamsSchema = z.ZodType<Record<string, unknown>>;

/**
 * Base class of every strategy: override the callbacks you need. A strategy with parameters
 * extends `Strategy.withParams(schema)` instead, which types `this.params` from the schema and
 * lets the loader validate the configured parameters before the run (see docs/strategies.md).
 */
export abstract class Strategy<P = unknown> {
  /** The parameter schema; none: the strategy takes no parameters. */
  static readonly params: ParamsSchema | undefined = undefined;

  /**
   * A base class whose `params` are the schema's output, with the schema as its static `params`:
   * `class MyStrategy extends Strategy.withParams(z.object({ qty: z.number().int() })) {...}`.
   */
  static withParams<S extends ParamsSchema>(schema: S) {
    abstract class WithParams extends Strategy<z.output<S>> {
      static override readonly params: S = schema;
    }
    return WithParams;
  }

  /** `params` are already validated (and defaulted) by the schema when the loader builds the strategy. */
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
  /** What the strategy measured of itself, kept in the run summary (strategy_reports); null: nothing. */
  report(): Record<string, unknown> | object | null {
    return null;
  }
}

/** A strategy class as the loader sees it: built from validated params, with its schema (if any). */
export interface StrategyClass {
  new (id: string, symbols: readonly SymbolSpec[], params: never): Strategy;
  readonly params: ParamsSchema | undefined;
}
