import type { LobStats, Side, TradeEvent } from '../contracts/market.ts';
import type { ExecReport, TimeInForce } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Nanos } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { OrderBook } from '../lob/order-book.ts';
import type { OrderState } from '../order/order-state.ts';

/** What a strategy can see and do. The same context runs in sim, replay, backtest and live. */
export interface StrategyContext {
  readonly strategyId: string;
  readonly log: Logger;
  now(): Nanos;
  symbol(code: string): SymbolSpec;
  book(symbolId: number): OrderBook;
  stats(symbolId: number): LobStats;
  /** Net quantity held by this strategy in the symbol. */
  position(symbolId: number): number;
  /** This strategy's orders that are still working (or pending). */
  openOrders(): ReadonlySet<OrderState>;
  /** Places a limit order; returns its client order id, or 0 when risk rejected it. */
  place(symbolId: number, side: Side, price: number, qty: number, tif?: TimeInForce): number;
  /** Requests a cancel; false when the order is unknown or already done. */
  cancel(orderId: number): boolean;
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

  onStart(_ctx: StrategyContext): void {}
  /** The book of one of this strategy's symbols changed; `stats` is reused, copy what you keep. */
  onBook(_ctx: StrategyContext, _stats: LobStats): void {}
  onTrade(_ctx: StrategyContext, _trade: TradeEvent): void {}
  /** Any order state change (ack, reject, partial, fill, canceled, cancel_reject). */
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
