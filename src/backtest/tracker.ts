import type { Side } from '../contracts/market.ts';
import type { TaskSource } from '../core/scheduler.ts';
import { moneyFactor } from '../execution/fees.ts';
import type { TradingSystem } from '../services/trading-system.ts';
import type { EquitySeries } from './metrics.ts';
import { OrderLog } from './order-log.ts';
import { SampleLog } from './sample-log.ts';

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
  /** Net position per symbol id. */
  position: number[][];
}

/**
 * Watches a running TradingSystem from the outside: every order event and fill (through the
 * execution router and the order adapter) and the equity (net PnL marked at the book's mid) every
 * `sampleNs` of data time and after each fill. It only reads, so the run it watches is unchanged.
 */
export class BacktestTracker {
  readonly fills: FillRow[] = [];
  readonly orders = new OrderLog();
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
  private readonly marks: number[];
  /** Money per price unit per quantity unit, per symbol id. */
  private readonly factors: number[];
  private lastEvents = -1;
  /** Rows of (ts, equity, active, realized, unrealized, fees, position per symbol). */
  private readonly samples: SampleLog;

  constructor(
    private readonly sys: TradingSystem,
    private readonly sampleNs: number,
  ) {
    const n = sys.symbols.length;
    this.marks = new Array<number>(n).fill(0);
    this.factors = sys.symbols.map(moneyFactor);
    this.samples = new SampleLog(6 + n);
    this.equity = columnsOf(this.samples, n);
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
      if (r.type !== 'fill' && r.type !== 'partial') return;
      this.filledQty += r.lastQty;
      if (r.taker) this.takerQty += r.lastQty;
      this.fees += r.fee;
      this.taxes += r.tax;
      this.turnover += r.lastPx * r.lastQty * this.factors[r.symbolId];
      const equity = this.sample(r.localTs);
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
        position: sys.positions.netQty(r.symbolId),
        equity,
      });
    });
  }

  /** Starts the periodic samples at the next whole `sampleNs` of the run's clock. */
  start(): void {
    const now = this.sys.clock.nowNs();
    this.ticker.nextTs = Math.ceil(now / this.sampleNs) * this.sampleNs;
    this.sys.scheduler.addSource(this.ticker);
  }

  /** Takes the closing sample (call after the run). */
  finish(): void {
    this.ticker.nextTs = Number.POSITIVE_INFINITY;
    this.sample(this.sys.clock.nowNs());
    this.equity = columnsOf(this.samples, this.marks.length);
  }

  /** The periodic sample, as a scheduler source (no heap task per sample). */
  private readonly ticker: TaskSource = {
    nextTs: Number.POSITIVE_INFINITY,
    run: () => {
      const sched = this.sys.scheduler;
      this.sample(sched.clock.nowNs());
      // Only while the run has other work (`pending` counts this source): a drained scheduler
      // means the data is over.
      this.ticker.nextTs = sched.pending > 1 ? this.ticker.nextTs + this.sampleNs : Number.POSITIVE_INFINITY;
    },
  };

  /** Records one equity sample at `ts`; returns the equity. */
  private sample(ts: number): number {
    const sys = this.sys;
    const marks = this.marks;
    for (let i = 0; i < marks.length; i++) {
      const mid = sys.lob.stats(i).mid;
      if (mid > 0) marks[i] = mid;
    }
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
    const off = this.samples.add();
    const row = this.samples.chunk;
    row[off] = ts;
    row[off + 1] = equity;
    row[off + 2] = events !== this.lastEvents ? 1 : 0;
    row[off + 3] = realized;
    row[off + 4] = unrealized;
    row[off + 5] = fees;
    for (let i = 0; i < marks.length; i++) row[off + 6 + i] = sys.positions.netQty(i);
    this.lastEvents = events;
    return equity;
  }
}

function columnsOf(log: SampleLog, symbols: number): EquityColumns {
  return {
    ts: log.column(0),
    equity: log.column(1),
    active: log.column(2),
    realized: log.column(3),
    unrealized: log.column(4),
    fees: log.column(5),
    position: Array.from({ length: symbols }, (_, i) => log.column(6 + i)),
  };
}
