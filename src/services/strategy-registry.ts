import type { SymbolSpec } from '../contracts/symbols.ts';
import { UserError } from '../core/errors.ts';
import { MarketMaker } from '../strategies/market-maker.ts';
import { OfiTaker } from '../strategies/ofi-taker.ts';
import { Twap } from '../strategies/twap.ts';
import type { Strategy, StrategyFactory } from '../strategy/sdk.ts';

/** Strategy classes that `class:` in strategies.yaml can name. */
export const STRATEGY_CLASSES: Readonly<Record<string, StrategyFactory>> = {
  market_maker: (id, symbols, params) => new MarketMaker(id, symbols, params),
  ofi_taker: (id, symbols, params) => new OfiTaker(id, symbols, params),
  twap: (id, symbols, params) => new Twap(id, symbols, params),
};

/** Builds a strategy; `extra` classes (e.g. a test's) are looked up before the shipped ones. */
export function createStrategy(
  cls: string,
  id: string,
  symbols: readonly SymbolSpec[],
  params: Record<string, unknown>,
  extra: Readonly<Record<string, StrategyFactory>> = {},
): Strategy {
  const factory = extra[cls] ?? STRATEGY_CLASSES[cls];
  if (factory === undefined) {
    const known = [...Object.keys(STRATEGY_CLASSES), ...Object.keys(extra)];
    throw new UserError(`strategy ${id}: unknown class '${cls}' (known: ${known.join(', ')})`);
  }
  try {
    return factory(id, symbols, params);
  } catch (err) {
    throw new UserError(`strategy ${id}: invalid params: ${(err as Error).message}`);
  }
}
