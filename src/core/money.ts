/**
 * Money and price arithmetic. Prices and quantities are integers scaled per symbol
 * (`priceScale`); money (PnL, fees, notional) is an integer in units of 1/MONEY_SCALE
 * of the account currency. Values live in JS numbers and must stay safe integers.
 */
export const MONEY_SCALE = 10_000;

/** Rates (fees, taxes) are integers in units of 1e-7 (e.g. 0.002% -> 200). */
export const RATE_SCALE = 10_000_000;

/** Parses a decimal string or number into a scaled integer; throws if it is not exact at that scale. */
export function toScaled(value: string | number, scale: number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${value}`);
  const scaled = Math.round(n * scale);
  if (Math.abs(scaled - n * scale) > 1e-6 * Math.max(1, Math.abs(n * scale))) {
    throw new Error(`${value} is not representable at scale ${scale}`);
  }
  return scaled;
}

/** Scaled integer -> decimal string for display. */
export function formatScaled(value: number, scale: number): string {
  const digits = Math.round(Math.log10(scale));
  return (value / scale).toFixed(digits);
}

/** Money value of `qty` at `price` (both scaled) for a contract with `multiplier` per point. */
export function notional(price: number, qty: number, multiplier: number, priceScale: number): number {
  return (price * qty * multiplier * MONEY_SCALE) / priceScale;
}

/** Fee or tax: notional x rate, rounded half away from zero to a whole money unit. */
export function applyRate(notionalMoney: number, rate: number): number {
  const raw = (Math.abs(notionalMoney) * rate) / RATE_SCALE;
  return Math.round(raw);
}

export function assertSafe(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) throw new Error(`${what} is not a safe integer: ${value}`);
  return value;
}
