import { z } from 'zod';
import { REPLAY_FORMATS } from '../contracts/market.ts';

const positiveInt = z.number().int().positive();
/** The longest a Node timer waits (2^31 - 1 ms, 24.8 days): beyond it a timer fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A period or timeout that drives a timer, ms. */
const timerMs = positiveInt.max(
  MAX_TIMER_MS,
  `at most ${MAX_TIMER_MS} ms (24.8 days), the longest a timer waits`,
);
const nonNegative = z.number().nonnegative();
/** A simulated latency, us: a minute at most (1e18 us made every order time out, silently). */
const latencyUs = nonNegative.max(60_000_000, 'at most 60,000,000 us (a minute)');
const powerOfTwo = positiveInt.refine((n) => (n & (n - 1)) === 0, 'must be a power of two');

/**
 * Thresholds that escalate (warm < storm < halt) must ascend: an ordering mistake would skip a state
 * or never reach one. `zeroIsOff`: a 0 turns that threshold off and takes no part in the order;
 * `strict` false allows equal neighbours (a retry base may equal its maximum).
 */
function ascending<T extends Record<string, unknown>>(
  keys: (keyof T & string)[],
  zeroIsOff: boolean,
  strict = true,
) {
  return (o: T, ctx: z.RefinementCtx) => {
    let prev: string | null = null;
    for (const k of keys) {
      const v = o[k] as number;
      if (zeroIsOff && v === 0) continue;
      if (prev !== null) {
        const p = o[prev] as number;
        if (strict ? v <= p : v < p) {
          ctx.addIssue({
            code: 'custom',
            path: [k],
            // The other key: its layer is named too (it may be the one that changed).
            params: { other: prev },
            message:
              `${v} is ${strict ? 'not above' : 'below'} ${prev} (${p}): ${keys.join(strict ? ' < ' : ' <= ')} ` +
              `must ascend${zeroIsOff ? ' (0 turns one off)' : ''}`,
          });
          return;
        }
      }
      prev = k;
    }
  };
}

/** Order-flow generator parameters of one simulated symbol (see venues/sim/order-flow-generator.ts). */
const generatorSchema = z.strictObject({
  ref_price: z.number().positive(),
  limit_rate: nonNegative.optional(),
  market_rate: nonNegative.optional(),
  cancel_rate: nonNegative.optional(),
  max_distance_ticks: positiveInt.max(10_000).optional(),
  alpha: nonNegative.optional(),
  mean_lots: z.number().min(1).optional(),
  initial_levels: positiveInt.max(1000).optional(),
});

/** Pre-trade limits (defaults in `risk`, per symbol / strategy in strategy_limits_file). 0 = check off where noted. */
export const riskLimitsSchema = z.strictObject({
  max_order_qty: positiveInt,
  max_position: positiveInt,
  price_band_ticks: positiveInt,
  /** Max price x qty x multiplier of one order, currency units (0 = off). */
  max_notional: nonNegative,
  /** Max working orders per strategy and symbol (0 = off). */
  max_open_orders: z.number().int().nonnegative(),
  /** Max orders per strategy and symbol in any 1 s window (0 = off). */
  max_orders_per_s: z.number().int().nonnegative(),
  self_trade_prevention: z.boolean(),
  /** An identical order within this window while the first is still working is a duplicate (0 = off). */
  duplicate_window_ms: nonNegative,
});

/** StormGuard thresholds (defaults from the original system) and hysteresis. */
const stormGuardSchema = z
  .strictObject({
    enabled: z.boolean(),
    eval_interval_ms: timerMs,
    /** Capital the drawdown in bps is measured against, currency units. */
    capital: z.number().positive(),
    drawdown_warm_bps: nonNegative,
    drawdown_storm_bps: nonNegative,
    drawdown_halt_bps: nonNegative,
    reject_rate_warm: z.number().min(0).max(1),
    reject_rate_storm: z.number().min(0).max(1),
    reject_window_s: z.number().positive(),
    reject_min_orders: positiveInt,
    feed_gap_storm_s: z.number().positive(),
    latency_warm_us: z.number().positive(),
    latency_storm_us: z.number().positive(),
    /** Evaluations in a row that must all be late for the latency input (one hiccup is not a stall). */
    latency_sustain: positiveInt,
    strategy_errors_warm: z.boolean(),
    de_escalate_after: positiveInt,
    cooldown_warm_s: nonNegative,
    cooldown_storm_s: nonNegative,
    cooldown_halt_s: nonNegative,
    storm_reduce_only: z.boolean(),
    cancel_on_halt: z.boolean(),
  })
  .superRefine(ascending(['drawdown_warm_bps', 'drawdown_storm_bps', 'drawdown_halt_bps'], true))
  .superRefine(ascending(['reject_rate_warm', 'reject_rate_storm'], true))
  .superRefine(ascending(['latency_warm_us', 'latency_storm_us'], false));

/** The whole runtime configuration after layering. Unknown keys are errors (typos fail at start). */
export const settingsSchema = z.strictObject({
  env: z.string().min(1),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  symbols_file: z.string().min(1),
  strategies_file: z.string().min(1),
  strategy_limits_file: z.string().min(1),
  store: z.strictObject({
    path: z.string().min(1),
  }),
  run: z.strictObject({
    // A year at most: a longer run is a typo (1e308 ran until killed).
    duration_s: nonNegative.max(366 * 86_400, 'at most a year (366 days) of seconds; 0 runs until Ctrl+C'),
    clock: z.enum(['real', 'sim']),
    /** Wall seconds after the start during which event-loop lag is not judged (StormGuard, supervisor). */
    startup_grace_s: nonNegative,
  }),
  sim: z.strictObject({
    seed: z.number().int(),
    symbols: z.array(z.string()).min(1),
    depth_levels: z.number().int().min(1).max(20),
    start_time: z.iso.datetime({ offset: true }),
    latency: z.strictObject({ order_us: latencyUs, response_us: latencyUs }),
    generator: z.record(z.string(), generatorSchema),
  }),
  /** Market-data source of `hft run sim`: the simulated exchange or a replay of recorded data. */
  feed: z.strictObject({
    kind: z.enum(['sim', 'replay', 'live']),
    data: z.array(z.string().min(1)),
    // Paced replays between a thousandth and 100,000 times real time; unpaced: 'max'.
    speed: z.union([
      z.literal('max'),
      z
        .number()
        .min(0.001, 'at least 0.001 (a thousandth of real time)')
        .max(100_000, "at most 100000 times real time; 'max' replays as fast as it can"),
    ]),
    latency_us: latencyUs,
    symbols: z.record(z.string(), z.string().min(1)),
    /** Format of every feed.data file; auto: told by each file's content. */
    format: z.enum(['auto', ...REPLAY_FORMATS]),
    /** Call-auction prints (TAIFEX/TWSE pre-open, closing call) set the book but fill no order. */
    exclude_preopen: z.boolean(),
  }),
  /** Live trading and capture (`hft run live`, `hft record`): see docs/live.md. */
  live: z.strictObject({
    venue: z.string().min(1),
    paper: z.boolean(),
    endpoint: z.string(),
    credentials_file: z.string(),
    symbols: z.array(z.string().min(1)).min(1),
    stale_ms: timerMs.min(100),
    reconnect_min_ms: timerMs,
    reconnect_max_ms: timerMs,
    startup_orders: z.enum(['cancel', 'adopt']),
    end_of_session: z.enum(['none', 'cancel_all', 'flatten']),
    end_of_session_lead_s: nonNegative,
    on_stop: z.enum(['cancel', 'leave']),
    rate_limit_headroom: z.number().min(0).max(0.9),
  }),
  bus: z.strictObject({
    // Slots are allocated up front.
    capacity: powerOfTwo.max(1 << 20),
    overflow: z.enum(['drop_oldest', 'reject']),
  }),
  risk: riskLimitsSchema,
  strategy: z.strictObject({
    /** Callback errors after which a strategy is disabled (its orders cancelled). */
    max_errors: positiveInt,
  }),
  storm_guard: stormGuardSchema,
  /** Order adapter: broker rate limits (token buckets), held-order queue, circuit breaker, dead letters. */
  orders: z.strictObject({
    global_per_s: nonNegative,
    global_burst: positiveInt,
    symbol_per_s: nonNegative,
    symbol_burst: positiveInt,
    max_queued: positiveInt.max(100_000),
    max_queue_ms: timerMs,
    ack_timeout_ms: z.number().int().nonnegative(),
    breaker_failures: z.number().int().nonnegative(),
    breaker_open_s: z.number().positive(),
    breaker_half_open_probes: positiveInt,
    dlq_capacity: positiveInt.max(1_000_000),
    dlq_dir: z.string().min(1),
  }),
  /** Order/risk gateway (src/gateway/): in this process, or a service over NATS JetStream. */
  gateway: z.strictObject({
    /** inprocess: the pipeline inside this process; nats: intents go to `hft gateway run` over NATS JetStream. */
    mode: z.enum(['inprocess', 'nats']),
    /** The NATS gateway (mode nats here; `hft gateway run` always). */
    nats: z.strictObject({
      /** nats://host:port of the NATS server (JetStream enabled). */
      url: z.string().regex(/^(nats|tls):\/\/[^\s]+$/, 'a nats://host:port URL'),
      /** Account: one stream, ledger and lease per account; runners and gateways of one account share them. */
      account: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -'),
      /** This runner's or gateway's name ('' = hft-<host>-<pid>). */
      name: z.string().regex(/^[A-Za-z0-9_-]{0,64}$/, 'letters, digits, _ and -'),
      /** Leader lease time to live: failover takes about this long. */
      lease_ttl_ms: timerMs.min(100),
      /** Intents a leader holds decided with their commits in flight (the consumer's unacknowledged window). */
      max_inflight: positiveInt.max(10_000),
    }),
    /** Idempotency window (keys kept, oldest evicted). */
    dedup_window: positiveInt.max(10_000_000),
    /** NEW/AMEND refused STARTUP_HOLDOFF for this long after the start. */
    startup_holdoff_s: nonNegative,
    /** StormGuard at STORM or above puts the gateway in DEGRADE (reduce-only or exempt). */
    degrade_on_storm: z.boolean(),
    /** In HALT, cancels still pass. */
    halt_cancel: z.boolean(),
    /** Strategies whose orders pass HALT and DEGRADE. */
    halt_exempt: z.array(z.string().min(1)),
    /** Account-wide open-order notional cap (currency units; 0 = unlimited). */
    global_max_notional: nonNegative,
    /** Per-strategy open-order notional cap (currency units; 0 = unlimited), and per-strategy overrides. */
    strategy_max_notional: nonNegative,
    strategy_max_notional_by_id: z.record(z.string(), nonNegative),
    /** Most (strategy, symbol) exposure buckets at once. */
    max_exposure_buckets: positiveInt,
    /** Exposure of an order whose fill/cancel never came is released after this long (0 = never). */
    exposure_order_ttl_s: nonNegative,
  }),
  reconciliation: z.strictObject({
    enabled: z.boolean(),
    interval_ms: timerMs,
    debounce: positiveInt,
    broker_zero_debounce: positiveInt,
    stock_tolerance_shares: nonNegative,
    stock_tolerance_pct: nonNegative,
    orphan_ttl_ms: timerMs,
  }),
  fees: z.strictObject({
    /** Tax stock sells at the day-trade rate (a desk flat at every close). */
    stock_day_trade: z.boolean(),
    stock_day_trade_tax_rate: z.number().min(0).max(1),
  }),
  recorder: z.strictObject({
    enabled: z.boolean(),
    mode: z.enum(['fallback', 'wal_first']),
    flush_interval_ms: timerMs,
    batch_rows: positiveInt.max(1_000_000),
    // Shared memory allocated at start, split between the topics' rings (each under 2 GiB).
    ring_mb: positiveInt.max(1024),
    memory_limit_mb: positiveInt.max(65_536),
    spill_limit_mb: positiveInt.max(65_536),
    close_timeout_ms: nonNegative,
    clickhouse: z.strictObject({
      url: z.string(),
      username: z.string(),
      password: z.string(),
      request_timeout_ms: timerMs,
    }),
    wal: z
      .strictObject({
        dir: z.string(),
        fsync: z.enum(['batch', 'interval', 'off']),
        fsync_interval_ms: timerMs,
        segment_mb: positiveInt.max(1024),
        segment_ms: timerMs,
        writer_id: z.number().int().min(0).max(255),
        retry_base_ms: timerMs,
        retry_max_ms: timerMs,
      })
      .superRefine(ascending(['retry_base_ms', 'retry_max_ms'], false, false)),
    disk: z
      .strictObject({
        check_interval_ms: timerMs,
        warn_pct: z.number().min(0).max(100),
        critical_pct: z.number().min(0).max(100),
        halt_pct: z.number().min(0).max(100),
        wal_max_mb: nonNegative,
        shed_at: z.strictObject({
          market_data: z.enum(['warn', 'critical', 'halt', 'never']),
          latency_spans: z.enum(['warn', 'critical', 'halt', 'never']),
        }),
      })
      .refine(
        (d) => d.warn_pct < d.critical_pct && d.critical_pct < d.halt_pct,
        'needs warn_pct < critical_pct < halt_pct',
      ),
  }),
  ops: z.strictObject({
    enabled: z.boolean(),
    host: z.string().min(1),
    /** Host names served besides addresses, localhost and the machine's name (DNS-rebinding guard). */
    allowed_hosts: z.array(z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a host name (no port, no scheme)')),
    port: z.number().int().min(0).max(65535),
    token: z
      .string()
      .refine((t) => t === '' || t.length >= 16, 'must be empty (generated) or at least 16 characters'),
    push_interval_ms: timerMs.min(100),
    /** A port in use: serve on a free one instead (printed) rather than refuse to start. */
    port_fallback: z.boolean(),
    /** Limits of `hft db query` through this process (/api/query), enforced by the engine. */
    query: z.strictObject({
      max_execution_s: z.number().positive(),
      max_result_rows: positiveInt,
      max_result_mb: z.number().positive(),
      max_memory_mb: z.number().positive(),
      max_threads: positiveInt,
    }),
  }),
  metrics: z.strictObject({
    enabled: z.boolean(),
    span_sample_every: positiveInt,
    sim_time_every: positiveInt,
  }),
  supervisor: z
    .strictObject({
      enabled: z.boolean(),
      interval_ms: timerMs,
      loop_lag_warn_ms: z.number().positive(),
      loop_lag_storm_ms: z.number().positive(),
      loop_lag_sustain: positiveInt,
      queue_high_ratio: z.number().gt(0).max(1),
      heartbeat_timeout_ms: timerMs,
      services: z.record(
        z.string(),
        z.strictObject({ restarts: z.number().int().nonnegative(), escalate: z.boolean() }),
      ),
    })
    .superRefine(ascending(['loop_lag_warn_ms', 'loop_lag_storm_ms'], false)),
  /** Alpha research (hft alpha ...): the experiment ledger and the validation gates' defaults. */
  alpha: z.strictObject({
    experiments_dir: z.string().min(1),
    validation: z.strictObject({
      is_oos_split: z.number().gt(0).lt(1),
      signal_threshold: nonNegative,
      max_position: positiveInt,
      hold_ms: nonNegative,
      execution: z.enum(['taker', 'maker']),
      min_interval_ms: nonNegative,
      min_sharpe_oos: z.number(),
      max_abs_drawdown: nonNegative,
      min_turnover: nonNegative,
      min_dsr: z.number().min(0).max(1),
      capital: nonNegative,
      bar_s: z.number().positive(),
      ic_horizons_s: z.array(z.number().positive()).min(1),
      lookahead_cuts: positiveInt,
      seed: z.number().int(),
      test_timeout_s: z.number().positive(),
    }),
    /** hft alpha promote (Gates D-E), promotion files and the canary's live guardrails. */
    promotion: z.strictObject({
      promotions_dir: z.string().min(1),
      min_sharpe_oos: z.number(),
      max_abs_drawdown: nonNegative,
      max_turnover: nonNegative,
      max_correlation: z.number().min(0).max(1),
      min_uplift: z.number(),
      pool_method: z.enum(['equal_weight', 'ic_weighted', 'mean_variance', 'ridge']),
      min_shadow_sessions: z.number().int().nonnegative(),
      max_drift_psi: nonNegative,
      max_drift_alerts: z.number().int().nonnegative(),
      max_execution_reject_rate: z.number().min(0).max(1),
      expiry_days: positiveInt,
      max_live_slippage_bps: nonNegative,
      max_live_drawdown_contribution: nonNegative,
      max_execution_error_rate: z.number().min(0).max(1),
      min_orders: positiveInt,
    }),
    /** hft alpha canary evaluate: escalation and graduation. */
    canary: z.strictObject({
      escalation_sessions: positiveInt,
      sharpe_ratio: nonNegative,
      tiers: z.array(z.number().gt(0).max(1)).min(1),
    }),
  }),
});

export type Settings = z.infer<typeof settingsSchema>;
export type GeneratorSettings = z.infer<typeof generatorSchema>;
export type RiskLimits = z.infer<typeof riskLimitsSchema>;
