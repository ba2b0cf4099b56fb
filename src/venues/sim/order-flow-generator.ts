import type { Side } from '../../contracts/market.ts';
import type { Rng } from '../../core/rng.ts';
import { roundToTick, tickDown, tickUp } from '../../core/ticks.ts';
import type { MatchingEngine } from './matching-engine.ts';

/**
 * Parameters of the zero-intelligence order flow (Cont, Stoikov & Talreja 2010). Rates are per second of
 * simulated time; sizes are in lots of the symbol's `lotSize`. The defaults give a liquid, futures-like
 * book (measured over one simulated hour): about 60 events/s, a one-tick spread 85% of the time,
 * ~15 lots at the touch, ~6 trade prints/s and a mid that changes about twice a second.
 */
export interface OrderFlowOptions {
  /** Price (scaled) the initial book is built around. Required. */
  refPrice: number;
  /** Limit-order arrivals per second on each side, summed over all distances. Default 15. */
  limitRate?: number;
  /** Market-order arrivals per second on each side. Default 3. */
  marketRate?: number;
  /** Each resting background lot is withdrawn at this rate per second, taking its order with it. Default 0.05. */
  cancelRate?: number;
  /** Limit orders land 1..maxDistanceTicks ticks from the opposite best. Default 10. */
  maxDistanceTicks?: number;
  /** Distance profile exponent: the arrival rate at distance d is proportional to d^-alpha. Default 0.5 (CST fit: 0.52). */
  alpha?: number;
  /** Mean order size in lots; sizes are geometric (>= 1). Default 3. */
  meanLots?: number;
  /** Levels per side of the initial book, and of a side rebuilt after it emptied. Default 5. */
  initialLevels?: number;
}

export const ORDER_FLOW_DEFAULTS = {
  limitRate: 15,
  marketRate: 3,
  cancelRate: 0.05,
  maxDistanceTicks: 10,
  alpha: 0.5,
  meanLots: 3,
  initialLevels: 5,
} as const;

/** Background event counts since construction. */
export interface OrderFlowCounters {
  limitOrders: number;
  marketOrders: number;
  cancels: number;
  /** Times a side was found empty and rebuilt. */
  rebuilds: number;
}

/** Most orders seeded on one level of a rebuilt side. */
const MAX_SEED_ORDERS = 50;

/**
 * Drives the background flow of one MatchingEngine as a Poisson process whose total rate depends on the
 * book (cancellations scale with resting quantity): the caller waits `nextDelayNs()` and then calls
 * `step()` (Gillespie's algorithm). Both sides are kept non-empty. All randomness comes from `rng`.
 */
export class OrderFlowGenerator {
  readonly options: Required<OrderFlowOptions>;
  readonly counters: OrderFlowCounters = { limitOrders: 0, marketOrders: 0, cancels: 0, rebuilds: 0 };
  /** Cumulative distance weights: cdf[d-1] = P(distance <= d). */
  private readonly cdf: Float64Array;
  private readonly lot: number;
  private lastMid: number;

  constructor(
    private readonly engine: MatchingEngine,
    private readonly rng: Rng,
    options: OrderFlowOptions,
  ) {
    const o: Required<OrderFlowOptions> = { ...ORDER_FLOW_DEFAULTS, refPrice: options.refPrice };
    // Explicit undefined (e.g. from a config file) means "use the default".
    for (const k of Object.keys(ORDER_FLOW_DEFAULTS) as (keyof typeof ORDER_FLOW_DEFAULTS)[]) {
      const v = options[k];
      if (v !== undefined) o[k] = v;
    }
    const code = engine.spec.code;
    check(code, 'refPrice', o.refPrice, o.refPrice > 0);
    check(code, 'limitRate', o.limitRate, o.limitRate >= 0);
    check(code, 'marketRate', o.marketRate, o.marketRate >= 0);
    check(code, 'cancelRate', o.cancelRate, o.cancelRate >= 0);
    check(
      code,
      'maxDistanceTicks',
      o.maxDistanceTicks,
      Number.isInteger(o.maxDistanceTicks) && o.maxDistanceTicks >= 1,
    );
    check(code, 'alpha', o.alpha, o.alpha >= 0);
    check(code, 'meanLots', o.meanLots, o.meanLots >= 1);
    check(code, 'initialLevels', o.initialLevels, Number.isInteger(o.initialLevels) && o.initialLevels >= 1);
    this.options = o;
    this.lot = engine.spec.lotSize;
    this.lastMid = o.refPrice;
    this.cdf = new Float64Array(o.maxDistanceTicks);
    let sum = 0;
    for (let d = 1; d <= o.maxDistanceTicks; d++) sum += d ** -o.alpha;
    let acc = 0;
    for (let d = 1; d <= o.maxDistanceTicks; d++) this.cdf[d - 1] = acc += d ** -o.alpha / sum;
    this.cdf[o.maxDistanceTicks - 1] = 1;
  }

  /** Builds the initial book around `refPrice` (or rebuilds whichever side is empty). */
  seed(): void {
    this.ensureBothSides();
  }

  /** Total event rate per second in the current book. */
  totalRate(): number {
    const o = this.options;
    const bgLots = (this.engine.backgroundQty(1) + this.engine.backgroundQty(-1)) / this.lot;
    return 2 * o.limitRate + 2 * o.marketRate + o.cancelRate * bgLots;
  }

  /** Waiting time (ns, >= 1) to the next background event; Infinity when every rate is zero. */
  nextDelayNs(): number {
    const rate = this.totalRate();
    if (rate <= 0) return Number.POSITIVE_INFINITY;
    const ns = Math.round(this.rng.exp(rate) * 1e9);
    return Math.max(1, ns);
  }

  /** Applies one background event, chosen in proportion to the current rates. */
  step(): void {
    if (this.ensureBothSides()) this.counters.rebuilds++;
    const o = this.options;
    const e = this.engine;
    const cancelBid = (o.cancelRate * e.backgroundQty(1)) / this.lot;
    const cancelAsk = (o.cancelRate * e.backgroundQty(-1)) / this.lot;
    const limits = 2 * o.limitRate;
    const markets = limits + 2 * o.marketRate;
    const u = this.rng.next() * (markets + cancelBid + cancelAsk);
    if (u < limits) this.limit(u < o.limitRate ? 1 : -1);
    else if (u < markets) this.market(u < limits + o.marketRate ? 1 : -1);
    else this.cancel(u < markets + cancelBid ? 1 : -1);
    if (this.ensureBothSides()) this.counters.rebuilds++;
    this.lastMid = (e.bestBid() + e.bestAsk()) / 2;
  }

  /** A limit order `d` ticks from the opposite best: d >= 1, so it never crosses. */
  private limit(side: Side): void {
    const spec = this.engine.spec;
    const d = this.distance();
    let p = side === 1 ? this.engine.bestAsk() : this.engine.bestBid();
    for (let i = 0; i < d; i++) {
      if (side === 1) {
        const down = tickDown(spec, p);
        if (down <= 0) break;
        p = down;
      } else {
        p = tickUp(spec, p);
      }
    }
    // Only at the lowest tick of a penny stock can a bid fail to move below the ask.
    if (side === 1 && p >= this.engine.bestAsk()) return;
    this.engine.add(this.engine.nextOrderId(), side, p, this.size(), 'GTC', false);
    this.counters.limitOrders++;
  }

  private market(side: Side): void {
    this.engine.market(side, this.size());
    this.counters.marketOrders++;
  }

  /** Cancels the background order holding a uniformly drawn background lot of `side`. */
  private cancel(side: Side): void {
    const bg = this.engine.backgroundQty(side);
    if (bg <= 0) return;
    const id = this.engine.backgroundOrderAt(side, Math.floor(this.rng.next() * bg));
    if (this.engine.cancel(id) > 0) this.counters.cancels++;
  }

  /** Rebuilds an empty side (both, around the last mid, if both are empty); true if it had to. */
  private ensureBothSides(): boolean {
    const e = this.engine;
    const spec = e.spec;
    let bid = e.bestBid();
    let ask = e.bestAsk();
    if (bid > 0 && ask > 0) return false;
    if (bid === 0 && ask === 0) {
      bid = roundToTick(spec, this.lastMid, 1);
      if (bid <= 0) bid = tickUp(spec, 0);
      ask = tickUp(spec, bid);
      this.buildSide(1, bid);
      this.buildSide(-1, ask);
    } else if (bid === 0) {
      this.buildSide(1, tickDown(spec, ask));
    } else {
      this.buildSide(-1, tickUp(spec, bid));
    }
    return true;
  }

  /** Seeds `initialLevels` levels moving away from `start`, sized near the flow's steady state. */
  private buildSide(side: Side, start: number): void {
    const o = this.options;
    const spec = this.engine.spec;
    let p = start;
    for (let k = 0; k < o.initialLevels && p > 0; k++) {
      const n = this.seedOrders(k + 1);
      for (let i = 0; i < n; i++)
        this.engine.add(this.engine.nextOrderId(), side, p, this.size(), 'GTC', false);
      p = side === 1 ? tickDown(spec, p) : tickUp(spec, p);
    }
  }

  /** Orders per level at distance d where arrivals balance cancellations (each order leaves at ~cancelRate*meanLots). */
  private seedOrders(d: number): number {
    const o = this.options;
    if (d > o.maxDistanceTicks) return 1;
    const w = this.cdf[d - 1] - (d > 1 ? this.cdf[d - 2] : 0);
    const n = Math.round((o.limitRate * w) / (o.cancelRate * o.meanLots));
    return n < 1 ? 1 : n > MAX_SEED_ORDERS || !Number.isFinite(n) ? MAX_SEED_ORDERS : n;
  }

  /** Distance in ticks from the opposite best, power-law distributed on 1..maxDistanceTicks. */
  private distance(): number {
    const u = this.rng.next();
    const cdf = this.cdf;
    let d = 0;
    while (d < cdf.length - 1 && u >= cdf[d]) d++;
    return d + 1;
  }

  /** Order size in scaled quantity: geometric number of lots with mean `meanLots`. */
  private size(): number {
    const m = this.options.meanLots;
    return (m <= 1 ? 1 : this.rng.geometric(1 / m)) * this.lot;
  }
}

function check(code: string, key: string, value: number, ok: boolean): void {
  if (!ok || !Number.isFinite(value)) throw new Error(`order flow for ${code}: invalid ${key} = ${value}`);
}
