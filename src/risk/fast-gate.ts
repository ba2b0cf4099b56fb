import type { OrderIntent, RejectReason } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { notional } from '../core/money.ts';
import { onTick } from '../core/ticks.ts';
import type { Limits } from './limits.ts';

/**
 * The first, cheapest pre-trade checks: the HALT flag, then arithmetic on the intent alone
 * (no lookups of positions or orders). Allocation-free; most bad intents stop here.
 */
export class FastGate {
  /** Kill switch: every new order is rejected while set (StormGuard HALT, operator). */
  halted = false;

  /** The symbol is known (the engine resolved it); `lim` are the strategy's limits in it. */
  check(it: OrderIntent, spec: SymbolSpec, lim: Limits): RejectReason | null {
    if (this.halted) return 'HALTED';
    const qty = it.qty;
    const price = it.price;
    if (it.tif !== 'GTC' && it.tif !== 'IOC' && it.tif !== 'POST_ONLY') return 'TIF_UNSUPPORTED';
    if (!(qty > 0) || !Number.isInteger(qty)) return 'QTY_INVALID';
    if (!(price > 0) || !Number.isInteger(price)) return 'PRICE_INVALID';
    if (qty > lim.maxOrderQty) return 'MAX_ORDER_QTY';
    if (qty % spec.lotSize !== 0) return 'LOT_SIZE';
    if (!onTick(spec, price)) return 'TICK_SIZE';
    if (lim.maxNotional > 0 && notional(price, qty, spec.multiplier, spec.priceScale) > lim.maxNotional)
      return 'MAX_NOTIONAL';
    return null;
  }
}
