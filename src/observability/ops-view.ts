import type { LobStats } from '../contracts/market.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Epoch } from '../core/clock.ts';
import type { LatencyStages } from './latency-stages.ts';
import type { TradeTape } from './trade-tape.ts';

/**
 * What the metrics and the dashboard read from a running trading system, all on their own
 * timers (never from the hot path). `TradingSystem` satisfies it structurally.
 */
export interface SystemView {
  readonly symbols: readonly SymbolSpec[];
  readonly clock: { nowNs(): number; readonly simulated: boolean; readonly epoch: Epoch };
  readonly scheduler: { readonly pending: number };
  readonly marketData: { readonly events: number };
  readonly normalizer: {
    readonly counters: { malformed: number; unknownSymbol: number; outOfOrder: number };
  };
  readonly lob: {
    readonly counters: { crossed: number };
    stats(symbolId: number): LobStats;
    book(symbolId: number): BookView;
  };
  readonly bus: {
    readonly published: number;
    readonly consumed: number;
    readonly dropped: number;
    readonly depth: number;
    readonly highWater: number;
  };
  readonly runner: {
    readonly counters: { intents: number; errors: number };
    readonly strategies: readonly { readonly id: string; readonly symbols: readonly SymbolSpec[] }[];
    isEnabled(strategyId: string): boolean;
    status(): readonly { id: string; enabled: boolean; errors: number }[];
  };
  readonly risk: {
    readonly counters: { checked: number; rejected: number; byReason: Partial<Record<string, number>> };
  };
  /** The order/risk gateway's decisions (every mode). */
  readonly gateway: {
    readonly counters: {
      intents: number;
      duplicates: number;
      byReason: Readonly<Record<string, number>>;
      approvedBy: Readonly<Record<string, number>>;
    };
  };
  /** The NATS gateway service (hft gateway run), else null. */
  readonly gatewayService: {
    readonly leader: boolean;
    readonly leaseRevision: number;
    readonly terms: number;
    readonly decisions: number;
    readonly ledgerHits: number;
    readonly malformed: number;
    readonly lag: number;
  } | null;
  readonly orders: {
    readonly counters: {
      sent: number;
      cancelsSent: number;
      /** Requests the adapter refused (rate limits, breaker, queue), by reason. */
      rejected: number;
      byReason: Partial<Record<string, number>>;
    };
    readonly openCount: number;
    openOrders(strategyId: string): ReadonlySet<OrderView>;
  };
  readonly router: {
    readonly counters: {
      acks: number;
      rejects: number;
      fills: number;
      partials: number;
      canceled: number;
      cancelRejects: number;
      orphans: number;
      filledQty: number;
    };
  };
  readonly positions: { all(): Iterable<PositionView> };
  readonly recorder: { stats(): RecorderStatsView } | null;
  readonly latency: LatencyStages | null;
  readonly tape: TradeTape | null;
}

export interface BookView {
  price(side: 1 | -1, i: number): number;
  qty(side: 1 | -1, i: number): number;
  levels(side: 1 | -1): number;
}

export interface OrderView {
  readonly orderId: number;
  readonly strategyId: string;
  readonly symbolId: number;
  readonly side: 1 | -1;
  readonly price: number;
  readonly qty: number;
  readonly leavesQty: number;
  readonly status: string;
  readonly createdTs: number;
}

export interface PositionView {
  readonly strategyId: string;
  readonly spec: SymbolSpec;
  readonly qty: number;
  readonly avgPrice: number;
  readonly realized: number;
  readonly fees: number;
  unrealized(mark: number): number;
}

/** Recorder figures (the recorder's stats()). */
export interface RecorderStatsView {
  enqueued: Record<string, number>;
  written: Record<string, number>;
  shed_market_data: number;
  batches: number;
  pending: number;
  failed_batches: number;
  failed_rows: number;
  invalid_rows: number;
  spills: number;
  lost_orders_trades: number;
  lastError: string | null;
  /** Rows dropped on purpose, per topic. */
  shed: Record<string, number>;
  wal: { backlog_bytes: number; backlog_files: number };
  /** Disk pressure of the WAL's filesystem: level 0 ok, 1 warn, 2 critical, 3 halt. */
  disk: { level: number; free_bytes: number };
  /** Rows nothing takes (sink and WAL refuse them), waiting in memory while trading is held. */
  held_rows: number;
  /** The worker thread: 'up', 'restarting', 'dead' or 'closed'. */
  worker: { state: string; restarts: number };
  /** Why the recorder holds trading (HALT), or null. */
  hold: string | null;
}

/** Safety state (StormGuard levels): 0 NORMAL, 1 WARM, 2 STORM, 3 HALT. */
export const SAFETY_LEVELS = ['NORMAL', 'WARM', 'STORM', 'HALT'] as const;
export type SafetyLevel = 0 | 1 | 2 | 3;

export interface SafetyTransition {
  /** Wall-clock time, ms since the epoch. */
  at: number;
  from: SafetyLevel;
  to: SafetyLevel;
  reason: string;
  source: string;
}

export interface SafetyView {
  readonly level: SafetyLevel;
  /** True when new orders are blocked. */
  readonly halted: boolean;
  readonly reasons: readonly string[];
  readonly history: readonly SafetyTransition[];
  readonly transitions: number;
  /** Orders sent while HALT was in force (must stay 0). */
  readonly haltViolations: number;
  /** Control requests by action and result (accepted / refused). */
  readonly requests: Readonly<Record<string, number>>;
}

export interface ServiceStatus {
  name: string;
  up: boolean;
  restarts: number;
  /** Wall ms since the last heartbeat. */
  heartbeatAgeMs: number;
  detail: string;
}

export interface SupervisionView {
  services(): ServiceStatus[];
  /** Event-loop delay of the last supervision interval (ms). */
  readonly loopLagP99Ms: number;
  readonly loopLagMaxMs: number;
  /** Wall ms since the market-data event count last moved. */
  readonly feedAgeMs: number;
  readonly escalations: Readonly<Record<string, number>>;
}

/** Circuit breaker states as exported: 0 closed, 1 half-open, 2 open. */
export interface BreakerView {
  name: string;
  state: 0 | 1 | 2;
}

/** Everything the ops plane reads, assembled by services/ops-server.ts. */
export interface OpsView {
  sys: SystemView;
  safety: SafetyView;
  supervision: SupervisionView | null;
  busCapacity: number;
  /** Venue rejects by reason (counted from execution reports). */
  venueRejects: Readonly<Record<string, number>>;
  breakers(): BreakerView[];
  /** Ops requests refused (`endpoint:reason`) and /api/query results (ok, refused, failed, busy). */
  access?: {
    readonly refused: Readonly<Record<string, number>>;
    readonly queries: Readonly<Record<string, number>>;
  };
}
