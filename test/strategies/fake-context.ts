import type { StrategyConfig } from '../../src/config/strategies.ts';
import type { LobStats, Side } from '../../src/contracts/market.ts';
import type { ExecReport, TimeInForce } from '../../src/contracts/orders.ts';
import type { SymbolSpec } from '../../src/contracts/symbols.ts';
import { Epoch } from '../../src/core/clock.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { FeatureView } from '../../src/features/feature-engine.ts';
import type { OrderBook } from '../../src/lob/order-book.ts';
import type { OrderState } from '../../src/order/order-state.ts';
import { buildStrategy } from '../../src/services/strategy-registry.ts';
import { parseParams } from '../../src/strategy/params.ts';
import type { Strategy, StrategyClass, StrategyContext } from '../../src/strategy/sdk.ts';

export const T0 = 1_775_610_000_000_000_000;

/** Builds a strategy as a run does: params validated and defaulted by the class's schema. */
export function build<T extends Strategy>(
  cls: StrategyClass & (new (id: string, symbols: readonly SymbolSpec[], params: never) => T),
  id: string,
  symbols: readonly SymbolSpec[],
  params: Record<string, unknown>,
): T {
  const config = { id, class: cls.name, enabled: true, symbols: [], params, risk: {} } as StrategyConfig;
  return buildStrategy({ config, cls, params: parseParams(cls, id, params) }, symbols) as T;
}

/** A StrategyContext that records what the strategy does; the test plays the market and the venue. */
export class FakeContext implements StrategyContext {
  readonly strategyId = 'test';
  readonly log = createLogger('silent');
  readonly epoch = Epoch.ZERO;
  t = T0;
  refuse = false;
  /** What `reduceOnly()` answers (the test plays StormGuard). */
  reducing = false;
  readonly actions: string[] = [];
  readonly timers: { at: number; tag: number }[] = [];
  readonly orders = new Map<number, OrderState>();
  readonly pos = new Map<number, number>();
  readonly feats = new Map<string, number>();
  private readonly st = new Map<number, LobStats>();
  private nextId = 1;

  constructor(private readonly symbols: readonly SymbolSpec[]) {}

  now(): number {
    return this.t;
  }
  symbol(code: string): SymbolSpec {
    return this.symbols.find((s) => s.code === code)!;
  }
  book(_symbolId: number): OrderBook {
    throw new Error('not used');
  }
  stats(symbolId: number): LobStats {
    return this.st.get(symbolId)!;
  }
  features(_symbolId: number): FeatureView {
    const names = [...this.feats.keys()];
    return {
      index: (n: string) => names.indexOf(n),
      at: (i: number) => this.feats.get(names[i]) ?? Number.NaN,
      get: (n: string) => this.feats.get(n) ?? Number.NaN,
    } as unknown as FeatureView;
  }
  position(symbolId: number): number {
    return this.pos.get(symbolId) ?? 0;
  }
  reduceOnly(): boolean {
    return this.reducing;
  }
  openOrders(): ReadonlySet<OrderState> {
    return new Set([...this.orders.values()].filter((o) => o.status === 'working'));
  }
  place(symbolId: number, side: Side, price: number, qty: number, tif: TimeInForce = 'GTC'): number {
    this.actions.push(`place ${side === 1 ? 'buy' : 'sell'} ${qty}@${price}${tif === 'IOC' ? ' IOC' : ''}`);
    if (this.refuse) return 0;
    const id = this.nextId++;
    this.orders.set(id, order(id, symbolId, side, price, qty, tif));
    return id;
  }
  cancel(orderId: number): boolean {
    const o = this.orders.get(orderId);
    this.actions.push(`cancel ${orderId}`);
    if (o === undefined || o.status !== 'working') return false;
    o.status = 'canceled';
    return true;
  }
  replace(orderId: number, price: number, qty: number): number {
    this.actions.push(`replace ${orderId} -> ${qty}@${price}`);
    const o = this.orders.get(orderId);
    if (this.refuse || o === undefined || o.status !== 'working') return 0;
    o.status = 'canceled';
    const id = this.nextId++;
    this.orders.set(id, order(id, o.symbolId, o.side, price, qty, o.tif));
    return id;
  }
  setTimer(delayNs: number, tag = 0): void {
    this.timers.push({ at: this.t + delayNs, tag });
  }

  /** Sets the top of book of a symbol (depth: 10 lots a side over 5 levels unless given). */
  setBook(symbolId: number, bid: number, ask: number, depth = 50): LobStats {
    const s: LobStats = {
      symbolId,
      exchTs: this.t,
      localTs: this.t,
      bestBid: bid,
      bestAsk: ask,
      bestBidQty: 10,
      bestAskQty: 10,
      mid: bid > 0 && ask > 0 ? (bid + ask) / 2 : Number.NaN,
      spread: bid > 0 && ask > 0 ? ask - bid : 0,
      imbalance: 0,
      bidDepth: depth,
      askDepth: depth,
      crossed: bid > 0 && ask > 0 && bid >= ask,
    };
    this.st.set(symbolId, s);
    return s;
  }

  /** Fills an order (fully unless qty given), moves the position and tells the strategy. */
  fill(strategy: Strategy, orderId: number, qty?: number): void {
    const o = this.orders.get(orderId)!;
    const q = qty ?? o.leavesQty;
    o.cumQty += q;
    o.leavesQty -= q;
    if (o.leavesQty === 0) o.status = 'filled';
    this.pos.set(o.symbolId, this.position(o.symbolId) + o.side * q);
    const r = report(o, o.leavesQty === 0 ? 'fill' : 'partial', q);
    strategy.onOrderUpdate(this, r);
    strategy.onFill(this, r);
  }

  /** The venue canceled the rest of an order (an IOC that did not fill). */
  expire(strategy: Strategy, orderId: number): void {
    const o = this.orders.get(orderId)!;
    o.status = 'canceled';
    o.leavesQty = 0;
    strategy.onOrderUpdate(this, report(o, 'canceled', 0));
  }

  /** Runs the timers due by `t` (advancing time to each). */
  runTimers(strategy: Strategy, until: number): void {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (next === undefined || next.at > until) break;
      this.timers.shift();
      this.t = next.at;
      strategy.onTimer(this, next.tag);
    }
    this.t = until;
  }
}

function order(
  id: number,
  symbolId: number,
  side: Side,
  price: number,
  qty: number,
  tif: TimeInForce,
): OrderState {
  return {
    orderId: id,
    intentId: id,
    venueOrderId: '',
    strategyId: 'test',
    symbolId,
    side,
    price,
    qty,
    tif,
    cumQty: 0,
    leavesQty: qty,
    status: 'working',
    createdTs: 0,
    replaces: 0,
    queued: false,
    queuedTs: 0,
    venueSeen: true,
    execIds: null,
    slot: 0,
  };
}

function report(o: OrderState, type: ExecReport['type'], lastQty: number): ExecReport {
  return {
    type,
    orderId: o.orderId,
    venueOrderId: '',
    strategyId: o.strategyId,
    symbolId: o.symbolId,
    side: o.side,
    price: o.price,
    qty: o.qty,
    lastPx: o.price,
    lastQty,
    cumQty: o.cumQty,
    leavesQty: o.leavesQty,
    taker: false,
    fee: 0,
    tax: 0,
    reason: '',
    exchTs: 0,
    localTs: 0,
  };
}
