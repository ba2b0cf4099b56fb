import type { FeeSpec, SymbolSpec } from '../../../src/contracts/symbols.ts';
import type { SimClock } from '../../../src/core/clock.ts';
import type { Scheduler } from '../../../src/core/scheduler.ts';

const NO_FEES: FeeSpec = {
  commissionPerContract: 0,
  commissionRate: 0,
  commissionMin: 0,
  taxRateBuy: 0,
  taxRateSell: 0,
};

/** TAIFEX TAIEX future: 1 index point ticks, price scale 100. */
export const TXF: SymbolSpec = {
  id: 1,
  code: 'TXF',
  name: 'TAIEX futures',
  exchange: 'TAIFEX',
  type: 'future',
  priceScale: 100,
  ticks: [{ below: Number.POSITIVE_INFINITY, tick: 100 }],
  qtyScale: 1,
  lotSize: 1,
  multiplier: 200,
  currency: 'TWD',
  fees: NO_FEES,
};

/** TWSE stock with the TWSE tick ladder (scaled by 100) and 1000-share lots. */
export const TSMC: SymbolSpec = {
  id: 2,
  code: '2330',
  name: 'TSMC',
  exchange: 'TWSE',
  type: 'stock',
  priceScale: 100,
  ticks: [
    { below: 1_000, tick: 1 },
    { below: 5_000, tick: 5 },
    { below: 10_000, tick: 10 },
    { below: 50_000, tick: 50 },
    { below: 100_000, tick: 100 },
    { below: Number.POSITIVE_INFINITY, tick: 500 },
  ],
  qtyScale: 1,
  lotSize: 1000,
  multiplier: 1,
  currency: 'TWD',
  fees: NO_FEES,
};

/** Runs every scheduler task due at or before `end`, moving the clock to each task's time, then to `end`. */
export function runUntil(clock: SimClock, sched: Scheduler, end: number): void {
  while (sched.nextTs() <= end) {
    clock.set(sched.nextTs());
    sched.runNext(end);
  }
  if (clock.nowNs() < end) clock.set(end);
}
