import path from 'node:path';
import { z } from 'zod';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { ConfigError } from '../core/errors.ts';
import { MONEY_SCALE, RATE_SCALE } from '../core/money.ts';
import { readYaml, toConfigError } from './loader.ts';

const rate = z.number().min(0).max(1);

const symbolSchema = z.strictObject({
  code: z.string().min(1),
  name: z.string().default(''),
  exchange: z.enum(['TAIFEX', 'TWSE', 'TPEX', 'BINANCE', 'CME', 'NASDAQ']),
  type: z.enum(['future', 'option', 'stock', 'crypto']),
  price_scale: z
    .number()
    .int()
    .positive()
    .refine((s) => MONEY_SCALE % s === 0, `must divide ${MONEY_SCALE} so money stays integral`),
  ticks: z
    .array(z.strictObject({ below: z.number().positive().nullable(), tick: z.number().positive() }))
    .min(1),
  /** One quantity unit is 1/qty_scale of a contract, share or coin (a power of ten). */
  qty_scale: z
    .number()
    .int()
    .positive()
    .refine((s) => Number.isInteger(Math.log10(s)), 'must be a power of ten')
    .default(1),
  lot_size: z.number().int().positive(),
  multiplier: z.number().positive(),
  currency: z.string().default('TWD'),
  fees: z
    .strictObject({
      commission_per_contract: z.number().min(0).default(0),
      commission_rate: rate.default(0),
      commission_min: z.number().min(0).default(0),
      tax_rate_buy: rate.default(0),
      tax_rate_sell: rate.default(0),
    })
    .default({
      commission_per_contract: 0,
      commission_rate: 0,
      commission_min: 0,
      tax_rate_buy: 0,
      tax_rate_sell: 0,
    }),
});

const fileSchema = z.strictObject({ symbols: z.array(symbolSchema).min(1) });

/** Scales a decimal to an integer, failing with the file/key when it is not exact. */
function exact(value: number, scale: number, file: string, key: string): number {
  const scaled = Math.round(value * scale);
  if (Math.abs(scaled - value * scale) > 1e-7) {
    throw new ConfigError(file, key, `${value} is not a multiple of 1/${scale}`);
  }
  return scaled;
}

/** Loads the symbol table: decimal ticks and fees become scaled integers, checked for exactness. */
export function loadSymbols(file: string): SymbolSpec[] {
  const label = path.relative(process.cwd(), file) || file;
  const raw = readYaml(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('symbols' in raw)) {
    throw new ConfigError(label, '', "not a symbol table: expected a mapping with a 'symbols:' list");
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw toConfigError(parsed.error, new Map([['symbols', label]]));
  const seen = new Set<string>();
  return parsed.data.symbols.map((s, id): SymbolSpec => {
    const key = `symbols[${id}]`;
    if (seen.has(s.code)) throw new ConfigError(label, `${key}.code`, `duplicate symbol ${s.code}`);
    seen.add(s.code);
    let prev = 0;
    const ticks = s.ticks.map((b, i) => {
      const below =
        b.below === null
          ? Number.POSITIVE_INFINITY
          : exact(b.below, s.price_scale, label, `${key}.ticks[${i}].below`);
      const tick = exact(b.tick, s.price_scale, label, `${key}.ticks[${i}].tick`);
      if (tick === 0)
        throw new ConfigError(label, `${key}.ticks[${i}].tick`, 'tick rounds to 0 at this price_scale');
      if (below <= prev) throw new ConfigError(label, `${key}.ticks[${i}].below`, 'bands must ascend');
      prev = below;
      return { below, tick };
    });
    if (ticks[ticks.length - 1].below !== Number.POSITIVE_INFINITY) {
      throw new ConfigError(label, `${key}.ticks`, 'the last band must have below: null');
    }
    const f = s.fees;
    return {
      id,
      code: s.code,
      name: s.name,
      exchange: s.exchange,
      type: s.type,
      priceScale: s.price_scale,
      qtyScale: s.qty_scale,
      ticks,
      lotSize: s.lot_size,
      multiplier: s.multiplier,
      currency: s.currency,
      fees: {
        commissionPerContract: Math.round(f.commission_per_contract * MONEY_SCALE),
        commissionRate: Math.round(f.commission_rate * RATE_SCALE),
        commissionMin: Math.round(f.commission_min * MONEY_SCALE),
        taxRateBuy: Math.round(f.tax_rate_buy * RATE_SCALE),
        taxRateSell: Math.round(f.tax_rate_sell * RATE_SCALE),
      },
    };
  });
}
