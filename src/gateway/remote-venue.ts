import type { OrderCommand, RejectReason } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { blankExec, type Venue, type VenueExecEvent, type VenueHandlers } from '../contracts/venue.ts';
import type { Logger } from '../core/logger.ts';
import type { Decision, IntentEnvelope } from './envelope.ts';
import type { IntentSender } from './nats-client.ts';
import type { WireExec } from './nats-gateway.ts';

/** What a runner keeps of an order it sent through the gateway, until the order is done. */
interface SentOrder {
  strategyId: string;
  symbol: string;
  side: 1 | -1;
  price: number;
  qty: number;
  cancels: number;
}

const LOW = 2 ** 32;

/**
 * A strategy runner's venue with `gateway.mode: nats`: market data comes from the venue it
 * wraps (the simulated exchange, a replay, a live feed), orders go to the account's NATS
 * gateway (`hft gateway run`) as intent envelopes, and the gateway's decisions and execution
 * reports come back as this venue's execution events. The local order adapter keeps its own
 * ids; on the wire an order is `runnerNo * 2^32 + local id` (envelope.ts clientOrderId) and its
 * idempotency key `r<runnerNo>-<local id>` (`-c<n>` for its n-th cancel), so a retried publish
 * is dropped by JetStream and answered from the gateway's ledger. A replace is a cancel and a
 * new order here, as for any venue (the gateway checks the new order's full notional).
 */
export class GatewayVenue implements Venue {
  readonly name: string;
  readonly reportsOrderIds = true;
  readonly postOnly?: boolean;
  private h: VenueHandlers | null = null;
  private readonly base: number;
  private readonly sent = new Map<number, SentOrder>();
  /** Idempotency key -> local order id and whether it is a cancel, until decided. */
  private readonly pending = new Map<string, { local: number; cancel: boolean }>();
  private running = true;
  private inFlight = 0;
  private idle: (() => void) | null = null;
  readonly counters = { intents: 0, publishRetries: 0, rejected: 0, execs: 0, notLeader: 0 };
  private readonly ev: VenueExecEvent = blankExec();

  constructor(
    private readonly inner: Venue,
    private readonly sender: IntentSender,
    readonly runnerNo: number,
    private readonly symbols: readonly SymbolSpec[],
    private readonly log: Logger,
  ) {
    this.name = `${inner.name}+gateway`;
    this.postOnly = inner.postOnly;
    this.base = runnerNo * LOW;
    sender.onDecision = (d) => this.decided(d);
    sender.onExec = (x) => this.execReport(x);
  }

  connect(h: VenueHandlers): void {
    this.h = h;
    // The wrapped venue gets no orders: its execution callback stays silent.
    this.inner.connect({ ...h, onExec: () => {} });
  }

  start(): void {
    this.inner.start();
  }

  stop(): void {
    this.inner.stop();
  }

  submit(cmd: OrderCommand): void {
    const it = cmd.intent;
    const local = cmd.orderId;
    const symbol = this.symbols[it.symbolId].code;
    this.sent.set(local, {
      strategyId: it.strategyId,
      symbol,
      side: it.side,
      price: it.price,
      qty: it.qty,
      cancels: 0,
    });
    const key = `r${this.runnerNo}-${local}`;
    this.pending.set(key, { local, cancel: false });
    void this.publish(this.envelope(key, 'NEW', it.intentId, local, it.strategyId, symbol, it, 0, cmd.ts));
  }

  cancel(orderId: number): void {
    const o = this.sent.get(orderId);
    if (o === undefined) return;
    o.cancels++;
    const key = `r${this.runnerNo}-${orderId}-c${o.cancels}`;
    this.pending.set(key, { local: orderId, cancel: true });
    void this.publish(
      this.envelope(key, 'CANCEL', 0, 0, o.strategyId, o.symbol, o, this.base + orderId, Date.now() * 1e6),
    );
  }

  /** Resolves once every intent handed over has been accepted by JetStream (or the venue stopped). */
  async drain(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return;
    await Promise.race([
      new Promise<void>((r) => {
        this.idle = r;
      }),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }

  /** Stops retrying publishes (the connection is about to close). */
  close(): void {
    this.running = false;
  }

  private envelope(
    key: string,
    kind: 'NEW' | 'CANCEL',
    intentId: number,
    local: number,
    strategyId: string,
    symbol: string,
    o: { side: 1 | -1; price: number; qty: number; tif?: IntentEnvelope['tif'] },
    target: number,
    ts: number,
  ): IntentEnvelope {
    return {
      intentId,
      strategyId,
      symbol,
      kind,
      side: o.side,
      price: o.price,
      qty: o.qty,
      tif: o.tif ?? 'GTC',
      targetOrderId: target,
      ts,
      sourceTs: 0,
      idempotencyKey: key,
      ttlNs: 0,
      decisionPrice: 0,
      clientOrderId: kind === 'NEW' ? this.base + local : 0,
      runner: this.sender.runner,
    };
  }

  /** Publishes until JetStream has it (same message id: a repeat is dropped server-side). */
  private async publish(env: IntentEnvelope): Promise<void> {
    this.counters.intents++;
    this.inFlight++;
    try {
      for (let attempt = 0; this.running; attempt++) {
        try {
          await this.sender.publish(env);
          return;
        } catch (err) {
          this.counters.publishRetries++;
          if (attempt === 0)
            this.log.warn(
              { key: env.idempotencyKey, err: (err as Error).message },
              'gateway: intent not accepted by NATS yet, retrying',
            );
          await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
        }
      }
    } finally {
      if (--this.inFlight === 0 && this.idle !== null) {
        this.idle();
        this.idle = null;
      }
    }
  }

  private decided(d: Decision): void {
    // NOT_LEADER is not final: the intent stays in the stream for the leader.
    if (d.reason === 'NOT_LEADER') {
      this.counters.notLeader++;
      return;
    }
    const p = this.pending.get(d.key);
    if (p === undefined) return;
    this.pending.delete(d.key);
    if (d.approved) return; // the gateway's venue answers (ack, fills) arrive as execution reports
    this.counters.rejected++;
    this.emit(p.cancel ? 'cancel_reject' : 'reject', p.local, d.reason as RejectReason);
    if (!p.cancel) this.sent.delete(p.local);
  }

  private execReport(x: WireExec): void {
    const local = x.orderId - this.base;
    if (local <= 0 || local >= LOW || this.h === null) return;
    this.counters.execs++;
    const e = this.ev;
    e.type = x.type === 'partial' ? 'fill' : x.type;
    e.orderId = local;
    e.venueOrderId = x.venueOrderId;
    e.lastPx = x.lastPx;
    e.lastQty = x.lastQty;
    e.leavesQty = x.leavesQty;
    e.taker = x.taker;
    e.reason = x.reason as RejectReason | '';
    e.exchTs = x.exchTs;
    if ((e.type === 'fill' && x.leavesQty <= 0) || e.type === 'canceled' || e.type === 'reject')
      this.sent.delete(local);
    this.h.onExec(e);
  }

  private emit(type: VenueExecEvent['type'], local: number, reason: RejectReason): void {
    const e = this.ev;
    e.type = type;
    e.orderId = local;
    e.venueOrderId = '';
    e.lastPx = 0;
    e.lastQty = 0;
    e.leavesQty = 0;
    e.taker = false;
    e.reason = reason;
    e.exchTs = 0;
    this.h?.onExec(e);
  }
}
