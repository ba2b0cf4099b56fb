import type { Side } from '../contracts/market.ts';
import type { ExecReport } from '../contracts/orders.ts';
import type { TaskSource } from '../core/scheduler.ts';
import { moneyFactor } from '../execution/fees.ts';
import { GUARD_STATES, type GuardLevel } from '../risk/storm-guard.ts';
import type { TradingSystem } from '../services/trading-system.ts';
import type { EquitySeries } from './metrics.ts';
import { OrderLog } from './order-log.ts';
import { SampleLog } from './sample-log.ts';
import { TradeStats } from './trade-stats.ts';

/** One own fill, as the execution plane reported it. Prices scaled, money in MONEY_SCALE units. */
export interface FillRow {
  exchTs: number;
  localTs: number;
  strategy: string;
  symbolId: number;
  orderId: number;
  side: Side;
  price: number;
  qty: number;
  taker: boolean;
  fee: number;
  tax: number;
  /** Net position of the symbol (all strategies) after the fill. */
  position: number;
  /** Net PnL of the run after the fill. */
  equity: number;
}

/** Equity and position samples (column arrays). Money in MONEY_SCALE units. */
export interface EquityColumns extends EquitySeries {
  ts: number[];
  equity: number[];
  active: number[];
  realized: number[];
  unrealized: number[];
  fees: number[];
  /** Orders refused before the venue so far (risk and order adapter), cumulative. */
  refused: number[];
  /** Net position per symbol id. */
  position: number[][];
}

/** Orders refused before the venue for one reason: how many, first and last time (run clock). */
export interface RefusalStats {
  count: number;
  first: number;
  last: number;
}

/** A StormGuard state change: time (run clock), new level, reason. */
export interface GuardChange {
  ts: number;
  from: GuardLevel;
  level: GuardLevel;
  reason: string;
}

/**
 * Watches a running TradingSystem from the outside: every order event and fill (through the
 * execution router and the order adapter), the equity (net PnL marked at the book's mid) every
 * `sampleNs` of data time in which market data arrived and after each fill, StormGuard's state
 * changes, the orders refused before the venue by reason, and per-trade statistics (TradeStats).
 * It only reads, so the run it watches is unchanged. Its periodic sample is a background source:
 * across a stretch without market data (the night between two sessions) it takes no rows and
 * jumps to the next work, so memory and time follow the data, not the calendar span.
 */
export class BacktestTracker {
  readonly fills: FillRow[] = [];
  readonly orders: OrderLog;
  /** The samples as columns; complete after `finish()`. */
  equity: EquityColumns;
  /** Quantity sent to the venue, filled, and filled as taker. */
  orderedQty = 0;
  filledQty = 0;
  takerQty = 0;
  fees = 0;
  taxes = 0;
  /** Traded value, money units. */
  turnover = 0;
  /** StormGuard's state changes in time order (applied or observed, per the run's guard mode). */
  readonly guard: GuardChange[] = [];
  /** Orders refused before the venue, by reason (risk engine and order adapter). */
  readonly refusals = new Map<string, RefusalStats>();
  readonly trades: TradeStats;
  /** Run-clock time of the first and last sample. */
  startTs = Number.NaN;
  endTs = Number.NaN;
  private refusedTotal = 0;
  private readonly marks: number[];
  /** Money per price unit per quantity unit, per symbol id. */
  private readonly factors: number[];
  private lastEvents = -1;
  /** Rows of (ts, equity, active, realized, unrealized, fees, position per symbol). */
  private readonly samples: SampleLog;

  /** `spillFile`: the order log keeps its rows in this file, not in memory (OrderLog). */
  constructor(
    private readonly sys: TradingSystem,
    private readonly sampleNs: number,
    spillFile?: string,
  ) {
    this.orders = new OrderLog(spillFile);
    const n = sys.symbols.length;
    this.marks = new Array<number>(n).fill(0);
    this.factors = sys.symbols.map(moneyFactor);
    this.samples = new SampleLog(COLS + n);
    this.equity = columnsOf(this.samples, n);
    this.trades = new TradeStats(sys.symbols, sys.scheduler, (id) => this.markAt(id));
    sys.stormGuard.onTransition((t) =>
      this.guard.push({
        ts: t.ts,
        from: GUARD_STATES.indexOf(t.from) as GuardLevel,
        level: GUARD_STATES.indexOf(t.to) as GuardLevel,
        reason: t.reason,
      }),
    );
    const prevSent = sys.orders.onSent;
    sys.orders.onSent = (o) => {
      prevSent?.(o);
      this.orderedQty += o.qty;
      this.orders.push(o.createdTs, o.orderId, o.symbolId, 'new', o.side, o.price, o.qty, 0, o.qty, '');
    };
    sys.router.listen((r) => {
      this.orders.push(
        r.localTs,
        r.orderId,
        r.symbolId,
        r.type,
        r.side,
        r.price,
        r.qty,
        r.cumQty,
        r.leavesQty,
        r.reason,
      );
      if (r.type === 'fill' || r.type === 'partial') this.onFill(r);
    });
  }

  /** A fill's totals, equity sample, trade statistics and row (kept out of the per-report listener). */
  private onFill(r: ExecReport): void {
    this.filledQty += r.lastQty;
    if (r.taker) this.takerQty += r.lastQty;
    this.fees += r.fee;
    this.taxes += r.tax;
    this.turnover += r.lastPx * r.lastQty * this.factors[r.symbolId];
    const equity = this.sample(r.localTs);
    this.trades.onFill(r.localTs, r.strategyId, r.symbolId, r.side, r.lastPx, r.lastQty);
    this.fills.push({
      exchTs: r.exchTs,
      localTs: r.localTs,
      strategy: r.strategyId,
      symbolId: r.symbolId,
      orderId: r.orderId,
      side: r.side,
      price: r.lastPx,
      qty: r.lastQty,
      taker: r.taker,
      fee: r.fee,
      tax: r.tax,
      position: this.sys.positions.netQty(r.symbolId),
      equity,
    });
  }

  /** Starts the periodic samples at the next whole `sampleNs` of the run's clock. */
  start(): void {
    const now = this.sys.clock.nowNs();
    this.startTs = now;
    this.ticker.nextTs = Math.ceil(now / this.sampleNs) * this.sampleNs;
    this.sys.scheduler.addSource(this.ticker, true);
  }

  /** Takes the closing sample (call after the run). */
  finish(): void {
    this.ticker.nextTs = Number.POSITIVE_INFINITY;
    this.sample(this.sys.clock.nowNs());
    this.equity = columnsOf(this.samples, this.marks.length);
  }

  /**
   * The periodic sample, as a background scheduler source (no heap task per sample): a row when
   * market data arrived since the last one; without any, the next sample waits for the next work
   * of the run (none: the data is over).
   */
  private readonly ticker: TaskSource = {
    nextTs: Number.POSITIVE_INFINITY,
    run: () => {
      const sched = this.sys.scheduler;
      const t = this.ticker;
      const step = this.sampleNs;
      let next = t.nextTs + step;
      if (this.sys.marketData.events !== this.lastEvents) this.sample(sched.clock.nowNs());
      else {
        const work = sched.nextWorkTs();
        if (work === Number.POSITIVE_INFINITY) next = work;
        else if (work > next) next = Math.ceil(work / step) * step;
      }
      t.nextTs = next;
    },
  };

  /** The mark of a symbol: its mid now, else the last valid one. */
  private markAt(id: number): number {
    const mid = this.sys.lob.stats(id).mid;
    if (mid > 0) this.marks[id] = mid;
    return this.marks[id];
  }

  /** Records one equity sample at `ts`; returns the equity. */
  private sample(ts: number): number {
    const sys = this.sys;
    const marks = this.marks;
    for (let i = 0; i < marks.length; i++) this.markAt(i);
    let realized = 0;
    let unrealized = 0;
    let fees = 0;
    const list = sys.positions.list;
    for (let i = 0; i < list.length; i++) {
      const p = list[i];
      realized += p.realized;
      unrealized += p.unrealized(marks[p.spec.id]);
      fees += p.fees;
    }
    const equity = realized + unrealized - fees;
    const events = sys.marketData.events;
    this.countRefusals(ts);
    const off = this.samples.add();
    const row = this.samples.chunk;
    row[off] = ts;
    row[off + 1] = equity;
    row[off + 2] = events !== this.lastEvents ? 1 : 0;
    row[off + 3] = realized;
    row[off + 4] = unrealized;
    row[off + 5] = fees;
    row[off + 6] = this.refusedTotal;
    for (let i = 0; i < marks.length; i++) row[off + COLS + i] = sys.positions.netQty(i);
    this.lastEvents = events;
    if (Number.isNaN(this.startTs)) this.startTs = ts;
    this.endTs = ts;
    return equity;
  }

  /** Folds the refusals counted since the last sample into `refusals` (times to the sample). */
  private countRefusals(ts: number): void {
    const risk = this.sys.risk.counters;
    const adapter = this.sys.orders.counters;
    const total = risk.rejected + adapter.rejected;
    if (total === this.refusedTotal) return;
    this.refusedTotal = total;
    const seen = this.seenByReason;
    for (const by of [risk.byReason, adapter.byReason] as Record<string, number>[]) {
      for (const reason in by) {
        const n = by[reason];
        const key = by === risk.byReason ? reason : `adapter:${reason}`;
        const before = seen.get(key) ?? 0;
        if (n === before) continue;
        seen.set(key, n);
        const r = this.refusals.get(reason);
        if (r === undefined) this.refusals.set(reason, { count: n - before, first: ts, last: ts });
        else {
          r.count += n - before;
          r.last = ts;
        }
      }
    }
  }

  private readonly seenByReason = new Map<string, number>();
}

/** Columns before the positions: ts, equity, active, realized, unrealized, fees, refused. */
const COLS = 7;

function columnsOf(log: SampleLog, symbols: number): EquityColumns {
  return {
    ts: log.column(0),
    equity: log.column(1),
    active: log.column(2),
    realized: log.column(3),
    unrealized: log.column(4),
    fees: log.column(5),
    refused: log.column(6),
    position: Array.from({ length: symbols }, (_, i) => log.column(COLS + i)),
  };
}
