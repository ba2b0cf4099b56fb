/** One price band of a tick-size ladder: prices below `below` (scaled) trade in steps of `tick` (scaled). */
export interface TickBand {
  below: number;
  tick: number;
}

export type Exchange = 'TAIFEX' | 'TWSE' | 'TPEX' | 'BINANCE' | 'CME' | 'NASDAQ';
export type InstrumentType = 'future' | 'option' | 'stock' | 'crypto';

/** Fees and taxes, as rates in units of 1e-7 (RATE_SCALE) or fixed money (MONEY_SCALE) per contract. */
export interface FeeSpec {
  /** Broker commission per contract/share lot, in money units. */
  commissionPerContract: number;
  /** Broker commission as a rate of notional. */
  commissionRate: number;
  /** Minimum commission per fill, money units. */
  commissionMin: number;
  /** Transaction tax on buys, rate of notional. */
  taxRateBuy: number;
  /** Transaction tax on sells, rate of notional. */
  taxRateSell: number;
}

/** Static description of a tradable instrument; every price of this symbol is scaled by `priceScale`. */
export interface SymbolSpec {
  /** Dense index used in typed arrays and hot-path lookups. */
  id: number;
  code: string;
  name: string;
  exchange: Exchange;
  type: InstrumentType;
  priceScale: number;
  /** Tick ladder, ascending by `below`; the last band has below = Infinity. */
  ticks: TickBand[];
  /**
   * Quantities are integers counting units of 1/qtyScale of a contract, share or coin (1 for
   * contracts and shares; crypto: 1000 = 0.001 BTC). Replayed data must count the same units.
   */
  qtyScale: number;
  /** Minimum order quantity step, in quantity units (contracts, or shares for stocks). */
  lotSize: number;
  /** Money per 1.0 of price per unit of quantity (TXF: 200 NTD per point). */
  multiplier: number;
  currency: string;
  fees: FeeSpec;
}
