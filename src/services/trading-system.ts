import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { EventBus } from '../bus/event-bus.ts';
import type { Settings } from '../config/schema.ts';
import type { StrategyConfig } from '../config/strategies.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Venue, VenueAccount } from '../contracts/venue.ts';
import { type Clock, Epoch, NS_PER_MS, NS_PER_S, NS_PER_US, RealClock, SimClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { LatencyHistogram } from '../core/histogram.ts';
import type { Logger } from '../core/logger.ts';
import { toScaled } from '../core/money.ts';
import type { RunKind } from '../core/run-id.ts';
import { Scheduler } from '../core/scheduler.ts';
import { sessionAt } from '../core/session-calendar.ts';
import { uniformTick } from '../core/ticks.ts';
import { moneyFactor, withDayTradeTax } from '../execution/fees.ts';
import { PositionStore } from '../execution/positions.ts';
import { Reconciler, reconOptions } from '../execution/reconciliation.ts';
import { ExecutionRouter } from '../execution/router.ts';
import { FeatureHub } from '../features/feature-hub.ts';
import { Normalizer } from '../feed/normalizer.ts';
import { buildPipeline } from '../gateway/build.ts';
import type { NatsGatewayMetrics } from '../gateway/nats-gateway.ts';
import type { GatewayPipeline } from '../gateway/pipeline.ts';
import { GatewayVenue } from '../gateway/remote-venue.ts';
import { LobEngine } from '../lob/lob-engine.ts';
import { LatencyStages, STAGE_NAMES, Stage, StageTappedHistogram } from '../observability/latency-stages.ts';
import { timeMethod } from '../observability/time-method.ts';
import { TradeTape } from '../observability/trade-tape.ts';
import { adapterOptions, OrderAdapter } from '../order/order-adapter.ts';
import { recorderOptions } from '../recorder/config.ts';
import { Recorder } from '../recorder/recorder.ts';
import type { FillRecord, OrderRecord } from '../recorder/rows.ts';
import type { DiskFaults } from '../recorder/wal/disk-io.ts';
import { GuardSampler } from '../risk/guard-sampler.ts';
import { loadLimitsFile, resolveLimits, toLimits } from '../risk/limits.ts';
import { RiskEngine } from '../risk/risk-engine.ts';
import { GUARD_STATES, guardThresholds, StormGuard } from '../risk/storm-guard.ts';
import { StrategyRunner } from '../strategy/runner.ts';
import type { StrategyClass } from '../strategy/sdk.ts';
import { type Credentials, credentialEnvName, loadCredentials } from '../venues/live/credentials.ts';
import type { LiveVenue, LiveVenueFactory } from '../venues/live/live-venue.ts';
import { SessionGatedVenue } from '../venues/live/session-gate.ts';
import { liveVenue } from '../venues/registry.ts';
import { type LoadedReplay, loadReplay, type ReplaySourceInfo } from '../venues/replay/replay-sources.ts';
import { type ExchangeModel, ReplayVenue, replayStartTs } from '../venues/replay/replay-venue.ts';
import { ShadowVenue } from '../venues/shadow-venue.ts';
import { L2Exchange } from '../venues/sim/l2-exchange.ts';
import { ConstantLatency } from '../venues/sim/latency-model.ts';
import type { OrderFlowOptions } from '../venues/sim/order-flow-generator.ts';
import { RiskAverseQueue } from '../venues/sim/queue-model.ts';
import { SimVenue } from '../venues/sim/sim-venue.ts';
import { MarketDataService } from './market-data.ts';
import { type RunIdentity, runIdentity, runRecord } from './run-identity.ts';
import { buildStrategy, type PreparedStrategy, prepareStrategy } from './strategy-registry.ts';
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
  /** Exchange model answering orders in a replay; default: L2Exchange, sim.latency, risk-averse queue. */
  exchange?: (symbols: SymbolSpec[], scheduler: Scheduler) => ExchangeModel;
  /** Strategy classes by name beyond the shipped ones and plugins (tests), looked up first. */
  strategyClasses?: Record<string, StrategyClass>;
  /** Wraps the venue, e.g. to inject faults in tests (a stalled feed); reconciliation still asks the real one. */
  wrapVenue?: (venue: Venue, scheduler: Scheduler) => Venue;
  /** Write the dead-letter queue to orders.dlq_dir at the end of run() (default true). */
  flushDeadLetters?: boolean;
  /** Disk faults injected under the recorder (tests: a full disk). */
  recorderFaults?: DiskFaults;
  /** What the run is (hft.runs.kind); default replay with a replay feed, else sim. */
  runKind?: RunKind;
  /**
   * feed.data already read (loadReplay with these settings' feed.symbols and feed.latency_us),
   * e.g. shared by the runs of a sweep; runs only read it.
   */
  replay?: LoadedReplay;
  /** Wall time in ms for real-clock runs (default performance.now); tests stall the loop with it. */
  wallMs?: () => number;
  /**
   * StormGuard: `on` gates orders (default); `observe` evaluates and records every transition
   * without gating anything (a backtest measures the strategy, and still says what the live
   * guard would have done); `off` does not evaluate it.
   */
  guard?: GuardMode;
}

export type GuardMode = 'on' | 'observe' | 'off';
export const GUARD_MODES: readonly GuardMode[] = ['on', 'observe', 'off'];

/** Reads feed.data as a replay run would (see SystemOptions.replay). */
export function loadReplayData(
  s: Settings,
  symbols: readonly SymbolSpec[],
  root: string,
  /** Read multi-day files of one symbol when the replay reaches them (backtests; see loadReplay). */
  stream = false,
): Promise<LoadedReplay> {
  return loadReplay(s.feed.data, symbols, {
    root,
    symbolMap: s.feed.symbols,
    feedLatencyNs: s.feed.latency_us * NS_PER_US,
    format: s.feed.format === 'auto' ? undefined : s.feed.format,
    excludeCallAuctions: s.feed.exclude_preopen,
    stream,
  });
}

/** Simulated-time runs yield to the event loop every this many scheduler items, so recorder I/O and signals proceed. */
const YIELD_EVERY_ITEMS = 16_384;
/**
 * How long a stopping run whose orders outlive it (a live venue, the NATS gateway) waits for the
 * venue to confirm its cancels (live.on_stop).
 */
const STOP_CANCEL_WAIT_MS = 5000;

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
  /** The order/risk gateway between strategies and risk/orders (gateway.mode inprocess). */
  readonly gateway: GatewayPipeline;
  /** The NATS gateway service over `gateway` (hft gateway run), for /metrics; else null. */
  gatewayService: NatsGatewayMetrics | null = null;
  readonly runner: StrategyRunner;
  readonly router: ExecutionRouter;
  readonly marketData: MarketDataService;
  /** Feature plane: the feature sets the strategies declared, updated after the LOB. */
  readonly features: FeatureHub;
  readonly venue: Venue;
  /** The live venue (feed.kind live), else null. */
  readonly live: LiveVenue | null = null;
  /** Times the live venue reported itself not ready (a dropped or silent stream, a gap). */
  venueOutages = 0;
  /**
   * The venue's orders outlive this process: a live venue, or the account's NATS gateway
   * (gateway.mode nats). Stopping such a run cancels its working orders (live.on_stop) and
   * waits for the confirmations before the summary; the simulated exchange and a replay stop
   * with the process, their orders with them.
   */
  readonly ordersOutliveRun: boolean;
  /** Orders still open when the run ended (not confirmed cancelled: maybe working at the venue). */
  ordersLeftOpen = 0;
  /** Safety state machine (NORMAL/WARM/STORM/HALT) gating risk and the order adapter (guardMode on). */
  readonly stormGuard: StormGuard;
  readonly guardMode: GuardMode;
  /** Local vs venue positions and orders (null when off or the venue has no account view). */
  readonly reconciler: Reconciler | null;
  readonly intentLatency: LatencyHistogram;
  readonly lobLatency = new LatencyHistogram();
  /** Per-stage latency histograms and sampled spans (null when metrics.enabled is false). */
  readonly latency: LatencyStages | null;
  /** Recent market trades per symbol for the dashboard (null when metrics.enabled is false). */
  readonly tape: TradeTape | null;
  /** Strategies in shadow mode: their positions are answered at the edge and are not the account's. */
  readonly shadowIds: ReadonlySet<string>;
  /** What each replay source held and what its reader refused (empty without replay data). */
  readonly replaySources: readonly ReplaySourceInfo[];
  private stopRequested = false;
  private startNs = 0;
  private endNs = 0;

  private constructor(
    readonly opts: SystemOptions,
    /** The run's id, kind and provenance (its row in hft.runs when recorded). */
    readonly identity: RunIdentity,
    readonly recorder: Recorder | null,
    /** Symbols traded in this run (a subset of the symbol table, with dense ids). */
    readonly symbols: SymbolSpec[],
    /** Recorded data driving the run (feed.kind replay), else null: the simulated exchange. */
    replay: LoadedReplay | null,
    /** The enabled strategies' classes and validated params, by id. */
    prepared: ReadonlyMap<string, PreparedStrategy>,
    /** feed.kind live: the venue's factory, from the venue registry. */
    liveFactory: LiveVenueFactory | null = null,
    credentials: Credentials | null = null,
  ) {
    const s = opts.settings;
    // Nanos are relative to the run's epoch (core/clock.ts): the data's for a replay, else the UTC
    // midnight before sim.start_time (simulated) or before now (real clock).
    if (replay !== null) {
      // Replay time is the data's time: simulated, or paced against the wall clock by feed.speed.
      const t0 = replayStartTs(replay.streams, true);
      this.clock =
        s.run.clock === 'sim' || s.feed.speed === 'max'
          ? new SimClock(t0, replay.epoch)
          : new RealClock(t0, s.feed.speed, replay.epoch, opts.wallMs);
    } else if (s.run.clock === 'sim' && liveFactory === null) {
      const startMs = Date.parse(s.sim.start_time);
      const epoch = Epoch.midnightBeforeMs(startMs);
      this.clock = new SimClock(epoch.fromMs(startMs), epoch);
    } else {
      this.clock = new RealClock(undefined, 1, undefined, opts.wallMs);
    }
    this.scheduler = new Scheduler(this.clock);
    this.latency = s.metrics.enabled ? new LatencyStages(this.clock, s.metrics.span_sample_every) : null;
    this.tape = s.metrics.enabled ? new TradeTape(symbols.length) : null;
    this.intentLatency = this.latency ? new StageTappedHistogram(this.latency) : new LatencyHistogram();
    // Full-depth venues' books are indexed by price (one tick size a symbol).
    this.lob = new LobEngine(
      symbols.length,
      64,
      liveFactory?.fullDepth === true ? symbols.map(uniformTick) : undefined,
    );
    // A crossed book is repaired only where the data can hold stale levels (EventColumns.repairCrossed).
    for (const st of replay?.streams ?? []) {
      const sym = st.symbolId;
      this.lob.setRepair(
        sym,
        replay!.streams.some((o) => o.symbolId === sym && o.columns.repairCrossed),
      );
    }
    this.bus = new EventBus(s.bus.capacity, s.bus.overflow);
    this.normalizer = new Normalizer(symbols, s.sim.depth_levels, () => this.clock.nowNs());
    this.positions = new PositionStore(symbols);
    if (liveFactory !== null) {
      this.live = liveFactory({
        name: s.live.venue,
        symbols,
        venueSymbols: symbols.map((x) => venueSymbol(s, x.code)),
        scheduler: this.scheduler,
        clock: this.clock,
        log: opts.log,
        settings: s.live,
        credentials,
      });
    }
    const venue =
      this.live !== null
        ? new SessionGatedVenue(this.live, symbols, this.clock, this.scheduler)
        : replay !== null
          ? new ReplayVenue({
              scheduler: this.scheduler,
              streams: replay.streams,
              model: (opts.exchange ?? defaultExchange(s))(symbols, this.scheduler),
              onEnd: () => this.stop(),
            })
          : new SimVenue({
              symbols,
              scheduler: this.scheduler,
              seed: s.sim.seed,
              latency: new ConstantLatency(
                s.sim.latency.order_us * NS_PER_US,
                s.sim.latency.response_us * NS_PER_US,
              ),
              depthLevels: s.sim.depth_levels,
              generator: generatorOptions(s, symbols),
            });
    // Alphas in shadow mode: their orders are answered at the edge with the prices they would have got.
    const shadowIds = opts.strategies
      .filter(
        (sc) =>
          sc.enabled && (prepared.get(sc.id)?.params as { mode?: string } | undefined)?.mode === 'shadow',
      )
      .map((sc) => sc.id);
    this.shadowIds = new Set(shadowIds);
    this.replaySources = replay?.sources ?? [];
    const shadow =
      shadowIds.length === 0
        ? null
        : new ShadowVenue(venue, shadowIds, this.lob, this.scheduler, s.sim.latency.order_us * NS_PER_US);
    this.venue = opts.wrapVenue ? opts.wrapVenue(shadow ?? venue, this.scheduler) : (shadow ?? venue);
    this.ordersOutliveRun = this.live !== null || this.venue instanceof GatewayVenue;
    if (this.venue.postOnly === false)
      opts.log.warn(
        { venue: this.venue.name },
        'this venue has no post-only order type: POST_ONLY orders are refused (TIF_UNSUPPORTED)',
      );
    this.orders = new OrderAdapter(this.venue, symbols, this.scheduler, opts.log, adapterOptions(s.orders));
    this.risk = new RiskEngine(symbols, toLimits(s.risk), {
      position: (sid, sym) => this.positions.get(sid, sym).qty,
      openQty: (sid, sym, side) => this.orders.openQty(sid, sym, side),
      openCount: (sid, sym) => this.orders.openCountOf(sid, sym),
      ownBest: (sym, side) => this.orders.ownBest(sym, side),
      reference: (sym) => this.lob.stats(sym).mid,
      order: (id) => {
        const o = this.orders.get(id);
        return o !== undefined && (o.status === 'working' || o.status === 'pending_new') ? o : undefined;
      },
    });
    const thresholds = guardThresholds(s.storm_guard);
    // Quiet stretches in recorded data are the market, not a failing feed: no feed-gap input in replays.
    if (replay !== null) thresholds.feedGapStormS = 0;
    this.guardMode = opts.guard ?? 'on';
    this.stormGuard =
      this.guardMode === 'on'
        ? new StormGuard(thresholds, this.clock, opts.log, {
            gates: [this.risk, this.orders],
            reducer: this.risk,
            cancelAll: () => this.orders.cancelAll(),
          })
        : // Observed (or off): transitions are recorded and logged, nothing is gated or cancelled.
          new StormGuard(thresholds, this.clock, observedLog(opts.log, this.guardMode), {
            gates: [],
            reducer: { reduceOnly: false },
            cancelAll: () => 0,
          });
    // A venue failing orders is a STORM (reduce-only) until the breaker closes again.
    this.orders.breaker.onChange((_from, to) => {
      if (to === 'open') this.stormGuard.raise(2, 'circuit_breaker_open');
      else if (to === 'closed') this.stormGuard.clear('circuit_breaker_open');
    });
    this.features = new FeatureHub(symbols);
    this.gateway = buildPipeline(s.gateway, symbols, this.clock, this.risk, this.orders, this.positions);
    // Policy follows StormGuard (degrade_on_storm); the level is read on every transition, not per intent.
    this.stormGuard.onTransition((t) => {
      this.gateway.policy.guardLevel = GUARD_STATES.indexOf(t.to);
    });
    this.runner = new StrategyRunner({
      scheduler: this.scheduler,
      symbols,
      lob: this.lob,
      risk: this.risk,
      orders: this.orders,
      gateway: this.gateway,
      positions: this.positions,
      log: opts.log,
      intentLatency: this.intentLatency,
      maxErrors: s.strategy.max_errors,
      features: this.features,
    });
    this.router = new ExecutionRouter(symbols, this.orders, this.positions, this.clock, opts.log);
    this.router.listen((r) => this.gateway.onReport(r));
    this.router.listen((r) => this.runner.onReport(r));
    if (this.latency !== null) this.instrument(this.latency);
    if (recorder !== null) this.wireRecorder(recorder);
    this.marketData = new MarketDataService(
      symbols,
      this.normalizer,
      this.lob,
      this.bus,
      this.runner,
      // A replay does not record again the market data it replays (orders and fills are recorded).
      replay !== null ? null : recorder,
      this.lobLatency,
      this.latency,
      this.tape,
    );
    this.marketData.features = this.features;
    if (this.clock.simulated) this.marketData.replayTimeEvery = s.metrics.sim_time_every;
    this.venue.connect({
      onQuote: this.marketData.onQuote,
      onMarketEvent: this.marketData.onMarketEvent,
      onLevel: this.marketData.onLevel,
      onLevels: this.marketData.onLevels,
      bookTop: (symbolId) => this.lob.book(symbolId),
      onExec: this.router.onExec,
      // The router reads a report during the call (an orphan is parked as a copy).
      transientExec: true,
      onVenueState: (ready, reason) => this.onVenueState(ready, reason),
    });

    const byCode = new Map(symbols.map((x) => [x.code, x]));
    const limits = loadLimitsFile(
      path.resolve(opts.root, s.strategy_limits_file),
      new Set(opts.symbols.map((x) => x.code)),
    );
    for (const spec of symbols)
      this.risk.setSymbolDefaults(spec.id, resolveLimits(s.risk, limits, '', spec.code));
    for (const sc of opts.strategies) {
      if (!sc.enabled) continue;
      const syms = sc.symbols.filter((c) => byCode.has(c)).map((c) => byCode.get(c)!);
      if (syms.length === 0) {
        // A replay of one file leaves out the strategies of other symbols: expected, not a warning.
        opts.log.info({ strategy: sc.id }, 'strategy skipped: none of its symbols is traded in this run');
        continue;
      }
      this.runner.add(buildStrategy(prepared.get(sc.id)!, syms));
      for (const spec of symbols)
        this.risk.setLimits(sc.id, spec.id, resolveLimits(s.risk, limits, sc.id, spec.code, sc.risk));
    }
    if (
      opts.runKind === 'live' &&
      this.runner.strategies.length === 0 &&
      opts.strategies.some((sc) => sc.enabled)
    )
      opts.log.warn(
        { symbols: symbols.map((x) => x.code) },
        'no enabled strategy trades these symbols: this live run only watches the market',
      );
    // Without keys a live venue gives market data only: a strategy's every order would be refused.
    if (liveFactory?.ordersNeedCredentials === true && credentials === null) {
      const trading = this.runner.strategies.filter((st) => !this.shadowIds.has(st.id)).map((st) => st.id);
      if (trading.length > 0)
        throw new UserError(
          `${s.live.venue}: no API keys found, but strategies ${trading.join(', ')} would send orders: set ` +
            `${liveFactory.credentialKeys.map((k) => credentialEnvName(s.live.venue, k)).join(' and ')} ` +
            '(or live.credentials_file), or run without strategies (hft record) for market data only',
        );
    }
    // One line for all of them; a run without strategies (hft record, hft gateway run) has none to match.
    const unmatched = Object.keys(limits.strategies).filter(
      (id) => !opts.strategies.some((sc) => sc.id === id),
    );
    if (opts.strategies.length > 0 && unmatched.length > 0)
      opts.log.warn(
        { strategies: unmatched, file: s.strategy_limits_file },
        'limits for strategies that are not configured',
      );
    const base = this.live ?? (isVenueAccount(venue) ? venue : null);
    const account = shadow === null ? base : shadow.account(base);
    this.reconciler =
      account !== null && s.reconciliation.enabled
        ? new Reconciler(
            symbols,
            this.positions,
            this.orders,
            this.router,
            account,
            this.scheduler,
            reconOptions(s.reconciliation),
            opts.log,
            {
              onCritical: (reason) => this.stormGuard.hold('recon', reason),
              onClean: () => this.stormGuard.release('recon'),
            },
          )
        : null;
    // Positions are kept for every symbol of the run: each must have an exact money value.
    if (this.runner.strategies.length > 0) {
      for (const spec of symbols) {
        try {
          moneyFactor(spec);
        } catch (e) {
          throw new UserError(
            `${(e as Error).message}: ${spec.code} can only be replayed in a run without strategies`,
          );
        }
      }
    }
  }

  /** Builds the system; opens the recorder's store when recording is on. */
  static async create(opts: SystemOptions): Promise<TradingSystem> {
    const s = opts.settings;
    // Strategy classes (plugins are imported here) and params are checked before any data is read.
    const prepared = new Map<string, PreparedStrategy>();
    for (const sc of opts.strategies)
      if (sc.enabled) prepared.set(sc.id, await prepareStrategy(sc, opts.root, opts.strategyClasses));
    const byCode = new Map(opts.symbols.map((x) => [x.code, x]));
    const replay =
      s.feed.kind === 'replay' ? (opts.replay ?? (await loadReplayData(s, opts.symbols, opts.root))) : null;
    if (replay !== null) {
      opts.log.info({ sources: replay.sources }, 'replay data loaded');
      for (const src of replay.sources)
        if (src.rejected + src.gaps > 0)
          opts.log.warn(
            { source: src.source, rejected: src.rejected, gaps: src.gaps },
            `${src.source}: the reader refused ${src.rejected} records and found ${src.gaps} sequence gaps (see hft data inspect)`,
          );
    }
    const live = s.feed.kind === 'live';
    const liveFactory = live ? await liveVenue(s.live.venue) : null;
    const credentials =
      liveFactory === null
        ? null
        : loadCredentials(s.live.venue, liveFactory.credentialKeys, {
            file: s.live.credentials_file,
            root: opts.root,
          });
    // Which keys were found, as printed by their Secret wrappers ([redacted]): the values never.
    if (liveFactory !== null)
      opts.log.info(
        {
          venue: s.live.venue,
          credentials: credentials === null ? 'none (market data only)' : Object.fromEntries(credentials),
        },
        'live credentials',
      );
    const symbols =
      replay?.symbols ??
      (live ? s.live.symbols : s.sim.symbols).map((code, id) => {
        const spec = byCode.get(code);
        if (spec === undefined)
          throw new UserError(
            `${live ? 'live' : 'sim'}.symbols: unknown symbol ${code} (not in ${s.symbols_file})`,
          );
        return { ...spec, id };
      });
    if (s.fees.stock_day_trade)
      for (let i = 0; i < symbols.length; i++)
        symbols[i] = withDayTradeTax(symbols[i], s.fees.stock_day_trade_tax_rate);
    const run = runIdentity(opts.runKind ?? (replay !== null ? 'replay' : live ? 'live' : 'sim'), {
      settings: s,
      strategies: opts.strategies,
    });
    const record = opts.record ?? s.recorder.enabled;
    const recorder = record
      ? await Recorder.open({
          ...recorderOptions(s, opts.root, opts.log, s.sim.depth_levels),
          diskFaults: opts.recorderFaults,
          runId: run.id,
        })
      : null;
    let sys: TradingSystem;
    try {
      sys = new TradingSystem(opts, run, recorder, symbols, replay, prepared, liveFactory, credentials);
    } catch (err) {
      await recorder?.close();
      throw err;
    }
    recorder?.recordRun(
      runRecord(
        run,
        symbols.map((x) => x.code),
        null,
      ),
    );
    return sys;
  }

  /**
   * A live venue lost (ready false) or regained (true) a consistent view: not ready, trading is
   * held (HALT: orders cancelled, nothing new) and the feed gap recorded; ready again once books
   * are rebuilt from a fresh snapshot and the account re-read, after one reconciliation pass.
   */
  private onVenueState(ready: boolean, reason: string): void {
    const ts = this.clock.nowNs();
    this.recorder?.recordRiskEvent(
      ts,
      'venue',
      ready ? 'recovering' : 'ready',
      ready ? 'ready' : 'recovering',
      reason,
    );
    if (!ready) {
      this.venueOutages++;
      this.opts.log.warn({ venue: this.venue.name, reason }, 'venue not ready: trading held until resynced');
      this.stormGuard.hold('venue', `venue: ${reason}`);
      return;
    }
    this.reconciler?.check();
    this.opts.log.info(
      { venue: this.venue.name, reason },
      'venue ready again: books resynced, account reconciled',
    );
    this.stormGuard.release('venue');
  }

  /** Asks a running `run()` to stop at the next task boundary (Ctrl+C). */
  stop(): void {
    this.stopRequested = true;
    this.scheduler.interrupt();
  }

  /** Runs for `durationS` seconds of (real or simulated) time, or until stop(); returns the summary. */
  async run(durationS: number): Promise<RunSummary> {
    const t0 = performance.now();
    this.startNs = this.clock.nowNs();
    this.endNs = durationS > 0 ? this.startNs + durationS * NS_PER_S : Number.POSITIVE_INFINITY;
    this.gateway.start();
    this.runner.start();
    this.startGuards();
    this.venue.start();
    if (this.clock instanceof SimClock) await this.runSimulated(this.clock);
    else await this.runRealtime();
    if (this.ordersOutliveRun) await this.cancelOnStop();
    this.venue.stop();
    this.runner.stop();
    this.stormGuard.stop();
    this.reconciler?.stop();
    if (this.opts.flushDeadLetters !== false)
      await this.orders.dlq.flush(path.resolve(this.opts.root, this.opts.settings.orders.dlq_dir));
    this.drainSpans?.();
    const wallS = () => (performance.now() - t0) / 1000;
    if (this.recorder === null) return buildSummary(this, null, wallS());
    // hft.runs keeps the summary without the recorder's figures (its rows are counted in the tables).
    const { recorder: _r, recorded_rows: _rows, ...summary } = buildSummary(this, null, wallS());
    this.recorder.recordRun(
      runRecord(
        this.identity,
        this.symbols.map((x) => x.code),
        { endMs: Date.now(), summary: JSON.stringify(summary) },
      ),
    );
    const recorderStats = await this.recorder.close();
    return buildSummary(this, recorderStats, wallS());
  }

  private async runSimulated(clock: SimClock): Promise<void> {
    const sched = this.scheduler;
    while (!this.stopRequested && sched.advance(this.endNs, clock, YIELD_EVERY_ITEMS) > 0) {
      await yieldToLoop();
    }
    if (this.endNs !== Number.POSITIVE_INFINITY && !this.stopRequested) clock.set(this.endNs);
  }

  /**
   * A run whose orders outlive it (ordersOutliveRun: live, or through the NATS gateway) stopping
   * with orders working (live.on_stop cancel): cancels them and waits up to STOP_CANCEL_WAIT_MS
   * for the venue's confirmations and final reports (a fill racing the cancel), running what
   * comes due meanwhile, so the summary's fills and positions are the account's.
   * Whatever is still open after that is counted (`ordersLeftOpen`) and named in a warning.
   */
  private async cancelOnStop(): Promise<void> {
    const log = this.opts.log;
    if (this.orders.openCount === 0) return;
    if (this.opts.settings.live.on_stop === 'cancel') {
      // Nothing new may leave while the cancels are confirmed: a market maker would quote again on
      // the next book, a TWAP send its next slice on its timer. The operator switch does that (no
      // market data, orders refused, working orders cancelled; reports and timers still reach
      // the strategy); the strategies enabled now are switched back on once the wait is over, so
      // the summary shows them as they ran. cancelAll then takes what no strategy owns.
      const paused = this.runner.strategies.filter((st) => this.runner.isEnabled(st.id)).map((st) => st.id);
      let sent = 0;
      for (const id of paused) sent += this.runner.setEnabled(id, false) ?? 0;
      sent += this.orders.cancelAll();
      log.info(
        { cancels: sent },
        `stopping: cancelling ${sent} working orders (up to ${STOP_CANCEL_WAIT_MS / 1000} s)`,
      );
      const deadline = Date.now() + STOP_CANCEL_WAIT_MS;
      while (this.orders.openCount > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
        while (this.scheduler.runNext(this.clock.nowNs())) {}
      }
      for (const id of paused) this.runner.setEnabled(id, true);
    }
    this.ordersLeftOpen = this.orders.openCount;
    if (this.ordersLeftOpen > 0)
      log.warn(
        {
          orders: [...this.orders.allOpen()].map((o) => o.venueOrderId || `#${o.orderId}`),
          on_stop: this.opts.settings.live.on_stop,
        },
        `${this.ordersLeftOpen} orders may still be working at the venue`,
      );
  }

  private runRealtime(): Promise<void> {
    const sched = this.scheduler;
    return new Promise((resolve) => {
      const tick = () => {
        const now = this.clock.nowNs();
        const limit = Math.min(now, this.endNs);
        while (sched.runNext(limit)) {}
        if (this.stopRequested || now >= this.endNs) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
  }

  /** Starts StormGuard's evaluations and the reconciliation loop on the scheduler. */
  private startGuards(): void {
    const g = this.opts.settings.storm_guard;
    this.reconciler?.start();
    if (!g.enabled || this.guardMode === 'off') return;
    const marks = new Float64Array(this.symbols.length);
    const shadowIds = this.shadowIds;
    const rate = this.clock instanceof RealClock ? this.clock.speed : 0;
    const sampler = new GuardSampler(
      {
        // Marked at the last valid mid, so a one-sided book does not look like a loss.
        equity: () => {
          let e = 0;
          const list = this.positions.list;
          for (let i = 0; i < list.length; i++) {
            const p = list[i];
            // A shadow alpha's fills never happened: its PnL is not the account's drawdown.
            if (shadowIds.size > 0 && shadowIds.has(p.strategyId)) continue;
            const mid = this.lob.stats(p.spec.id).mid;
            if (mid > 0) marks[p.spec.id] = mid;
            e += p.net(marks[p.spec.id]);
          }
          return e;
        },
        orders: () => this.orders.counters.sent,
        rejects: () => this.router.counters.rejects,
        marketEvents: () => this.marketData.events,
        strategyErrors: () => this.runner.counters.errors,
        feedExpected: this.live === null ? undefined : () => this.feedExpected(Date.now()),
      },
      g.capital,
      Math.ceil((g.reject_window_s * 1000) / g.eval_interval_ms),
      g.reject_min_orders,
      {
        // Lag is judged on the wall clock: a paced replay's clock runs `speed` times faster, so
        // its evaluations come `speed` times as often and the sustain window holds as many more.
        rate,
        intervalNs: g.eval_interval_ms * NS_PER_MS,
        graceNs: this.opts.settings.run.startup_grace_s * NS_PER_S,
        sustain: Math.max(1, Math.round(g.latency_sustain * rate)),
      },
    );
    this.stormGuard.start(this.scheduler, g.eval_interval_ms * NS_PER_MS, sampler);
  }

  /**
   * Whether market data is due at `wallMs`: in a live run, while any symbol's exchange is in a
   * session (TAIFEX and TWSE are silent between theirs); otherwise always (the data or the
   * simulator drives the feed). The supervisor and StormGuard judge feed silence only then.
   */
  feedExpected(wallMs: number): boolean {
    if (this.live === null) return true;
    for (const s of this.symbols) if (sessionAt(s.exchange, wallMs) !== null) return true;
    return false;
  }

  /** Elapsed run time in ns of the run's clock. */
  get elapsedNs(): number {
    return this.clock.nowNs() - this.startNs;
  }

  /** Stage timings of risk, order, ack and fill, and the per-minute latency summary. */
  private instrument(lat: LatencyStages): void {
    timeMethod(this.risk, 'check', lat, Stage.Risk);
    timeMethod(this.orders, 'send', lat, Stage.Order);
    timeMethod(this.orders, 'replace', lat, Stage.Order);
    this.router.listen((r, o) => {
      if (o === null) return;
      if (r.type === 'ack') lat.recordOrderNs(Stage.Ack, r.localTs - o.createdTs, o.orderId);
      else if (r.type === 'fill' || r.type === 'partial')
        lat.recordOrderNs(Stage.Fill, r.localTs - o.createdTs, o.orderId);
    });
    lat.scheduleMinutes(this.scheduler);
  }

  /** Hands pending sampled latency spans to the recorder (null without metrics or recorder). */
  private drainSpans: (() => void) | null = null;

  private wireRecorder(rec: Recorder): void {
    rec.setEpoch(this.clock.epoch);
    // Trading halts while the recorder cannot keep what it records (its WAL disk at the HALT level, orders
    // or fills nothing can store, a dead worker); every StormGuard transition is recorded.
    rec.onHold = (reason) =>
      reason === null ? this.stormGuard.release('recorder') : this.stormGuard.hold('recorder', reason);
    this.stormGuard.onTransition((t) => rec.recordRiskEvent(t.ts, 'storm_guard', t.from, t.to, t.reason));
    const lat = this.latency;
    if (lat !== null) {
      const sink = (ts: number, _trace: number, stage: number, ns: number) =>
        rec.recordLatency(ts, STAGE_NAMES[stage], ns);
      this.drainSpans = () => lat.spans.drain(sink);
      const prev = lat.onMinute;
      lat.onMinute = (rows) => {
        prev?.(rows);
        this.drainSpans?.();
      };
    }
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

/** The replay's default exchange: the simulated exchange's latency (sim.latency), risk-averse queues. */
function defaultExchange(s: Settings): NonNullable<SystemOptions['exchange']> {
  const latency = new ConstantLatency(
    s.sim.latency.order_us * NS_PER_US,
    s.sim.latency.response_us * NS_PER_US,
  );
  return (symbols, scheduler) =>
    new L2Exchange({ symbols, scheduler, latency, queue: new RiskAverseQueue() });
}

/** The log of an observed guard: its state changes are information (nothing was gated), not warnings. */
function observedLog(log: Logger, mode: GuardMode): Logger {
  const child = log.child({ guard: mode });
  child.warn = child.info;
  return child;
}

/**
 * The venue's name of symbol `code`: the key of feed.symbols mapping to it (prefixed
 * `<venue>:` or `<market>:`, or bare), else the code itself.
 */
export function venueSymbol(s: Settings, code: string): string {
  const family = s.live.venue.split('-')[0];
  let bare: string | null = null;
  for (const [k, v] of Object.entries(s.feed.symbols)) {
    if (v !== code) continue;
    const colon = k.indexOf(':');
    if (colon < 0) bare ??= k;
    else if (k.slice(0, colon) === s.live.venue) return k.slice(colon + 1);
    else if (k.slice(0, colon) === family) bare = k.slice(colon + 1);
  }
  return bare ?? code;
}

function isVenueAccount(v: unknown): v is VenueAccount {
  const a = v as Partial<VenueAccount>;
  return typeof a.positions === 'function' && typeof a.openOrderIds === 'function';
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
