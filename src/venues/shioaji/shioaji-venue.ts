import type { Side } from '../../contracts/market.ts';
import type { OrderCommand, RejectReason } from '../../contracts/orders.ts';
import type { SymbolSpec } from '../../contracts/symbols.ts';
import type { VenueExecEvent, VenueHandlers } from '../../contracts/venue.ts';
import type { Clock } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { AccountState, ForeignOrder, LiveVenue, VenuePosition } from '../live/live-venue.ts';
import { ShioajiClient, ShioajiHttpError, type SseStream } from './client.ts';
import {
  contractRef,
  contractRequest,
  eventCode,
  resolveContract,
  type ShioajiContract,
} from './contracts.ts';
import {
  type AccountBody,
  type ContractBody,
  DIRECTION_BUY,
  DIRECTION_SELL,
  EVENT,
  type HealthBody,
  type InfoBody,
  LIMITS,
  type LimitCategory,
  OP_OK,
  OP_TYPE,
  PATH,
  type PositionBody,
  STATE,
  type SubscribeBody,
  TRADE_STATUS,
  type TradeBody,
  UNKNOWN_TRADE_STATUSES,
  WORKING_STATUSES,
} from './protocol.ts';
import { QuoteDecoder } from './quotes.ts';
import { ShioajiLimits } from './rate-limit.ts';

export interface ShioajiVenueOptions {
  /** Server base URL, e.g. http://127.0.0.1:8080. */
  endpoint: string;
  symbols: SymbolSpec[];
  clock: Clock;
  log: Logger;
  /**
   * The operator asked for production (real money). The server must then report
   * `simulation: false`; without it the server must report `simulation: true`.
   */
  production: boolean;
  /** SJ_API_KEY / SJ_SEC_KEY, sent as the Bearer credential (needed off loopback only). Never logged. */
  credentials: { apiKey: string; secretKey: string } | null;
  /** Our symbol code -> the code used at Shioaji (a continuous alias like TXFR1); default: the same code. */
  contracts?: Record<string, string>;
  /** Share of each broker rate limit we use (default 0.9). */
  rateLimitFraction?: number;
  /** A stream silent (no data, no heartbeat) this long is dead: reconnect (default 65 s: two heartbeats). */
  heartbeatTimeoutMs?: number;
  /** Reconnect backoff: first delay, doubling up to the max (defaults 500 ms, 30 s). */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Positions and working orders are polled this often (default 2000 ms). */
  pollMs?: number;
  /** Book levels per side (default 5, what Shioaji sends). */
  levels?: number;
  /** Wall time in ms for the rate limiter and the watchdog (default performance.now). */
  nowMs?: () => number;
}

export interface ShioajiCounters {
  /** Market-data SSE messages and order_event messages received (heartbeats included). */
  dataMessages: number;
  orderMessages: number;
  heartbeats: number;
  /** Messages whose JSON could not be parsed, or whose shape is not a known event. */
  malformed: number;
  /** Ticks of a symbol whose book is not yet resynced after a (re)connect: dropped. */
  gapDropped: number;
  /** Orders refused locally: our rate budget was used up (never sent), or the book was gapped. */
  throttled: number;
  gappedRejects: number;
  /** Calls deferred (cancels) until the rate window had room. */
  deferred: number;
  /** Deals seen again (same trade_id and exchange_seq): dropped. */
  duplicateDeals: number;
  /** Deals applied from a poll of /order/trades (missed on the stream) and stream deals they absorbed later. */
  recoveredQty: number;
  absorbedQty: number;
  /** Order or deal events for a trade_id of no order of ours (another session or client). */
  foreignEvents: number;
  /** Reconnects of the market-data and order streams; streams declared dead by the watchdog. */
  reconnects: number;
  staleStreams: number;
  /** HTTP errors by category, and the rate-limit suspensions the server answered with. */
  httpErrors: number;
  bans: number;
  /** Polls of positions and working orders done, and skipped for want of budget. */
  polls: number;
  pollsSkipped: number;
  /** Position polls not used: a fill was reported while they were out (the previous poll stands). */
  pollsRaced: number;
  /** Orders of an earlier session found working at start, and those then cancelled or adopted. */
  foreignOrders: number;
  startupCancelled: number;
  startupAdopted: number;
  updates: number;
  updateRejects: number;
}

/** One order of ours at Shioaji. Quantities in our units (shares for stocks, contracts). */
interface Tracked {
  orderId: number;
  tradeId: string;
  symbolId: number;
  side: Side;
  qty: number;
  /** Our units per Shioaji quantity unit (1000 for board-lot stock orders). */
  lot: number;
  price: number;
  cum: number;
  cancelled: number;
  acked: boolean;
  done: boolean;
  /** Filled quantity applied from a trades poll and not yet seen on the stream. */
  recovered: number;
  /** deal_quantity (our units) seen ahead of `cum` by the previous poll (confirmed by a second). */
  aheadSeen: number;
  /** ms of the last change we saw from the stream (the reconciler's view of "working"). */
  changedMs: number;
  /** Adopted from an earlier session: not an order of the order adapter. */
  adopted: boolean;
  /**
   * Sent IOC: its deals took liquidity (it never rests). Shioaji's deal events do not say which
   * side took it, so a ROD order's deals are reported as maker fills, crossing or not.
   */
  ioc: boolean;
}

type Stream = 'data' | 'orders';

/** How many deal keys are remembered to drop duplicates. */
const DEAL_MEMORY = 100_000;

/**
 * The Shioaji venue over its official HTTP/SSE server (`shioaji server start`): contracts and
 * continuous codes resolved at open, tick and bid/ask of futures, options and stocks from the SSE
 * stream into the feed plane, orders over REST with their order_event reports turned into exec
 * events (duplicate deals dropped, deals before their order handled), positions and working orders
 * polled for reconciliation, every call inside our share of the broker's rate limits.
 *
 * Hot path (one SSE bid/ask message): JSON.parse, decode into the symbol's reused RawBidAsk, then
 * the platform's synchronous quote path; nothing awaits.
 *
 * Not done here: the session calendar, adopting orders into the order adapter and seeding
 * positions (common live infrastructure): `adoptedOrders()` and `venuePositions()` expose what the
 * venue found at start.
 */
export class ShioajiVenue implements LiveVenue {
  readonly name = 'shioaji';
  readonly counters: ShioajiCounters = {
    dataMessages: 0,
    orderMessages: 0,
    heartbeats: 0,
    malformed: 0,
    gapDropped: 0,
    throttled: 0,
    gappedRejects: 0,
    deferred: 0,
    duplicateDeals: 0,
    recoveredQty: 0,
    absorbedQty: 0,
    foreignEvents: 0,
    reconnects: 0,
    staleStreams: 0,
    httpErrors: 0,
    bans: 0,
    polls: 0,
    pollsSkipped: 0,
    pollsRaced: 0,
    foreignOrders: 0,
    startupCancelled: 0,
    startupAdopted: 0,
    updates: 0,
    updateRejects: 0,
  };
  readonly limits: ShioajiLimits;
  readonly client: ShioajiClient;
  /** What GET /info said at open. */
  info: InfoBody | null = null;
  private readonly o: Required<Omit<ShioajiVenueOptions, 'credentials' | 'contracts'>> & {
    contracts: Record<string, string>;
  };
  private readonly log: Logger;
  private readonly decoder: QuoteDecoder;
  private readonly byId: ShioajiContract[] = [];
  private readonly byConcrete = new Map<string, ShioajiContract>();
  /** 1 = no bid/ask since the stream (re)connected: ticks dropped, orders refused. */
  private readonly gapped: Uint8Array;
  private handlers: VenueHandlers | null = null;
  private started = false;
  private opened = false;
  private closing = false;
  private readonly orders = new Map<string, Tracked>();
  private readonly byOrderId = new Map<number, Tracked>();
  private readonly deals = new Set<string>();
  /** Place requests in flight: events for a trade_id we do not know yet may be theirs. */
  private placesInFlight = 0;
  private readonly parked = new Map<string, unknown[]>();
  /** Cancels waiting for room in the order budget (client ids), and cancels of orders still being placed. */
  private readonly cancelQueue: number[] = [];
  private readonly cancelAfterPlace = new Set<number>();
  private cancelTimer: NodeJS.Timeout | null = null;
  private readonly streams: Record<Stream, SseStream | null> = { data: null, orders: null };
  private readonly lastSeenMs: Record<Stream, number> = { data: 0, orders: 0 };
  private readonly backoffMs: Record<Stream, number> = { data: 0, orders: 0 };
  private readonly reconnectTimers: Record<Stream, NodeJS.Timeout | null> = { data: null, orders: null };
  /** Set after the order stream reconnected: the next trades poll applies what it missed. */
  private catchUp = false;
  private watchdog: NodeJS.Timeout | null = null;
  private poller: NodeJS.Timeout | null = null;
  private polling = false;
  /** Net positions per symbol id as the last usable poll gave them (see positions()). */
  private readonly positionsNow = new Map<number, number>();
  /**
   * Net quantity (signed, our units) of every fill this venue reported per symbol id, and its value
   * when `positionsNow` was polled: positions() adds the fills since, as the local books have them.
   */
  private readonly filledNet: Float64Array;
  private readonly filledAtPoll: Float64Array;
  /** Fills reported so far: a poll during which one arrived cannot be placed against them. */
  private fillsReported = 0;
  private quoteRefusalLogged = false;
  private readonly openAtVenue = new Set<number>();
  private lastPollSentMs = 0;
  private accounts: AccountBody[] = [];
  /** Positions as the last poll gave them (with average prices), for open(). */
  private polledPositions: VenuePosition[] = [];
  /** Not ready (a stream dropped or went silent) until books are rebuilt and the account re-read. */
  private notReady = false;

  constructor(opts: ShioajiVenueOptions) {
    this.log = opts.log.child({ venue: 'shioaji' });
    this.filledNet = new Float64Array(opts.symbols.length);
    this.filledAtPoll = new Float64Array(opts.symbols.length);
    this.o = {
      endpoint: opts.endpoint,
      symbols: opts.symbols,
      clock: opts.clock,
      log: opts.log,
      production: opts.production,
      contracts: opts.contracts ?? {},
      rateLimitFraction: opts.rateLimitFraction ?? 0.9,
      heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? 65_000,
      reconnectInitialMs: opts.reconnectInitialMs ?? 500,
      reconnectMaxMs: opts.reconnectMaxMs ?? 30_000,
      pollMs: opts.pollMs ?? 2_000,
      levels: opts.levels ?? 5,
      nowMs: opts.nowMs ?? (() => performance.now()),
    };
    const loopback = isLoopback(new URL(opts.endpoint).hostname);
    if (!loopback && opts.credentials === null)
      throw new UserError(
        `shioaji: ${opts.endpoint} is not a loopback address: the server needs SJ_API_KEY and SJ_SEC_KEY`,
      );
    this.client = new ShioajiClient({
      endpoint: opts.endpoint,
      // Sent whenever given (a loopback server ignores it); required off loopback.
      bearer: opts.credentials === null ? null : `${opts.credentials.apiKey}:${opts.credentials.secretKey}`,
    });
    this.limits = new ShioajiLimits(this.o.rateLimitFraction);
    this.decoder = new QuoteDecoder(opts.clock.epoch, this.o.levels);
    this.gapped = new Uint8Array(opts.symbols.length).fill(1);
    for (const code of Object.keys(this.o.contracts))
      if (!opts.symbols.some((s) => s.code === code))
        throw new UserError(`shioaji.contracts.${code}: not a symbol of this run`);
  }

  connect(handlers: VenueHandlers): void {
    this.handlers = handlers;
  }

  /**
   * Connects: checks the server's mode against the one asked for, resolves every contract, opens
   * the order and market-data streams, handles orders left working by an earlier session,
   * subscribes, and polls positions once. Refuses (UserError) on a mode mismatch, a stale token, a
   * missing account or contract, or more symbols than the subscription cap.
   */
  async open(): Promise<AccountState> {
    const info = await this.client.get<InfoBody>(PATH.info).catch((err: Error) => {
      // An HTTP answer came: something listens there, but it is not a Shioaji server.
      if (err instanceof ShioajiHttpError)
        throw new UserError(
          `shioaji: the server at ${this.client.endpoint} is not a Shioaji server (HTTP ${err.status} on ${PATH.info})`,
        );
      throw new UserError(
        `shioaji: no server at ${this.client.endpoint} (${err.message}); start one with \`shioaji server start\` or give --endpoint`,
      );
    });
    this.info = info;
    if (typeof info?.simulation !== 'boolean')
      throw new UserError(
        `shioaji: ${this.client.endpoint}${PATH.info} has no 'simulation' flag: not a Shioaji server?`,
      );
    if (this.o.production && info.simulation)
      throw new UserError(
        'shioaji: production was asked for, but the server runs in simulation (start it with `shioaji server start --production`)',
      );
    if (!this.o.production && !info.simulation)
      throw new UserError(
        'shioaji: the server trades in PRODUCTION (real money) but simulation was asked for; ' +
          'set shioaji.production: true (and the CA settings) to trade live',
      );
    if (this.o.production)
      this.log.warn(
        { endpoint: this.client.endpoint, server: info.version },
        'shioaji: PRODUCTION: real orders, real money',
      );
    else
      this.log.info(
        { endpoint: this.client.endpoint, server: info.version },
        'shioaji: simulation (paper) server',
      );
    const health = await this.client.get<HealthBody>(PATH.health);
    if (health?.token_stale === true)
      throw new UserError('shioaji: the server reports token_stale: restart it (re-login) before trading');
    if (this.o.production && health?.ca_expired === true)
      throw new UserError('shioaji: the CA certificate has expired: production orders would be refused');
    this.accounts = await this.client.get<AccountBody[]>(PATH.accounts);
    const needs = new Set(this.o.symbols.map((s) => (s.type === 'stock' ? 'S' : 'F')));
    for (const t of needs) {
      const acc = this.accounts.find((a) => a.account_type === t);
      if (acc === undefined)
        throw new UserError(`shioaji: no ${t === 'S' ? 'stock' : 'futures'} account on this login`);
      if (this.o.production && !acc.signed)
        throw new UserError(
          `shioaji: account ${acc.account_id} is not signed: production orders would be refused`,
        );
    }
    if (2 * this.o.symbols.length > LIMITS.subscriptions)
      throw new UserError(
        `shioaji: ${this.o.symbols.length} symbols need more than ${LIMITS.subscriptions} subscriptions`,
      );
    for (const spec of this.o.symbols) {
      const req = contractRequest(spec, this.o.contracts[spec.code] ?? spec.code);
      const body = await this.call<ContractBody>(
        'data',
        'GET',
        `${PATH.contract(req.venueCode)}?security_type=${req.securityType}`,
      ).catch((err: Error) => {
        if (err instanceof ShioajiHttpError && err.status === 404)
          throw new UserError(`shioaji: ${spec.code}: contract ${req.venueCode} is not listed by the server`);
        throw err;
      });
      const c = resolveContract(req, body);
      this.byId[spec.id] = c;
      this.byConcrete.set(c.concreteCode, c);
      this.decoder.add(c.concreteCode, spec.code, c.lot);
      if (c.targetCode !== null)
        this.log.info(
          { symbol: spec.code, alias: c.venueCode, target: c.targetCode },
          'shioaji: continuous contract resolved',
        );
    }
    for (const t of needs) await this.call('orders', 'POST', PATH.subscribeTrade, { account_type: t });
    this.openStream('orders');
    const foreign = await this.foreignOrders();
    this.openStream('data');
    await this.subscribeAll();
    await this.poll();
    this.opened = true;
    this.watchdog = setInterval(this.watch, Math.max(50, Math.min(1000, this.o.heartbeatTimeoutMs / 4)));
    this.poller = setInterval(() => void this.poll(), this.o.pollMs);
    return { positions: this.polledPositions, foreignOrders: foreign };
  }

  /** Quotes flow to the feed plane from now on. */
  start(): void {
    this.started = true;
  }

  /** Stops delivering quotes; orders already sent still get their reports until close(). */
  stop(): void {
    this.started = false;
  }

  /** Closes the streams and timers (the process is ending). */
  async close(): Promise<void> {
    this.closing = true;
    this.started = false;
    for (const s of ['data', 'orders'] as const) {
      this.streams[s]?.close();
      this.streams[s] = null;
      const t = this.reconnectTimers[s];
      if (t !== null) clearTimeout(t);
    }
    if (this.watchdog !== null) clearInterval(this.watchdog);
    if (this.poller !== null) clearInterval(this.poller);
    if (this.cancelTimer !== null) clearTimeout(this.cancelTimer);
    this.client.close();
  }

  /**
   * Net positions per symbol id (VenueAccount): the last poll's, plus the fills the streams reported
   * since it was answered. The poll alone lags the stream by up to `pollMs`: a strategy filled a few
   * times a second (the fake at 20x) was found mismatched at every reconciliation and HALTed. A
   * fill the poll counted but the stream has not delivered yet (or a lost one) still shows as a
   * difference until the stream catches up (the reconciler debounces it).
   */
  positions(): ReadonlyMap<number, number> {
    const out = new Map(this.positionsNow);
    for (let id = 0; id < this.filledNet.length; id++) {
      const d = this.filledNet[id] - this.filledAtPoll[id];
      if (d !== 0) out.set(id, (out.get(id) ?? 0) + d);
    }
    return out;
  }

  /**
   * Client ids of our orders working at the venue (VenueAccount): those the last trades poll saw
   * working, and those the stream reported since that poll was sent (the poll cannot know them).
   */
  openOrderIds(): ReadonlySet<number> {
    const out = new Set(this.openAtVenue);
    for (const t of this.byOrderId.values())
      if (!t.done && t.acked && t.changedMs >= this.lastPollSentMs) out.add(t.orderId);
    for (const id of out) {
      const t = this.byOrderId.get(id);
      if (t === undefined || t.done) out.delete(id);
    }
    return out;
  }

  /** Cancels an order an earlier session left working (live.startup_orders: cancel). */
  async cancelForeign(o: ForeignOrder): Promise<void> {
    await this.call('orders', 'POST', PATH.cancelOrder, { trade_id: o.venueOrderId });
    this.counters.startupCancelled++;
    this.log.warn({ tradeId: o.venueOrderId }, 'shioaji: working order of an earlier session cancelled');
  }

  /** Takes an order an earlier session left working as our order `orderId` (live.startup_orders: adopt). */
  adopt(o: ForeignOrder, orderId: number): void {
    const c = this.byId[o.symbolId];
    const t: Tracked = {
      orderId,
      tradeId: o.venueOrderId,
      symbolId: o.symbolId,
      side: o.side,
      qty: o.qty,
      lot: c?.securityType === 'STK' && o.qty % c.lot === 0 ? c.lot : 1,
      price: o.price,
      cum: o.qty - o.leavesQty,
      cancelled: 0,
      acked: true,
      done: false,
      recovered: 0,
      aheadSeen: 0,
      changedMs: this.o.nowMs(),
      adopted: true,
      ioc: false,
    };
    this.orders.set(t.tradeId, t);
    this.byOrderId.set(orderId, t);
    this.counters.startupAdopted++;
  }

  /** Counters for the summary and the dashboard (no secrets). */
  stats(): Record<string, number> {
    return {
      ...this.counters,
      // Quote payloads the decoder refused: an unusable date, time, price or level arrays; pre-open trial matches.
      quotesMalformed: this.decoder.counters.malformed,
      quotesSimtrade: this.decoder.counters.simtrade,
      orderCalls: this.limits.windows.orders.taken,
      throttledCalls: this.limits.windows.orders.refused,
    };
  }

  /** Whether a symbol's book is waiting for its first bid/ask after a (re)connect. */
  isGapped(symbolId: number): boolean {
    return this.gapped[symbolId] === 1;
  }

  submit(cmd: OrderCommand): void {
    const it = cmd.intent;
    if (it.action === 'cancel') {
      this.cancel(it.targetOrderId);
      return;
    }
    const c = this.byId[it.symbolId];
    let reason: RejectReason | '' = '';
    if (it.action !== 'new') reason = 'VENUE_REJECT';
    else if (c === undefined) reason = 'UNKNOWN_SYMBOL';
    else if (!this.opened || this.closing) reason = 'VENUE_REJECT';
    else if (this.gapped[it.symbolId] === 1) {
      // Never trade on a book with a gap: it is rebuilt by the next snapshot.
      this.counters.gappedRejects++;
      reason = 'HALTED';
    } else if (!this.limits.tryTake('orders', this.o.nowMs())) {
      this.counters.throttled++;
      reason = 'BROKER_RATE_LIMIT';
    }
    if (reason !== '' || c === undefined) {
      this.later('reject', cmd.orderId, '', reason || 'VENUE_REJECT');
      return;
    }
    const spec = this.o.symbols[it.symbolId];
    // Stocks: whole board lots go as Common (quantity in lots), the rest as IntradayOdd (shares).
    const lot = c.securityType === 'STK' && it.qty % c.lot === 0 ? c.lot : 1;
    const price = it.price / spec.priceScale;
    const order: Record<string, unknown> = {
      action: it.side === 1 ? 'Buy' : 'Sell',
      price,
      quantity: it.qty / lot,
      price_type: 'LMT',
      order_type: it.tif === 'IOC' ? 'IOC' : 'ROD',
    };
    if (c.securityType === 'STK') {
      order.order_lot = lot === 1 ? 'IntradayOdd' : 'Common';
      order.order_cond = 'Cash';
    } else order.octype = 'Auto';
    const body =
      c.securityType === 'STK'
        ? { contract: contractRef(c), stock_order: order }
        : { contract: contractRef(c), futures_order: order };
    this.placesInFlight++;
    this.post(() => this.placeOrder(cmd, it.side, lot, body));
  }

  /** The place_order call (from the outbox). */
  private placeOrder(cmd: OrderCommand, side: Side, lot: number, body: Record<string, unknown>): void {
    this.client
      .post<TradeBody>(PATH.placeOrder, body)
      .then((trade) => {
        this.placesInFlight--;
        this.placed(cmd, side, lot, trade);
      })
      .catch((err: unknown) => {
        this.placesInFlight--;
        this.cancelAfterPlace.delete(cmd.orderId);
        this.httpFailed(err, 'place_order');
        this.emit('reject', cmd.orderId, '', 0, 0, 0, rejectReason(err), undefined);
        this.releaseParked();
      });
  }

  cancel(orderId: number): void {
    const t = this.byOrderId.get(orderId);
    if (t === undefined) {
      if (this.placesInFlight > 0 && !this.cancelAfterPlace.has(orderId)) {
        this.cancelAfterPlace.add(orderId);
        return;
      }
      this.later('cancel_reject', orderId, '', 'UNKNOWN_ORDER');
      return;
    }
    if (t.done) {
      this.later('cancel_reject', orderId, t.tradeId, 'TOO_LATE_TO_CANCEL');
      return;
    }
    if (!this.limits.tryTake('orders', this.o.nowMs())) {
      // A cancel is never dropped: it waits for room in the window.
      this.counters.deferred++;
      this.cancelQueue.push(orderId);
      this.armCancelTimer();
      return;
    }
    this.sendCancel(t);
  }

  /** Changes the price of a working order (update_price). Resolves false when refused. */
  async updatePrice(orderId: number, price: number): Promise<boolean> {
    const t = this.byOrderId.get(orderId);
    if (t === undefined || t.done) return false;
    const spec = this.o.symbols[t.symbolId];
    try {
      await this.call('orders', 'POST', PATH.updatePrice, {
        trade_id: t.tradeId,
        price: price / spec.priceScale,
      });
      return true;
    } catch (err) {
      this.counters.updateRejects++;
      this.log.warn({ orderId, err: (err as Error).message }, 'shioaji: update_price refused');
      return false;
    }
  }

  /** Reduces a working order by `reduceBy` (update_qty; our units). Resolves false when refused. */
  async reduceQty(orderId: number, reduceBy: number): Promise<boolean> {
    const t = this.byOrderId.get(orderId);
    if (t === undefined || t.done || reduceBy % t.lot !== 0) return false;
    try {
      await this.call('orders', 'POST', PATH.updateQty, { trade_id: t.tradeId, quantity: reduceBy / t.lot });
      return true;
    } catch (err) {
      this.counters.updateRejects++;
      this.log.warn({ orderId, err: (err as Error).message }, 'shioaji: update_qty refused');
      return false;
    }
  }

  // ---------------------------------------------------------------- orders

  private placed(cmd: OrderCommand, side: Side, lot: number, trade: TradeBody): void {
    const tradeId = trade?.order?.id;
    if (typeof tradeId !== 'string' || tradeId === '') {
      this.counters.malformed++;
      this.emit('reject', cmd.orderId, '', 0, 0, 0, 'VENUE_REJECT', undefined);
      return;
    }
    const t: Tracked = {
      orderId: cmd.orderId,
      tradeId,
      symbolId: cmd.intent.symbolId,
      side,
      qty: cmd.intent.qty,
      lot,
      price: cmd.intent.price,
      cum: 0,
      cancelled: 0,
      acked: false,
      done: false,
      recovered: 0,
      aheadSeen: 0,
      changedMs: this.o.nowMs(),
      adopted: false,
      ioc: cmd.intent.tif === 'IOC',
    };
    this.orders.set(tradeId, t);
    this.byOrderId.set(cmd.orderId, t);
    if (trade.status?.status === TRADE_STATUS.failed) {
      t.done = true;
      this.log.warn({ orderId: t.orderId, statusMsg: trade.status.msg }, 'shioaji: order failed');
      this.emit('reject', t.orderId, tradeId, 0, 0, 0, 'VENUE_REJECT', undefined);
    }
    this.releaseParked(tradeId);
    if (this.cancelAfterPlace.delete(cmd.orderId)) this.cancel(cmd.orderId);
  }

  /** Re-delivers events parked for `tradeId` (or all, when no place is in flight any more). */
  private releaseParked(tradeId?: string): void {
    if (tradeId !== undefined) {
      const list = this.parked.get(tradeId);
      if (list !== undefined) {
        this.parked.delete(tradeId);
        for (const e of list) this.onOrderEvent(e);
      }
    }
    if (this.placesInFlight === 0 && this.parked.size > 0) {
      const all = [...this.parked.values()].flat();
      this.parked.clear();
      for (const e of all) this.onOrderEvent(e);
    }
  }

  private sendCancel(t: Tracked): void {
    this.post(() => this.cancelOrder(t));
  }

  /** The cancel_order call (from the outbox). */
  private cancelOrder(t: Tracked): void {
    this.client.post<TradeBody>(PATH.cancelOrder, { trade_id: t.tradeId }).catch((err: unknown) => {
      this.httpFailed(err, 'cancel_order');
      if (err instanceof ShioajiHttpError && err.isBan) {
        this.cancelQueue.push(t.orderId);
        this.armCancelTimer();
        return;
      }
      const unknown = err instanceof ShioajiHttpError && UNKNOWN_TRADE_STATUSES.has(err.status);
      this.emit(
        'cancel_reject',
        t.orderId,
        t.tradeId,
        0,
        0,
        t.done ? 0 : t.qty - t.cum,
        unknown ? 'UNKNOWN_ORDER' : 'VENUE_REJECT',
        undefined,
      );
    });
  }

  private armCancelTimer(): void {
    if (this.cancelTimer !== null || this.cancelQueue.length === 0) return;
    const wait = this.limits.waitMs('orders', this.o.nowMs());
    this.cancelTimer = setTimeout(this.drainCancels, Math.max(1, Math.ceil(wait)));
  }

  private readonly drainCancels = (): void => {
    this.cancelTimer = null;
    while (this.cancelQueue.length > 0) {
      const t = this.byOrderId.get(this.cancelQueue[0]);
      if (t === undefined || t.done) {
        this.cancelQueue.shift();
        continue;
      }
      if (!this.limits.tryTake('orders', this.o.nowMs())) break;
      this.cancelQueue.shift();
      this.sendCancel(t);
    }
    this.armCancelTimer();
  };

  /** An order_event payload (envelope `{state, data: {<state>: payload}}`, or a bare payload). */
  private onOrderEvent(env: unknown): void {
    const e = env as Record<string, unknown>;
    let state = typeof e?.state === 'string' ? e.state : '';
    let p: Record<string, unknown> | undefined;
    if (state !== '' && e.data !== null && typeof e.data === 'object')
      p = (e.data as Record<string, unknown>)[state] as Record<string, unknown> | undefined;
    else if (e !== null && typeof e === 'object' && ('operation' in e || 'trade_id' in e)) {
      p = e;
      state = 'trade_id' in e ? STATE.futuresDeal : STATE.futuresOrder;
    }
    if (p === undefined || p === null || typeof p !== 'object') {
      this.counters.malformed++;
      return;
    }
    if (state === STATE.stockDeal || state === STATE.futuresDeal) this.onDeal(p, env);
    else if (state === STATE.stockOrder || state === STATE.futuresOrder) this.onOrder(p, env);
    else this.counters.malformed++;
  }

  private onOrder(p: Record<string, unknown>, env: unknown): void {
    const order = p.order as Record<string, unknown> | undefined;
    const status = p.status as Record<string, unknown> | undefined;
    const op = p.operation as Record<string, unknown> | undefined;
    const tradeId = (order?.id ?? status?.id) as string | undefined;
    if (typeof tradeId !== 'string' || op === undefined) {
      this.counters.malformed++;
      return;
    }
    const t = this.orders.get(tradeId);
    if (t === undefined) {
      this.unknownTrade(tradeId, env);
      return;
    }
    t.changedMs = this.o.nowMs();
    const ok = op.op_code === OP_OK;
    switch (op.op_type) {
      case OP_TYPE.new:
        if (t.done) return;
        if (ok) {
          if (t.acked) return;
          t.acked = true;
          this.emit('ack', t.orderId, tradeId, 0, 0, t.qty - t.cum, '', undefined);
        } else {
          t.done = true;
          this.log.warn(
            { orderId: t.orderId, opCode: op.op_code, opMsg: op.op_msg },
            'shioaji: order rejected by the exchange',
          );
          this.emit('reject', t.orderId, tradeId, 0, 0, 0, 'VENUE_REJECT', undefined);
        }
        return;
      case OP_TYPE.cancel:
        if (ok) {
          if (t.done) return;
          t.done = true;
          this.emit('canceled', t.orderId, tradeId, 0, 0, 0, '', undefined);
        } else {
          this.log.warn(
            { orderId: t.orderId, opCode: op.op_code, opMsg: op.op_msg },
            'shioaji: cancel refused',
          );
          this.emit(
            'cancel_reject',
            t.orderId,
            tradeId,
            0,
            0,
            t.done ? 0 : t.qty - t.cum,
            t.done ? 'TOO_LATE_TO_CANCEL' : 'VENUE_REJECT',
            undefined,
          );
        }
        return;
      case OP_TYPE.updatePrice:
        if (ok) {
          this.counters.updates++;
          const px = Number(status?.modified_price);
          if (px > 0) t.price = Math.round(px * this.o.symbols[t.symbolId].priceScale);
        } else this.counters.updateRejects++;
        return;
      case OP_TYPE.updateQty: {
        if (!ok) {
          this.counters.updateRejects++;
          return;
        }
        this.counters.updates++;
        const cancelled = Number(status?.cancel_quantity) * t.lot;
        if (cancelled > t.cancelled) t.cancelled = cancelled;
        if (!t.done && t.cum + t.cancelled >= t.qty) {
          t.done = true;
          this.emit('canceled', t.orderId, tradeId, 0, 0, 0, '', undefined);
        }
        return;
      }
      default:
        // A deal-driven order update (UNCONFIRMED op_type): the deal event carries the fill.
        return;
    }
  }

  private onDeal(p: Record<string, unknown>, env: unknown): void {
    const tradeId = p.trade_id;
    const qty = p.quantity;
    const price = Number(p.price);
    if (typeof tradeId !== 'string' || typeof qty !== 'number' || !(qty > 0) || !(price > 0)) {
      this.counters.malformed++;
      return;
    }
    const t = this.orders.get(tradeId);
    if (t === undefined && this.placesInFlight > 0) {
      this.park(tradeId, env);
      return;
    }
    const seq = p.exchange_seq ?? `${p.seqno}/${p.ordno}`;
    const key = `${tradeId}:${seq}`;
    if (this.deals.has(key)) {
      this.counters.duplicateDeals++;
      this.log.warn({ tradeId, seq }, 'shioaji: duplicate deal dropped');
      return;
    }
    this.deals.add(key);
    if (this.deals.size > DEAL_MEMORY) this.deals.delete(this.deals.values().next().value as string);
    const exchTs = this.epochNs(p.ts);
    if (t === undefined) {
      // Another session's order: booked by the router as unattributed, so positions match.
      this.counters.foreignEvents++;
      const c = this.byConcrete.get(eventCode(p));
      const side: Side | undefined = p.action === 'Buy' ? 1 : p.action === 'Sell' ? -1 : undefined;
      const lot = c?.securityType === 'STK' && p.order_lot !== 'IntradayOdd' ? c.lot : 1;
      const px = c === undefined ? 0 : Math.round(price * this.o.symbols[c.symbolId].priceScale);
      const e: VenueExecEvent = {
        type: 'fill',
        orderId: 0,
        venueOrderId: tradeId,
        lastPx: px,
        lastQty: qty * lot,
        leavesQty: 0,
        taker: false,
        reason: '',
        exchTs,
        execId: key,
        symbolId: c?.symbolId,
        side,
      };
      this.handlers?.onExec(e);
      if (c !== undefined && side !== undefined) this.reported(c.symbolId, side * qty * lot);
      return;
    }
    t.changedMs = this.o.nowMs();
    let q = qty * t.lot;
    if (t.recovered > 0) {
      // Already applied from a trades poll while the stream was away.
      const absorbed = Math.min(q, t.recovered);
      t.recovered -= absorbed;
      this.counters.absorbedQty += absorbed;
      q -= absorbed;
      if (q === 0) return;
    }
    this.fill(t, Math.round(price * this.o.symbols[t.symbolId].priceScale), q, exchTs, key);
  }

  private fill(t: Tracked, px: number, q: number, exchTs: number, execId: string): void {
    t.cum += q;
    const leaves = Math.max(0, t.qty - t.cum - t.cancelled);
    if (leaves === 0) t.done = true;
    this.emit('fill', t.orderId, t.tradeId, px, q, leaves, '', execId, exchTs);
    this.reported(t.symbolId, t.side * q);
  }

  /** A fill reported to the handlers: `signedQty` (our units) in positions() until the next poll. */
  private reported(symbolId: number, signedQty: number): void {
    this.filledNet[symbolId] += signedQty;
    this.fillsReported++;
  }

  private unknownTrade(tradeId: string, env: unknown): void {
    if (this.placesInFlight > 0) this.park(tradeId, env);
    else {
      this.counters.foreignEvents++;
      this.log.info({ tradeId }, 'shioaji: order event for an order not placed by this session');
    }
  }

  private park(tradeId: string, env: unknown): void {
    const list = this.parked.get(tradeId);
    if (list === undefined) this.parked.set(tradeId, [env]);
    else list.push(env);
  }

  // ---------------------------------------------------------------- market data

  /**
   * Order calls (place, cancel) made on the trading path go out when it returns: after the data
   * message that caused them, else in a microtask. Writing a request costs ~0.1 ms; paid inside
   * the strategy callback it delayed the strategy's next intent (a cancel before a place).
   */
  private readonly outbox: (() => void)[] = [];
  private flushQueued = false;

  private post(fn: () => void): void {
    this.outbox.push(fn);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushOrders);
    }
  }

  /** Sends the queued order calls, in the order they were made. */
  private readonly flushOrders = (): void => {
    this.flushQueued = false;
    if (this.outbox.length === 0) return;
    const fns = this.outbox.splice(0);
    for (let i = 0; i < fns.length; i++) fns[i]();
  };

  /** One message of the data stream, then the order calls it caused. */
  private readonly onData = (event: string, data: string): void => {
    this.handleData(event, data);
    this.flushOrders();
  };

  private handleData(event: string, data: string): void {
    this.counters.dataMessages++;
    this.lastSeenMs.data = this.o.nowMs();
    if (event === EVENT.heartbeat) {
      this.counters.heartbeats++;
      return;
    }
    const bidask = event === EVENT.bidaskFop || event === EVENT.bidaskStk;
    if (!bidask && event !== EVENT.tickFop && event !== EVENT.tickStk) return;
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(data);
    } catch {
      this.counters.malformed++;
      return;
    }
    const c = this.byConcrete.get(m?.code as string);
    const refused = this.decoder.counters.malformed;
    if (bidask) {
      const q = this.decoder.bidask(m);
      if (this.decoder.counters.malformed !== refused) this.quoteRefused(event, m);
      if (q === null || c === undefined) return;
      if (this.gapped[c.symbolId] === 1) {
        this.gapped[c.symbolId] = 0;
        if (this.notReady) void this.poll();
      }
      if (this.started) this.handlers?.onQuote(q);
      return;
    }
    if (c !== undefined && this.gapped[c.symbolId] === 1) {
      this.counters.gapDropped++;
      return;
    }
    const q = this.decoder.tick(m);
    if (this.decoder.counters.malformed !== refused) this.quoteRefused(event, m);
    if (q !== null && this.started) this.handlers?.onQuote(q);
  }

  /** The first quote payload the decoder could not use, logged (all are counted: quotesMalformed). */
  private quoteRefused(event: string, m: Record<string, unknown>): void {
    if (this.quoteRefusalLogged) return;
    this.quoteRefusalLogged = true;
    const o = m !== null && typeof m === 'object' ? m : {};
    this.log.warn(
      { event, code: o.code, date: o.date, time: o.time },
      'shioaji: quote refused (unusable date, time, price or levels); later ones are only counted (quotesMalformed)',
    );
  }

  private readonly onOrderData = (event: string, data: string): void => {
    this.counters.orderMessages++;
    this.lastSeenMs.orders = this.o.nowMs();
    if (event === EVENT.heartbeat) {
      this.counters.heartbeats++;
      return;
    }
    if (event !== EVENT.orderEvent) return;
    let m: unknown;
    try {
      m = JSON.parse(data);
    } catch {
      this.counters.malformed++;
      return;
    }
    this.onOrderEvent(m);
  };

  private openStream(s: Stream): void {
    if (this.closing) return;
    this.reconnectTimers[s] = null;
    this.lastSeenMs[s] = this.o.nowMs();
    this.streams[s] = this.client.stream(
      s === 'data' ? PATH.streamData : PATH.streamOrders,
      () => {
        this.backoffMs[s] = 0;
        this.lastSeenMs[s] = this.o.nowMs();
      },
      s === 'data' ? this.onData : this.onOrderData,
      (why) => this.lost(s, why),
    );
  }

  /** A stream ended or went silent: every book is gapped until its next snapshot; reconnect with backoff. */
  private lost(s: Stream, why: string): void {
    if (this.closing) return;
    this.streams[s]?.close();
    this.streams[s] = null;
    if (s === 'data') this.gapped.fill(1);
    else this.catchUp = true;
    if (!this.notReady) {
      this.notReady = true;
      this.handlers?.onVenueState?.(false, `shioaji ${s} stream: ${why}`);
    }
    const delay =
      this.backoffMs[s] === 0
        ? this.o.reconnectInitialMs
        : Math.min(this.o.reconnectMaxMs, 2 * this.backoffMs[s]);
    this.backoffMs[s] = delay;
    this.counters.reconnects++;
    this.log.warn({ stream: s, why, retryMs: delay }, 'shioaji: stream lost; books gapped until resynced');
    if (this.reconnectTimers[s] !== null) return;
    this.reconnectTimers[s] = setTimeout(() => {
      this.openStream(s);
      // Subscriptions live in the server; a restarted server lost them (idempotent when it did not).
      if (s === 'data') void this.subscribeAll().catch((err) => this.httpFailed(err, 'subscribe'));
      else void this.poll();
    }, delay);
  }

  /** Ready again once both streams are back, every book resynced and the account re-read (a poll). */
  private maybeReady(): void {
    if (!this.notReady || this.streams.data === null || this.streams.orders === null) return;
    if (this.gapped.includes(1)) return;
    this.notReady = false;
    this.log.info('shioaji: streams back, books resynced, account re-read');
    this.handlers?.onVenueState?.(true, 'shioaji: resynced');
  }

  private readonly watch = (): void => {
    const now = this.o.nowMs();
    for (const s of ['data', 'orders'] as const) {
      if (this.streams[s] === null) continue;
      if (now - this.lastSeenMs[s] > this.o.heartbeatTimeoutMs) {
        this.counters.staleStreams++;
        this.lost(s, `silent for ${Math.round(now - this.lastSeenMs[s])} ms (no data, no heartbeat)`);
      }
    }
  };

  private async subscribeAll(): Promise<void> {
    for (const c of this.byId) {
      if (c === undefined) continue;
      for (const quoteType of ['BidAsk', 'Tick'] as const) {
        const body: SubscribeBody = {
          security_type: c.securityType,
          exchange: c.exchange,
          code: c.venueCode,
          target_code: c.targetCode,
          quote_type: quoteType,
          intraday_odd: false,
        };
        await this.waitFor('data');
        const r = await this.call<{ success: boolean; message: string }>(
          'data',
          'POST',
          PATH.subscribe,
          body,
        );
        if (r?.success !== true)
          throw new UserError(
            `shioaji: subscribe ${c.venueCode} ${quoteType} refused: ${r?.message ?? 'no answer'}`,
          );
      }
    }
  }

  // ---------------------------------------------------------------- reconciliation

  /** Orders working at the venue that this run did not send (an earlier session's). */
  private async foreignOrders(): Promise<ForeignOrder[]> {
    const trades = await this.call<TradeBody[]>('orders', 'POST', PATH.trades, {});
    const out: ForeignOrder[] = [];
    for (const tr of trades ?? []) {
      if (!WORKING_STATUSES.has(tr?.status?.status)) continue;
      const c =
        this.byConcrete.get(tr.contract?.code) ?? this.byId.find((x) => x?.venueCode === tr.contract?.code);
      if (c === undefined) {
        this.log.warn(
          { tradeId: tr.order?.id, code: tr.contract?.code },
          'shioaji: working order in a symbol this run does not trade: left alone',
        );
        continue;
      }
      const spec = this.o.symbols[c.symbolId];
      const lot = c.securityType === 'STK' && tr.order.order_lot !== 'IntradayOdd' ? c.lot : 1;
      const qty = tr.order.quantity * lot;
      const done = (Number(tr.status.deal_quantity) + Number(tr.status.cancel_quantity)) * lot;
      out.push({
        venueOrderId: tr.order.id,
        clientOrderId: '',
        symbolId: c.symbolId,
        side: tr.order.action === 'Sell' ? -1 : 1,
        price: Math.round(tr.order.price * spec.priceScale),
        qty,
        leavesQty: qty - done,
      });
      this.counters.foreignOrders++;
    }
    return out;
  }

  /** One poll of positions and working orders, skipped (counted) when a budget is spent. */
  private async poll(): Promise<void> {
    if (this.polling || this.closing) return;
    const now = this.o.nowMs();
    const types = [...new Set(this.o.symbols.map((s) => (s.type === 'stock' ? 'S' : 'F')))];
    if (
      this.limits.waitMs('portfolio', now) > 0 ||
      this.limits.windows.portfolio.budget - this.limits.windows.portfolio.inWindow(now) < types.length ||
      this.limits.waitMs('orders', now) > 0
    ) {
      this.counters.pollsSkipped++;
      return;
    }
    this.polling = true;
    try {
      const pos = new Map<number, number>();
      const avg: VenuePosition[] = [];
      const fillsBefore = this.fillsReported;
      let ok = true;
      for (const t of types) {
        const rows = await this.call<PositionBody[]>('portfolio', 'POST', PATH.positions, {
          account_type: t,
          unit: t === 'S' ? 'Share' : 'Common',
        });
        ok = this.addPositions(pos, avg, rows) && ok;
      }
      // A fill reported while the poll was out may or may not be in its answer: keep the last one.
      if (ok && this.fillsReported === fillsBefore) {
        this.positionsNow.clear();
        for (const [k, v] of pos) this.positionsNow.set(k, v);
        this.filledAtPoll.set(this.filledNet);
        this.polledPositions = avg;
      } else if (ok) this.counters.pollsRaced++;
      this.lastPollSentMs = this.o.nowMs();
      const trades = await this.call<TradeBody[]>('orders', 'POST', PATH.trades, {});
      this.applyTrades(trades ?? []);
      this.counters.polls++;
      this.maybeReady();
    } catch (err) {
      this.httpFailed(err, 'poll');
    } finally {
      this.polling = false;
    }
  }

  private addPositions(into: Map<number, number>, avg: VenuePosition[], rows: PositionBody[]): boolean {
    if (!Array.isArray(rows)) return false;
    for (const r of rows) {
      const c = this.byConcrete.get(r?.code) ?? this.byId.find((x) => x?.venueCode === r?.code);
      const sign = DIRECTION_BUY.has(r?.direction) ? 1 : DIRECTION_SELL.has(r?.direction) ? -1 : 0;
      if (sign === 0 || typeof r.quantity !== 'number') {
        this.counters.malformed++;
        return false;
      }
      if (c === undefined) continue; // a position in a symbol this run does not trade
      into.set(c.symbolId, (into.get(c.symbolId) ?? 0) + sign * r.quantity);
      const price = Math.round(Number(r.price) * this.o.symbols[c.symbolId].priceScale);
      avg.push({
        symbolId: c.symbolId,
        qty: sign * r.quantity,
        avgPrice: Number.isFinite(price) ? price : 0,
      });
    }
    return true;
  }

  /**
   * The venue's order list: which of ours are working, and what the stream missed. A filled
   * quantity ahead of ours is applied when two polls in a row (or a poll after the order stream
   * came back) show it, so a deal still on its way on the stream is not applied twice.
   */
  private applyTrades(trades: TradeBody[]): void {
    this.openAtVenue.clear();
    for (const tr of trades) {
      const t = this.orders.get(tr?.order?.id);
      if (t === undefined || tr.status === undefined) continue;
      const st = tr.status.status;
      if (WORKING_STATUSES.has(st) && st !== TRADE_STATUS.pendingSubmit) this.openAtVenue.add(t.orderId);
      const dealt = Number(tr.status.deal_quantity) * t.lot;
      if (dealt > t.cum) {
        if (this.catchUp || t.aheadSeen === dealt) {
          const q = dealt - t.cum;
          const last = tr.status.deals?.[tr.status.deals.length - 1];
          const px = Math.round(
            Number(last?.price ?? tr.order.price) * this.o.symbols[t.symbolId].priceScale,
          );
          t.recovered += q;
          this.counters.recoveredQty += q;
          this.log.warn(
            { orderId: t.orderId, qty: q },
            'shioaji: deal missed on the stream applied from /order/trades',
          );
          this.fill(t, px, q, this.o.clock.nowNs(), `${t.tradeId}:poll:${dealt}`);
        } else t.aheadSeen = dealt;
      } else t.aheadSeen = 0;
      if (
        !t.done &&
        (st === TRADE_STATUS.cancelled || st === TRADE_STATUS.failed || st === TRADE_STATUS.inactive) &&
        t.aheadSeen === 0
      ) {
        t.done = true;
        this.emit(
          st === TRADE_STATUS.cancelled ? 'canceled' : 'reject',
          t.orderId,
          t.tradeId,
          0,
          0,
          0,
          st === TRADE_STATUS.cancelled ? '' : 'VENUE_REJECT',
          undefined,
        );
      }
    }
    this.catchUp = false;
  }

  // ---------------------------------------------------------------- plumbing

  /** A rate-limited call: waits for room in its window (never sends beyond it). */
  private async call<T>(
    cat: LimitCategory,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<T> {
    await this.waitFor(cat);
    if (!this.limits.tryTake(cat, this.o.nowMs())) throw new Error(`shioaji: no ${cat} budget`);
    try {
      return method === 'GET' ? await this.client.get<T>(path) : await this.client.post<T>(path, body);
    } catch (err) {
      this.httpFailed(err, path);
      throw err;
    }
  }

  private async waitFor(cat: LimitCategory): Promise<void> {
    for (;;) {
      const w = this.limits.waitMs(cat, this.o.nowMs());
      if (w <= 0) return;
      await new Promise((r) => setTimeout(r, Math.ceil(w)));
    }
  }

  private httpFailed(err: unknown, what: string): void {
    this.counters.httpErrors++;
    if (err instanceof ShioajiHttpError && err.isBan) {
      this.counters.bans++;
      this.limits.ban(this.o.nowMs());
      this.log.error(
        { call: what },
        'shioaji: the broker suspended this login for a minute (rate limit); nothing is sent until it passes',
      );
      return;
    }
    this.log.warn({ call: what, err: (err as Error)?.message }, 'shioaji: call failed');
  }

  private epochNs(tsSeconds: unknown): number {
    const s = Number(tsSeconds);
    return Number.isFinite(s) && s > 0
      ? this.o.clock.epoch.fromMs(Math.round(s * 1000))
      : this.o.clock.nowNs();
  }

  /** A local answer, delivered after the current call returns (the order adapter is mid-send). */
  private later(
    type: 'reject' | 'cancel_reject',
    orderId: number,
    venueOrderId: string,
    reason: RejectReason,
  ): void {
    queueMicrotask(() => this.emit(type, orderId, venueOrderId, 0, 0, 0, reason, undefined));
  }

  private emit(
    type: VenueExecEvent['type'],
    orderId: number,
    venueOrderId: string,
    lastPx: number,
    lastQty: number,
    leavesQty: number,
    reason: RejectReason | '',
    execId: string | undefined,
    exchTs = this.o.clock.nowNs(),
  ): void {
    const t = this.byOrderId.get(orderId);
    this.handlers?.onExec({
      type,
      orderId,
      venueOrderId,
      lastPx,
      lastQty,
      leavesQty,
      taker: t?.ioc === true && type === 'fill',
      reason,
      exchTs,
      execId,
      symbolId: t?.symbolId,
      side: t?.side,
    });
  }
}

/** The reject reason of a failed place_order call. */
function rejectReason(err: unknown): RejectReason {
  if (err instanceof ShioajiHttpError && err.isBan) return 'BROKER_RATE_LIMIT';
  return 'VENUE_REJECT';
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]';
}
