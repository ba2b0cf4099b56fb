/**
 * The platform's public API, imported as 'hft-platform' by strategies that live in a project
 * folder (plugins, see docs/strategies.md): the strategy SDK, the types its callbacks receive,
 * the alpha SDK and its test helpers (docs/research.md), tick and time helpers, and zod's `z` for parameter schemas (so a project needs no zod of its own).
 */
export { z } from 'zod';
export {
  ALPHA_STATUSES,
  ALPHA_TIERS,
  Alpha,
  type AlphaClass,
  type AlphaEvent,
  type AlphaManifest,
  type AlphaManifestInput,
  type AlphaStatus,
  type AlphaTier,
  EVENT_BOOK,
  EVENT_TRADE,
} from './alpha/sdk.ts';
export { chiSquareSf, normCdf, normInv } from './alpha/stats.ts';
export {
  alphaSignals,
  createAlpha,
  type MarketMessage,
  marketOf,
  SYNTHETIC_SYMBOL,
  syntheticMarket,
} from './alpha/testing.ts';
export type { LobStats, Side, TradeEvent } from './contracts/market.ts';
export { BUY, SELL } from './contracts/market.ts';
export type { ExecReport, ExecType, RejectReason, TimeInForce } from './contracts/orders.ts';
export type { SymbolSpec } from './contracts/symbols.ts';
export { type Nanos, NS_PER_MS, NS_PER_S, NS_PER_US } from './core/clock.ts';
export type { Logger } from './core/logger.ts';
export { roundToTick, tickAt, tickDown, tickUp } from './core/ticks.ts';
export type { FeatureView } from './features/feature-engine.ts';
export type { OrderBook } from './lob/order-book.ts';
export type { OrderState } from './order/order-state.ts';
export { loadPolicy, type PolicySpec } from './research/rl/policy.ts';
export { RlPolicyAlpha } from './research/rl/rl-alpha.ts';
export { ExpressionAlpha } from './research/search/expression-alpha.ts';
export { type ParamsSchema, Strategy, type StrategyClass, type StrategyContext } from './strategy/sdk.ts';
