import type { Settings } from '../config/schema.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { type Clock, NS_PER_S } from '../core/clock.ts';
import { MONEY_SCALE } from '../core/money.ts';
import type { PositionStore } from '../execution/positions.ts';
import type { OrderAdapter } from '../order/order-adapter.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import { DedupWindow } from './dedup.ts';
import { ExposureStore } from './exposure.ts';
import { GatewayPipeline } from './pipeline.ts';
import { GatewayPolicy } from './policy.ts';

/** The `gateway` settings that shape the pipeline (the NATS keys are the service's). */
export type GatewaySettings = Settings['gateway'];

/** Builds the gateway pipeline over a process's risk engine, order adapter and positions. */
export function buildPipeline(
  g: GatewaySettings,
  symbols: readonly SymbolSpec[],
  clock: Clock,
  risk: RiskEngine,
  orders: OrderAdapter,
  positions: PositionStore,
): GatewayPipeline {
  const money = (v: number) => Math.round(v * MONEY_SCALE);
  const policy = new GatewayPolicy(
    {
      startupHoldoffNs: g.startup_holdoff_s * NS_PER_S,
      degradeOnStorm: g.degrade_on_storm,
      haltCancel: g.halt_cancel,
      exempt: new Set(g.halt_exempt),
    },
    (symbolId) => positions.netQty(symbolId),
  );
  const exposure = new ExposureStore({
    globalMax: money(g.global_max_notional),
    strategyDefault: money(g.strategy_max_notional),
    strategyMax: new Map(Object.entries(g.strategy_max_notional_by_id).map(([k, v]) => [k, money(v)])),
    maxBuckets: g.max_exposure_buckets,
  });
  return new GatewayPipeline(
    symbols,
    clock,
    risk,
    orders,
    policy,
    exposure,
    new DedupWindow(g.dedup_window),
    {
      exposureOrderTtlNs: g.exposure_order_ttl_s * NS_PER_S,
    },
  );
}
