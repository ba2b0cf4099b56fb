import path from 'node:path';
import { z } from 'zod';
import { readYaml, toConfigError } from '../config/loader.ts';
import { type RiskLimits, riskLimitsSchema } from '../config/schema.ts';
import { NS_PER_MS } from '../core/clock.ts';
import { ConfigError } from '../core/errors.ts';
import { MONEY_SCALE } from '../core/money.ts';

/** Limits of one strategy in one symbol, in engine units. A 0 turns the check off where noted. */
export interface Limits {
  maxOrderQty: number;
  maxPosition: number;
  priceBandTicks: number;
  /** Money units (MONEY_SCALE); 0 = off. */
  maxNotional: number;
  /** 0 = off. */
  maxOpenOrders: number;
  /** 0 = off. */
  maxOrdersPerS: number;
  selfTradePrevention: boolean;
  /** 0 = off. */
  duplicateWindowNs: number;
}

const override = riskLimitsSchema.partial();
export type LimitsOverride = z.infer<typeof override>;

const fileSchema = z.strictObject({
  /** Per symbol, for every strategy. */
  symbols: z.record(z.string(), override).default({}),
  /** Per strategy, with optional per-symbol overrides of that strategy. */
  strategies: z
    .record(z.string(), override.extend({ symbols: z.record(z.string(), override).default({}) }))
    .default({}),
});
export type LimitsFile = z.infer<typeof fileSchema>;

/** Loads strategy_limits.yaml; every symbol it names must be in the symbol table. */
export function loadLimitsFile(file: string, knownSymbols: ReadonlySet<string>): LimitsFile {
  const label = path.relative(process.cwd(), file) || file;
  const parsed = fileSchema.safeParse(readYaml(file) ?? {});
  if (!parsed.success)
    throw toConfigError(
      parsed.error,
      new Map([
        ['symbols', label],
        ['strategies', label],
      ]),
    );
  const check = (code: string, key: string) => {
    if (!knownSymbols.has(code)) throw new ConfigError(label, key, `unknown symbol ${code}`);
  };
  for (const code of Object.keys(parsed.data.symbols)) check(code, `symbols.${code}`);
  for (const [id, s] of Object.entries(parsed.data.strategies))
    for (const code of Object.keys(s.symbols)) check(code, `strategies.${id}.symbols.${code}`);
  return parsed.data;
}

function layer(into: RiskLimits, o: LimitsOverride | undefined): void {
  if (o === undefined) return;
  for (const k of Object.keys(riskLimitsSchema.shape) as (keyof RiskLimits)[]) {
    const v = o[k];
    if (v !== undefined) (into as Record<string, unknown>)[k] = v;
  }
}

/**
 * Limits of `strategyId` in `symbolCode`, most specific last: the `risk` defaults, then the
 * file's symbols.<code>, strategies.<id>, the strategy's own `risk:` in strategies.yaml, and
 * strategies.<id>.symbols.<code>.
 */
export function resolveLimits(
  defaults: RiskLimits,
  file: LimitsFile,
  strategyId: string,
  symbolCode: string,
  strategyRisk?: LimitsOverride,
): Limits {
  const r: RiskLimits = { ...defaults };
  layer(r, file.symbols[symbolCode]);
  const s = file.strategies[strategyId];
  layer(r, s);
  layer(r, strategyRisk);
  layer(r, s?.symbols[symbolCode]);
  return toLimits(r);
}

/** Config units (currency, ms) to engine units (money, ns). */
export function toLimits(r: RiskLimits): Limits {
  return {
    maxOrderQty: r.max_order_qty,
    maxPosition: r.max_position,
    priceBandTicks: r.price_band_ticks,
    maxNotional: Math.round(r.max_notional * MONEY_SCALE),
    maxOpenOrders: r.max_open_orders,
    maxOrdersPerS: r.max_orders_per_s,
    selfTradePrevention: r.self_trade_prevention,
    duplicateWindowNs: r.duplicate_window_ms * NS_PER_MS,
  };
}
