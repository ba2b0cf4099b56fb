/**
 * Decision-plane figures: risk evaluation per intent (FastGate + every validator, over a real
 * order adapter and position store), and event -> intent with the three shipped strategy
 * classes running together (market makers, OFI taker, TWAP) in simulated time.
 */
import path from 'node:path';
import { loadProject } from '../src/config/project.ts';
import { loadSymbols } from '../src/config/symbols.ts';
import type { OrderCommand, OrderIntent } from '../src/contracts/orders.ts';
import type { Venue } from '../src/contracts/venue.ts';
import { NS_PER_MS, SimClock } from '../src/core/clock.ts';
import { createLogger } from '../src/core/logger.ts';
import { Scheduler } from '../src/core/scheduler.ts';
import { PositionStore } from '../src/execution/positions.ts';
import { DEFAULT_ADAPTER_OPTIONS, OrderAdapter } from '../src/order/order-adapter.ts';
import type { Limits } from '../src/risk/limits.ts';
import { RiskEngine } from '../src/risk/risk-engine.ts';
import { TradingSystem } from '../src/services/trading-system.ts';

export interface RiskBench {
  checks: number;
  /** Mean ns per check over batches of 1000; median and p99 of the batch means. */
  pass_ns: { p50: number; p99: number };
  reject_ns: { p50: number; p99: number };
  open_orders: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];

/** Risk evaluation per intent: every check on, 8 working orders in the book, allocation-free path. */
export function benchRisk(batches = 4000, batch = 1000): RiskBench {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const symbols = loadSymbols(path.join(root, 'config/symbols.yaml'));
  const txf = symbols.find((s) => s.code === 'TXFD6')!.id;
  const clock = new SimClock(1_775_610_000_000_000_000);
  const scheduler = new Scheduler(clock);
  const venue: Venue = {
    name: 'null',
    connect() {},
    start() {},
    stop() {},
    submit(_c: OrderCommand) {},
    cancel() {},
  };
  const orders = new OrderAdapter(venue, symbols, scheduler, createLogger('silent'), {
    ...DEFAULT_ADAPTER_OPTIONS,
    globalPerS: 0,
    symbolPerS: 0,
  });
  const positions = new PositionStore(symbols);
  const limits: Limits = {
    maxOrderQty: 5,
    maxPosition: 1000,
    priceBandTicks: 50,
    maxNotional: 100_000_000 * 10_000,
    maxOpenOrders: 100,
    maxOrdersPerS: 50,
    selfTradePrevention: true,
    duplicateWindowNs: 1000 * NS_PER_MS,
  };
  const risk = new RiskEngine(symbols, limits, {
    position: (s, sym) => positions.get(s, sym).qty,
    openQty: (s, sym, side) => orders.openQty(s, sym, side),
    openCount: (s, sym) => orders.openCountOf(s, sym),
    ownBest: (sym, side) => orders.ownBest(sym, side),
    reference: () => 33_000_50,
    order: (id) => {
      const o = orders.get(id);
      return o !== undefined && (o.status === 'working' || o.status === 'pending_new') ? o : undefined;
    },
  });
  const base: OrderIntent = {
    intentId: 0,
    strategyId: 'mm',
    symbolId: txf,
    action: 'new',
    side: 1,
    price: 0,
    qty: 1,
    tif: 'GTC',
    targetOrderId: 0,
    ts: clock.nowNs(),
  };
  // A realistic book of our own: two strategies quoting a few levels each side.
  for (let i = 0; i < 4; i++) {
    orders.send({ ...base, strategyId: i % 2 === 0 ? 'mm' : 'ofi', side: 1, price: 32_990_00 - i * 100 });
    orders.send({ ...base, strategyId: i % 2 === 0 ? 'mm' : 'ofi', side: -1, price: 33_011_00 + i * 100 });
  }
  positions.get('mm', txf).apply(1, 33_000_00, 3, 0);
  const pass = Array.from({ length: 256 }, (_, i) => ({
    ...base,
    side: (i % 2 === 0 ? 1 : -1) as 1 | -1,
    price: i % 2 === 0 ? 32_995_00 - (i % 5) * 100 : 33_006_00 + (i % 5) * 100,
  }));
  const reject = pass.map((it) => ({ ...it, price: it.price + 100_00 * it.side }));
  const run = (set: OrderIntent[]) => {
    const means: number[] = [];
    let bad = 0;
    for (let b = 0; b < batches; b++) {
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) if (risk.check(set[(b * batch + i) & 255]) !== null) bad++;
      means.push(((performance.now() - t0) * 1e6) / batch);
    }
    return { means, bad };
  };
  run(pass); // JIT warm-up
  run(reject);
  const p = run(pass);
  const r = run(reject);
  if (p.bad !== 0 || r.bad !== batches * batch)
    throw new Error(`bench intents misclassified (${p.bad}, ${r.bad})`);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    checks: batches * batch,
    pass_ns: { p50: round(median(p.means)), p99: round(pct(p.means, 0.99)) },
    reject_ns: { p50: round(median(r.means)), p99: round(pct(r.means, 0.99)) },
    open_orders: orders.openCount,
  };
}

export interface StrategiesBench {
  strategies: string[];
  sim_seconds: number;
  rounds: number;
  intents: number;
  event_to_intent_p50_us: number;
  event_to_intent_p99_us: number;
  events_per_s: number;
}

/** Event -> intent with every shipped strategy enabled (TWAP included), median over rounds. */
export async function benchStrategies(root: string, simSeconds = 600, rounds = 3): Promise<StrategiesBench> {
  const project = loadProject({ root, env: 'test', envVars: {} });
  const { settings, symbols } = project;
  const strategies = project.strategies.map((s) => ({ ...s, enabled: true }));
  const runs = [];
  for (let i = 0; i <= rounds; i++) {
    const sys = await TradingSystem.create({
      settings,
      root,
      symbols,
      strategies,
      log: createLogger('silent'),
      record: false,
      flushDeadLetters: false,
    });
    const s = await sys.run(i === 0 ? simSeconds / 4 : simSeconds);
    if (i > 0)
      runs.push({
        p50: s.latency_us.p50,
        p99: s.latency_us.p99,
        n: s.latency_us.count,
        eps: s.events / s.wall_s,
      });
  }
  return {
    strategies: strategies.map((s) => `${s.id} (${s.class})`),
    sim_seconds: simSeconds,
    rounds,
    intents: median(runs.map((r) => r.n)),
    event_to_intent_p50_us: median(runs.map((r) => r.p50)),
    event_to_intent_p99_us: median(runs.map((r) => r.p99)),
    events_per_s: Math.round(median(runs.map((r) => r.eps))),
  };
}
