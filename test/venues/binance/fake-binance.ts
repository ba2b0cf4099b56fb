import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { type WebSocket, WebSocketServer } from 'ws';
import { DepthSync } from '../../../src/venues/binance/depth-sync.ts';
import { sign } from '../../../src/venues/binance/protocol.ts';
import { parseScaledDecimal } from '../../../src/venues/replay/scaled-decimal.ts';

/**
 * A fake Binance USDⓈ-M futures or spot (`market`) server on 127.0.0.1 (port 0), speaking the
 * real protocol: the combined market streams replay a recording (data/binance-*.gz) frame by
 * frame in the live envelope; REST /fapi/v1/depth (/api/v3/depth) serves the recorded snapshot
 * until the stream passes it, then the server's own book (kept by the same sync rules) at the
 * last update id it sent; signed REST orders (HMAC checked, recvWindow, X-MBX-APIKEY) are
 * matched against that book (LIMIT GTC/IOC, post-only GTX rejected with -5022 or spot
 * LIMIT_MAKER with -2010 when crossing; resting orders fill when a trade prints at or through
 * their price) and reported on the listenKey user stream (ORDER_TRADE_UPDATE and
 * ACCOUNT_UPDATE; spot executionReport and outboundAccountPosition); exchangeInfo rate limits
 * are enforced (429 / -1015) and counted in the X-MBX-* headers. Faults: drop the market
 * connection, stall it, skip a depth update, duplicate the next fill, reject the next order with
 * a given error, orders left working across clients.
 */
export interface FakeOptions {
  file: string;
  apiKey: string;
  apiSecret: string;
  /** Frames sent per event-loop turn (pacing; recorded spacing is not kept: tests run fast). */
  framesPerTurn?: number;
  /** ORDERS per 10 s in exchangeInfo (enforced). */
  ordersPer10s?: number;
  /** Lines of the recording to stream (default all). */
  maxLines?: number;
  /**
   * 'usdm' (default): USD-M futures (/fapi, depth@0ms with pu, GTX, ORDER_TRADE_UPDATE and
   * ACCOUNT_UPDATE); 'spot': spot (/api/v3, depth@100ms chained by U = u + 1, LIMIT_MAKER rejected
   * with -2010, executionReport and outboundAccountPosition on the listenKey stream). The
   * recording must be of that market.
   */
  market?: 'usdm' | 'spot';
  /**
   * Paced only: at the end of the recording start again from its first line (times stamped anew;
   * the update ids jump back, so every client sees a gap and resyncs from a fresh snapshot).
   * For soak runs.
   */
  loop?: boolean;
  /**
   * Paced: each line sent when its recorded receive time, `speed` times faster, has come (the
   * spacing a live client sees); unset: as fast as `framesPerTurn` allows.
   */
  speed?: number;
}

interface RestingOrder {
  orderId: number;
  clientOrderId: string;
  side: 1 | -1;
  price: number; // scaled 1e2 (recording decimals)
  qty: number; // scaled 1e3
  filled: number;
  tif: string;
  type: string;
}

/** Per market: REST prefix, the recording's scales (price decimals, qty decimals), tick and step in them. */
const MARKETS = {
  usdm: { api: '/fapi/v1', listenKey: '/fapi/v1/listenKey', pd: 2, qd: 3, tick: 10, step: 1 },
  // Spot BTCUSDT: prices to 0.01, quantities to 0.00001 (sizes in the feed show 8 decimals).
  spot: { api: '/api/v3', listenKey: '/api/v3/userDataStream', pd: 2, qd: 8, tick: 1, step: 1000 },
} as const;
const fmt = (v: number, d: number) => (v / 10 ** d).toFixed(d);

export class FakeBinance {
  readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly lines: { stream: string; data: string; obj: Record<string, unknown>; ms: number }[] = [];
  private recordedSnapshot = '';
  private readonly market = new Set<WebSocket>();
  private readonly user = new Set<WebSocket>();
  private cursor = 0;
  /** Times the recording was started again (`loop`). */
  loops = 0;
  private firstMs = 0;
  private pumping = false;
  private stalledUntil = 0;
  /** Depth frames withheld (fault: skip an update id). */
  skipDepth = 0;
  duplicateNextFill = false;
  rejectNext: { status: number; code: number; msg: string } | null = null;
  /** Legacy futures: a crossing GTX order answered EXPIRED instead of -5022. */
  gtxExpiredMode = false;
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();
  private readonly sync: DepthSync;
  private lastU = 0;
  private lastMs_ = 0;
  /** ms added to the recording's times (set at the first frame). */
  private timeShift = 0;
  private get lastMs(): number {
    return this.lastMs_ + this.timeShift;
  }
  readonly orders = new Map<number, RestingOrder>();
  position = 0;
  private nextOrderId = 1000;
  private tradeId = 1;
  private readonly ordersWindow: number[] = [];
  readonly counts = {
    orders: 0,
    rejected429: 0,
    maxOrdersIn10s: 0,
    badSignatures: 0,
    depthRequests: 0,
    sentFrames: 0,
  };
  readonly requests: string[] = [];
  /** Per WebSocket upgrade: its path and the extensions the client offered (Sec-WebSocket-Extensions). */
  readonly upgradeExtensions: string[] = [];
  private get ordersCap(): number {
    return this.o.ordersPer10s ?? (this.spot ? 100 : 300);
  }
  listenKey = 'lk-fake-1';
  /** Called as a new-order request arrives, before it is checked (the bench's tick-to-trade). */
  onOrderRequest: (() => void) | null = null;

  private readonly mk: (typeof MARKETS)[keyof typeof MARKETS];
  private readonly spot: boolean;

  constructor(private readonly o: FakeOptions) {
    this.spot = o.market === 'spot';
    this.mk = MARKETS[o.market ?? 'usdm'];
    const text = gunzipSync(readFileSync(o.file)).toString('utf8');
    let n = 0;
    for (const line of text.split('\n')) {
      if (o.maxLines !== undefined && n >= o.maxLines) break;
      const sp = line.indexOf(' ');
      if (sp < 0) continue;
      const json = line.slice(sp + 1);
      // Receive time in ns since 1970 (19 digits), kept as ms after the first line's.
      const recvMs = Number(line.slice(0, sp - 6));
      if (n === 0) this.firstMs = recvMs;
      const ms = recvMs - this.firstMs;
      const m = JSON.parse(json) as {
        stream?: string;
        data?: Record<string, unknown>;
        lastUpdateId?: number;
      };
      n++;
      if (m.lastUpdateId !== undefined) {
        if (this.recordedSnapshot === '') this.recordedSnapshot = json;
        this.lines.push({
          stream: '',
          data: json,
          obj: m as Record<string, unknown>,
          ms,
        });
      } else if (m.stream && m.data)
        this.lines.push({
          stream: m.stream,
          data: JSON.stringify(m.data),
          obj: m.data,
          ms,
        });
    }
    this.sync = new DepthSync(!this.spot, {
      apply: (d) => {
        for (let k = 0; k < d.bidN; k += 2) setLevel(this.bids, d.bids[k], d.bids[k + 1]);
        for (let k = 0; k < d.askN; k += 2) setLevel(this.asks, d.asks[k], d.asks[k + 1]);
        this.lastU = d.u;
        this.lastMs_ = d.exchMs;
      },
      gap: (reason) => {
        throw new Error(`fake: the recording has a gap: ${reason}`);
      },
    });
    this.server = http.createServer((req, res) => this.onHttp(req, res));
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.upgradeExtensions.push(`${url.pathname} ${req.headers['sec-websocket-extensions'] ?? ''}`);
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (url.pathname.endsWith('/stream')) {
          this.market.add(ws);
          ws.on('close', () => this.market.delete(ws));
          this.pump();
        } else if (url.pathname.endsWith(`/ws/${this.listenKey}`)) {
          this.user.add(ws);
          ws.on('close', () => this.user.delete(ws));
        } else ws.close(1008, 'unknown path');
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.pumping = false;
    for (const ws of [...this.market, ...this.user]) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  get done(): boolean {
    return this.cursor >= this.lines.length;
  }
  get progress(): number {
    return this.cursor;
  }

  /** Fault: closes every market connection (the client must reconnect and resync). */
  dropMarket(): void {
    for (const ws of this.market) ws.terminate();
  }
  /** Fault: the market stream goes silent for `ms` (connection kept open). */
  stall(ms: number): void {
    this.stalledUntil = Date.now() + ms;
  }

  /** Streams the recording to the market connections, `framesPerTurn` frames per event-loop turn. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const per = this.o.framesPerTurn ?? 20;
    const speed = this.o.speed ?? 0;
    let t0 = -1;
    let stalledMs = 0;
    const step = () => {
      if (!this.pumping) return;
      if (this.market.size === 0 || Date.now() < this.stalledUntil) {
        stalledMs += 5;
        setTimeout(step, 5);
        return;
      }
      if (speed > 0) {
        // Recorded time reached at this moment (time stalled or disconnected is not counted).
        if (t0 < 0) t0 = performance.now();
        const due = (performance.now() - t0 - stalledMs) * speed;
        while (this.cursor < this.lines.length && this.lines[this.cursor].ms <= due)
          this.emit(this.lines[this.cursor++]);
        if (this.cursor >= this.lines.length && this.o.loop === true) {
          this.cursor = 0;
          this.loops++;
          t0 = performance.now();
          stalledMs = 0;
          this.timeShift = 0;
          this.sync.reset();
        }
        if (this.cursor < this.lines.length) setTimeout(step, 1);
        else this.pumping = false;
        return;
      }
      for (let k = 0; k < per && this.cursor < this.lines.length; k++) this.emit(this.lines[this.cursor++]);
      if (this.cursor < this.lines.length) setImmediate(step);
      else this.pumping = false;
    };
    setImmediate(step);
  }

  private emit(l: { stream: string; data: string; obj: Record<string, unknown> }): void {
    if (l.stream === '') {
      const m = l.obj as { lastUpdateId: number; bids: string[][]; asks: string[][] };
      if (this.sync.state !== 'waiting') return;
      this.bids.clear();
      this.asks.clear();
      const { pd, qd } = this.mk;
      for (const [p, q] of m.bids) setLevel(this.bids, parseScaledDecimal(p, pd), parseScaledDecimal(q, qd));
      for (const [p, q] of m.asks) setLevel(this.asks, parseScaledDecimal(p, pd), parseScaledDecimal(q, qd));
      this.lastU = m.lastUpdateId;
      this.sync.snapshot(m.lastUpdateId, 0);
      return;
    }
    const d = l.obj;
    if (l.stream.includes('@depth')) {
      const bids = pairs(d.b as string[][], this.mk.pd, this.mk.qd);
      const asks = pairs(d.a as string[][], this.mk.pd, this.mk.qd);
      this.sync.diff(
        {
          U: d.U as number,
          u: d.u as number,
          pu: d.pu as number,
          exchMs: (d.T ?? d.E) as number,
          bids,
          asks,
          bidN: bids.length,
          askN: asks.length,
        },
        0,
      );
      if (this.skipDepth > 0) {
        this.skipDepth--;
        return;
      }
    } else if (l.stream.endsWith('@trade')) this.onTape(d);
    // A live server stamps frames with the time now: the recording's times are shifted by the
    // offset between the first frame sent and the wall clock.
    if (this.timeShift === 0 && typeof d.E === 'number') this.timeShift = Date.now() - d.E;
    const shifted: Record<string, unknown> = { ...d };
    if (typeof d.E === 'number') shifted.E = d.E + this.timeShift;
    if (typeof d.T === 'number') shifted.T = d.T + this.timeShift;
    const frame = `{"stream":"${l.stream}","data":${JSON.stringify(shifted)}}`;
    this.counts.sentFrames++;
    for (const ws of this.market) ws.send(frame);
  }

  // ---- matching ----------------------------------------------------------------------------

  private best(side: 1 | -1): [number, number] {
    const m = side === 1 ? this.bids : this.asks;
    let bp = side === 1 ? 0 : Number.POSITIVE_INFINITY;
    for (const p of m.keys()) if (side === 1 ? p > bp : p < bp) bp = p;
    return [bp, m.get(bp) ?? 0];
  }

  /** A trade print at or through a resting order's price fills it (whole leaves, as maker). */
  private onTape(d: Record<string, unknown>): void {
    const px = parseScaledDecimal(d.p as string, this.mk.pd);
    for (const o of [...this.orders.values()]) {
      if (o.side === 1 ? px <= o.price : px >= o.price) this.fill(o, o.price, o.qty - o.filled, true);
    }
  }

  private fill(o: RestingOrder, px: number, qty: number, maker: boolean): void {
    o.filled += qty;
    this.position += o.side * qty;
    const done = o.filled === o.qty;
    if (done) this.orders.delete(o.orderId);
    const ev = this.orderEvent(
      o,
      'TRADE',
      done ? 'FILLED' : 'PARTIALLY_FILLED',
      px,
      qty,
      maker,
      this.tradeId++,
    );
    this.pushUser(ev);
    if (this.duplicateNextFill) {
      this.duplicateNextFill = false;
      this.pushUser(ev);
    }
    const { qd } = this.mk;
    this.pushUser(
      JSON.stringify(
        this.spot
          ? {
              e: 'outboundAccountPosition',
              E: this.lastMs,
              u: this.lastMs,
              B: [{ a: 'BTC', f: fmt(Math.max(0, this.position), qd), l: '0.00000000' }],
            }
          : {
              e: 'ACCOUNT_UPDATE',
              E: this.lastMs,
              T: this.lastMs,
              a: {
                m: 'ORDER',
                B: [],
                P: [{ s: 'BTCUSDT', pa: fmt(this.position, qd), ep: '0', ps: 'BOTH' }],
              },
            },
      ),
    );
  }

  private orderEvent(
    o: RestingOrder,
    x: string,
    X: string,
    L: number,
    l: number,
    maker: boolean,
    t = 0,
  ): string {
    const { pd, qd } = this.mk;
    const fields = {
      s: 'BTCUSDT',
      c: o.clientOrderId,
      S: o.side === 1 ? 'BUY' : 'SELL',
      o: o.type,
      f: o.tif,
      q: fmt(o.qty, qd),
      p: fmt(o.price, pd),
      x,
      X,
      i: o.orderId,
      l: fmt(l, qd),
      z: fmt(o.filled, qd),
      L: fmt(L, pd),
      t,
      m: maker,
    };
    // Spot: executionReport, the order's fields at the top level (trade id -1 when not a trade).
    if (this.spot)
      return JSON.stringify({ e: 'executionReport', E: this.lastMs, T: this.lastMs, ...fields, t: t || -1 });
    return JSON.stringify({ e: 'ORDER_TRADE_UPDATE', E: this.lastMs, T: this.lastMs, o: fields });
  }

  private pushUser(s: string): void {
    for (const ws of this.user) ws.send(s);
  }

  /** Places an order directly (an earlier session's order, left working). */
  addWorking(clientOrderId: string, side: 1 | -1, price: number, qty: number): number {
    const o: RestingOrder = {
      orderId: this.nextOrderId++,
      clientOrderId,
      side,
      price,
      qty,
      filled: 0,
      tif: 'GTC',
      type: 'LIMIT',
    };
    this.orders.set(o.orderId, o);
    return o.orderId;
  }

  // ---- REST -----------------------------------------------------------------------------

  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    const route = `${req.method} ${url.pathname}`;
    const api = this.mk.api;
    if (req.method === 'POST' && url.pathname === `${api}/order`) this.onOrderRequest?.();
    this.requests.push(`${route}?${url.search}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-mbx-used-weight-1m': '1', ...headers });
      res.end(JSON.stringify(body));
    };
    const err = (status: number, code: number, msg: string) => send(status, { code, msg });
    if (route === `GET ${api}/exchangeInfo`) {
      send(200, {
        rateLimits: this.spot
          ? [
              { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
              { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: this.ordersCap },
              { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200_000 },
              { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61_000 },
            ]
          : [
              { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 },
              { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: this.ordersCap },
              { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
            ],
        symbols: [{ symbol: 'BTCUSDT' }],
      });
      return;
    }
    if (route === `GET ${api}/depth`) {
      this.counts.depthRequests++;
      if (this.sync.state !== 'synced') {
        const snap = JSON.parse(this.recordedSnapshot) as { E?: number; T?: number };
        if (snap.E !== undefined) snap.E += this.timeShift;
        if (snap.T !== undefined) snap.T += this.timeShift;
        send(200, snap);
        return;
      }
      const side = (m: Map<number, number>, dir: number) =>
        [...m.entries()]
          .sort((a, b) => (a[0] - b[0]) * dir)
          .slice(0, 1000)
          .map(([p, v]) => [fmt(p, this.mk.pd), fmt(v, this.mk.qd)]);
      // Spot snapshots carry no times.
      const times = this.spot ? {} : { E: this.lastMs, T: this.lastMs };
      send(200, { lastUpdateId: this.lastU, ...times, bids: side(this.bids, -1), asks: side(this.asks, 1) });
      return;
    }
    // Keyed endpoints.
    if (req.headers['x-mbx-apikey'] !== this.o.apiKey) {
      err(401, -2015, 'Invalid API-key, IP, or permissions for action.');
      return;
    }
    if (url.pathname === this.mk.listenKey) {
      send(200, { listenKey: this.listenKey });
      return;
    }
    const sig = q.get('signature');
    const payload = url.search.slice(1).replace(/&signature=[0-9a-f]+$/, '');
    if (sig === null || sign(payload, this.o.apiSecret) !== sig) {
      this.counts.badSignatures++;
      err(400, -1022, 'Signature for this request is not valid.');
      return;
    }
    const ts = Number(q.get('timestamp'));
    if (!(Date.now() - ts <= Number(q.get('recvWindow') ?? 5000)) || ts > Date.now() + 1000) {
      err(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
      return;
    }
    if (route === `POST ${api}/order`) {
      this.newOrder(q, send, err);
      return;
    }
    if (route === `DELETE ${api}/order`) {
      const o = [...this.orders.values()].find(
        (x) => x.clientOrderId === q.get('origClientOrderId') || String(x.orderId) === q.get('orderId'),
      );
      if (o === undefined) {
        err(400, -2011, 'Unknown order sent.');
        return;
      }
      this.orders.delete(o.orderId);
      send(200, { orderId: o.orderId, status: 'CANCELED', clientOrderId: o.clientOrderId });
      this.pushUser(this.orderEvent(o, 'CANCELED', 'CANCELED', 0, 0, false));
      return;
    }
    if (route === `GET ${api}/openOrders`) {
      send(
        200,
        [...this.orders.values()].map((o) => ({
          orderId: o.orderId,
          clientOrderId: o.clientOrderId,
          symbol: 'BTCUSDT',
          side: o.side === 1 ? 'BUY' : 'SELL',
          price: fmt(o.price, this.mk.pd),
          origQty: fmt(o.qty, this.mk.qd),
          executedQty: fmt(o.filled, this.mk.qd),
          status: 'NEW',
          timeInForce: o.tif,
          type: o.type,
        })),
      );
      return;
    }
    if (!this.spot && route === 'GET /fapi/v3/positionRisk') {
      send(200, [
        {
          symbol: 'BTCUSDT',
          positionAmt: fmt(this.position, this.mk.qd),
          entryPrice: '61000.0',
          positionSide: 'BOTH',
        },
      ]);
      return;
    }
    err(404, -1000, `unknown route ${route}`);
  }

  private newOrder(
    q: URLSearchParams,
    send: (s: number, b: unknown, h?: Record<string, string>) => void,
    err: (s: number, c: number, m: string) => void,
  ): void {
    const now = Date.now();
    while (this.ordersWindow.length > 0 && this.ordersWindow[0] <= now - (now % 10_000) - 1)
      this.ordersWindow.shift();
    const windowStart = now - (now % 10_000);
    const inWindow = this.ordersWindow.filter((t) => t >= windowStart).length;
    if (inWindow + 1 > this.ordersCap) {
      this.counts.rejected429++;
      err(429, -1015, `Too many new orders; current limit is ${this.ordersCap} orders per TEN_SECONDS.`);
      return;
    }
    this.ordersWindow.push(now);
    this.counts.orders++;
    this.counts.maxOrdersIn10s = Math.max(this.counts.maxOrdersIn10s, inWindow + 1);
    const headers = { 'x-mbx-order-count-10s': String(inWindow + 1) };
    if (this.rejectNext !== null) {
      const r = this.rejectNext;
      this.rejectNext = null;
      send(r.status, { code: r.code, msg: r.msg }, headers);
      return;
    }
    const side: 1 | -1 = q.get('side') === 'BUY' ? 1 : -1;
    const { pd, qd, tick, step } = this.mk;
    const price = parseScaledDecimal(q.get('price') ?? '', pd);
    const qty = parseScaledDecimal(q.get('quantity') ?? '', qd);
    if (Number.isNaN(price) || Number.isNaN(qty)) {
      send(400, { code: -1111, msg: 'Precision is over the maximum defined for this asset.' }, headers);
      return;
    }
    if (price % tick !== 0 || qty % step !== 0 || qty <= 0) {
      const filter = price % tick !== 0 ? 'PRICE_FILTER' : 'LOT_SIZE';
      send(400, { code: -1013, msg: `Filter failure: ${filter}` }, headers);
      return;
    }
    if ([...this.orders.values()].some((o) => o.clientOrderId === q.get('newClientOrderId'))) {
      send(400, { code: -4116, msg: 'ClientOrderId is duplicated.' }, headers);
      return;
    }
    const type = q.get('type') ?? 'LIMIT';
    const tif = q.get('timeInForce') ?? 'GTC';
    const postOnly = type === 'LIMIT_MAKER' || tif === 'GTX';
    const o: RestingOrder = {
      orderId: this.nextOrderId++,
      clientOrderId: q.get('newClientOrderId') ?? '',
      side,
      price,
      qty,
      filled: 0,
      tif,
      type,
    };
    const [opp, oppQty] = this.best(side === 1 ? -1 : 1);
    const crosses = side === 1 ? price >= opp : price <= opp && opp > 0;
    const reply = (status: string) =>
      send(
        200,
        {
          orderId: o.orderId,
          clientOrderId: o.clientOrderId,
          status,
          executedQty: fmt(o.filled, qd),
          timeInForce: tif,
        },
        headers,
      );
    if (postOnly && crosses) {
      if (this.spot) {
        send(400, { code: -2010, msg: 'Order would immediately match and take.' }, headers);
        return;
      }
      if (this.gtxExpiredMode) {
        reply('EXPIRED');
        return;
      }
      send(
        400,
        {
          code: -5022,
          msg: 'Due to the order could not be executed as maker, the Post Only order will be rejected.',
        },
        headers,
      );
      return;
    }
    this.orders.set(o.orderId, o);
    reply('NEW');
    this.pushUser(this.orderEvent(o, 'NEW', 'NEW', 0, 0, false));
    if (crosses) this.fill(o, opp, Math.min(qty, oppQty), false);
    if (tif === 'IOC' && this.orders.has(o.orderId)) {
      this.orders.delete(o.orderId);
      this.pushUser(this.orderEvent(o, 'EXPIRED', 'EXPIRED', 0, 0, false));
    }
  }
}

function setLevel(m: Map<number, number>, p: number, q: number): void {
  if (q === 0) m.delete(p);
  else m.set(p, q);
}

function pairs(v: string[][], pd: number, qd: number): Float64Array {
  const out = new Float64Array(2 * v.length);
  for (let k = 0; k < v.length; k++) {
    out[2 * k] = parseScaledDecimal(v[k][0], pd);
    out[2 * k + 1] = parseScaledDecimal(v[k][1], qd);
  }
  return out;
}
