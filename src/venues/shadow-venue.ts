import type { MarketEvent } from '../contracts/market.ts';
import type { OrderCommand } from '../contracts/orders.ts';
import type { LevelColumns, Venue, VenueAccount, VenueExecEvent, VenueHandlers } from '../contracts/venue.ts';
import type { Nanos } from '../core/clock.ts';
import type { Scheduler } from '../core/scheduler.ts';
import type { LobEngine } from '../lob/lob-engine.ts';

/** A shadow order resting (GTC / POST_ONLY) at its limit until the touch crosses it or it is cancelled. */
interface Resting {
  orderId: number;
  symbolId: number;
  side: 1 | -1;
  price: number;
  leaves: number;
}

/**
 * Shadow mode at the venue edge: orders of the shadow strategies (already through the gateway,
 * risk and the order adapter) never reach the venue. They are answered here, after the order
 * latency, with the price they would have got from the book the system sees: an IOC order fills
 * at the opposite best up to its size (the rest cancelled), a resting order fills at its limit
 * once the opposite best reaches it, a POST_ONLY order that would take is rejected. Everything
 * else — market data and every other strategy's orders — passes through unchanged. Reports carry
 * venue order ids `shadow-<id>`, so the recorded orders and trades of a shadow run say so.
 */
export class ShadowVenue implements Venue {
  readonly name: string;
  readonly reportsOrderIds: boolean | undefined;
  readonly postOnly: boolean | undefined;
  /** Shadow position per symbol id (what the venue's account leaves out). */
  private readonly shadowPos = new Map<number, number>();
  private readonly shadowIds: Set<string>;
  private readonly resting = new Map<number, Resting>();
  private readonly mine = new Set<number>();
  private h: VenueHandlers | null = null;
  /** Orders answered here (for the summary and tests). */
  readonly counters = { orders: 0, fills: 0, rejects: 0, canceled: 0 };

  constructor(
    private readonly inner: Venue,
    shadowStrategies: Iterable<string>,
    private readonly lob: LobEngine,
    private readonly scheduler: Scheduler,
    private readonly latencyNs: Nanos,
  ) {
    this.name = inner.name;
    this.reportsOrderIds = inner.reportsOrderIds;
    this.postOnly = inner.postOnly;
    this.shadowIds = new Set(shadowStrategies);
  }

  connect(handlers: VenueHandlers): void {
    this.h = handlers;
    const onLevel = handlers.onLevel;
    const onLevels = handlers.onLevels;
    this.inner.connect({
      ...handlers,
      onMarketEvent: (ev: MarketEvent, end: boolean) => {
        handlers.onMarketEvent(ev, end);
        if (end && this.resting.size > 0) this.cross();
      },
      onLevel:
        onLevel === undefined
          ? undefined
          : (symbolId: number, c: LevelColumns, k: number, end: boolean) => {
              onLevel(symbolId, c, k, end);
              if (end && this.resting.size > 0) this.cross();
            },
      onLevels:
        onLevels === undefined
          ? undefined
          : (hdr, bids, bidN, asks, askN) => {
              onLevels(hdr, bids, bidN, asks, askN);
              if (this.resting.size > 0) this.cross();
            },
      onQuote: (q) => {
        handlers.onQuote(q);
        if (this.resting.size > 0) this.cross();
      },
    });
  }

  start(): void {
    this.inner.start();
  }

  stop(): void {
    this.inner.stop();
  }

  submit(cmd: OrderCommand): void {
    if (!this.shadowIds.has(cmd.intent.strategyId)) {
      this.inner.submit(cmd);
      return;
    }
    this.counters.orders++;
    this.mine.add(cmd.orderId);
    const it = cmd.intent;
    const o: Resting = {
      orderId: cmd.orderId,
      symbolId: it.symbolId,
      side: it.side as 1 | -1,
      price: it.price,
      leaves: it.qty,
    };
    const tif = it.tif;
    this.scheduler.after(this.latencyNs, () => this.arrive(o, tif));
  }

  cancel(orderId: number): void {
    if (!this.mine.has(orderId)) {
      this.inner.cancel(orderId);
      return;
    }
    this.scheduler.after(this.latencyNs, () => {
      const o = this.resting.get(orderId);
      if (o === undefined) this.emit('cancel_reject', orderId, 0, 0, 0, 'UNKNOWN_ORDER');
      else {
        this.resting.delete(orderId);
        this.mine.delete(orderId);
        this.counters.canceled++;
        this.emit('canceled', orderId, 0, 0, 0, '');
      }
    });
  }

  /** The venue's account with the shadow positions and orders added (reconciliation compares against it). */
  account(base: VenueAccount | null): VenueAccount | null {
    if (base === null) return null;
    return {
      positions: () => {
        const p = new Map(base.positions());
        for (const [sym, q] of this.shadowPos) p.set(sym, (p.get(sym) ?? 0) + q);
        return p;
      },
      openOrderIds: () => {
        const ids = new Set(base.openOrderIds());
        for (const id of this.resting.keys()) ids.add(id);
        return ids;
      },
    };
  }

  private arrive(o: Resting, tif: string): void {
    this.emit('ack', o.orderId, 0, 0, o.leaves, '');
    const st = this.lob.stats(o.symbolId);
    const far = o.side === 1 ? st.bestAsk : st.bestBid;
    const farQty = o.side === 1 ? st.bestAskQty : st.bestBidQty;
    const crosses = far > 0 && (o.side === 1 ? o.price >= far : o.price <= far);
    if (tif === 'POST_ONLY' && crosses) {
      this.counters.rejects++;
      this.mine.delete(o.orderId);
      this.emit('reject', o.orderId, 0, 0, 0, 'POST_ONLY_WOULD_TAKE');
      return;
    }
    if (crosses) {
      const q = Math.min(o.leaves, farQty);
      if (q > 0) this.fill(o, far, q, true);
    }
    if (o.leaves === 0) {
      this.mine.delete(o.orderId);
      return;
    }
    if (tif === 'IOC') {
      this.mine.delete(o.orderId);
      this.counters.canceled++;
      this.emit('canceled', o.orderId, 0, 0, 0, '');
      return;
    }
    this.resting.set(o.orderId, o);
  }

  /** Resting shadow orders the opposite best has reached fill at their limit (as makers). */
  private cross(): void {
    for (const o of this.resting.values()) {
      const st = this.lob.stats(o.symbolId);
      const far = o.side === 1 ? st.bestAsk : st.bestBid;
      if (far <= 0 || (o.side === 1 ? far > o.price : far < o.price)) continue;
      this.fill(o, o.price, o.leaves, false);
      this.resting.delete(o.orderId);
      this.mine.delete(o.orderId);
    }
  }

  private fill(o: Resting, px: number, qty: number, taker: boolean): void {
    o.leaves -= qty;
    this.counters.fills++;
    this.shadowPos.set(o.symbolId, (this.shadowPos.get(o.symbolId) ?? 0) + o.side * qty);
    this.emit('fill', o.orderId, px, qty, o.leaves, '', taker, o.symbolId, o.side);
  }

  private emit(
    type: VenueExecEvent['type'],
    orderId: number,
    lastPx: number,
    lastQty: number,
    leavesQty: number,
    reason: VenueExecEvent['reason'],
    taker = false,
    symbolId?: number,
    side?: 1 | -1,
  ): void {
    this.h?.onExec({
      type,
      orderId,
      venueOrderId: `shadow-${orderId}`,
      lastPx,
      lastQty,
      leavesQty,
      taker,
      reason,
      exchTs: this.scheduler.clock.nowNs(),
      execId: type === 'fill' ? `shadow-${orderId}-${this.counters.fills}` : undefined,
      symbolId,
      side,
    });
  }
}
