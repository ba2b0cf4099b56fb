import type { Side } from '../contracts/market.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { UserError } from '../core/errors.ts';
import { applyRate, MONEY_SCALE, RATE_SCALE } from '../core/money.ts';

/** Money value (MONEY_SCALE units) of one price unit (scaled) times one quantity unit. */
export function moneyFactor(spec: SymbolSpec): number {
  const f = (spec.multiplier * MONEY_SCALE) / spec.priceScale;
  if (!Number.isInteger(f)) {
    throw new UserError(
      `${spec.code}: money is kept in integers, so multiplier x ${MONEY_SCALE} / price_scale must be an integer (got ${f}); this symbol cannot be traded as configured in its symbols file`,
    );
  }
  return f;
}

/** Commission and tax of one fill, in money units. */
export interface FillCosts {
  fee: number;
  tax: number;
}

/**
 * Costs of a fill under the symbol's fee schedule: commission = per-contract + rate x notional
 * (at least the minimum), tax = side's rate x notional (TW futures: both sides; TW stocks: sells).
 */
export function fillCosts(
  spec: SymbolSpec,
  side: Side,
  price: number,
  qty: number,
  out: FillCosts,
): FillCosts {
  const f = spec.fees;
  const notional = price * qty * moneyFactor(spec);
  let fee = f.commissionPerContract * qty + applyRate(notional, f.commissionRate);
  if (fee < f.commissionMin) fee = f.commissionMin;
  out.fee = fee;
  out.tax = applyRate(notional, side === 1 ? f.taxRateBuy : f.taxRateSell);
  return out;
}

/**
 * The symbol with Taiwan's day-trade securities transaction tax on stock sells (0.15% instead
 * of 0.3% for a same-day round trip). For a desk that is flat at every close all stock sells are
 * day-trade sells, so the reduced rate is a per-account switch (`fees.stock_day_trade`). The rate is
 * a decimal (0.0015).
 */
export function withDayTradeTax(spec: SymbolSpec, taxRateSell: number): SymbolSpec {
  if (spec.type !== 'stock' || (spec.exchange !== 'TWSE' && spec.exchange !== 'TPEX')) return spec;
  return { ...spec, fees: { ...spec.fees, taxRateSell: Math.round(taxRateSell * RATE_SCALE) } };
}
