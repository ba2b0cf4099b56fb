import { z } from 'zod';

const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();
const powerOfTwo = positiveInt.refine((n) => (n & (n - 1)) === 0, 'must be a power of two');

/** Order-flow generator parameters of one simulated symbol (see venues/sim/order-flow-generator.ts). */
const generatorSchema = z.strictObject({
  ref_price: z.number().positive(),
  limit_rate: nonNegative.optional(),
  market_rate: nonNegative.optional(),
  cancel_rate: nonNegative.optional(),
  max_distance_ticks: positiveInt.optional(),
  alpha: nonNegative.optional(),
  mean_lots: z.number().min(1).optional(),
  initial_levels: positiveInt.optional(),
});

export const riskLimitsSchema = z.strictObject({
  max_order_qty: positiveInt,
  max_position: positiveInt,
  price_band_ticks: positiveInt,
});

/** The whole runtime configuration after layering. Unknown keys are errors (typos fail at start). */
export const settingsSchema = z.strictObject({
  env: z.string().min(1),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  symbols_file: z.string().min(1),
  strategies_file: z.string().min(1),
  store: z.strictObject({
    path: z.string().min(1),
  }),
  run: z.strictObject({
    duration_s: nonNegative,
    clock: z.enum(['real', 'sim']),
    busy_poll: z.boolean(),
    warmup_s: nonNegative,
  }),
  sim: z.strictObject({
    seed: z.number().int(),
    symbols: z.array(z.string()).min(1),
    depth_levels: z.number().int().min(1).max(20),
    start_time: z.iso.datetime({ offset: true }),
    latency: z.strictObject({ order_us: nonNegative, response_us: nonNegative }),
    generator: z.record(z.string(), generatorSchema),
  }),
  bus: z.strictObject({
    capacity: powerOfTwo,
    overflow: z.enum(['drop_oldest', 'reject']),
  }),
  risk: riskLimitsSchema,
  recorder: z.strictObject({
    enabled: z.boolean(),
    flush_interval_ms: positiveInt,
    batch_rows: positiveInt,
    ring_capacity: powerOfTwo,
  }),
});

export type Settings = z.infer<typeof settingsSchema>;
export type GeneratorSettings = z.infer<typeof generatorSchema>;
export type RiskLimits = z.infer<typeof riskLimitsSchema>;
