import type { Settings } from '../../src/config/schema.ts';
import { buildPipeline } from '../../src/gateway/build.ts';
import type { Limits } from '../../src/risk/limits.ts';
import { RiskEngine } from '../../src/risk/risk-engine.ts';
import { harness } from '../execution/harness.ts';

/** config/base.yaml's gateway section. */
export const GATEWAY_DEFAULTS: Settings['gateway'] = {
  mode: 'inprocess',
  nats: { url: 'nats://127.0.0.1:4222', account: 'main', name: '', lease_ttl_ms: 1000, max_inflight: 256 },
  dedup_window: 10_000,
  startup_holdoff_s: 0,
  degrade_on_storm: false,
  halt_cancel: true,
  halt_exempt: [],
  global_max_notional: 0,
  strategy_max_notional: 0,
  strategy_max_notional_by_id: {},
  max_exposure_buckets: 10_000,
  exposure_order_ttl_s: 30,
};

export const LIMITS: Limits = {
  maxOrderQty: 50,
  maxPosition: 100,
  priceBandTicks: 500,
  maxNotional: 0,
  maxOpenOrders: 0,
  maxOrdersPerS: 0,
  selfTradePrevention: false,
  duplicateWindowNs: 0,
};

/** The gateway pipeline over the execution harness (scripted venue, simulated time), mid 3300.50 for symbol 0. */
export function gatewayHarness(over: Partial<Settings['gateway']> = {}) {
  const h = harness({ globalPerS: 0, symbolPerS: 0 });
  const risk = new RiskEngine(h.symbols, LIMITS, {
    position: (s, sym) => h.positions.get(s, sym).qty,
    openQty: (s, sym, side) => h.orders.openQty(s, sym, side),
    openCount: (s, sym) => h.orders.openCountOf(s, sym),
    ownBest: (sym, side) => h.orders.ownBest(sym, side),
    reference: () => 33_000_50,
    order: (id) => {
      const o = h.orders.get(id);
      return o !== undefined && (o.status === 'working' || o.status === 'pending_new') ? o : undefined;
    },
  });
  const gw = buildPipeline({ ...GATEWAY_DEFAULTS, ...over }, h.symbols, h.clock, risk, h.orders, h.positions);
  h.router.listen((r) => gw.onReport(r));
  gw.start();
  return { h, risk, gw };
}
