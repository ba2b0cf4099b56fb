import type { Side } from '../../contracts/market.ts';
import type { OrderCommand, RejectReason } from '../../contracts/orders.ts';
import type { SymbolSpec } from '../../contracts/symbols.ts';
import type { RawBidAsk, RawTick, Venue, VenueHandlers } from '../../contracts/venue.ts';
import { RecentIdSet } from '../../core/recent-ids.ts';
import { Rng } from '../../core/rng.ts';
import type { Scheduler } from '../../core/scheduler.ts';
import type { LatencyModel } from './latency-model.ts';
import { MatchingEngine } from './matching-engine.ts';
import { validateOrder } from './order-checks.ts';
import { type OrderFlowCounters, OrderFlowGenerator, type OrderFlowOptions } from './order-flow-generator.ts';
import { OrderLink } from './order-link.ts';

export interface SimVenueOptions {
  symbols: SymbolSpec[];
  /** Shared scheduler; its clock is the exchange clock. */
  scheduler: Scheduler;
  seed: number;
  latency: LatencyModel;
  /** Levels per side in each RawBidAsk. Default 5. */
  depthLevels?: number;
  /** Background flow per symbol code; a symbol without an entry has no background flow (an empty book). */
  generator?: Record<string, OrderFlowOptions>;
  /** Default 'sim'. */
  name?: string;
}

/** Per-symbol activity: background events plus market data produced. */
export interface SimSymbolStats extends OrderFlowCounters {
  quotes: number;
  trades: number;
}

/** How many finished own orders are remembered, to answer a late cancel with TOO_LATE_TO_CANCEL. */
const FINISHED_MEMORY = 65_536;
/** Initial capacity of the per-operation trade-print buffer (one slot per price level swept). */
const PRINT_CAPACITY = 16;

interface OwnOrder {
  orderId: number;
  venueOrderId: string;
  engineId: number;
  session: Session;
  leaves: number;
  side: Side;
}

interface Session {
  spec: SymbolSpec;
  engine: MatchingEngine;
  generator: OrderFlowGenerator | null;
  /** Own orders resting or matching, by engine order id. */
  own: Map<number, OwnOrder>;
  /** A flow (or opening) task is queued on the scheduler. */
  pending: boolean;
  bidPx: Float64Array;
  bidQty: Float64Array;
  askPx: Float64Array;
  askQty: Float64Array;
  /** Last published depth, laid out [bidPx | bidQty | askPx | askQty]. */
  published: Float64Array;
  quote: RawBidAsk;
  tick: RawTick;
  /** Trade prints of the current engine operation, aggregated per price, emitted after it returns. */
  printPx: Float64Array;
  printQty: Float64Array;
  prints: number;
  printSide: Side;
  quotes: number;
  trades: number;
}

/**
 * Simulated exchange: one MatchingEngine per symbol, background flow from seeded order-flow generators,
 * own orders and cancels delayed by a LatencyModel, exec reports delayed by the response latency.
 * Market data (RawBidAsk on every top-N change, RawTick per trade print) is emitted synchronously at
 * exchange time into reused objects; exec events are allocated per event (orders are rare).
 */
export class SimVenue implements Venue {
  /** Every report carries the client order id. */
  readonly reportsOrderIds = true;
  readonly name: string;
  private readonly scheduler: Scheduler;
  private readonly link: OrderLink;
  private readonly levels: number;
  private readonly byCode = new Map<string, Session>();
  private readonly byId = new Map<number, Session>();
  /** Working own orders by client order id. */
  private readonly live = new Map<number, OwnOrder>();
  /** Client ids of filled/canceled own orders, oldest first. */
  private readonly finished = new RecentIdSet(FINISHED_MEMORY);
  private handlers: VenueHandlers | null = null;
  private running = false;
  private venueSeq = 0;
  /** Net filled quantity of own orders per symbol id (the account's position at the exchange). */
  private readonly netPos = new Map<number, number>();

  constructor(opts: SimVenueOptions) {
    this.name = opts.name ?? 'sim';
    this.scheduler = opts.scheduler;
    this.link = new OrderLink(this.scheduler, opts.latency, (e) => this.handlers?.onExec(e));
    this.levels = opts.depthLevels ?? 5;
    if (!Number.isInteger(this.levels) || this.levels < 1) {
      throw new Error(`SimVenue: depthLevels must be a positive integer (got ${opts.depthLevels})`);
    }
    for (const spec of opts.symbols) {
      if (this.byCode.has(spec.code) || this.byId.has(spec.id)) {
        throw new Error(`SimVenue: duplicate symbol ${spec.code} (id ${spec.id})`);
      }
      const flow =
        opts.generator && Object.hasOwn(opts.generator, spec.code) ? opts.generator[spec.code] : undefined;
      const s = this.createSession(spec, opts.seed, flow);
      this.byCode.set(spec.code, s);
      this.byId.set(spec.id, s);
    }
    for (const code of Object.keys(opts.generator ?? {})) {
      if (!this.byCode.has(code)) throw new Error(`SimVenue: generator options for unknown symbol ${code}`);
    }
  }

  connect(handlers: VenueHandlers): void {
    this.handlers = handlers;
    this.link.transient = handlers.transientExec === true;
  }

  /** Publishes each book, then runs the background flow on the scheduler until stop(). */
  start(): void {
    this.running = true;
    for (const s of this.byCode.values()) {
      if (s.pending) continue;
      s.pending = true;
      this.scheduler.after(0, this.onOpen, s);
    }
  }

  /** Stops the background flow; orders sent still reach the engines and get answered. */
  stop(): void {
    this.running = false;
  }

  submit(cmd: OrderCommand): void {
    this.scheduler.at(this.link.arrivalTs(), this.onOrder, cmd);
  }

  cancel(orderId: number): void {
    this.scheduler.at(this.link.arrivalTs(), this.onCancel, orderId);
  }

  /** The matching engine of a symbol (read it; changing it bypasses market-data publication). */
  engine(code: string): MatchingEngine | undefined {
    return this.byCode.get(code)?.engine;
  }

  /** The background flow generator of a symbol, if it has one. */
  generator(code: string): OrderFlowGenerator | undefined {
    return this.byCode.get(code)?.generator ?? undefined;
  }

  /** Net position per symbol id over all own fills (VenueAccount, for reconciliation). */
  positions(): ReadonlyMap<number, number> {
    return this.netPos;
  }

  /** Client ids of own orders working in the engines (VenueAccount, for reconciliation). */
  openOrderIds(): ReadonlySet<number> {
    return new Set(this.live.keys());
  }

  /** Counters of one symbol. */
  stats(code: string): SimSymbolStats | undefined {
    const s = this.byCode.get(code);
    if (s === undefined) return undefined;
    const g = s.generator?.counters;
    return {
      limitOrders: g?.limitOrders ?? 0,
      marketOrders: g?.marketOrders ?? 0,
      cancels: g?.cancels ?? 0,
      rebuilds: g?.rebuilds ?? 0,
      quotes: s.quotes,
      trades: s.trades,
    };
  }

  private createSession(spec: SymbolSpec, seed: number, flow: OrderFlowOptions | undefined): Session {
    const n = this.levels;
    const engine = new MatchingEngine(spec);
    const s: Session = {
      spec,
      engine,
      generator: null,
      own: new Map(),
      pending: false,
      bidPx: new Float64Array(n),
      bidQty: new Float64Array(n),
      askPx: new Float64Array(n),
      askQty: new Float64Array(n),
      published: new Float64Array(4 * n),
      quote: {
        type: 'bidask',
        code: spec.code,
        ts: 0,
        bidPrice: new Array<number>(n).fill(0),
        bidVolume: new Array<number>(n).fill(0),
        askPrice: new Array<number>(n).fill(0),
        askVolume: new Array<number>(n).fill(0),
      },
      tick: { type: 'tick', code: spec.code, ts: 0, close: 0, volume: 0, tickType: 0 },
      printPx: new Float64Array(PRINT_CAPACITY),
      printQty: new Float64Array(PRINT_CAPACITY),
      prints: 0,
      printSide: 1,
      quotes: 0,
      trades: 0,
    };
    engine.listener = {
      onMatch: (makerId, takerId, price, qty, makerOwn, takerOwn, aggressor, makerLeaves, takerLeaves) => {
        if (makerOwn) this.ownFill(s, makerId, price, qty, makerLeaves, false);
        if (takerOwn) this.ownFill(s, takerId, price, qty, takerLeaves, true);
        recordPrint(s, price, qty, aggressor);
      },
    };
    if (flow !== undefined) {
      // One stream per symbol, so adding a symbol does not change another symbol's flow.
      s.generator = new OrderFlowGenerator(engine, new Rng(symbolSeed(seed, spec.code)), flow);
      s.generator.seed();
    }
    return s;
  }

  private readonly onOpen = (s: Session): void => {
    s.pending = false;
    if (!this.running) return;
    this.publish(s);
    this.scheduleFlow(s);
  };

  private readonly onFlow = (s: Session): void => {
    s.pending = false;
    if (!this.running) return;
    s.generator!.step();
    this.publish(s);
    this.scheduleFlow(s);
  };

  private scheduleFlow(s: Session): void {
    if (s.generator === null) return;
    const delay = s.generator.nextDelayNs();
    if (!Number.isFinite(delay)) return;
    s.pending = true;
    this.scheduler.after(delay, this.onFlow, s);
  }

  private readonly onOrder = (cmd: OrderCommand): void => {
    const it = cmd.intent;
    if (it.action === 'cancel') {
      this.onCancel(it.targetOrderId);
      return;
    }
    const s = this.byId.get(it.symbolId);
    let reason: RejectReason | '' = s === undefined ? 'UNKNOWN_SYMBOL' : validateOrder(s.spec, it);
    // Replace is not a venue primitive here, and a client id may only be working once.
    if (reason === '' && (it.action !== 'new' || this.live.has(cmd.orderId))) reason = 'VENUE_REJECT';
    // A post-only order that would take is rejected, as Binance does (-5022), never filled as a taker.
    if (reason === '' && it.tif === 'POST_ONLY' && s!.engine.wouldCross(it.side, it.price))
      reason = 'POST_ONLY_WOULD_TAKE';
    if (s === undefined || reason !== '') {
      this.link.report('reject', cmd.orderId, '', 0, 0, 0, false, reason, this.scheduler.clock.nowNs());
      return;
    }
    const o: OwnOrder = {
      orderId: cmd.orderId,
      venueOrderId: `S1-${++this.venueSeq}`,
      engineId: s.engine.nextOrderId(),
      session: s,
      leaves: it.qty,
      side: it.side,
    };
    this.live.set(o.orderId, o);
    s.own.set(o.engineId, o);
    this.link.report(
      'ack',
      o.orderId,
      o.venueOrderId,
      0,
      0,
      o.leaves,
      false,
      '',
      this.scheduler.clock.nowNs(),
    );
    const resting = s.engine.add(o.engineId, it.side, it.price, it.qty, it.tif, true);
    if (resting === 0 && o.leaves > 0) {
      // IOC remainder: dropped by the engine.
      this.finish(o);
      this.link.report(
        'canceled',
        o.orderId,
        o.venueOrderId,
        0,
        0,
        0,
        false,
        '',
        this.scheduler.clock.nowNs(),
      );
    }
    this.publish(s);
  };

  private readonly onCancel = (orderId: number): void => {
    const o = this.live.get(orderId);
    if (o === undefined) {
      const reason = this.finished.has(orderId) ? 'TOO_LATE_TO_CANCEL' : 'UNKNOWN_ORDER';
      this.link.report('cancel_reject', orderId, '', 0, 0, 0, false, reason, this.scheduler.clock.nowNs());
      return;
    }
    o.session.engine.cancel(o.engineId);
    this.finish(o);
    this.link.report('canceled', o.orderId, o.venueOrderId, 0, 0, 0, false, '', this.scheduler.clock.nowNs());
    this.publish(o.session);
  };

  private ownFill(
    s: Session,
    engineId: number,
    price: number,
    qty: number,
    leaves: number,
    taker: boolean,
  ): void {
    const o = s.own.get(engineId);
    if (o === undefined) throw new Error(`SimVenue ${s.spec.code}: fill for unknown own order ${engineId}`);
    o.leaves = leaves;
    this.netPos.set(s.spec.id, (this.netPos.get(s.spec.id) ?? 0) + o.side * qty);
    this.link.report(
      'fill',
      o.orderId,
      o.venueOrderId,
      price,
      qty,
      leaves,
      taker,
      '',
      this.scheduler.clock.nowNs(),
    );
    if (leaves === 0) this.finish(o);
  }

  private finish(o: OwnOrder): void {
    o.leaves = 0;
    o.session.own.delete(o.engineId);
    this.live.delete(o.orderId);
    this.finished.add(o.orderId);
  }

  /** Emits the trade prints of the last engine operation, then the book if its top N changed. */
  private publish(s: Session): void {
    const h = this.handlers;
    const ts = this.scheduler.clock.nowNs();
    const scale = s.spec.priceScale;
    const tick = s.tick;
    for (let i = 0; i < s.prints; i++) {
      tick.ts = ts;
      tick.close = s.printPx[i] / scale;
      tick.volume = s.printQty[i];
      tick.tickType = s.printSide === 1 ? 1 : 2;
      s.trades++;
      h?.onQuote(tick);
    }
    s.prints = 0;

    const n = this.levels;
    s.engine.depth(n, s.bidPx, s.bidQty, s.askPx, s.askQty);
    const p = s.published;
    let changed = false;
    for (let i = 0; i < n; i++) {
      if (
        p[i] !== s.bidPx[i] ||
        p[n + i] !== s.bidQty[i] ||
        p[2 * n + i] !== s.askPx[i] ||
        p[3 * n + i] !== s.askQty[i]
      ) {
        changed = true;
        break;
      }
    }
    if (!changed) return;
    const q = s.quote;
    q.ts = ts;
    for (let i = 0; i < n; i++) {
      p[i] = s.bidPx[i];
      p[n + i] = s.bidQty[i];
      p[2 * n + i] = s.askPx[i];
      p[3 * n + i] = s.askQty[i];
      q.bidPrice[i] = s.bidPx[i] / scale;
      q.bidVolume[i] = s.bidQty[i];
      q.askPrice[i] = s.askPx[i] / scale;
      q.askVolume[i] = s.askQty[i];
    }
    s.quotes++;
    h?.onQuote(q);
  }
}

/** Adds a match to the print buffer, aggregating consecutive matches at one price. */
function recordPrint(s: Session, price: number, qty: number, aggressor: Side): void {
  const k = s.prints;
  if (k > 0 && s.printPx[k - 1] === price) {
    s.printQty[k - 1] += qty;
    return;
  }
  if (k === s.printPx.length) {
    // A sweep deeper than the buffer: grow once, amortized over the run.
    const px = new Float64Array(2 * k);
    const q = new Float64Array(2 * k);
    px.set(s.printPx);
    q.set(s.printQty);
    s.printPx = px;
    s.printQty = q;
  }
  s.printPx[k] = price;
  s.printQty[k] = qty;
  s.printSide = aggressor;
  s.prints = k + 1;
}

/** Seed of a symbol's flow stream: FNV-1a of the code, keyed by the venue seed. */
function symbolSeed(seed: number, code: string): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < code.length; i++) h = Math.imul(h ^ code.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
