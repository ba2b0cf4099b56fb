import type { OrderIntent, RejectReason } from '../../contracts/orders.ts';
import type { SymbolSpec } from '../../contracts/symbols.ts';
import { onTick } from '../../core/ticks.ts';

/** Exchange-side checks of a new order, in the order a broker reports them ('' = accepted). */
export function validateOrder(spec: SymbolSpec, it: OrderIntent): RejectReason | '' {
  if (!(it.qty > 0) || !Number.isFinite(it.qty)) return 'QTY_INVALID';
  if (it.qty % spec.lotSize !== 0) return 'LOT_SIZE';
  if (!(it.price > 0) || !Number.isFinite(it.price)) return 'PRICE_INVALID';
  if (!onTick(spec, it.price)) return 'TICK_SIZE';
  if (it.side !== 1 && it.side !== -1) return 'VENUE_REJECT';
  if (it.tif !== 'GTC' && it.tif !== 'IOC' && it.tif !== 'POST_ONLY') return 'TIF_UNSUPPORTED';
  return '';
}
