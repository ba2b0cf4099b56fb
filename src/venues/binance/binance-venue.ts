import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import WebSocket from 'ws';
import {
  type ClearEvent,
  type LevelEvent,
  MdKind,
  type Side,
  type TradeEvent,
} from '../../contracts/market.ts';
import type { OrderCommand, RejectReason } from '../../contracts/orders.ts';
import { blankExec, type VenueExecEvent, type VenueHandlers } from '../../contracts/venue.ts';
import { UserError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { uniformTick } from '../../core/ticks.ts';
import { type BookLevels, BookSide } from '../../lob/book-side.ts';
import { bookSide } from '../../lob/order-book.ts';
import { Backoff } from '../live/backoff.ts';
import type {
  AccountState,
  ForeignOrder,
  LiveVenue,
  LiveVenueContext,
  VenuePosition,
} from '../live/live-venue.ts';
import { checkEveryMs, StreamWatchdog } from '../live/stream-watchdog.ts';
import { WindowLimit } from '../live/window-limit.ts';
import { registerLiveVenue } from '../registry.ts';
import { parseScaledDecimal } from '../replay/scaled-decimal.ts';
import { type DepthDiff, DepthSync } from './depth-sync.ts';
import { FrameScanner, SCAN_DEPTH, SCAN_FALLBACK, SCAN_TICKER } from './frame-scanner.ts';
import { BINANCE_MARKETS, type BinanceMarketDef, formatScaled, rejectReason, sign } from './protocol.ts';

/** The sides of a book the adapter does not keep (the system shows it: `bookTop`): never written. */
const EMPTY_SIDE: BookLevels = new BookSide(1, 1);

/** Per symbol: the venue's name, scales, the book sync and the bookTicker check. */
interface Book {
  id: number;
  venueSymbol: string;
  priceScale: number;
  qtyScale: number;
  priceDecimals: number;
  qtyDecimals: number;
  sync: DepthSync;
  snapshotInFlight: boolean;
  /** The book as the venue sent it (scaled), for the bookTicker check when the handlers show none (bookTop). */
  bids: BookLevels;
  asks: BookLevels;
  /** Last bookTicker ahead of the book (its update id not applied yet): u, bid, bid qty, ask, ask qty. */
  ticker: Float64Array;
}

/** A new order's request, queued until the outbox is sent. */
interface PendingPlace {
  postOnly: boolean;
  qty: number;
  book: Book;
  params: Record<string, string>;
}

/** Outbox entries: a new order's POST, a cancel's DELETE. */
const OUT_PLACE = 0;
const OUT_CANCEL = 1;

interface BinanceError {
  code: number;
  msg: string;
}

const OPEN_TIMEOUT_MS = 15_000;
/** A REST call without an answer by then is abandoned; an order's fate is then unknown (-1007). */
const REQUEST_TIMEOUT_MS = 10_000;
/** How long close() waits for the listenKey's DELETE. */
const CLOSE_WAIT_MS = 2000;

/**
 * The market stream's client options. No permessage-deflate offered (ws offers it by default): a
 * server that took it would have every frame inflated through zlib's thread pool before its
 * handler. No UTF-8 validation of each frame (~1.5 us of a depth frame's ~6 us in ws): the frame
 * scanner reads only ASCII tokens and refuses anything else to JSON.parse, which reads invalid
 * bytes as U+FFFD; neither reads a value from them.
 */
const MARKET_WS = { perMessageDeflate: false, skipUTF8Validation: true } as const;
/** The user data stream: no permessage-deflate either (its frames are read with JSON.parse). */
const USER_WS = { perMessageDeflate: false } as const;

/**
 * Binance USDⓈ-M futures / spot, native: combined market streams (depth diffs synced to a REST
 * snapshot by DepthSync, the replay reader's rules; bookTicker checks the book; trades), signed
 * REST orders (LIMIT GTC/IOC, post-only as GTX or LIMIT_MAKER, cancel), the listenKey user data
 * stream for fills and cancels, open orders and positions for reconciliation. Request weight and
 * order counts are enforced on our side (WindowLimit, limits from exchangeInfo, counts from the
 * X-MBX-* headers). A dropped, silent or gapped stream makes the venue not ready until every book
 * is resynced from a fresh snapshot and the account re-read.
 */
export class BinanceVenue implements LiveVenue {
  readonly name: string;
  readonly postOnly = true;
  private handlers: VenueHandlers | null = null;
  /**
   * The adapter keeps its own copy of every book for the bookTicker check only when the handlers
   * cannot show theirs (bookTop): a second full-depth book doubles the memory a depth level touches.
   */
  private ownBook = true;
  private readonly def: BinanceMarketDef;
  private readonly rest: string;
  private readonly wsBase: string;
  private readonly books: Book[];
  private readonly byStream = new Map<string, { book: Book; kind: 0 | 1 | 2 }>();
  /** The same routes in the scanner's order. */
  private readonly routes: { book: Book; kind: 0 | 1 | 2 }[];
  private readonly scanner: FrameScanner;
  private market: WebSocket | null = null;
  private user: WebSocket | null = null;
  private listenKey = '';
  private readonly watchdog: StreamWatchdog;
  private readonly marketStream: number;
  private readonly backoff: Backoff;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private ready = false;
  /** Client order id prefix of this run: orders with another prefix are an earlier session's. */
  private readonly tag = `h${randomBytes(4).toString('hex')}x`;
  private readonly adopted = new Map<string, number>();
  /** The same, by our order id (a cancel's client id). */
  private readonly adoptedIds = new Map<number, string>();
  private readonly sides = new Map<number, { symbolId: number; side: Side; venueSymbol: string }>();
  private readonly pos = new Map<number, number>();
  private readonly open_ = new Set<number>();
  readonly weight: WindowLimit;
  readonly orders10s: WindowLimit;
  readonly orders1m: WindowLimit;
  readonly counters = {
    frames: 0,
    depthDiffs: 0,
    gaps: 0,
    reconnects: 0,
    staleStreams: 0,
    snapshots: 0,
    tickersChecked: 0,
    tickersMismatched: 0,
    ordersSent: 0,
    throttled: 0,
    httpErrors: 0,
    http429: 0,
    userEvents: 0,
    /** Market frames read with JSON.parse (the scanner did not take them). */
    jsonFrames: 0,
    /** Market frames refused: not JSON, not an object, or a malformed depth diff. */
    badFrames: 0,
  };
  private readonly lvl: LevelEvent = {
    kind: MdKind.Level,
    symbolId: 0,
    exchTs: 0,
    localTs: 0,
    seq: 0,
    side: 1,
    price: 0,
    qty: 0,
  };
  private readonly trd: TradeEvent = {
    kind: MdKind.Trade,
    symbolId: 0,
    exchTs: 0,
    localTs: 0,
    seq: 0,
    price: 0,
    qty: 0,
    aggressor: 0,
  };
  private readonly clr: ClearEvent = { kind: MdKind.Clear, symbolId: 0, exchTs: 0, localTs: 0, seq: 0 };
  private readonly epochMs: number;
  /** Keep-alive connections to the REST endpoint (node:http: a fraction of fetch's cost per call). */
  private readonly agent: http.Agent;
  private readonly secure: boolean;
  /**
   * Order requests (place, cancel) made on the trading path, sent when that path returns: after
   * the socket frame that caused them (the market stream's message handler), else in a microtask.
   * Building, signing and writing a request costs ~0.1-1 ms; paid inside the strategy callback it
   * delayed the strategy's next intent (a cancel before a place) and the rest of the frame. The
   * queue is two number arrays (what, which order), not closures: a closure and a microtask per
   * cancel cost 20-35 us cold inside the frame (docs/live.md).
   */
  private readonly outKind: number[] = [];
  private readonly outId: number[] = [];
  /** A new order's request parameters, from submit until its request is sent. */
  private readonly placing = new Map<number, PendingPlace>();
  private flushQueued = false;
  /** Inside the market stream's message handler, which flushes the outbox when the frame is done. */
  private inFrame = false;

  constructor(private readonly ctx: LiveVenueContext) {
    const name = ctx.name as keyof typeof BINANCE_MARKETS;
    this.name = name;
    this.def = BINANCE_MARKETS[name];
    const s = ctx.settings;
    const endpoint = s.endpoint.replace(/\/+$/, '');
    this.rest = endpoint !== '' ? endpoint : s.paper ? this.def.restTestnet : this.def.rest;
    this.wsBase =
      endpoint !== '' ? endpoint.replace(/^http/, 'ws') : s.paper ? this.def.wsTestnet : this.def.ws;
    this.epochMs = ctx.clock.epoch.toMs(0);
    this.secure = this.rest.startsWith('https:');
    this.agent = this.secure
      ? new https.Agent({ keepAlive: true, maxSockets: 16 })
      : new http.Agent({ keepAlive: true, maxSockets: 16 });
    this.books = ctx.symbols.map((spec) => {
      const b: Book = {
        id: spec.id,
        venueSymbol: ctx.venueSymbols[spec.id],
        priceScale: spec.priceScale,
        qtyScale: spec.qtyScale,
        priceDecimals: Math.round(Math.log10(spec.priceScale)),
        qtyDecimals: Math.round(Math.log10(spec.qtyScale)),
        sync: null as unknown as DepthSync,
        snapshotInFlight: false,
        // The adapter's own copy of the book, made in connect() when the handlers show none.
        bids: EMPTY_SIDE,
        asks: EMPTY_SIDE,
        ticker: new Float64Array(5).fill(-1),
      };
      b.sync = new DepthSync(this.def.futures, this.sinkOf(b), true);
      const lower = b.venueSymbol.toLowerCase();
      this.byStream.set(`${lower}@${this.def.futures ? 'depth@0ms' : 'depth@100ms'}`, { book: b, kind: 0 });
      this.byStream.set(`${lower}@bookTicker`, { book: b, kind: 1 });
      this.byStream.set(`${lower}@trade`, { book: b, kind: 2 });
      return b;
    });
    this.routes = [...this.byStream.values()];
    this.scanner = new FrameScanner(
      [...this.byStream].map(([stream, r]) => ({
        stream,
        kind: r.kind,
        priceDecimals: r.book.priceDecimals,
        qtyDecimals: r.book.qtyDecimals,
      })),
    );
    this.watchdog = new StreamWatchdog((stream, ms) => {
      this.counters.staleStreams++;
      this.lost(`${stream} stream silent for ${ms} ms`);
    });
    this.marketStream = this.watchdog.add('market', s.stale_ms, Date.now());
    this.backoff = new Backoff(s.reconnect_min_ms, s.reconnect_max_ms, new Rng(Date.now() >>> 0));
    // Conservative defaults until exchangeInfo says otherwise (reference §7).
    const h = s.rate_limit_headroom;
    this.weight = new WindowLimit('REQUEST_WEIGHT/1m', this.def.futures ? 2400 : 6000, 60_000, h);
    this.orders10s = new WindowLimit('ORDERS/10s', this.def.futures ? 300 : 100, 10_000, h);
    this.orders1m = new WindowLimit('ORDERS/1m', this.def.futures ? 1200 : 200_000, 60_000, h);
  }

  connect(h: VenueHandlers): void {
    this.handlers = h;
    this.ownBook = h.bookTop === undefined;
    for (const b of this.books) {
      const tick = this.ownBook ? uniformTick(this.ctx.symbols[b.id]) : -1;
      b.bids = tick < 0 ? EMPTY_SIDE : bookSide(1, 1024, tick);
      b.asks = tick < 0 ? EMPTY_SIDE : bookSide(-1, 1024, tick);
    }
  }
  start(): void {}
  stop(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  async close(): Promise<void> {
    this.stop();
    this.market?.terminate();
    this.user?.terminate();
    // A venue that stopped answering must not hold the exit for a whole request timeout.
    if (this.listenKey !== '') {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        this.request('DELETE', this.def.listenKey, {}, 'key').catch(() => {}),
        new Promise((r) => {
          t = setTimeout(r, CLOSE_WAIT_MS);
        }),
      ]);
      clearTimeout(t);
    }
    this.agent.destroy();
  }

  stats(): Record<string, number> {
    return {
      ...this.counters,
      throttled: this.weight.throttled + this.orders10s.throttled + this.orders1m.throttled,
    };
  }

  positions(): ReadonlyMap<number, number> {
    return this.pos;
  }
  openOrderIds(): ReadonlySet<number> {
    return this.open_;
  }

  // ---- start-up -------------------------------------------------------------------------

  async open(): Promise<AccountState> {
    if (!this.ctx.settings.paper)
      this.ctx.log.warn(
        { venue: this.name, endpoint: this.rest },
        `${this.name}: PRODUCTION: real orders, real money`,
      );
    await this.loadLimits();
    const synced = this.whenReady();
    this.connectMarket();
    const keys = this.ctx.credentials !== null;
    if (keys) await this.connectUser();
    this.timer(() => this.watchdog.check(Date.now()), checkEveryMs(this.ctx.settings.stale_ms));
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      synced,
      new Promise((_, rej) => {
        timeout = setTimeout(
          () =>
            rej(
              new UserError(
                `${this.name}: books not synced within ${OPEN_TIMEOUT_MS / 1000} s of connecting to ${this.rest}`,
              ),
            ),
          OPEN_TIMEOUT_MS,
        );
      }),
    ]).finally(() => clearTimeout(timeout));
    const account = keys ? await this.readAccount() : { positions: [], foreignOrders: [] };
    this.ready = true;
    this.openedOnce = true;
    return account;
  }

  private readyWaiters: (() => void)[] = [];
  private whenReady(): Promise<void> {
    return new Promise((res) => this.readyWaiters.push(res));
  }

  private timer(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
    return t;
  }

  /** Rate limits from exchangeInfo (REQUEST_WEIGHT and ORDERS per interval). */
  private async loadLimits(): Promise<void> {
    const info = (await this.request(
      'GET',
      this.def.futures ? '/fapi/v1/exchangeInfo' : '/api/v3/exchangeInfo',
      {},
      'none',
    )) as {
      rateLimits?: { rateLimitType: string; interval: string; intervalNum: number; limit: number }[];
      symbols?: { symbol: string }[];
    };
    // A symbol the venue does not list would never sync: say so now, not after the sync timeout.
    if (Array.isArray(info.symbols)) {
      const listed = new Set(info.symbols.map((x) => x.symbol));
      for (const b of this.books)
        if (!listed.has(b.venueSymbol))
          throw new UserError(
            `${this.name}: ${this.ctx.symbols[b.id].code} (${b.venueSymbol} at the venue) is not listed in its exchangeInfo`,
          );
    }
    const h = this.ctx.settings.rate_limit_headroom;
    const ms = (i: string, n: number) =>
      n * ({ SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 }[i] ?? 60_000);
    for (const r of info.rateLimits ?? []) {
      const w = new WindowLimit(
        `${r.rateLimitType}/${r.intervalNum}${r.interval}`,
        r.limit,
        ms(r.interval, r.intervalNum),
        h,
      );
      if (r.rateLimitType === 'REQUEST_WEIGHT') Object.assign(this, { weight: w });
      else if (r.rateLimitType === 'ORDERS' && w.windowMs <= 10_000) Object.assign(this, { orders10s: w });
      else if (r.rateLimitType === 'ORDERS' && w.windowMs <= 60_000) Object.assign(this, { orders1m: w });
    }
  }

  // ---- market data ----------------------------------------------------------------------

  private connectMarket(): void {
    const streams = [...this.byStream.keys()].join('/');
    const ws = new WebSocket(`${this.wsBase}${this.def.marketPath}?streams=${streams}`, MARKET_WS);
    this.market = ws;
    ws.on('open', () => {
      this.watchdog.restart(this.marketStream, Date.now());
      this.backoff.reset();
    });
    ws.on('message', (data: Buffer) => {
      if (this.closed) return; // stopped: the run has ended, nothing more reaches the system
      this.inFrame = true;
      try {
        this.onFrame(data);
      } finally {
        this.inFrame = false;
        this.flushOrders();
      }
    });
    ws.on('close', () => {
      if (this.market === ws && !this.closed) this.lost('market stream closed');
    });
    ws.on('error', (e) => this.ctx.log.warn({ venue: this.name, err: e.message }, 'market stream error'));
  }

  /** The market view broke: books cleared, trading held, reconnect after a backoff delay. */
  private lost(reason: string): void {
    if (this.closed) return;
    const old = this.market;
    this.market = null;
    old?.removeAllListeners('close');
    old?.terminate();
    this.notReady(reason);
    for (const b of this.books) {
      b.sync.reset();
      b.snapshotInFlight = false;
    }
    const delay = this.backoff.next();
    this.counters.reconnects++;
    this.ctx.log.warn({ venue: this.name, reason, reconnect_in_ms: delay }, 'market stream lost');
    setTimeout(() => {
      if (!this.closed) this.connectMarket();
    }, delay).unref();
  }

  private notReady(reason: string): void {
    const ts = this.ctx.clock.nowNs();
    for (const b of this.books) this.clearBook(b, ts);
    if (this.ready) {
      this.ready = false;
      this.handlers?.onVenueState?.(false, reason);
    }
  }

  private clearBook(b: Book, ts: number): void {
    b.bids.clear();
    b.asks.clear();
    const e = this.clr;
    e.symbolId = b.id;
    e.exchTs = ts;
    e.localTs = ts;
    this.handlers?.onMarketEvent(e, true);
  }

  /**
   * One socket frame: a combined-stream envelope {stream, data}. Depth, bookTicker and trade frames
   * are read by the FrameScanner straight from the bytes; a frame it does not take goes through
   * JSON.parse (onFrameJson), which reads every frame the same way, only slower.
   */
  onFrame(raw: Buffer | string): void {
    const now = Date.now();
    this.watchdog.beat(this.marketStream, now);
    this.counters.frames++;
    const sc = this.scanner;
    const kind = typeof raw === 'string' ? sc.scanString(raw) : sc.scan(raw, raw.length);
    if (kind === SCAN_FALLBACK) {
      this.counters.jsonFrames++;
      this.frameJson(raw);
      return;
    }
    const localTs = this.ctx.clock.nowNs();
    const b = this.routes[sc.route].book;
    if (kind === SCAN_DEPTH) this.depth(b, sc.diff, localTs);
    else if (kind === SCAN_TICKER) this.checkTicker(b, sc.u, sc.bidPx, sc.bidQty, sc.askPx, sc.askQty);
    else this.trade(b, sc.bidPx, sc.bidQty, sc.T, sc.m, localTs);
  }

  /** The reference path: one frame read with JSON.parse (what onFrame does without the scanner). */
  onFrameJson(raw: Buffer | string): void {
    this.watchdog.beat(this.marketStream, Date.now());
    this.counters.frames++;
    this.frameJson(raw);
  }

  private frameJson(raw: Buffer | string): void {
    let msg: { stream?: unknown; data?: unknown } | null;
    try {
      msg = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
    } catch {
      this.counters.badFrames++;
      return;
    }
    if (msg === null || typeof msg !== 'object') {
      this.counters.badFrames++;
      return;
    }
    const route = typeof msg.stream === 'string' ? this.byStream.get(msg.stream) : undefined;
    const d = msg.data as Record<string, unknown> | null | undefined;
    if (route === undefined || d === undefined) return;
    if (d === null || typeof d !== 'object') {
      this.counters.badFrames++;
      return;
    }
    const localTs = this.ctx.clock.nowNs();
    const b = route.book;
    if (route.kind === 0) {
      const diff = this.diffOf(b, d);
      if (diff === null) {
        this.counters.badFrames++;
        return;
      }
      this.depth(b, diff, localTs);
    } else if (route.kind === 1) {
      if (typeof d.u !== 'number') return;
      this.checkTicker(
        b,
        d.u,
        dec(d.b, b.priceDecimals),
        dec(d.B, b.qtyDecimals),
        dec(d.a, b.priceDecimals),
        dec(d.A, b.qtyDecimals),
      );
    } else
      this.trade(
        b,
        dec(d.p, b.priceDecimals),
        dec(d.q, b.qtyDecimals),
        typeof d.T === 'number' ? d.T : Number.NaN,
        d.m === true,
        localTs,
      );
  }

  private depth(b: Book, diff: DepthDiff, localTs: number): void {
    this.counters.depthDiffs++;
    b.sync.diff(diff, localTs);
    if (b.sync.state === 'waiting' && !b.snapshotInFlight && !this.closed) void this.fetchSnapshot(b);
  }

  private diffOf(b: Book, d: Record<string, unknown>): DepthDiff | null {
    const bids = this.levels(b, d.b);
    const asks = this.levels(b, d.a);
    if (bids === null || asks === null || typeof d.U !== 'number' || typeof d.u !== 'number') return null;
    return {
      U: d.U,
      u: d.u,
      pu: typeof d.pu === 'number' ? d.pu : -1,
      exchMs: (d.T ?? d.E) as number,
      bids,
      asks,
      bidN: bids.length,
      askN: asks.length,
    };
  }

  private levels(b: Book, v: unknown): Float64Array | null {
    if (!Array.isArray(v)) return null;
    const out = new Float64Array(2 * v.length);
    for (let k = 0; k < v.length; k++) {
      const e = v[k];
      if (!Array.isArray(e)) return null;
      out[2 * k] = dec(e[0], b.priceDecimals);
      out[2 * k + 1] = dec(e[1], b.qtyDecimals);
      if (Number.isNaN(out[2 * k]) || Number.isNaN(out[2 * k + 1])) return null;
    }
    return out;
  }

  private sinkOf(b: Book) {
    return {
      apply: (d: DepthDiff, localTs: number) => {
        this.emitLevels(b, d.bids, d.bidN, d.asks, d.askN, (d.exchMs - this.epochMs) * 1e6, localTs);
        if (b.ticker[0] === d.u) this.compareTicker(b);
      },
      gap: (reason: string) => {
        this.counters.gaps++;
        this.notReady(`${b.venueSymbol} depth gap: ${reason}`);
      },
    };
  }

  private emitLevels(
    b: Book,
    bids: Float64Array,
    bidN: number,
    asks: Float64Array,
    askN: number,
    exchTs: number,
    localTs: number,
  ): void {
    const e = this.lvl;
    const h = this.handlers!;
    e.symbolId = b.id;
    e.exchTs = exchTs;
    e.localTs = localTs;
    const own = this.ownBook;
    if (h.onLevels !== undefined) {
      // The whole message in one call (the adapter's own book first, when it keeps one).
      if (own) {
        for (let i = 0; i < bidN; i += 2) b.bids.set(bids[i], bids[i + 1]);
        for (let i = 0; i < askN; i += 2) b.asks.set(asks[i], asks[i + 1]);
      }
      h.onLevels(e, bids, bidN, asks, askN);
      return;
    }
    const n = bidN + askN;
    let k = 0;
    for (let side = 1; side >= -1; side -= 2) {
      const lv = side === 1 ? bids : asks;
      const m = side === 1 ? bidN : askN;
      const mine = side === 1 ? b.bids : b.asks;
      for (let i = 0; i < m; i += 2) {
        e.side = side as Side;
        e.price = lv[i];
        e.qty = lv[i + 1];
        if (own) mine.set(e.price, e.qty);
        k += 2;
        h.onMarketEvent(e, k === n);
      }
    }
  }

  private async fetchSnapshot(b: Book): Promise<void> {
    b.snapshotInFlight = true;
    try {
      const snap = (await this.request(
        'GET',
        this.def.depth,
        { symbol: b.venueSymbol, limit: '1000' },
        'none',
        20,
      )) as {
        lastUpdateId: number;
        T?: number;
        bids: string[][];
        asks: string[][];
      };
      if (!b.snapshotInFlight || b.sync.state !== 'waiting') return;
      this.applySnapshot(b, snap);
      if (this.books.every((x) => x.sync.state === 'synced')) void this.resynced();
    } catch (e) {
      b.snapshotInFlight = false;
      this.ctx.log.warn(
        { venue: this.name, symbol: b.venueSymbol, err: (e as Error).message },
        'depth snapshot failed; retrying',
      );
      setTimeout(() => {
        if (!this.closed && b.sync.state === 'waiting' && !b.snapshotInFlight) void this.fetchSnapshot(b);
      }, this.backoff.next()).unref();
    }
  }

  /**
   * A REST depth snapshot (`/fapi/v1/depth` or `/api/v3/depth` answer) for the symbol of index
   * `symbolId`: the book replaced by it and the buffered diffs applied after it. What a fetched
   * snapshot does; the bench feeds recorded ones.
   */
  loadSnapshot(symbolId: number, body: string): void {
    this.applySnapshot(this.books[symbolId], JSON.parse(body));
  }

  private applySnapshot(
    b: Book,
    snap: { lastUpdateId: number; T?: number; bids: string[][]; asks: string[][] },
  ): void {
    const bids = this.levels(b, snap.bids);
    const asks = this.levels(b, snap.asks);
    if (bids === null || asks === null) throw new Error('malformed depth snapshot');
    // Spot: a snapshot older than the first buffered diff cannot be used (reference §3.2).
    if (!this.def.futures && snap.lastUpdateId < b.sync.firstBufferedU) throw new Error('stale snapshot');
    const localTs = this.ctx.clock.nowNs();
    this.counters.snapshots++;
    this.clearBook(b, localTs);
    const exchMs = snap.T ?? b.sync.exchMsAt(snap.lastUpdateId);
    this.emitLevels(
      b,
      bids,
      bids.length,
      asks,
      asks.length,
      Number.isNaN(exchMs) ? localTs : (exchMs - this.epochMs) * 1e6,
      localTs,
    );
    b.snapshotInFlight = false;
    b.sync.snapshot(snap.lastUpdateId, localTs);
  }

  /** Every book is synced again: re-read the account, then ready. */
  private async resynced(): Promise<void> {
    for (const w of this.readyWaiters.splice(0)) w();
    if (this.ready || !this.openedOnce) return;
    if (this.ctx.credentials !== null) await this.readAccount().catch(() => {});
    if (this.books.every((x) => x.sync.state === 'synced') && !this.ready) {
      this.ready = true;
      this.handlers?.onVenueState?.(true, 'books resynced from fresh snapshots, account re-read');
    }
  }

  /** Before open() resolved, readiness is open()'s to declare. */
  private openedOnce = false;

  /**
   * bookTicker: the exchange's best levels after update `u`. Checked against our book once it has
   * applied exactly update `u` (now, or when the diff ending at `u` arrives); a ticker for a state
   * already passed checks nothing (the replay reader's rule).
   */
  private checkTicker(b: Book, u: number, bid: number, bidQty: number, ask: number, askQty: number): void {
    if (b.sync.state !== 'synced' || u < b.sync.prevU) return;
    const t = b.ticker;
    t[0] = u;
    t[1] = bid;
    t[2] = bidQty;
    t[3] = ask;
    t[4] = askQty;
    if (u === b.sync.prevU) this.compareTicker(b);
  }

  private compareTicker(b: Book): void {
    const t = b.ticker;
    t[0] = -1;
    this.counters.tickersChecked++;
    // The system's book when it shows it (bookTop), else the adapter's own copy.
    const top = this.ownBook ? null : this.handlers!.bookTop!(b.id);
    const bb = top === null ? b.bids.bestPx : top.bestBid;
    const ask = top === null ? b.asks.bestPx : top.bestAsk;
    const ba = ask > 0 ? ask : Number.POSITIVE_INFINITY;
    const bq = top === null ? b.bids.bestQty : top.bestBidQty;
    const aq = top === null ? b.asks.bestQty : top.bestAskQty;
    if (bb !== t[1] || ba !== t[3] || bq !== t[2] || aq !== t[4]) {
      this.counters.tickersMismatched++;
      this.ctx.log.warn({ venue: this.name, symbol: b.venueSymbol }, 'book differs from bookTicker');
    }
  }

  /** A trade: price and quantity scaled (NaN when malformed), T its time (ms), m buyer is maker. */
  private trade(b: Book, p: number, q: number, T: number, m: boolean, localTs: number): void {
    if (!(p > 0) || !(q > 0) || Number.isNaN(T)) return;
    const e = this.trd;
    e.symbolId = b.id;
    e.exchTs = (T - this.epochMs) * 1e6;
    e.localTs = localTs;
    e.price = p;
    e.qty = q;
    e.aggressor = m ? -1 : 1;
    this.handlers?.onMarketEvent(e, true);
  }

  // ---- REST ------------------------------------------------------------------------------

  /**
   * One REST call; `auth`: 'none', 'key' (API key header) or 'signed' (HMAC over the query).
   * Request weight is taken from the window first (a call over the cap throws, never sent);
   * the used weight and order counts in the response headers align our windows.
   */
  private async request(
    method: string,
    path: string,
    params: Record<string, string>,
    auth: 'none' | 'key' | 'signed',
    weight = 1,
  ): Promise<unknown> {
    const now = Date.now();
    if (!this.weight.tryTake(weight, now))
      throw Object.assign(new Error('request weight limit'), { code: -1003 });
    const q = new URLSearchParams(params);
    const headers: Record<string, string> = {};
    const creds = this.ctx.credentials;
    if (auth !== 'none') {
      if (creds === null)
        throw new UserError(
          `${this.name}: this needs API keys (HFT_${this.name.toUpperCase().replace('-', '_')}_API_KEY / _API_SECRET)`,
        );
      headers['X-MBX-APIKEY'] = creds.get('api_key')!.reveal();
    }
    if (auth === 'signed') {
      q.set('timestamp', String(now));
      q.set('recvWindow', '5000');
      q.set('signature', sign(q.toString(), creds!.get('api_secret')!.reveal()));
    }
    const qs = q.toString();
    const res = await this.send(method, `${this.rest}${path}${qs === '' ? '' : `?${qs}`}`, headers);
    const used = res.headers['x-mbx-used-weight-1m'];
    if (typeof used === 'string') this.weight.observe(Number(used), Date.now());
    const o10 = res.headers['x-mbx-order-count-10s'];
    if (typeof o10 === 'string') this.orders10s.observe(Number(o10), Date.now());
    const o1 = res.headers['x-mbx-order-count-1m'];
    if (typeof o1 === 'string') this.orders1m.observe(Number(o1), Date.now());
    let body: unknown = {};
    try {
      body = JSON.parse(res.text);
    } catch {}
    if (res.status < 200 || res.status >= 300) {
      this.counters.httpErrors++;
      if (res.status === 429 || res.status === 418) this.counters.http429++;
      const err = body as BinanceError;
      throw Object.assign(new Error(`HTTP ${res.status} ${err.code} ${err.msg}`), {
        code: err.code ?? 0,
        binanceMsg: err.msg ?? '',
        status: res.status,
      });
    }
    return body;
  }

  /** One HTTP exchange over the keep-alive agent; a timeout is -1007 (sent, fate unknown). */
  private send(
    method: string,
    url: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
    return new Promise((resolve, reject) => {
      const req = (this.secure ? https : http).request(
        url,
        { method, headers, agent: this.agent, timeout: REQUEST_TIMEOUT_MS },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(
          Object.assign(new Error(`${method} timed out after ${REQUEST_TIMEOUT_MS} ms`), { code: -1007 }),
        ),
      );
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Queues an order request (OUT_PLACE / OUT_CANCEL of `orderId`) to go out when the current
   * trading callback returns: after the market frame being handled, else in a microtask.
   */
  private post(kind: number, orderId: number): void {
    this.outKind.push(kind);
    this.outId.push(orderId);
    if (!this.inFrame && !this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushOrders);
    }
  }

  /** Sends the queued order requests, in the order they were made. */
  readonly flushOrders = (): void => {
    this.flushQueued = false;
    const kinds = this.outKind;
    const ids = this.outId;
    if (kinds.length === 0) return;
    // A request queued while sending (none is today) goes out in this pass too.
    for (let i = 0; i < kinds.length; i++) {
      const id = ids[i];
      if (kinds[i] === OUT_PLACE) {
        const p = this.placing.get(id);
        if (p === undefined) continue;
        this.placing.delete(id);
        this.placeOrder(id, p.postOnly, p.qty, p.book, p.params);
      } else {
        const o = this.sides.get(id);
        if (o !== undefined)
          this.cancelOrder(id, o.venueSymbol, this.adoptedIds.get(id) ?? this.clientId(id));
      }
    }
    kinds.length = 0;
    ids.length = 0;
  };

  // ---- orders ----------------------------------------------------------------------------

  private clientId(orderId: number): string {
    return `${this.tag}${orderId}`;
  }

  private orderIdOf(clientId: string): number {
    if (clientId.startsWith(this.tag)) return Number(clientId.slice(this.tag.length));
    return this.adopted.get(clientId) ?? 0;
  }

  submit(cmd: OrderCommand): void {
    const it = cmd.intent;
    const b = this.books[it.symbolId];
    const now = Date.now();
    if (b === undefined) {
      this.answer('reject', cmd.orderId, '', 0, 0, 0, 'UNKNOWN_SYMBOL');
      return;
    }
    // Our side of the venue's order limits: refused here rather than answered with 429.
    if (!this.orders10s.tryTake(1, now) || !this.orders1m.tryTake(1, now)) {
      this.answer('reject', cmd.orderId, '', 0, 0, 0, 'BROKER_RATE_LIMIT');
      return;
    }
    this.sides.set(cmd.orderId, { symbolId: it.symbolId, side: it.side, venueSymbol: b.venueSymbol });
    const params: Record<string, string> = {
      symbol: b.venueSymbol,
      side: it.side === 1 ? 'BUY' : 'SELL',
      quantity: formatScaled(it.qty, b.qtyScale),
      price: formatScaled(it.price, b.priceScale),
      newClientOrderId: this.clientId(cmd.orderId),
    };
    if (it.tif === 'POST_ONLY') {
      params.type = this.def.postOnly.type;
      if (this.def.postOnly.timeInForce) params.timeInForce = this.def.postOnly.timeInForce;
    } else {
      params.type = 'LIMIT';
      params.timeInForce = it.tif;
    }
    this.counters.ordersSent++;
    this.open_.add(cmd.orderId);
    this.placing.set(cmd.orderId, { postOnly: it.tif === 'POST_ONLY', qty: it.qty, book: b, params });
    this.post(OUT_PLACE, cmd.orderId);
  }

  /** POST of one order (from the outbox): acked, rejected, or left open when its fate is unknown. */
  private placeOrder(
    orderId: number,
    postOnly: boolean,
    qty: number,
    b: Book,
    params: Record<string, string>,
  ): void {
    this.request('POST', this.def.order, params, 'signed').then(
      (r) => {
        const o = r as { orderId: number; status: string; executedQty: string };
        const vid = String(o.orderId);
        if (o.status === 'EXPIRED' && postOnly) {
          // Legacy futures behaviour: a crossing GTX order comes back EXPIRED instead of -5022.
          this.open_.delete(orderId);
          this.answer('reject', orderId, vid, 0, 0, 0, 'POST_ONLY_WOULD_TAKE');
          return;
        }
        const leaves = qty - parseScaledDecimal(o.executedQty ?? '0', b.qtyDecimals);
        this.answer('ack', orderId, vid, 0, 0, leaves, '');
      },
      (e: Error & { code?: number; binanceMsg?: string; status?: number }) => {
        // 5xx / -1007: the order's fate is unknown: it stays open until the user stream or reconciliation says.
        if ((e.status ?? 0) >= 500 || e.code === -1007) {
          this.ctx.log.warn({ venue: this.name, orderId, err: e.message }, 'order status unknown');
          return;
        }
        this.open_.delete(orderId);
        this.answer('reject', orderId, '', 0, 0, 0, rejectReason(e.code ?? 0, e.binanceMsg ?? ''));
      },
    );
  }

  cancel(orderId: number): void {
    const o = this.sides.get(orderId);
    if (o === undefined) {
      this.answer('cancel_reject', orderId, '', 0, 0, 0, 'UNKNOWN_ORDER');
      return;
    }
    // The request (client id, signature) is built when the outbox is sent.
    this.post(OUT_CANCEL, orderId);
  }

  private cancelOrder(orderId: number, venueSymbol: string, clientId: string): void {
    this.request(
      'DELETE',
      this.def.order,
      { symbol: venueSymbol, origClientOrderId: clientId },
      'signed',
    ).then(
      () => {}, // the CANCELED user event reports it
      (e: Error & { code?: number; binanceMsg?: string }) =>
        this.answer(
          'cancel_reject',
          orderId,
          '',
          0,
          0,
          0,
          rejectReason(e.code ?? 0, e.binanceMsg ?? '') === 'UNKNOWN_ORDER'
            ? 'TOO_LATE_TO_CANCEL'
            : 'VENUE_REJECT',
        ),
    );
  }

  private readonly ev: VenueExecEvent = blankExec();

  private answer(
    type: VenueExecEvent['type'],
    orderId: number,
    venueOrderId: string,
    lastPx: number,
    lastQty: number,
    leavesQty: number,
    reason: RejectReason | '',
    taker = false,
    execId?: string,
    exchMs = Date.now(),
  ): void {
    const sched = this.ctx.scheduler;
    // Answers enter the trading loop on the scheduler, as every venue's do.
    sched.after(0, () => {
      const e = this.ev;
      const side = this.sides.get(orderId);
      e.type = type;
      e.orderId = orderId;
      e.venueOrderId = venueOrderId;
      e.lastPx = lastPx;
      e.lastQty = lastQty;
      e.leavesQty = leavesQty;
      e.taker = taker;
      e.reason = reason;
      e.exchTs = (exchMs - this.epochMs) * 1e6;
      e.execId = execId;
      e.symbolId = side?.symbolId;
      e.side = side?.side;
      this.handlers?.onExec(e);
    });
  }

  // ---- user data and account ---------------------------------------------------------------

  private async connectUser(): Promise<void> {
    const r = (await this.request('POST', this.def.listenKey, {}, 'key')) as { listenKey: string };
    this.listenKey = r.listenKey;
    // Keep-alive every 30 min (the key lives 60 min).
    this.timer(
      () => void this.request('PUT', this.def.listenKey, {}, 'key').catch(() => this.reopenUser()),
      30 * 60_000,
    );
    await new Promise<void>((res, rej) => {
      const ws = new WebSocket(`${this.wsBase}${this.def.userPath}${this.listenKey}`, USER_WS);
      this.user = ws;
      ws.on('open', () => res());
      ws.on('error', (e) => rej(new UserError(`${this.name}: user data stream: ${e.message}`)));
      ws.on('message', (data: Buffer) => this.onUser(data.toString('utf8')));
      ws.on('close', () => {
        if (this.user === ws && !this.closed) this.reopenUser();
      });
    });
  }

  private reopenUser(): void {
    if (this.closed) return;
    this.user = null;
    this.notReady('user data stream closed');
    setTimeout(() => {
      this.connectUser().then(
        () => void this.resynced(),
        () => this.reopenUser(),
      );
    }, this.backoff.next()).unref();
  }

  /** ORDER_TRADE_UPDATE (fills, cancels, expiries) and ACCOUNT_UPDATE (positions). */
  onUser(text: string): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    this.counters.userEvents++;
    if (m.e === 'listenKeyExpired') {
      this.user?.terminate();
      return;
    }
    if (m.e === 'ACCOUNT_UPDATE') {
      const a = m.a as { P?: { s: string; pa: string }[] };
      for (const p of a.P ?? []) {
        const b = this.books.find((x) => x.venueSymbol === p.s);
        if (b !== undefined) this.pos.set(b.id, parseSigned(p.pa, b.qtyDecimals));
      }
      return;
    }
    // Futures ORDER_TRADE_UPDATE {o: {...}}; spot executionReport carries the same keys at the top.
    if (m.e !== 'ORDER_TRADE_UPDATE' && m.e !== 'executionReport') return;
    const o = (m.e === 'executionReport' ? m : m.o) as Record<string, string | number | boolean>;
    const orderId = this.orderIdOf(String(o.c));
    if (orderId === 0) return;
    const b = this.books.find((x) => x.venueSymbol === o.s);
    if (b === undefined) return;
    const qty = parseScaledDecimal(String(o.q), b.qtyDecimals);
    const cum = parseScaledDecimal(String(o.z), b.qtyDecimals);
    const vid = String(o.i);
    const T = typeof m.T === 'number' ? m.T : Date.now();
    if (o.x === 'TRADE') {
      const lastQty = parseScaledDecimal(String(o.l), b.qtyDecimals);
      const lastPx = parseScaledDecimal(String(o.L), b.priceDecimals);
      if (o.X === 'FILLED') this.open_.delete(orderId);
      this.answer('fill', orderId, vid, lastPx, lastQty, qty - cum, '', o.m !== true, `${o.i}:${o.t}`, T);
    } else if (o.x === 'CANCELED' || o.x === 'EXPIRED') {
      this.open_.delete(orderId);
      this.answer('canceled', orderId, vid, 0, 0, 0, '', false, undefined, T);
    }
  }

  private async readAccount(): Promise<AccountState> {
    const foreignOrders: ForeignOrder[] = [];
    const positions: VenuePosition[] = [];
    const openNow = new Set<number>();
    for (const b of this.books) {
      const list = (await this.request('GET', this.def.openOrders, { symbol: b.venueSymbol }, 'signed')) as {
        orderId: number;
        clientOrderId: string;
        side: string;
        price: string;
        origQty: string;
        executedQty: string;
      }[];
      for (const o of list) {
        const id = this.orderIdOf(o.clientOrderId);
        if (id !== 0) {
          openNow.add(id);
          continue;
        }
        const qty = parseScaledDecimal(o.origQty, b.qtyDecimals);
        foreignOrders.push({
          venueOrderId: String(o.orderId),
          clientOrderId: o.clientOrderId,
          symbolId: b.id,
          side: o.side === 'BUY' ? 1 : -1,
          price: parseScaledDecimal(o.price, b.priceDecimals),
          qty,
          leavesQty: qty - parseScaledDecimal(o.executedQty, b.qtyDecimals),
        });
      }
    }
    this.open_.clear();
    for (const id of openNow) this.open_.add(id);
    for (const id of this.adopted.values()) this.open_.add(id);
    if (this.def.positions !== '') {
      const list = (await this.request('GET', this.def.positions, {}, 'signed', 5)) as {
        symbol: string;
        positionAmt: string;
        entryPrice: string;
      }[];
      this.pos.clear();
      for (const p of list) {
        const b = this.books.find((x) => x.venueSymbol === p.symbol);
        if (b === undefined) continue;
        const qty = parseSigned(p.positionAmt, b.qtyDecimals);
        this.pos.set(b.id, qty);
        positions.push({
          symbolId: b.id,
          qty,
          avgPrice: parseScaledDecimal(trimTo(p.entryPrice, b.priceDecimals), b.priceDecimals),
        });
      }
    }
    return { positions, foreignOrders };
  }

  async cancelForeign(o: ForeignOrder): Promise<void> {
    await this.request(
      'DELETE',
      this.def.order,
      { symbol: this.books[o.symbolId].venueSymbol, orderId: o.venueOrderId },
      'signed',
    );
  }

  adopt(o: ForeignOrder, orderId: number): void {
    this.adopted.set(o.clientOrderId, orderId);
    // The first client id adopted as `orderId` is the one its cancel names.
    if (!this.adoptedIds.has(orderId)) this.adoptedIds.set(orderId, o.clientOrderId);
    this.sides.set(orderId, {
      symbolId: o.symbolId,
      side: o.side,
      venueSymbol: this.books[o.symbolId].venueSymbol,
    });
    this.open_.add(orderId);
  }
}

/** A wire decimal string scaled; NaN when it is not a string or malformed. */
function dec(v: unknown, decimals: number): number {
  return typeof v === 'string' ? parseScaledDecimal(v, decimals) : Number.NaN;
}

/** A signed decimal ("-0.010") scaled. */
function parseSigned(s: string, decimals: number): number {
  return s.startsWith('-') ? -parseScaledDecimal(s.slice(1), decimals) : parseScaledDecimal(s, decimals);
}

/** An average price has more decimals than the tick: rounded to `decimals`. */
function trimTo(s: string, decimals: number): string {
  return s.includes('.') ? Number(s).toFixed(decimals) : s;
}

const factory = (ctx: LiveVenueContext) => new BinanceVenue(ctx);
for (const name of ['binance-usdm', 'binance-spot'] as const)
  registerLiveVenue(
    name,
    Object.assign(factory, {
      credentialKeys: ['api_key', 'api_secret'] as const,
      ordersNeedCredentials: true,
      fullDepth: true,
    }),
  );
