import type { ExecReport } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { MONEY_SCALE } from '../core/money.ts';
import { STAGE_NAMES, type StageId } from '../observability/latency-stages.ts';
import { type OpsView, SAFETY_LEVELS } from '../observability/ops-view.ts';

/** Book levels, trades and list lengths shown per view. */
const LEVELS = 10;
const TRADES = 25;
const FILLS = 40;
const REJECTIONS = 40;
const OPEN_ORDERS = 100;
/** PnL/position/price history: one point a second, ten minutes. */
const HISTORY = 600;
/** Own fills kept for the price chart's marks (within the history window). */
const FILL_MARKS = 1000;
/** Latency bars: counts between these bounds (ns), plus one above the last. */
const BAR_BOUNDS_NS = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
export const LATENCY_BARS = ['<1µs', '1-10µs', '10-100µs', '0.1-1ms', '1-10ms', '10-100ms', '0.1-1s', '≥1s'];

export interface FillRow {
  at: number;
  strategy: string;
  symbol: string;
  side: 1 | -1;
  price: number;
  qty: number;
  fee: number;
  taker: boolean;
}

export interface RejectRow {
  at: number;
  source: 'risk' | 'venue' | 'order';
  reason: string;
  count: number;
  detail: string;
}

/** An own fill as the price chart marks it. */
export interface FillMark {
  t: number;
  symbol: string;
  strategy: string;
  side: 1 | -1;
  price: number;
  qty: number;
}

export interface PnlHistory {
  t: number[];
  total: number[];
  /** Net PnL, net position (in the symbol's quantity unit) and mid price (null: no two-sided book). */
  bySymbol: Record<string, { pnl: number[]; pos: number[]; mid: (number | null)[] }>;
  /** Own fills since the first point, oldest first. */
  fills: FillMark[];
}

export interface LatencyRow {
  stage: string;
  count: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  bars: number[];
  /** Last completed minute (null before the first). */
  minute: { count: number; p50Us: number; p99Us: number } | null;
}

/** What one dashboard update carries. Money in currency units, prices as decimals. */
export interface DashboardSnapshot {
  at: number;
  seq: number;
  clock: { simulated: boolean; nowMs: number };
  safety: {
    level: string;
    halted: boolean;
    reasons: readonly string[];
    transitions: number;
    haltViolations: number;
    history: { at: number; from: string; to: string; reason: string; source: string }[];
  };
  counters: Record<string, number>;
  symbols: {
    code: string;
    decimals: number;
    /** What one unit of quantity is: 'contracts', 'shares', or 'units of <size>'. */
    unit: string;
    /** Order quantity step (a stock's board lot, e.g. 1,000 shares). */
    lot: number;
    mid: number | null;
    spread: number;
    bids: [number, number, number][];
    asks: [number, number, number][];
    trades: { t: number; price: number; qty: number; side: number }[];
  }[];
  positions: {
    strategy: string;
    symbol: string;
    qty: number;
    avg: number;
    realized: number;
    unrealized: number;
    fees: number;
    net: number;
  }[];
  pnlTotal: number;
  /** Every strategy with its state, for the per-strategy controls. */
  strategies: { id: string; symbols: string[]; enabled: boolean; errors: number }[];
  /** Present when it changed since the previous update (a point a second), and in the first one. */
  history?: PnlHistory;
  openOrders: {
    id: number;
    strategy: string;
    symbol: string;
    side: number;
    price: number;
    qty: number;
    leaves: number;
    status: string;
    ageMs: number;
  }[];
  fills: FillRow[];
  rejections: { recent: RejectRow[]; byReason: Record<string, number> };
  latency: LatencyRow[];
  latencyBars: string[];
  recorder: Record<string, unknown> | null;
  services: ReturnType<NonNullable<OpsView['supervision']>['services']>;
  loop: { p99Ms: number; maxMs: number; feedAgeMs: number };
  breakers: ReturnType<OpsView['breakers']>;
}

const decimalsOf = (scale: number) => Math.max(0, Math.round(Math.log10(scale)));

/** What one unit of a symbol's quantity is (stock quantities are shares, not board lots). */
export function quantityUnit(spec: SymbolSpec): string {
  if (spec.type === 'stock') return 'shares';
  if (spec.type === 'future' || spec.type === 'option') return 'contracts';
  return `units of ${spec.multiplier}`;
}
const money = (v: number) => Math.round(v) / MONEY_SCALE;
const us = (ns: number) => Math.round(ns / 10) / 100;

/**
 * Builds dashboard snapshots from a running system on the ops server's timers (a sample a
 * second for the PnL history and rejection feed, an update per push interval), never from
 * the hot path. Fills and venue rejects arrive through `onReport` (an execution listener).
 */
export class SnapshotBuilder {
  private readonly fills: FillRow[] = [];
  private readonly rejects: RejectRow[] = [];
  private readonly history: PnlHistory = { t: [], total: [], bySymbol: {}, fills: [] };
  private historyVersion = 0;
  private sentVersion = -1;
  private seq = 0;
  private riskSeen: Record<string, number> = {};
  private orderSeen: Record<string, number> = {};
  private eventsSeen = 0;
  private sampledAt = 0;
  private eventsPerS = 0;
  private latency: { at: number; rows: LatencyRow[] } = { at: -Infinity, rows: [] };

  constructor(
    private readonly view: OpsView,
    private readonly now: () => number = Date.now,
  ) {}

  /** Execution listener: keeps recent own fills and venue rejects. */
  onReport(r: ExecReport): void {
    const spec = this.view.sys.symbols[r.symbolId];
    if (spec === undefined) return;
    if (r.type === 'fill' || r.type === 'partial') {
      push(this.history.fills, FILL_MARKS, {
        t: this.now(),
        symbol: spec.code,
        strategy: r.strategyId,
        side: r.side,
        price: r.lastPx / spec.priceScale,
        qty: r.lastQty,
      });
      push(this.fills, FILLS, {
        at: this.now(),
        strategy: r.strategyId,
        symbol: spec.code,
        side: r.side,
        price: r.lastPx / spec.priceScale,
        qty: r.lastQty,
        fee: money(r.fee + r.tax),
        taker: r.taker,
      });
    } else if (r.type === 'reject') {
      push(this.rejects, REJECTIONS, {
        at: this.now(),
        source: 'venue',
        reason: r.reason || 'VENUE_REJECT',
        count: 1,
        detail: `${r.strategyId} ${spec.code} ${r.side > 0 ? 'buy' : 'sell'} ${r.qty} @ ${r.price / spec.priceScale}`,
      });
    }
  }

  /** Once a second: a PnL/position history point, event rate and risk/adapter rejection counts. */
  sample(): void {
    const { sys } = this.view;
    const t = this.now();
    const elapsed = (t - this.sampledAt) / 1000;
    if (this.sampledAt > 0 && elapsed > 0)
      this.eventsPerS = (sys.marketData.events - this.eventsSeen) / elapsed;
    this.eventsSeen = sys.marketData.events;
    this.sampledAt = t;

    const h = this.history;
    h.t.push(t);
    let total = 0;
    const bySym = new Map<string, { pnl: number; pos: number }>();
    for (const s of sys.symbols) bySym.set(s.code, { pnl: 0, pos: 0 });
    for (const p of sys.positions.all()) {
      const net = p.realized + p.unrealized(sys.lob.stats(p.spec.id).mid) - p.fees;
      total += net;
      const b = bySym.get(p.spec.code);
      if (b) {
        b.pnl += net;
        b.pos += p.qty;
      }
    }
    h.total.push(money(total));
    for (const spec of sys.symbols) {
      const v = bySym.get(spec.code)!;
      const series = (h.bySymbol[spec.code] ??= {
        pnl: new Array(h.t.length - 1).fill(0),
        pos: new Array(h.t.length - 1).fill(0),
        mid: new Array(h.t.length - 1).fill(null),
      });
      const mid = sys.lob.stats(spec.id).mid;
      series.pnl.push(money(v.pnl));
      series.pos.push(v.pos);
      series.mid.push(mid > 0 ? mid / spec.priceScale : null);
    }
    if (h.t.length > HISTORY) {
      h.t.shift();
      h.total.shift();
      for (const s of Object.values(h.bySymbol)) {
        s.pnl.shift();
        s.pos.shift();
        s.mid.shift();
      }
    }
    while (h.fills.length > 0 && h.fills[0].t < h.t[0]) h.fills.shift();
    this.historyVersion++;
    this.feedRejects('risk', sys.risk.counters.byReason, this.riskSeen, t);
    this.feedRejects('order', sys.orders.counters.byReason, this.orderSeen, t);
  }

  /** One update. `full` forces the PnL history in (a client that just connected). */
  build(full = false): DashboardSnapshot {
    const { sys, safety, supervision } = this.view;
    const nowNs = sys.clock.nowNs();
    const withHistory = full || this.historyVersion !== this.sentVersion;
    if (!full) this.sentVersion = this.historyVersion;
    const rc = sys.router.counters;
    const positions = [...sys.positions.all()].map((p) => {
      const u = p.unrealized(sys.lob.stats(p.spec.id).mid);
      return {
        strategy: p.strategyId,
        symbol: p.spec.code,
        qty: p.qty,
        avg: p.avgPrice / p.spec.priceScale,
        realized: money(p.realized),
        unrealized: money(u),
        fees: money(p.fees),
        net: money(p.realized + u - p.fees),
      };
    });
    const byReason: Record<string, number> = {};
    for (const [k, v] of Object.entries(sys.risk.counters.byReason)) byReason[`risk:${k}`] = v ?? 0;
    for (const [k, v] of Object.entries(sys.orders.counters.byReason)) byReason[`order:${k}`] = v ?? 0;
    for (const [k, v] of Object.entries(this.view.venueRejects)) byReason[`venue:${k}`] = v;
    const rec = sys.recorder?.stats() ?? null;
    return {
      at: this.now(),
      seq: ++this.seq,
      clock: { simulated: sys.clock.simulated, nowMs: sys.clock.epoch.toMs(nowNs) },
      safety: {
        level: SAFETY_LEVELS[safety.level],
        halted: safety.halted,
        reasons: safety.reasons,
        transitions: safety.transitions,
        haltViolations: safety.haltViolations,
        history: safety.history
          .slice(-30)
          .reverse()
          .map((h) => ({ ...h, from: SAFETY_LEVELS[h.from], to: SAFETY_LEVELS[h.to] })),
      },
      counters: {
        events: sys.marketData.events,
        eventsPerS: Math.round(this.eventsPerS),
        intents: sys.runner.counters.intents,
        orders: sys.orders.counters.sent,
        fills: rc.fills + rc.partials,
        cancels: rc.canceled,
        rejectsRisk: sys.risk.counters.rejected,
        rejectsVenue: rc.rejects,
        rejectsOrder: sys.orders.counters.rejected,
        openOrders: sys.orders.openCount,
        busDropped: sys.bus.dropped,
        strategyErrors: sys.runner.counters.errors,
      },
      symbols: this.books(),
      positions,
      pnlTotal: positions.reduce((a, p) => a + p.net, 0),
      strategies: sys.runner.status().map((st) => ({
        ...st,
        symbols: sys.runner.strategies.find((x) => x.id === st.id)?.symbols.map((x) => x.code) ?? [],
      })),
      history: withHistory ? this.history : undefined,
      openOrders: this.openOrders(nowNs),
      fills: this.fills.slice().reverse(),
      rejections: { recent: this.rejects.slice().reverse(), byReason },
      latency: this.latencyRows(),
      latencyBars: LATENCY_BARS,
      recorder: rec === null ? null : { ...rec },
      services: supervision?.services() ?? [],
      loop: {
        p99Ms: supervision?.loopLagP99Ms ?? 0,
        maxMs: supervision?.loopLagMaxMs ?? 0,
        feedAgeMs: supervision?.feedAgeMs ?? 0,
      },
      breakers: this.view.breakers(),
    };
  }

  private feedRejects(
    source: 'risk' | 'order',
    now: Partial<Record<string, number>>,
    seen: Record<string, number>,
    at: number,
  ): void {
    for (const [reason, n] of Object.entries(now)) {
      const d = (n ?? 0) - (seen[reason] ?? 0);
      if (d > 0)
        push(this.rejects, REJECTIONS, { at, source, reason, count: d, detail: `${d} in the last second` });
      seen[reason] = n ?? 0;
    }
  }

  private books(): DashboardSnapshot['symbols'] {
    const { sys } = this.view;
    const own = new Map<string, number>();
    for (const s of sys.runner.strategies)
      for (const o of sys.orders.openOrders(s.id)) {
        const k = `${o.symbolId}:${o.side}:${o.price}`;
        own.set(k, (own.get(k) ?? 0) + o.leavesQty);
      }
    return sys.symbols.map((spec) => {
      const book = sys.lob.book(spec.id);
      const st = sys.lob.stats(spec.id);
      const side = (sd: 1 | -1): [number, number, number][] => {
        const out: [number, number, number][] = [];
        const n = Math.min(LEVELS, book.levels(sd));
        for (let i = 0; i < n; i++) {
          const px = book.price(sd, i);
          out.push([px / spec.priceScale, book.qty(sd, i), own.get(`${spec.id}:${sd}:${px}`) ?? 0]);
        }
        return out;
      };
      return {
        code: spec.code,
        decimals: decimalsOf(spec.priceScale),
        unit: quantityUnit(spec),
        lot: spec.lotSize,
        mid: st.mid > 0 ? st.mid / spec.priceScale : null,
        spread: st.spread / spec.priceScale,
        bids: side(1),
        asks: side(-1),
        trades: (sys.tape?.recent(spec.id, TRADES) ?? []).map((t) => ({
          t: sys.clock.epoch.toMs(t.ts),
          price: t.price / spec.priceScale,
          qty: t.qty,
          side: t.side,
        })),
      };
    });
  }

  private openOrders(nowNs: number): DashboardSnapshot['openOrders'] {
    const { sys } = this.view;
    const out: DashboardSnapshot['openOrders'] = [];
    for (const s of sys.runner.strategies)
      for (const o of sys.orders.openOrders(s.id)) {
        const spec = sys.symbols[o.symbolId];
        out.push({
          id: o.orderId,
          strategy: o.strategyId,
          symbol: spec.code,
          side: o.side,
          price: o.price / spec.priceScale,
          qty: o.qty,
          leaves: o.leavesQty,
          status: o.status,
          ageMs: Math.max(0, (nowNs - o.createdTs) / 1e6),
        });
      }
    out.sort((a, b) => b.id - a.id);
    return out.slice(0, OPEN_ORDERS);
  }

  /** Stage latencies, recomputed at most once a second (a pass over each histogram). */
  private latencyRows(): LatencyRow[] {
    const lat = this.view.sys.latency;
    if (lat === null) return [];
    const t = this.now();
    if (t - this.latency.at < 1000) return this.latency.rows;
    const minute = new Map(lat.lastMinute.map((r) => [r.stage as string, r]));
    const rows = STAGE_NAMES.map((name, i) => {
      const s = lat.summary(i as StageId, BAR_BOUNDS_NS);
      const bars = s.cumulative.map((c, k) => c - (k > 0 ? s.cumulative[k - 1] : 0));
      bars.push(s.count - (s.cumulative.at(-1) ?? 0));
      const m = minute.get(name);
      return {
        stage: name,
        count: s.count,
        p50Us: us(s.p50Ns),
        p90Us: us(s.p90Ns),
        p99Us: us(s.p99Ns),
        maxUs: us(s.maxNs),
        bars,
        minute: m ? { count: m.count, p50Us: us(m.p50Ns), p99Us: us(m.p99Ns) } : null,
      };
    });
    this.latency = { at: t, rows };
    return rows;
  }
}

function push<T>(list: T[], max: number, item: T): void {
  list.push(item);
  if (list.length > max) list.shift();
}
