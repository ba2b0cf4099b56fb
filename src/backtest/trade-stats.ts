import type { Side } from '../contracts/market.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { NS_PER_S } from '../core/clock.ts';
import type { Scheduler, TaskSource } from '../core/scheduler.ts';
import { tickAt } from '../core/ticks.ts';
import { moneyFactor } from '../execution/fees.ts';
import { SampleLog } from './sample-log.ts';

/** Markout horizons after each fill, seconds of data time. */
export const MARKOUT_HORIZONS_S = [1, 10, 60] as const;

/** Markout of the fills at one horizon. */
export interface MarkoutStats {
  horizon_s: number;
  /** Fills measured (a horizon past the end of the data is not). */
  fills: number;
  /** Quantity-weighted mean, ticks (positive: the mid moved our way). */
  avg_ticks: number;
  /** Sum over the fills of side x (mid - price) x qty, currency units. */
  total: number;
}

/** Time from opening a quantity to closing it (FIFO per strategy and symbol), seconds, weighted by quantity. */
export interface HoldingStats {
  closed_qty: number;
  avg_s: number;
  median_s: number;
  max_s: number;
  /** Still open at the end of the data. */
  open_qty: number;
}

/** FIFO open lots of one strategy in one symbol (holdingStats). */
interface Lots {
  ts: number[];
  qty: number[];
  head: number;
  /** Sign of the open lots (+1 long, -1 short, 0 flat). */
  side: number;
}

/** Columns of the fill log. */
const F_SYMBOL = 0;
const F_SIDE = 1;
const F_PRICE = 2;
const F_QTY = 3;
const F_TS = 4;
const F_STRATEGY = 5;

/**
 * Per-trade statistics of a backtest: the markout of every fill against the book's mid 1 s, 10 s
 * and 60 s later (data time), and holding times by FIFO matching of each strategy's fills per
 * symbol. A fill is a row of numbers; the holding times are matched from those rows when asked
 * (after the run), not per fill: a fill costs the run a row and its markout bookkeeping. The
 * markouts are a scheduler source (its next time: the earliest pending markout) rather than
 * timer tasks, like the run's other periodic work: no heap push and pop per horizon, and the
 * scheduler's task callbacks stay the order path's. Added after the replay's sources, it reads the
 * mid after the data events of its time, as a task did; being work (not a background source), it
 * keeps the run going until the last markout inside the data is taken, as a task did.
 */
export class TradeStats implements TaskSource {
  /** Time of the earliest pending markout (Infinity: none). */
  nextTs = Number.POSITIVE_INFINITY;
  /** Per fill: markout in ticks at each horizon (NaN: not measured). */
  readonly markouts = new SampleLog(MARKOUT_HORIZONS_S.length, Number.NaN);
  /** Per fill: symbol, side, price, qty, time, strategy (its index in `strategies`). */
  private readonly fills = new SampleLog(6);
  /** Strategies by the index their fills carry. */
  private readonly strategies: string[] = [];
  /** The last fill's strategy and its index (a backtest's fills are all one strategy's). */
  private lastStrategy = '';
  private lastStrategyIndex = -1;
  /** Per horizon: index of the next fill whose markout is pending. */
  private readonly next = new Array<number>(MARKOUT_HORIZONS_S.length).fill(0);
  private readonly sums = MARKOUT_HORIZONS_S.map(() => ({ n: 0, qty: 0, ticksQty: 0, money: 0 }));
  private readonly factors: number[];

  constructor(
    private readonly symbols: readonly SymbolSpec[],
    private readonly scheduler: Scheduler,
    /** Mid of a symbol now (the last valid one when the book is one-sided). */
    private readonly mid: (symbolId: number) => number,
  ) {
    this.factors = symbols.map(moneyFactor);
    scheduler.addSource(this);
  }

  /** Records one fill (in time order). */
  onFill(ts: number, strategy: string, symbolId: number, side: Side, price: number, qty: number): void {
    const off = this.fills.add();
    const c = this.fills.chunk;
    c[off + F_SYMBOL] = symbolId;
    c[off + F_SIDE] = side;
    c[off + F_PRICE] = price;
    c[off + F_QTY] = qty;
    c[off + F_TS] = ts;
    c[off + F_STRATEGY] = this.strategyIndex(strategy);
    this.markouts.add();
    // Fills come in time order: this one is due first only at horizons with nothing else pending.
    const i = this.fills.length - 1;
    for (let k = 0; k < MARKOUT_HORIZONS_S.length; k++)
      if (this.next[k] === i) this.nextTs = Math.min(this.nextTs, ts + MARKOUT_HORIZONS_S[k] * NS_PER_S);
  }

  private strategyIndex(strategy: string): number {
    if (strategy === this.lastStrategy) return this.lastStrategyIndex;
    let k = this.strategies.indexOf(strategy);
    if (k < 0) k = this.strategies.push(strategy) - 1;
    this.lastStrategy = strategy;
    this.lastStrategyIndex = k;
    return k;
  }

  /** Markouts at each horizon. */
  markoutStats(): MarkoutStats[] {
    return MARKOUT_HORIZONS_S.map((h, k) => {
      const s = this.sums[k];
      return {
        horizon_s: h,
        fills: s.n,
        avg_ticks: s.qty > 0 ? Math.round((s.ticksQty / s.qty) * 1e4) / 1e4 : 0,
        total: Math.round(s.money) / 1e4,
      };
    });
  }

  holdingStats(): HoldingStats {
    const lots = new Map<number, Lots>();
    /** Matched quantities and how long each was held, seconds. */
    const rows: [number, number][] = [];
    const f = this.fills;
    for (let i = 0; i < f.length; i++) {
      const key = f.get(i, F_STRATEGY) * this.symbols.length + f.get(i, F_SYMBOL);
      let l = lots.get(key);
      if (l === undefined) {
        l = { ts: [], qty: [], head: 0, side: 0 };
        lots.set(key, l);
      }
      match(l, f.get(i, F_TS), f.get(i, F_SIDE), f.get(i, F_QTY), rows);
    }
    let qty = 0;
    let sum = 0;
    let max = 0;
    for (const [s, q] of rows) {
      qty += q;
      sum += s * q;
      if (s > max) max = s;
    }
    rows.sort((a, b) => a[0] - b[0]);
    let median = 0;
    for (let i = 0, acc = 0; i < rows.length; i++) {
      acc += rows[i][1];
      if (acc * 2 >= qty) {
        median = rows[i][0];
        break;
      }
    }
    let open = 0;
    for (const l of lots.values()) for (let i = l.head; i < l.qty.length; i++) open += l.qty[i];
    const r3 = (v: number) => Math.round(v * 1000) / 1000;
    return {
      closed_qty: qty,
      avg_s: qty > 0 ? r3(sum / qty) : 0,
      median_s: r3(median),
      max_s: r3(max),
      open_qty: open,
    };
  }

  /** Takes the markouts due by now (the scheduler calls it at `nextTs`). */
  run(): void {
    const now = this.scheduler.clock.nowNs();
    const f = this.fills;
    let next = Number.POSITIVE_INFINITY;
    for (let k = 0; k < MARKOUT_HORIZONS_S.length; k++) {
      const i = this.measure(k, now);
      if (i < f.length) next = Math.min(next, f.get(i, F_TS) + MARKOUT_HORIZONS_S[k] * NS_PER_S);
    }
    this.nextTs = next;
  }

  /** Measures the markouts of horizon `k` due by `now`; returns the index of the next pending fill. */
  private measure(k: number, now: number): number {
    const f = this.fills;
    const h = MARKOUT_HORIZONS_S[k] * NS_PER_S;
    let i = this.next[k];
    for (; i < f.length && f.get(i, F_TS) + h <= now; i++) {
      const sym = f.get(i, F_SYMBOL);
      const side = f.get(i, F_SIDE);
      const price = f.get(i, F_PRICE);
      const qty = f.get(i, F_QTY);
      const mid = this.mid(sym);
      if (!(mid > 0)) continue;
      const edge = side * (mid - price);
      const ticks = edge / tickAt(this.symbols[sym], price);
      this.markouts.set(i, k, ticks);
      const s = this.sums[k];
      s.n++;
      s.qty += qty;
      s.ticksQty += ticks * qty;
      s.money += edge * qty * this.factors[sym];
    }
    this.next[k] = i;
    return i;
  }
}

/**
 * FIFO matching of one fill (time `ts`, `side`, `qty`): it closes open lots of the other side,
 * oldest first (a [seconds held, quantity] row each), and the rest opens a lot.
 */
function match(l: Lots, ts: number, side: number, qty: number, rows: [number, number][]): void {
  let rest = qty;
  while (rest > 0 && l.side === -side && l.head < l.qty.length) {
    const q = Math.min(rest, l.qty[l.head]);
    rows.push([(ts - l.ts[l.head]) / NS_PER_S, q]);
    rest -= q;
    l.qty[l.head] -= q;
    if (l.qty[l.head] === 0) l.head++;
  }
  if (l.head === l.qty.length) {
    l.ts.length = 0;
    l.qty.length = 0;
    l.head = 0;
    l.side = 0;
  }
  if (rest > 0) {
    l.ts.push(ts);
    l.qty.push(rest);
    l.side = side;
  }
}
