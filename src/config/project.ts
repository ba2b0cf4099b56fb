import path from 'node:path';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { type LoadOptions, loadSettings } from './loader.ts';
import type { Settings } from './schema.ts';
import { loadStrategies, type StrategyConfig } from './strategies.ts';
import { loadSymbols } from './symbols.ts';

/** Everything a run needs from config/: the layered settings, the symbol table, the strategies. */
export interface Project {
  settings: Settings;
  root: string;
  symbols: SymbolSpec[];
  strategies: StrategyConfig[];
}

/** Loads settings (all layers), then the symbol and strategy files they name. */
export function loadProject(opts: LoadOptions = {}): Project {
  const { settings, root } = loadSettings(opts);
  const symbols = loadSymbols(path.resolve(root, settings.symbols_file));
  const strategies = loadStrategies(
    path.resolve(root, settings.strategies_file),
    new Set(symbols.map((s) => s.code)),
  );
  return { settings, root, symbols, strategies };
}
