import type { Side } from '../contracts/market.ts';
import {
  blankIntent,
  type ExecReport,
  type OrderIntent,
  type RejectReason,
  type TimeInForce,
} from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Clock } from '../core/clock.ts';
import { MONEY_SCALE } from '../core/money.ts';
import type { OrderAdapter } from '../order/order-adapter.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import type { DedupWindow } from './dedup.ts';
import type { ApproveReason, Decision, IntentEnvelope, IntentKind } from './envelope.ts';
import type { ExposureStore } from './exposure.ts';
import type { GatewayPolicy } from './policy.ts';

export interface PipelineOptions {
  /** Reservations older than this are released (their fill/cancel report was lost); 0 = never. */
  exposureOrderTtlNs: number;
}

/** Decisions and rejections by reason, for /metrics and the summary. */
export interface PipelineCounters {
  intents: number;
  approved: number;
  rejected: number;
  /** Intents answered from the dedup window (a repeat of a decided key): nothing was sent again. */
  duplicates: number;
  /** Rejections by reason. */
  byReason: Record<string, number>;
  /** Approvals by the policy rule that let them through ('OK' in NORMAL). */
  approvedBy: Record<ApproveReason, number>;
}

/** Where a rejection came from: the gateway's own stages, risk, or the order adapter. */
export type RejectStage = 'gateway' | 'risk' | 'adapter';

/**
 * The order/risk gateway's pipeline, in the original's order (gateway/service.py):
 * dedup (reserve) -> TTL -> policy -> exposure -> risk -> leader check -> order adapter ->
 * commit. Synchronous and, for an intent without an idempotency key, allocation-free apart
 * from the order the adapter creates: in-process it runs inside the strategy's call, on the
 * hot path. Over NATS the service (nats-gateway.ts) runs the same `submit` behind its
 * replicated ledger. Exposure is released from execution reports (`onReport`).
 */
export class GatewayPipeline {
  readonly counters: PipelineCounters = {
    intents: 0,
    approved: 0,
    rejected: 0,
    duplicates: 0,
    byReason: {},
    approvedBy: { OK: 0, HALT_REDUCE_ONLY: 0, HALT_EXEMPT: 0, DEGRADE_REDUCE_ONLY: 0, DEGRADE_EXEMPT: 0 },
  };
  /** Reason of the last decision (an ApproveReason when approved). */
  lastReason: ApproveReason | RejectReason = 'OK';
  lastStage: RejectStage = 'gateway';
  /** Set when the last submit answered a repeated key from the window. */
  lastDuplicate = false;
  /** In-process: always; over NATS: while this gateway holds the lease. */
  isLeader: () => boolean = () => true;
  /** Lease revision stamped on decisions (0 in-process). */
  leaseRevision = 0;
  private readonly factors: Float64Array;
  private nextSweep = 0;
  private readonly scratch: OrderIntent = blankIntent();

  constructor(
    symbols: readonly SymbolSpec[],
    private readonly clock: Clock,
    readonly risk: RiskEngine,
    readonly orders: OrderAdapter,
    readonly policy: GatewayPolicy,
    readonly exposure: ExposureStore,
    readonly dedup: DedupWindow,
    private readonly opts: PipelineOptions,
  ) {
    // Money per (scaled price x qty); a symbol with a fractional factor is rounded (exposure is a cap, not accounting).
    this.factors = Float64Array.from(symbols, (s) => (s.multiplier * MONEY_SCALE) / s.priceScale);
  }

  /** Starts the startup hold-off. */
  start(): void {
    const now = this.clock.nowNs();
    this.policy.start(now);
    this.nextSweep = now + this.opts.exposureOrderTtlNs;
  }

  /** Open notional of an order at `price` x `qty` of a symbol, money units. */
  notional(symbolId: number, price: number, qty: number): number {
    return Math.round(price * qty * (this.factors[symbolId] ?? 0));
  }

  /**
   * Runs one intent through the pipeline. `it.action` 'new' is a NEW (or FORCE_FLAT when
   * `kind` says so), 'replace' an AMEND of `it.targetOrderId`, 'cancel' a CANCEL. Returns the
   * client order id sent (a CANCEL: its target), or 0 when rejected (why: `lastReason`).
   * `clientOrderId` 0 lets the adapter number the order.
   */
  submit(it: OrderIntent, kind: IntentKind, key: string, ttlNs: number, clientOrderId: number): number {
    this.counters.intents++;
    this.lastDuplicate = false;
    if (key !== '') {
      const r = this.dedup.reserve(key);
      if (r.kind === 'committed') {
        this.counters.duplicates++;
        this.lastDuplicate = true;
        this.lastReason = r.decision.reason;
        this.lastStage = 'gateway';
        return r.decision.approved ? r.decision.orderId : 0;
      }
      if (r.kind === 'in_flight') return this.refuse('', 'DEDUP_IN_FLIGHT', 'gateway', it);
    }
    const now = this.clock.nowNs();
    if (ttlNs > 0 && now - it.ts > ttlNs) return this.refuse(key, 'TTL_EXPIRED', 'gateway', it);
    const policy = this.policy;
    const passed = policy.check(kind, it.strategyId, it.symbolId, it.side, it.qty, now);
    if (passed === null) return this.refuse(key, policy.lastReject, 'gateway', it);
    if (kind === 'CANCEL') return this.cancel(it, key, passed);
    const checked = kind === 'NEW' || kind === 'AMEND';
    const amend = it.action === 'replace';
    const notional = this.notional(it.symbolId, it.price, it.qty);
    if (this.opts.exposureOrderTtlNs > 0 && now >= this.nextSweep) {
      this.exposure.expire(now, this.opts.exposureOrderTtlNs);
      this.nextSweep = now + Math.max(this.opts.exposureOrderTtlNs / 3, 1);
    }
    if (checked) {
      const x = this.exposure.check(it.strategyId, it.symbolId, notional, amend ? it.targetOrderId : 0);
      if (x !== null) return this.refuse(key, x, 'gateway', it);
    }
    let reason: RejectReason | null;
    try {
      reason = this.risk.check(it);
    } catch (err) {
      // A failing check decides nothing: the intent may be retried under the same key.
      if (key !== '') this.dedup.release(key);
      throw err;
    }
    if (reason !== null) return this.refuse(key, reason, 'risk', it);
    if (!this.isLeader()) return this.refuse(key, 'NOT_LEADER', 'gateway', it);
    const orders = this.orders;
    const id = amend ? orders.replace(it, clientOrderId) : orders.send(it, clientOrderId);
    if (id === 0) return this.refuse(key, orders.lastReject as RejectReason, 'adapter', it);
    if (amend) this.exposure.amend(it.targetOrderId, id, it.strategyId, it.symbolId, notional, now);
    else this.exposure.reserve(id, it.strategyId, it.symbolId, notional, now);
    this.risk.accepted(it, id);
    return this.approve(key, passed, id, it);
  }

  /**
   * An envelope from the network: resolves its symbol code, runs `submit` and returns the
   * decision (allocates; the NATS path). An unknown symbol or target is a rejection, not an error.
   */
  decide(env: IntentEnvelope, symbolIds: ReadonlyMap<string, number>): Decision {
    const it = this.scratch;
    const sym = symbolIds.get(env.symbol);
    it.intentId = env.intentId;
    it.strategyId = env.strategyId;
    it.symbolId = sym ?? -1;
    it.action = env.kind === 'AMEND' ? 'replace' : env.kind === 'CANCEL' ? 'cancel' : 'new';
    it.side = env.side as Side;
    it.price = env.price;
    it.qty = env.qty;
    it.tif = (env.kind === 'FORCE_FLAT' ? 'IOC' : env.tif) as TimeInForce;
    it.targetOrderId = env.targetOrderId;
    it.ts = env.ts;
    let id: number;
    if (sym === undefined) {
      this.counters.intents++;
      id = this.refuse(env.idempotencyKey, 'UNKNOWN_SYMBOL', 'gateway', it);
    } else id = this.submit(it, env.kind, env.idempotencyKey, env.ttlNs, env.clientOrderId);
    const approved = id !== 0;
    return {
      key: env.idempotencyKey,
      intentId: env.intentId,
      approved,
      reason: this.lastReason,
      orderId: approved && env.kind !== 'CANCEL' ? id : 0,
      lease: this.leaseRevision,
    };
  }

  /** Execution-report listener: releases exposure on fills, cancels and rejects. */
  onReport(r: ExecReport): void {
    switch (r.type) {
      case 'fill':
      case 'partial':
        if (r.leavesQty <= 0) this.exposure.releaseAll(r.orderId);
        else this.exposure.releaseFill(r.orderId, this.notional(r.symbolId, r.price, r.lastQty));
        break;
      case 'canceled':
      case 'reject':
        this.exposure.releaseAll(r.orderId);
        break;
    }
  }

  private cancel(it: OrderIntent, key: string, passed: ApproveReason): number {
    const o = this.orders.get(it.targetOrderId);
    if (o === undefined || o.strategyId !== it.strategyId)
      return this.refuse(key, 'UNKNOWN_ORDER', 'adapter', it);
    if (!this.isLeader()) return this.refuse(key, 'NOT_LEADER', 'gateway', it);
    if (!this.orders.cancel(it.targetOrderId)) return this.refuse(key, 'TOO_LATE_TO_CANCEL', 'adapter', it);
    return this.approve(key, passed, it.targetOrderId, it);
  }

  private approve(key: string, reason: ApproveReason, id: number, it: OrderIntent): number {
    this.counters.approved++;
    this.counters.approvedBy[reason]++;
    this.lastReason = reason;
    if (key !== '')
      this.dedup.commit(key, {
        key,
        intentId: it.intentId,
        approved: true,
        reason,
        orderId: id,
        lease: this.leaseRevision,
      });
    return id;
  }

  private refuse(key: string, reason: RejectReason, stage: RejectStage, it: OrderIntent): 0 {
    this.counters.rejected++;
    this.counters.byReason[reason] = (this.counters.byReason[reason] ?? 0) + 1;
    this.lastReason = reason;
    this.lastStage = stage;
    // NOT_LEADER is not final: the leader decides the same key.
    if (key !== '') {
      if (reason === 'NOT_LEADER') this.dedup.release(key);
      else
        this.dedup.commit(key, {
          key,
          intentId: it.intentId,
          approved: false,
          reason,
          orderId: 0,
          lease: this.leaseRevision,
        });
    }
    return 0;
  }
}
