import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OrderCommand } from '../../../src/contracts/orders.ts';
import type { SymbolSpec } from '../../../src/contracts/symbols.ts';
import type { VenueExecEvent } from '../../../src/contracts/venue.ts';
import { SimClock } from '../../../src/core/clock.ts';
import { Scheduler } from '../../../src/core/scheduler.ts';
import type { EventColumns } from '../../../src/venues/replay/event-columns.ts';
import { futuresCode, parseFuturesCode } from '../../../src/venues/shioaji/contracts.ts';
import { API, BAN_TEXT, LIMITS, type LimitCategory, PATH } from '../../../src/venues/shioaji/protocol.ts';
import { taipeiDateTime } from '../../../src/venues/shioaji/quotes.ts';
import { L2Exchange } from '../../../src/venues/sim/l2-exchange.ts';
import { ConstantLatency } from '../../../src/venues/sim/latency-model.ts';
import { RiskAverseQueue } from '../../../src/venues/sim/queue-model.ts';
import { type FeedMessage, feedMessages } from './taifex-feed.ts';

/** A recorded instrument the fake lists, streams and matches. */
export interface FakeInstrument {
  spec: SymbolSpec;
  /** Recorded events (TAIFEX parquet read by the replay reader); null = listed, no data. */
  columns: EventColumns | null;
  maxMessages?: number;
  /** Continuous aliases resolving to this contract (e.g. TXFR1). */
  aliases?: string[];
}

export interface FakeOptions {
  instruments: FakeInstrument[];
  /** GET /info simulation flag (default true). */
  simulation?: boolean;
  /** Require `Authorization: Bearer <key>:<secret>` (a non-loopback server). */
  bearer?: string;
  heartbeatMs?: number;
  /** Wall time in ms for the rate limits (tests drive it). */
  nowMs?: () => number;
  /**
   * Recorded times move (by whole seconds, per instrument) so the data's last message is now, as a live server's
   * times are (default true): the data is in the past however fast it is played, and a client's
   * clock does not see a months-old or future time. Times of day at the fake's matching (session
   * hours) stay the recorded ones.
   */
  liveDates?: boolean;
  /** HTTP status for an unknown trade_id (reference §13: 400 or 404; default 400). */
  unknownTradeStatus?: number;
}

/** Faults a test switches on. */
export interface FakeFaults {
  /** Send each deal twice. */
  duplicateDeals: boolean;
  /** Send deals before the order's New event. */
  dealBeforeOrder: boolean;
  /** Heartbeats stop (the stream goes silent but stays open). */
  stallHeartbeats: boolean;
  /** Deals are not sent on the stream (they still count in /order/trades). */
  dropDeals: boolean;
  tokenStale: boolean;
  /** Every place_order answers this HTTP error (e.g. 500 timeout). */
  placeError: { status: number; message: string } | null;
  /** New orders are rejected by the exchange with this op_code (status Failed). */
  rejectCode: { code: string; msg: string } | null;
  /** Orders are refused as outside the trading session. */
  sessionClosed: boolean;
}

interface FakeTrade {
  id: string;
  seqno: string;
  ordno: string;
  inst: FakeInstrument;
  account: 'S' | 'F';
  action: 'Buy' | 'Sell';
  price: number;
  quantity: number;
  lot: number;
  priceType: string;
  orderType: string;
  orderLot: string;
  status: string;
  msg: string;
  dealQty: number;
  cancelQty: number;
  modifiedPrice: number;
  deals: { seq: string; price: number; quantity: number; ts: number }[];
  /** Engine order id (changes when a price update re-queues it). */
  engineId: number;
  /** Order event held until the first deal went out (dealBeforeOrder). */
  held: unknown[] | null;
}

interface SseClient {
  res: http.ServerResponse;
  channel: string;
}

/**
 * A faithful stand-in for `shioaji server start` (reference §12): HTTP + SSE on 127.0.0.1, recorded
 * TAIFEX data streamed as `tick_fop`/`bidask_fop` (decimals as strings, Taipei date/time, concrete
 * codes), orders matched by the platform's L2 exchange model against that data and answered with
 * `order_event` order and deal reports, per-category rate limits with the one-minute 503 ban,
 * the documented error codes, and fault switches. Tests drive the data with `play()`.
 */
export class FakeShioaji {
  readonly faults: FakeFaults = {
    duplicateDeals: false,
    dealBeforeOrder: false,
    stallHeartbeats: false,
    dropDeals: false,
    tokenStale: false,
    placeError: null,
    rejectCode: null,
    sessionClosed: false,
  };
  readonly counts = {
    calls: { orders: 0, data: 0, portfolio: 0 },
    bans: 0,
    subscribes: 0,
    unauthorized: 0,
    maxInWindow: { orders: 0, data: 0, portfolio: 0 },
  };
  readonly trades = new Map<string, FakeTrade>();
  private readonly server: http.Server;
  private readonly clients = new Set<SseClient>();
  private readonly subs = new Map<string, string | null>();
  private readonly byCode = new Map<string, FakeInstrument>();
  private readonly aliases = new Map<string, FakeInstrument>();
  private readonly feeds: { inst: FakeInstrument; msgs: FeedMessage[]; next: number }[] = [];
  private readonly clock = new SimClock(0);
  private readonly scheduler = new Scheduler(this.clock);
  private readonly exchange: L2Exchange;
  private readonly engineToTrade = new Map<number, FakeTrade>();
  private readonly calls: Record<LimitCategory, number[]> = { orders: [], data: [], portfolio: [] };
  private bannedUntil = 0;
  private seq = 0;
  private engineSeq = 0;
  private exchangeSeq = 0;
  private heartbeat: NodeJS.Timeout;
  port = 0;
  simulation: boolean;
  /** Called as a place_order request is read, before it is checked (the bench's tick-to-trade). */
  onPlaceOrder: (() => void) | null = null;
  /** Added to recorded absolute times (ns) in what is sent (FakeOptions.liveDates). */
  private readonly shiftNs = new Map<FakeInstrument, bigint>();

  constructor(private readonly o: FakeOptions) {
    this.simulation = o.simulation ?? true;
    const specs = o.instruments.map((x, i) => ({ ...x.spec, id: i }));
    o.instruments.forEach((inst, i) => {
      inst.spec = specs[i];
      this.byCode.set(inst.spec.code, inst);
      for (const a of inst.aliases ?? []) this.aliases.set(a, inst);
      if (inst.columns !== null)
        this.feeds.push({ inst, msgs: feedMessages(inst.columns, 5, inst.maxMessages), next: 0 });
    });
    if (o.liveDates ?? true) {
      const now = BigInt(Date.now()) * 1_000_000n;
      for (const f of this.feeds) {
        if (f.msgs.length === 0) continue;
        const last = f.inst.columns!.epoch.toAbs(f.msgs[f.msgs.length - 1].ts);
        // Whole seconds, so the recorded sub-second digits stay as they were.
        this.shiftNs.set(f.inst, ((now - last) / 1_000_000_000n) * 1_000_000_000n);
      }
    }
    this.exchange = new L2Exchange({
      symbols: specs,
      scheduler: this.scheduler,
      latency: new ConstantLatency(0, 0),
      queue: new RiskAverseQueue(),
    });
    this.exchange.connect((e) => this.onExec(e));
    this.server = http.createServer((req, res) => this.route(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.heartbeat = setInterval(() => this.beat(), o.heartbeatMs ?? 30_000);
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.dropStreams();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Messages left to stream, over every instrument. */
  get remaining(): number {
    return this.feeds.reduce((n, f) => n + f.msgs.length - f.next, 0);
  }

  /** The bid/ask snapshots streamed so far, per code (what a correct client's book shows). */
  feed(code: string): FeedMessage[] {
    return this.feeds.find((f) => f.inst.spec.code === code)?.msgs ?? [];
  }

  /**
   * Streams up to `n` messages (earliest first over all instruments), matching resting orders
   * against each as the exchange would; waits for socket buffers to drain.
   */
  async play(n = Number.POSITIVE_INFINITY): Promise<number> {
    let sent = 0;
    while (sent < n) {
      const best = this.earliest();
      if (best === null) break;
      const m = best.msgs[best.next++];
      this.step(best.inst, m);
      sent++;
      if (sent % 256 === 0) await this.drained();
    }
    await this.drained();
    return sent;
  }

  /**
   * Streams everything at `speed` times the recorded pace (the command-line fake); resolves at the
   * end. Messages recorded before `fromNs` (ns on each recording's epoch, the UTC midnight of its
   * day) are matched and sent at once, unpaced: the pace starts at the first message from there on.
   */
  async pace(speed: number, fromNs = Number.NEGATIVE_INFINITY): Promise<void> {
    const nextTs = () => {
      const f = this.earliest();
      return f === null ? Number.POSITIVE_INFINITY : f.msgs[f.next].ts;
    };
    while (nextTs() < fromNs) await this.play(1);
    const t0 = Date.now();
    let first = Number.NaN;
    while (this.remaining > 0) {
      const next = nextTs();
      if (Number.isNaN(first)) first = next;
      const due = t0 + (next - first) / 1e6 / speed;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, Math.min(1000, due - Date.now())));
      else await this.play(1);
    }
  }

  /** The instrument whose next message is the earliest of all (null: everything sent). */
  private earliest(): (typeof this.feeds)[number] | null {
    let best: (typeof this.feeds)[number] | null = null;
    for (const f of this.feeds)
      if (f.next < f.msgs.length && (best === null || f.msgs[f.next].ts < best.msgs[best.next].ts)) best = f;
    return best;
  }

  /** Drops every SSE connection (the server side of a network drop). */
  dropStreams(): void {
    for (const c of this.clients) c.res.destroy();
    this.clients.clear();
  }

  /** A server restart: connections and subscriptions are gone; orders stay working at the exchange. */
  restart(): void {
    this.dropStreams();
    this.subs.clear();
  }

  /** Active SSE connections. */
  get streams(): number {
    return this.clients.size;
  }

  /** Net position per code from fills (Buy positive). */
  position(code: string): number {
    let n = 0;
    for (const t of this.trades.values())
      if (t.inst.spec.code === code) n += (t.action === 'Buy' ? 1 : -1) * t.dealQty * t.lot;
    return n;
  }

  // ------------------------------------------------------------ market data

  private step(inst: FakeInstrument, m: FeedMessage): void {
    const c = inst.columns!;
    this.clock.set(Math.max(this.clock.nowNs(), m.ts));
    this.exchange.onMessage(inst.spec.id, c, m.start, m.end);
    this.scheduler.runNext(this.clock.nowNs());
    while (this.scheduler.runNext(this.clock.nowNs())) {}
    const code = inst.spec.code;
    if (!this.subscribed(code)) return;
    const { date, time } = taipeiDateTime(c.epoch.toAbs(m.ts) + (this.shiftNs.get(inst) ?? 0n));
    const scale = inst.spec.priceScale;
    const px = (p: number) => decimal(p, scale);
    const stock = inst.spec.type === 'stock';
    for (const t of m.trades) {
      const tick = stock
        ? {
            code,
            date,
            time,
            close: px(t.price),
            volume: t.qty,
            vol_sum: 0,
            tick_type: t.tickType,
            simtrade: false,
            intraday_odd: false,
          }
        : {
            code,
            date,
            time,
            open: '0',
            underlying_price: '0',
            avg_price: '0',
            close: px(t.price),
            high: '0',
            low: '0',
            amount: '0',
            total_amount: '0',
            volume: t.qty,
            total_volume: 0,
            bid_side_total_vol: 0,
            ask_side_total_vol: 0,
            tick_type: t.tickType,
            chg_type: 3,
            price_chg: '0',
            pct_chg: '0',
            simtrade: false,
          };
      this.send(stock ? 'tick_stk' : 'tick_fop', tick);
    }
    if (m.book !== null) {
      const b = m.book;
      const zeros = [0, 0, 0, 0, 0];
      this.send(stock ? 'bidask_stk' : 'bidask_fop', {
        code,
        date,
        time,
        bid_price: b.bidPx.map(px),
        bid_volume: b.bidQty,
        diff_bid_vol: zeros,
        ask_price: b.askPx.map(px),
        ask_volume: b.askQty,
        diff_ask_vol: zeros,
        bid_total_vol: b.bidQty.reduce((a, x) => a + x, 0),
        ask_total_vol: b.askQty.reduce((a, x) => a + x, 0),
        first_derived_bid_price: '0',
        first_derived_ask_price: '0',
        first_derived_bid_vol: 0,
        first_derived_ask_vol: 0,
        underlying_price: '0',
        simtrade: false,
      });
    }
  }

  /** A code has data subscribers: an alias subscription counts only with its target_code (reference §3). */
  private subscribed(code: string): boolean {
    for (const [key, target] of this.subs) {
      const sub = key.split('|')[0];
      if (sub === code) return true;
      if (this.aliases.get(sub)?.spec.code === code && target === code) return true;
    }
    return false;
  }

  private send(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) {
      if (event === 'order_event' ? c.channel === 'order_event' : c.channel === 'data' || c.channel === event)
        c.res.write(frame);
    }
  }

  private beat(): void {
    if (this.faults.stallHeartbeats) return;
    for (const c of this.clients)
      c.res.write(
        `event:heartbeat\ndata: ${JSON.stringify({ type: 'heartbeat', timestamp: new Date().toISOString(), connection_id: String(this.port) })}\n\n`,
      );
  }

  private async drained(): Promise<void> {
    for (const c of this.clients) {
      if (!c.res.writableNeedDrain) continue;
      await new Promise<void>((r) => {
        const done = () => {
          c.res.off('drain', done);
          c.res.off('close', done);
          r();
        };
        c.res.on('drain', done);
        c.res.on('close', done);
      });
    }
  }

  // ------------------------------------------------------------ HTTP

  private route(req: http.IncomingMessage, res: http.ServerResponse): unknown {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    if (
      p !== PATH.health &&
      p !== PATH.info &&
      this.o.bearer !== undefined &&
      req.headers.authorization !== `Bearer ${this.o.bearer}`
    ) {
      this.counts.unauthorized++;
      return error(res, 401, 'unauthorized');
    }
    if (p.startsWith(`${API}/stream/data`) && req.method === 'GET') return this.openSse(p, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', (): unknown => {
      let body: Record<string, unknown> = {};
      try {
        if (chunks.length > 0) body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return error(res, 400, 'invalid JSON body');
      }
      const cat = category(p);
      if (cat !== null) {
        const now = (this.o.nowMs ?? Date.now)();
        if (now < this.bannedUntil) return error(res, 503, BAN_TEXT);
        const list = this.calls[cat];
        const lim = LIMITS[cat];
        while (list.length > 0 && list[0] <= now - lim.windowMs) list.shift();
        list.push(now);
        this.counts.calls[cat]++;
        this.counts.maxInWindow[cat] = Math.max(this.counts.maxInWindow[cat], list.length);
        if (list.length > lim.count) {
          this.counts.bans++;
          this.bannedUntil = now + LIMITS.banMs;
          return error(res, 503, BAN_TEXT);
        }
      }
      try {
        this.handle(p, body, res);
      } catch (e) {
        error(res, 500, (e as Error).message);
      }
    });
  }

  private handle(p: string, body: Record<string, unknown>, res: http.ServerResponse): unknown {
    if (p === PATH.health)
      return json(res, {
        status: 'healthy',
        version: 'fake-1.7.0',
        timestamp: new Date().toISOString(),
        token_stale: this.faults.tokenStale,
        contract_count: this.byCode.size,
        ca_expired: false,
      });
    if (p === PATH.info)
      return json(res, {
        name: 'shioaji',
        version: 'fake-1.7.0',
        description: 'fake',
        protocols: ['HTTP'],
        simulation: this.simulation,
      });
    if (p === PATH.accounts)
      return json(res, [
        {
          account_type: 'S',
          person_id: 'A123456789',
          broker_id: '9A95',
          account_id: '0000001',
          signed: true,
          username: 'fake',
        },
        {
          account_type: 'F',
          person_id: 'A123456789',
          broker_id: 'F002000',
          account_id: '1000001',
          signed: true,
          username: 'fake',
        },
      ]);
    if (p === PATH.subscribeTrade) return json(res, { account: {}, subscribe_trade: true, ts: Date.now() });
    if (p.startsWith(`${API}/data/contracts/`)) {
      const code = decodeURIComponent(p.slice(`${API}/data/contracts/`.length));
      const inst = this.byCode.get(code) ?? this.aliases.get(code);
      if (inst === undefined) return error(res, 404, `contract ${code} not found`);
      const s = inst.spec;
      const fut = parseFuturesCode(s.code);
      return json(res, {
        security_type: s.type === 'stock' ? 'STK' : s.type === 'option' ? 'OPT' : 'FUT',
        exchange: s.type === 'stock' ? 'TSE' : 'TAIFEX',
        code,
        symbol: code,
        name: s.name,
        category: fut?.root ?? '',
        currency: 'TWD',
        delivery_month: fut === null ? '' : `202${fut.yearDigit}${String(fut.month).padStart(2, '0')}`,
        target_code: this.aliases.has(code) ? s.code : null,
        unit: 1,
        multiplier: s.multiplier,
      });
    }
    if (p === PATH.subscribe || p === PATH.unsubscribe) {
      const code = String(body.code);
      if (!this.byCode.has(code) && !this.aliases.has(code))
        return error(res, 404, `contract ${code} not found`);
      const key = `${code}|${body.quote_type}`;
      if (p === PATH.unsubscribe) this.subs.delete(key);
      else {
        if (!this.subs.has(key) && this.subs.size >= LIMITS.subscriptions)
          return json(res, { success: false, message: 'subscription limit reached', subscription: null });
        this.subs.set(key, typeof body.target_code === 'string' ? body.target_code : null);
        this.counts.subscribes++;
      }
      return json(res, {
        success: true,
        message: p === PATH.subscribe ? 'Subscription successful' : 'Unsubscribed',
        subscription: body,
      });
    }
    if (p === PATH.placeOrder) {
      this.onPlaceOrder?.();
      return this.place(body, res);
    }
    if (p === PATH.cancelOrder || p === PATH.updatePrice || p === PATH.updateQty)
      return this.modify(p, body, res);
    if (p === PATH.trades)
      return json(
        res,
        [...this.trades.values()].map((t) => this.tradeJson(t)),
      );
    if (p === PATH.positions) {
      const unitShare = body.unit === 'Share';
      const rows = [];
      let id = 0;
      for (const inst of this.byCode.values()) {
        const stock = inst.spec.type === 'stock';
        if ((body.account_type === 'S') !== stock) continue;
        const net = this.position(inst.spec.code);
        if (net === 0) continue;
        rows.push({
          id: id++,
          code: inst.spec.code,
          direction: net > 0 ? 'Buy' : 'Sell',
          quantity: stock && !unitShare ? Math.abs(net) / 1000 : Math.abs(net),
          price: 0,
          last_price: 0,
          pnl: 0,
        });
      }
      return json(res, rows);
    }
    if (p === PATH.margin)
      return json(res, {
        equity: 0,
        available_margin: 0,
        initial_margin: 0,
        maintenance_margin: 0,
        risk_indicator: 0,
      });
    if (p === PATH.accountBalance) return json(res, { acc_balance: 0, date: '', errmsg: '' });
    return error(res, 404, `no route ${p}`);
  }

  private openSse(p: string, res: http.ServerResponse): unknown {
    const channel = p === PATH.streamData ? 'data' : p.slice(`${API}/stream/data/`.length);
    if (this.clients.size >= 64) return error(res, 503, 'too many streams');
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    const c = { res, channel };
    this.clients.add(c);
    res.on('close', () => this.clients.delete(c));
  }

  // ------------------------------------------------------------ orders

  private place(body: Record<string, unknown>, res: http.ServerResponse): unknown {
    if (this.faults.placeError !== null)
      return error(res, this.faults.placeError.status, this.faults.placeError.message);
    const contract = body.contract as Record<string, string> | undefined;
    const stockOrder = body.stock_order as Record<string, unknown> | undefined;
    const order = (stockOrder ?? body.futures_order) as Record<string, unknown> | undefined;
    const inst =
      contract === undefined
        ? undefined
        : (this.byCode.get(contract.code) ?? this.aliases.get(contract.code));
    if (inst === undefined || order === undefined) return error(res, 400, 'contract or order missing');
    const qty = Number(order.quantity);
    const price = Number(order.price);
    if (!(Number.isInteger(qty) && qty > 0) || !(price >= 0)) return error(res, 400, 'bad price or quantity');
    const lot = stockOrder !== undefined && order.order_lot !== 'IntradayOdd' ? 1000 : 1;
    const n = ++this.seq;
    const t: FakeTrade = {
      id: ((0x9e3779b1 * n) >>> 0).toString(16).padStart(8, '0'),
      seqno: String(100000 + n),
      ordno: '',
      inst,
      account: stockOrder !== undefined ? 'S' : 'F',
      action: order.action === 'Sell' ? 'Sell' : 'Buy',
      price,
      quantity: qty,
      lot,
      priceType: String(order.price_type ?? 'LMT'),
      orderType: String(order.order_type ?? 'ROD'),
      orderLot: String(order.order_lot ?? 'Common'),
      status: 'PendingSubmit',
      msg: '',
      dealQty: 0,
      cancelQty: 0,
      modifiedPrice: 0,
      deals: [],
      engineId: 0,
      held: null,
    };
    this.trades.set(t.id, t);
    json(res, this.tradeJson(t));
    setImmediate(() => this.submit(t));
  }

  private submit(t: FakeTrade): void {
    const futures = t.account === 'F';
    let reject: { code: string; msg: string } | null = null;
    if (futures && t.priceType === 'MKT' && t.orderType === 'ROD')
      reject = { code: '9938', msg: 'MKT order must be IOC or FOK' };
    else if (this.faults.sessionClosed) reject = { code: '88', msg: 'not in trading session' };
    else if (this.faults.rejectCode !== null) reject = this.faults.rejectCode;
    if (reject !== null) {
      t.status = 'Failed';
      t.msg = reject.msg;
      this.orderEvent(t, 'New', reject.code, reject.msg);
      return;
    }
    t.ordno = `Y${String(this.seq).padStart(4, '0')}`;
    if (this.faults.dealBeforeOrder) t.held = [];
    // The New event goes out when the exchange model accepts it (onExec 'ack').
    this.enqueue(t, t.quantity - t.dealQty - t.cancelQty, t.price);
  }

  private enqueue(t: FakeTrade, leaves: number, price: number): void {
    const id = ++this.engineSeq;
    t.engineId = id;
    this.engineToTrade.set(id, t);
    const spec = t.inst.spec;
    const cmd: OrderCommand = {
      orderId: id,
      ts: this.clock.nowNs(),
      intent: {
        intentId: id,
        strategyId: 'fake',
        symbolId: spec.id,
        action: 'new',
        side: t.action === 'Buy' ? 1 : -1,
        price: Math.round(price * spec.priceScale),
        qty: leaves * t.lot,
        tif: t.orderType === 'IOC' ? 'IOC' : 'GTC',
        targetOrderId: 0,
        ts: this.clock.nowNs(),
      },
    };
    this.exchange.submit(cmd);
    while (this.scheduler.runNext(this.clock.nowNs())) {}
  }

  private onExec(e: VenueExecEvent): void {
    const t = this.engineToTrade.get(e.orderId);
    if (t === undefined || t.engineId !== e.orderId) return;
    if (e.type === 'ack' && t.status === 'PendingSubmit') {
      t.status = 'Submitted';
      this.orderEvent(t, 'New', '00', '');
    } else if (e.type === 'reject' && t.status === 'PendingSubmit') {
      // The exchange model's own checks (tick size, lot): an exchange rejection.
      t.status = 'Failed';
      t.msg = `rejected: ${e.reason}`;
      t.held = null;
      this.orderEvent(t, 'New', '99', t.msg);
    } else if (e.type === 'fill') {
      const q = e.lastQty / t.lot;
      t.dealQty += q;
      t.status = t.dealQty + t.cancelQty >= t.quantity ? 'Filled' : 'PartFilled';
      const price = e.lastPx / t.inst.spec.priceScale;
      const seq = String(++this.exchangeSeq).padStart(6, '0');
      const ts =
        t.inst.columns === null
          ? Date.now() / 1000
          : Number(t.inst.columns.epoch.toAbs(this.clock.nowNs()) + (this.shiftNs.get(t.inst) ?? 0n)) / 1e9;
      t.deals.push({ seq, price, quantity: q, ts });
      if (!this.faults.dropDeals) {
        const deal = this.dealJson(t, seq, price, q, ts);
        this.send('order_event', deal);
        if (this.faults.duplicateDeals) this.send('order_event', deal);
      }
      this.release(t);
    } else if (e.type === 'canceled' && t.status !== 'Cancelled') {
      // An IOC remainder dropped by the exchange.
      t.cancelQty = t.quantity - t.dealQty;
      t.status = 'Cancelled';
      this.orderEvent(t, 'Cancel', '00', '');
    }
  }

  private modify(p: string, body: Record<string, unknown>, res: http.ServerResponse): unknown {
    const t = this.trades.get(String(body.trade_id));
    if (t === undefined)
      return error(res, this.o.unknownTradeStatus ?? 400, `trade ${body.trade_id} not found`);
    const working = t.status === 'Submitted' || t.status === 'PartFilled';
    const leaves = t.quantity - t.dealQty - t.cancelQty;
    if (p === PATH.cancelOrder) {
      json(res, this.tradeJson(t));
      if (!working) return this.orderEvent(t, 'Cancel', '05', 'order already finished');
      this.engineToTrade.delete(t.engineId);
      this.exchange.cancel(t.engineId);
      while (this.scheduler.runNext(this.clock.nowNs())) {}
      t.cancelQty += leaves;
      t.status = 'Cancelled';
      return this.orderEvent(t, 'Cancel', '00', '');
    }
    if (!working) return error(res, 400, 'order is not working');
    if (p === PATH.updatePrice) {
      if (t.orderLot === 'IntradayOdd') return error(res, 400, 'IntradayOdd orders cannot change price');
      const price = Number(body.price);
      if (!(price > 0)) return error(res, 400, 'bad price');
      json(res, this.tradeJson(t));
      this.engineToTrade.delete(t.engineId);
      this.exchange.cancel(t.engineId);
      while (this.scheduler.runNext(this.clock.nowNs())) {}
      t.price = price;
      t.modifiedPrice = price;
      this.orderEvent(t, 'UpdatePrice', '00', '');
      this.enqueue(t, leaves, price);
      return;
    }
    // update_qty: reduce by `quantity` (reference §13, UPDATE_QTY_REDUCES_BY).
    const by = Number(body.quantity);
    if (!(Number.isInteger(by) && by > 0 && by <= leaves))
      return error(res, 400, 'quantity can only be reduced');
    json(res, this.tradeJson(t));
    this.engineToTrade.delete(t.engineId);
    this.exchange.cancel(t.engineId);
    while (this.scheduler.runNext(this.clock.nowNs())) {}
    t.cancelQty += by;
    if (by === leaves) t.status = 'Cancelled';
    this.orderEvent(t, 'UpdateQty', '00', '');
    if (by < leaves) this.enqueue(t, leaves - by, t.price);
  }

  private orderEvent(t: FakeTrade, opType: string, opCode: string, opMsg: string): void {
    const futures = t.account === 'F';
    const fut = parseFuturesCode(t.inst.spec.code);
    const payload = {
      operation: { op_type: opType, op_code: opCode, op_msg: opMsg },
      order: {
        id: t.id,
        seqno: t.seqno,
        ordno: t.ordno,
        account: { account_type: t.account },
        action: t.action,
        price: t.price,
        quantity: t.quantity,
        order_type: t.orderType,
        price_type: t.priceType,
        ...(futures
          ? { market_type: 'Day', oc_type: 'Auto', subaccount: '', combo: false }
          : { order_cond: 'Cash', order_lot: t.orderLot, custom_field: '' }),
      },
      status: {
        id: t.id,
        exchange_ts: Date.now() / 1000,
        modified_price: t.modifiedPrice,
        cancel_quantity: t.cancelQty,
        order_quantity: t.quantity,
        web_id: '137',
      },
      contract: futures
        ? {
            security_type: t.inst.spec.type === 'option' ? 'OPT' : 'FUT',
            code: fut?.root ?? t.inst.spec.code,
            full_code: t.inst.spec.code,
            exchange: 'TIM',
            delivery_month: '',
            delivery_date: '',
            strike_price: 0,
            option_right: 'Future',
          }
        : {
            security_type: 'STK',
            exchange: 'TSE',
            code: t.inst.spec.code,
            symbol: t.inst.spec.code,
            name: t.inst.spec.name,
            currency: 'TWD',
          },
    };
    const state = futures ? 'FuturesOrder' : 'StockOrder';
    const env = { state, data: { [state]: payload } };
    if (t.held !== null && opType === 'New') {
      t.held.push(env);
      return;
    }
    this.release(t);
    this.send('order_event', env);
  }

  /** Sends an order event held back for deal-before-order. */
  private release(t: FakeTrade): void {
    if (t.held === null) return;
    const held = t.held;
    t.held = null;
    for (const e of held) this.send('order_event', e);
  }

  private dealJson(t: FakeTrade, seq: string, price: number, quantity: number, ts: number): unknown {
    const fut = parseFuturesCode(t.inst.spec.code);
    const common = {
      trade_id: t.id,
      seqno: t.seqno,
      ordno: `${t.ordno}${seq.slice(-3)}`,
      exchange_seq: seq,
      broker_id: t.account === 'F' ? 'F002000' : '9A95',
      account_id: '1000001',
      action: t.action,
      price,
      quantity,
      ts,
    };
    if (t.account === 'S')
      return {
        state: 'StockDeal',
        data: {
          StockDeal: {
            ...common,
            code: t.inst.spec.code,
            order_cond: 'Cash',
            order_lot: t.orderLot,
            web_id: '137',
            custom_field: '',
          },
        },
      };
    const month =
      fut === null
        ? ''
        : futuresCode(fut.root, `202${fut.yearDigit}${String(fut.month).padStart(2, '0')}`) ===
            t.inst.spec.code
          ? `202${fut.yearDigit}${String(fut.month).padStart(2, '0')}`
          : '';
    return {
      state: 'FuturesDeal',
      data: {
        FuturesDeal: {
          ...common,
          code: fut?.root ?? t.inst.spec.code,
          subaccount: '',
          security_type: t.inst.spec.type === 'option' ? 'OPT' : 'FUT',
          delivery_month: month,
          full_code: t.inst.spec.code,
          strike_price: 0,
          option_right: 'Future',
          market_type: 'Day',
          combo: false,
        },
      },
    };
  }

  private tradeJson(t: FakeTrade): unknown {
    return {
      contract: {
        security_type: t.account === 'S' ? 'STK' : 'FUT',
        exchange: t.account === 'S' ? 'TSE' : 'TAIFEX',
        code: t.inst.spec.code,
      },
      order: {
        id: t.id,
        seqno: t.seqno,
        ordno: t.ordno,
        action: t.action,
        price: t.price,
        quantity: t.quantity,
        price_type: t.priceType,
        order_type: t.orderType,
        order_lot: t.orderLot,
      },
      status: {
        id: t.id,
        status: t.status,
        status_code: '00',
        msg: t.msg,
        order_ts: Date.now() / 1000,
        order_quantity: t.quantity,
        deal_quantity: t.dealQty,
        cancel_quantity: t.cancelQty,
        modified_price: t.modifiedPrice,
        deals: t.deals,
      },
    };
  }
}

function category(p: string): LimitCategory | null {
  if (
    p === PATH.placeOrder ||
    p === PATH.cancelOrder ||
    p === PATH.updatePrice ||
    p === PATH.updateQty ||
    p === PATH.trades
  )
    return 'orders';
  if (p.startsWith(`${API}/portfolio/`)) return 'portfolio';
  if (p === PATH.subscribe || p === PATH.unsubscribe || p.startsWith(`${API}/data/`)) return 'data';
  return null;
}

/** A scaled integer price as the decimal string Shioaji sends ("33438", "12.5"). */
function decimal(p: number, scale: number): string {
  return String(p / scale);
}

function json(res: http.ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function error(res: http.ServerResponse, status: number, message: string): void {
  const text = JSON.stringify({ code: status, message, details: null });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
