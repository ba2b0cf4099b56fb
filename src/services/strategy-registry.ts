import type { SymbolSpec } from '../contracts/symbols.ts';
import { UserError } from '../core/errors.ts';
import { MarketMaker } from '../strategies/market-maker.ts';
import type { Strategy, StrategyFactory } from '../strategy/sdk.ts';

/** Strategy classes that `class:` in strategies.yaml can name. */
export const STRATEGY_CLASSES: Record<string, StrategyFactory> = {
  market_maker: (id, symbols, params) => new MarketMaker(id, symbols, params),
};

export function createStrategy(
  cls: string,
  id: string,
  symbols: readonly SymbolSpec[],
  params: Record<string, unknown>,
): Strategy {
  const factory = STRATEGY_CLASSES[cls];
  if (factory === undefined) {
    throw new UserError(
      `strategy ${id}: unknown class '${cls}' (known: ${Object.keys(STRATEGY_CLASSES).join(', ')})`,
    );
  }
  try {
    return factory(id, symbols, params);
  } catch (err) {
    throw new UserError(`strategy ${id}: invalid params: ${(err as Error).message}`);
  }
}
