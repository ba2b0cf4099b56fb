import type { SymbolSpec } from '../contracts/symbols.ts';

/** Tick size (scaled) that applies at `price` (scaled). */
export function tickAt(spec: SymbolSpec, price: number): number {
  const bands = spec.ticks;
  for (let i = 0; i < bands.length; i++) if (price < bands[i].below) return bands[i].tick;
  return bands[bands.length - 1].tick;
}

/** The symbol's tick when one size applies at every price (scaled), else 0 (a ladder). */
export function uniformTick(spec: Pick<SymbolSpec, 'ticks'>): number {
  return spec.ticks.length === 1 ? spec.ticks[0].tick : 0;
}

/** True when `price` lies on the tick grid of its band. */
export function onTick(spec: SymbolSpec, price: number): boolean {
  return price > 0 && price % tickAt(spec, price) === 0;
}

/** Next valid price strictly above `price`. */
export function tickUp(spec: SymbolSpec, price: number): number {
  const t = tickAt(spec, price);
  return (Math.floor(price / t) + 1) * t;
}

/** Next valid price strictly below `price`. */
export function tickDown(spec: SymbolSpec, price: number): number {
  const t = tickAt(spec, price - 1);
  return (Math.ceil(price / t) - 1) * t;
}

/** Rounds to the tick grid, toward the passive side for `side` (+1 bid rounds down, -1 ask rounds up). */
export function roundToTick(spec: SymbolSpec, price: number, side: 1 | -1): number {
  const t = tickAt(spec, price);
  return side === 1 ? Math.floor(price / t) * t : Math.ceil(price / t) * t;
}
