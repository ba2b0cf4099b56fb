import { existsSync } from 'node:fs';
import path from 'node:path';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { ConfigError } from '../core/errors.ts';
import { type LoadOptions, loadSettings, sourceOf } from './loader.ts';
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

/**
 * Loads settings (all layers), then the symbol and strategy files they name. An error in one of
 * those files also says which setting named it, and where that was set.
 */
export function loadProject(opts: LoadOptions = {}): Project {
  const { settings, root, sources } = loadSettings(opts);
  const named = <T>(key: 'symbols_file' | 'strategies_file', load: () => T): T => {
    try {
      return load();
    } catch (e) {
      if (!(e instanceof ConfigError) || e.source.includes(`(${key}`)) throw e;
      throw new ConfigError(`${e.source} (${key}, set in ${sourceOf(key, sources)})`, e.key, e.reason);
    }
  };
  const symbols = named('symbols_file', () => loadSymbols(settings.symbols_file));
  const strategies = named('strategies_file', () =>
    loadStrategies(settings.strategies_file, new Set(symbols.map((s) => s.code))),
  );
  return { settings, root, symbols, strategies };
}

/** A project folder: it holds config/base.yaml or config/strategies.yaml (what `hft init` writes). */
export function isProject(dir: string): boolean {
  return ['base.yaml', 'strategies.yaml'].some((f) => existsSync(path.join(dir, 'config', f)));
}

/**
 * The project the commands work in: the nearest folder from `cwd` upwards that is a project, as
 * git finds its repository; none: `cwd` itself, with the platform's defaults only.
 */
export function findProjectRoot(cwd: string): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (isProject(dir)) return dir;
    if (path.dirname(dir) === dir) return path.resolve(cwd);
  }
}
