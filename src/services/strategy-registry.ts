import { ALPHA_CLASS_PREFIX, alphaStrategyClass } from '../alpha/alpha-strategy.ts';
import type { StrategyConfig } from '../config/strategies.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { ConfigError, UserError } from '../core/errors.ts';
import { MarketMaker } from '../strategies/market-maker.ts';
import { OfiTaker } from '../strategies/ofi-taker.ts';
import { Twap } from '../strategies/twap.ts';
import { parseParams } from '../strategy/params.ts';
import { importStrategyClass, isPluginRef } from '../strategy/plugin-loader.ts';
import type { Strategy, StrategyClass } from '../strategy/sdk.ts';

/** The shipped classes, which `class:` names by a short name; any other class is a plugin module. */
export const SHIPPED_STRATEGIES: Readonly<Record<string, StrategyClass>> = {
  market_maker: MarketMaker,
  ofi_taker: OfiTaker,
  twap: Twap,
};

/** A configured strategy ready to build: its class and its validated parameters. */
export interface PreparedStrategy {
  config: StrategyConfig;
  cls: StrategyClass;
  params: unknown;
}

/**
 * The class `class:` names: a shipped one, one of `extra` (a test's), an alpha of the project
 * (`alpha:<id>`, traded through the standard mapping: alpha/alpha-strategy.ts), or a plugin
 * (`./strategies/my.ts#MyStrategy`, an absolute path or a package, see plugin-loader.ts).
 */
export async function strategyClass(
  sc: Pick<StrategyConfig, 'id' | 'class'>,
  root: string,
  extra: Readonly<Record<string, StrategyClass>> = {},
): Promise<StrategyClass> {
  const named = extra[sc.class] ?? SHIPPED_STRATEGIES[sc.class];
  if (named !== undefined) return named;
  if (sc.class.startsWith(ALPHA_CLASS_PREFIX)) {
    try {
      return await alphaStrategyClass(sc.class, root);
    } catch (err) {
      if (err instanceof UserError) throw new UserError(`strategy ${sc.id}: ${err.message}`);
      throw err;
    }
  }
  if (!isPluginRef(sc.class)) {
    const known = [...Object.keys(SHIPPED_STRATEGIES), ...Object.keys(extra)].join(', ');
    throw new UserError(
      `strategy ${sc.id}: unknown class '${sc.class}' (shipped: ${known}; a plugin is <file or package>#<ClassName>, e.g. ./strategies/my.ts#MyStrategy)`,
    );
  }
  try {
    return await importStrategyClass(sc.class, root);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`strategy ${sc.id}: ${err.message}`);
    throw err;
  }
}

/**
 * Resolves the class of a configured strategy and validates its params (with `overrides`, e.g.
 * `--param`, over them): everything that can be checked before any data is read.
 */
export async function prepareStrategy(
  sc: StrategyConfig,
  root: string,
  extra: Readonly<Record<string, StrategyClass>> = {},
  overrides: Record<string, unknown> = {},
): Promise<PreparedStrategy> {
  const cls = await strategyClass(sc, root, extra);
  const config = { ...sc, params: { ...sc.params, ...overrides } };
  return { config, cls, params: parseParams(cls, sc.id, config.params) };
}

/**
 * Builds the strategy on the run's symbols. A constructor that refuses a setting (an Error, e.g.
 * a quantity that is not a multiple of the lot) is a UserError naming the strategy; any other
 * exception is a bug and keeps its stack.
 */
export function buildStrategy(p: PreparedStrategy, symbols: readonly SymbolSpec[]): Strategy {
  try {
    return new p.cls(p.config.id, symbols, p.params as never);
  } catch (err) {
    const e = err as Error;
    if (e?.constructor === Error || e instanceof UserError || e instanceof ConfigError)
      throw new UserError(`strategy ${p.config.id}: ${e.message}`);
    throw err;
  }
}
