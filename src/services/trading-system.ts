import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { EventBus } from '../bus/event-bus.ts';
import type { Settings } from '../config/schema.ts';
import type { StrategyConfig } from '../config/strategies.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Venue } from '../contracts/venue.ts';
import { type Clock, NS_PER_S, NS_PER_US, RealClock, SimClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { LatencyHistogram } from '../core/histogram.ts';
import type { Logger } from '../core/logger.ts';
import { toScaled } from '../core/money.ts';
import { Scheduler } from '../core/scheduler.ts';
import { PositionStore } from '../execution/positions.ts';
import { ExecutionRouter } from '../execution/router.ts';
import { Normalizer } from '../feed/normalizer.ts';
import { LobEngine } from '../lob/lob-engine.ts';
import { OrderAdapter } from '../order/order-adapter.ts';
import { Recorder } from '../recorder/recorder.ts';
import type { FillRecord, OrderRecord } from '../recorder/rows.ts';
import { RiskEngine } from '../risk/risk-engine.ts';
import { StrategyRunner } from '../strategy/runner.ts';
import { ConstantLatency } from '../venues/sim/latency-model.ts';
import type { OrderFlowOptions } from '../venues/sim/order-flow-generator.ts';
import { SimVenue } from '../venues/sim/sim-venue.ts';
import { MarketDataService } from './market-data.ts';
import { createStrategy } from './strategy-registry.ts';
import { buildSummary, type RunSummary } from './summary.ts';

export interface SystemOptions {
  settings: Settings;
  /** Project root: relative paths in settings resolve against it. */
  root: string;
  symbols: SymbolSpec[];
  strategies: StrategyConfig[];
  log: Logger;
  /** Open the recorder (default settings.recorder.enabled). */
  record?: boolean;
}

/** Simulated-time runs yield to the event loop this often so recorder I/O and signals proceed. */
const YIELD_EVERY_TASKS = 4096;

/**
 * The whole runtime for one process: builds every plane from config, wires the hot path,
 * drives the scheduler (real or simulated time) and produces the run summary.
 */
export class TradingSystem {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly lob: LobEngine;
  readonly bus: EventBus;
  readonly normalizer: Normalizer;
  readonly positions: PositionStore;
  readonly orders: OrderAdapter;
  readonly risk: RiskEngine;
  readonly runner: StrategyRunner;
  readonly router: ExecutionRouter;
  readonly marketData: MarketDataService;
  readonly venue: Venue;
  readonly intentLatency = new LatencyHistogram();
  readonly lobLatency = new LatencyHistogram();
  private stopRequested = false;
  private startNs = 0;
  private endNs = 0;

  private constructor(
    readonly opts: SystemOptions,
    readonly recorder: Recorder | null,
    /** Symbols traded in this run (a subset of the symbol table, with dense ids). */
    readonly symbols: SymbolSpec[],
  ) {
    const s = opts.settings;
    this.clock = s.run.clock === 'sim' ? new SimClock(Date.parse(s.sim.start_time) * 1e6) : new RealClock();
    this.scheduler = new Scheduler(this.clock);
    this.lob = new LobEngine(symbols.length);
    this.bus = new EventBus(s.bus.capacity, s.bus.overflow);
    this.normalizer = new Normalizer(symbols, s.sim.depth_levels, () => this.clock.nowNs());
    this.positions = new PositionStore(symbols);
    this.venue = new SimVenue({
      symbols,
      scheduler: this.scheduler,
      seed: s.sim.seed,
      latency: new ConstantLatency(s.sim.latency.order_us * NS_PER_US, s.sim.latency.response_us * NS_PER_US),
      depthLevels: s.sim.depth_levels,
      generator: generatorOptions(s, symbols),
    });
    this.orders = new OrderAdapter(this.venue);
    this.risk = new RiskEngine(
      symbols,
      {
        maxOrderQty: s.risk.max_order_qty,
        maxPosition: s.risk.max_position,
        priceBandTicks: s.risk.price_band_ticks,
      },
      {
        position: (sid, sym) => this.positions.get(sid, sym).qty,
        openQty: (sid, sym, side) => this.orders.openQty(sid, sym, side),
        stats: (sym) => this.lob.stats(sym),
      },
    );
    this.runner = new StrategyRunner({
      scheduler: this.scheduler,
      symbols,
      lob: this.lob,
      risk: this.risk,
      orders: this.orders,
      positions: this.positions,
      log: opts.log,
      intentLatency: this.intentLatency,
      maxErrors: 10,
    });
    this.router = new ExecutionRouter(symbols, this.orders, this.positions, this.clock, opts.log);
    this.router.listen((r) => this.runner.onReport(r));
    if (recorder !== null) this.wireRecorder(recorder);
    this.marketData = new MarketDataService(
      symbols,
      this.normalizer,
      this.lob,
      this.bus,
      this.runner,
      recorder,
      this.lobLatency,
    );
    this.venue.connect({
      onQuote: this.marketData.onQuote,
      onMarketEvent: this.marketData.onMarketEvent,
      onExec: this.router.onExec,
    });

    const byCode = new Map(symbols.map((x) => [x.code, x]));
    for (const sc of opts.strategies) {
      if (!sc.enabled) continue;
      const syms = sc.symbols.filter((c) => byCode.has(c)).map((c) => byCode.get(c)!);
      if (syms.length === 0) {
        opts.log.warn({ strategy: sc.id }, 'strategy skipped: none of its symbols is traded in this run');
        continue;
      }
      this.runner.add(createStrategy(sc.class, sc.id, syms, sc.params));
      this.risk.setLimits(sc.id, {
        maxOrderQty: sc.risk.max_order_qty,
        maxPosition: sc.risk.max_position,
        priceBandTicks: sc.risk.price_band_ticks,
      });
    }
  }

  /** Builds the system; opens the recorder's store when recording is on. */
  static async create(opts: SystemOptions): Promise<TradingSystem> {
    const s = opts.settings;
    const byCode = new Map(opts.symbols.map((x) => [x.code, x]));
    const symbols = s.sim.symbols.map((code, id) => {
      const spec = byCode.get(code);
      if (spec === undefined)
        throw new UserError(`sim.symbols: unknown symbol ${code} (not in ${s.symbols_file})`);
      return { ...spec, id };
    });
    const record = opts.record ?? s.recorder.enabled;
    const recorder = record
      ? await Recorder.open({
          dataDir: path.resolve(opts.root, s.store.path),
          logger: opts.log,
          flushIntervalMs: s.recorder.flush_interval_ms,
          batchRows: s.recorder.batch_rows,
          ringCapacity: s.recorder.ring_capacity,
          depthLevels: s.sim.depth_levels,
        })
      : null;
    return new TradingSystem(opts, recorder, symbols);
  }

  /**
   * JIT warm-up: runs the same hot-path code on a throwaway simulated session so V8 has
   * optimized it before the first real event (otherwise the first minutes run unoptimized).
   */
  static async warmUp(opts: SystemOptions, simSeconds: number): Promise<void> {
    if (simSeconds <= 0) return;
    const s = opts.settings;
    const settings = {
      ...s,
      run: { ...s.run, clock: 'sim' as const },
      sim: { ...s.sim, seed: s.sim.seed + 1 },
    };
    const sys = await TradingSystem.create({
      ...opts,
      settings,
      record: false,
      log: opts.log.child({ warmup: true }),
    });
    await sys.run(simSeconds);
  }

  /** Asks a running `run()` to stop at the next task boundary (Ctrl+C). */
  stop(): void {
    this.stopRequested = true;
  }

  /** Runs for `durationS` seconds of (real or simulated) time, or until stop(); returns the summary. */
  async run(durationS: number): Promise<RunSummary> {
    const t0 = performance.now();
    this.startNs = this.clock.nowNs();
    this.endNs = durationS > 0 ? this.startNs + durationS * NS_PER_S : Number.POSITIVE_INFINITY;
    this.runner.start();
    this.venue.start();
    if (this.clock instanceof SimClock) await this.runSimulated(this.clock);
    else await this.runRealtime();
    this.venue.stop();
    this.runner.stop();
    const recorderStats = this.recorder ? await this.recorder.close() : null;
    return buildSummary(this, recorderStats, (performance.now() - t0) / 1000);
  }

  private async runSimulated(clock: SimClock): Promise<void> {
    const sched = this.scheduler;
    let n = 0;
    while (!this.stopRequested) {
      const next = sched.nextTs();
      if (next > this.endNs) break;
      clock.set(next);
      sched.runNext(next);
      if (++n % YIELD_EVERY_TASKS === 0) await yieldToLoop();
    }
    if (this.endNs !== Number.POSITIVE_INFINITY && !this.stopRequested) clock.set(this.endNs);
  }

  private runRealtime(): Promise<void> {
    const sched = this.scheduler;
    return new Promise((resolve) => {
      const tick = () => {
        const now = this.clock.nowNs();
        const limit = Math.min(now, this.endNs);
        while (sched.runNext(limit)) {}
        if (this.stopRequested || now >= this.endNs) resolve();
        // Busy polling keeps the hot path warm (caches, CPU clocks) at the cost of one core.
        else if (this.opts.settings.run.busy_poll) setImmediate(tick);
        else setTimeout(tick, 1);
      };
      tick();
    });
  }

  /** Elapsed run time in ns of the run's clock. */
  get elapsedNs(): number {
    return this.clock.nowNs() - this.startNs;
  }

  private wireRecorder(rec: Recorder): void {
    const row: OrderRecord = {
      ts: 0,
      orderId: 0,
      venueOrderId: '',
      strategyId: '',
      symbol: '',
      event: 'new',
      side: 1,
      price: 0,
      qty: 0,
      cumQty: 0,
      leavesQty: 0,
      reason: '',
      priceScale: 0,
    };
    const fill: FillRecord = {
      ts: 0,
      ingestTs: 0,
      orderId: 0,
      venueOrderId: '',
      strategyId: '',
      symbol: '',
      side: 1,
      price: 0,
      qty: 0,
      fee: 0,
      tax: 0,
      taker: false,
      priceScale: 0,
    };
    this.orders.onSent = (o) => {
      const spec = this.symbols[o.symbolId];
      row.ts = o.createdTs;
      row.orderId = o.orderId;
      row.venueOrderId = '';
      row.strategyId = o.strategyId;
      row.symbol = spec.code;
      row.event = 'new';
      row.side = o.side;
      row.price = o.price;
      row.qty = o.qty;
      row.cumQty = 0;
      row.leavesQty = o.qty;
      row.reason = '';
      row.priceScale = spec.priceScale;
      rec.recordOrder(row);
    };
    this.router.listen((r) => {
      const spec = this.symbols[r.symbolId];
      row.ts = r.localTs;
      row.orderId = r.orderId;
      row.venueOrderId = r.venueOrderId;
      row.strategyId = r.strategyId;
      row.symbol = spec.code;
      row.event = r.type;
      row.side = r.side;
      row.price = r.price;
      row.qty = r.qty;
      row.cumQty = r.cumQty;
      row.leavesQty = r.leavesQty;
      row.reason = r.reason;
      row.priceScale = spec.priceScale;
      rec.recordOrder(row);
      if (r.type !== 'fill' && r.type !== 'partial') return;
      fill.ts = r.exchTs;
      fill.ingestTs = r.localTs;
      fill.orderId = r.orderId;
      fill.venueOrderId = r.venueOrderId;
      fill.strategyId = r.strategyId;
      fill.symbol = spec.code;
      fill.side = r.side;
      fill.price = r.lastPx;
      fill.qty = r.lastQty;
      fill.fee = r.fee;
      fill.tax = r.tax;
      fill.taker = r.taker;
      fill.priceScale = spec.priceScale;
      rec.recordFill(fill);
    });
  }
}

function generatorOptions(s: Settings, symbols: readonly SymbolSpec[]): Record<string, OrderFlowOptions> {
  const out: Record<string, OrderFlowOptions> = {};
  for (const spec of symbols) {
    const g = s.sim.generator[spec.code];
    if (g === undefined)
      throw new UserError(`sim.generator.${spec.code}: missing (ref_price is required per simulated symbol)`);
    const opts: OrderFlowOptions = {
      refPrice: toScaled(g.ref_price, spec.priceScale),
      limitRate: g.limit_rate,
      marketRate: g.market_rate,
      cancelRate: g.cancel_rate,
      maxDistanceTicks: g.max_distance_ticks,
      alpha: g.alpha,
      meanLots: g.mean_lots,
      initialLevels: g.initial_levels,
    };
    // Keys left out of the config keep the generator's defaults.
    for (const k of Object.keys(opts) as (keyof OrderFlowOptions)[])
      if (opts[k] === undefined) delete opts[k];
    out[spec.code] = opts;
  }
  return out;
}
