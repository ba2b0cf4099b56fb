import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { readYaml, toConfigError } from './loader.ts';
import { riskLimitsSchema } from './schema.ts';

const strategySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
  class: z.string().min(1),
  enabled: z.boolean().default(true),
  symbols: z.array(z.string()).min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  risk: riskLimitsSchema.partial().default({}),
});

const fileSchema = z.strictObject({ strategies: z.array(strategySchema) });

export type StrategyConfig = z.infer<typeof strategySchema>;

/** Loads strategies.yaml; ids must be unique and symbols must exist in the symbol table. */
export function loadStrategies(file: string, knownSymbols: ReadonlySet<string>): StrategyConfig[] {
  const label = path.relative(process.cwd(), file) || file;
  const parsed = fileSchema.safeParse(readYaml(file));
  if (!parsed.success) throw toConfigError(parsed.error, new Map([['strategies', label]]));
  const ids = new Set<string>();
  parsed.data.strategies.forEach((s, i) => {
    if (ids.has(s.id)) throw new ConfigError(label, `strategies[${i}].id`, `duplicate strategy id ${s.id}`);
    ids.add(s.id);
    s.symbols.forEach((sym, j) => {
      if (!knownSymbols.has(sym)) {
        throw new ConfigError(label, `strategies[${i}].symbols[${j}]`, `unknown symbol ${sym}`);
      }
    });
  });
  return parsed.data.strategies;
}
