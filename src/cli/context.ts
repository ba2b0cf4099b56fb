import path from 'node:path';
import { loadSettings, parseScalar } from '../config/loader.ts';
import type { Settings } from '../config/schema.ts';
import { loadStrategies, type StrategyConfig } from '../config/strategies.ts';
import { loadSymbols } from '../config/symbols.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { UserError } from '../core/errors.ts';

/** Flags every command that reads config accepts. */
export interface ConfigFlags {
  env?: string;
  config?: string;
  set?: string[];
}

export interface Loaded {
  settings: Settings;
  root: string;
  symbols: SymbolSpec[];
  strategies: StrategyConfig[];
}

/** Parses `--set key=value` flags into loader overrides. */
export function setOverrides(sets: string[] = []): { key: string; value: unknown; label: string }[] {
  return sets.map((kv) => {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UserError(`--set expects key=value, got '${kv}'`);
    const key = kv.slice(0, i).trim();
    return { key, value: parseScalar(kv.slice(i + 1)), label: `CLI flag --set ${key}` };
  });
}

/** Loads settings (all layers), the symbol table and the strategies. */
export function loadAll(
  flags: ConfigFlags,
  extra: { key: string; value: unknown; label: string }[] = [],
): Loaded {
  const root = process.cwd();
  const { settings } = loadSettings({
    root,
    env: flags.env,
    configFile: flags.config,
    overrides: [...setOverrides(flags.set), ...extra],
  });
  const symbols = loadSymbols(path.resolve(root, settings.symbols_file));
  const strategies = loadStrategies(
    path.resolve(root, settings.strategies_file),
    new Set(symbols.map((s) => s.code)),
  );
  return { settings, root, symbols, strategies };
}
