import { MdKind } from '../contracts/market.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { Epoch, NS_PER_MS } from '../core/clock.ts';
import { Rng } from '../core/rng.ts';
import { EV_LAST, type EventColumns, EventColumnsBuilder } from '../venues/replay/event-columns.ts';
import { buildAlpha } from './registry.ts';
import type { Alpha, AlphaClass } from './sdk.ts';
import { computeSignals } from './signal-path.ts';

/** The symbol of synthetic markets: price scale 100, tick 1 point (100 scaled). */
export const SYNTHETIC_SYMBOL: SymbolSpec = {
  id: 0,
  code: 'SYN',
  name: 'synthetic',
  exchange: 'TAIFEX',
  type: 'future',
  priceScale: 100,
  ticks: [{ below: Number.POSITIVE_INFINITY, tick: 100 }],
  qtyScale: 1,
  lotSize: 1,
  multiplier: 1,
  currency: 'TWD',
  fees: { commissionPerContract: 0, commissionRate: 0, commissionMin: 0, taxRateBuy: 0, taxRateSell: 0 },
};

export interface SyntheticOptions {
  /** Exchange messages (each a book update of both best levels, or a trade). */
  messages?: number;
  seed?: number;
  /** Start price in points. */
  price?: number;
}

/**
 * A seeded random market for an alpha's own tests: a 5-level book whose mid walks a tick at a time,
 * quantities that move, and trades (one message in five) with their aggressor side. Messages are
 * 10 ms apart. Run it through an alpha with `alphaSignals`.
 */
export function syntheticMarket(opts: SyntheticOptions = {}): EventColumns {
  const rng = new Rng(opts.seed ?? 1);
  const tick = 100;
  let bid = Math.round(opts.price ?? 30_000) * tick;
  const b = new EventColumnsBuilder();
  b.epoch = Epoch.ZERO;
  const levels = (ts: number, flags: number) => {
    for (let i = 0; i < 5; i++) {
      b.push(MdKind.Level, 1, ts, ts, bid - i * tick, rng.int(1, 40), flags);
      b.push(MdKind.Level, -1, ts, ts, bid + (i + 1) * tick, rng.int(1, 40), flags);
    }
  };
  b.push(MdKind.Clear, 0, 0, 0, 0, 0);
  levels(0, 0);
  b.endMessage();
  for (let m = 1; m < (opts.messages ?? 2000); m++) {
    const ts = m * 10 * NS_PER_MS;
    if (rng.next() < 0.2) {
      const side = rng.next() < 0.5 ? 1 : -1;
      b.push(MdKind.Trade, side, ts, ts, side === 1 ? bid + tick : bid, rng.int(1, 5));
    } else {
      const r = rng.next();
      if (r < 0.15) {
        // The best bid moves up a tick: the old best ask level is gone.
        b.push(MdKind.Level, -1, ts, ts, bid + tick, 0);
        bid += tick;
        levels(ts, 0);
      } else if (r < 0.3) {
        b.push(MdKind.Level, 1, ts, ts, bid, 0);
        bid -= tick;
        levels(ts, 0);
      } else {
        b.push(MdKind.Level, 1, ts, ts, bid, rng.int(1, 40));
        b.push(MdKind.Level, -1, ts, ts, bid + tick, rng.int(1, 40));
      }
    }
    b.endMessage();
  }
  return b.finish();
}

/** One exchange message of a hand-made market: level updates [side, price, qty] (qty 0 removes), or a trade. */
export type MarketMessage =
  | { ts: number; levels: [side: 1 | -1, price: number, qty: number][] }
  | { ts: number; trade: [aggressor: 1 | -1 | 0, price: number, qty: number] };

/** A hand-made market (prices and quantities in the symbol's units: SYNTHETIC_SYMBOL's scale 100; ts in ns). */
export function marketOf(messages: readonly MarketMessage[]): EventColumns {
  const b = new EventColumnsBuilder();
  b.epoch = Epoch.ZERO;
  for (const m of messages) {
    if ('trade' in m) b.push(MdKind.Trade, m.trade[0], m.ts, m.ts, m.trade[1], m.trade[2]);
    else for (const [side, px, qty] of m.levels) b.push(MdKind.Level, side, m.ts, m.ts, px, qty);
    b.endMessage();
  }
  return b.finish();
}

/**
 * The alpha's signal at every book change and trade of `market` (the research path: the same LOB,
 * feature kernels and event feed as the runtime), reading only the exchange messages that end
 * within the first `limit` events (a cut never splits a message).
 */
export function alphaSignals(alpha: Alpha, market: EventColumns, limit = market.n): number[] {
  let cut = Math.min(limit, market.n);
  while (cut > 0 && (market.flags[cut - 1] & EV_LAST) === 0) cut--;
  alpha.reset();
  alpha.lastSignal = 0;
  return Array.from(computeSignals([alpha], market, SYNTHETIC_SYMBOL, cut)[0].signal);
}

/** A new instance of an alpha class, its parameters validated by its schema (defaults filled in). */
export function createAlpha<C extends AlphaClass>(
  cls: C,
  params: Record<string, unknown> = {},
): InstanceType<C> {
  return buildAlpha({ id: cls.manifest.alpha_id, cls }, params) as InstanceType<C>;
}
