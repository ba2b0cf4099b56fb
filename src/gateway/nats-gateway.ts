import {
  AckPolicy,
  type Consumer,
  type JetStreamClient,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ExecReport } from '../contracts/orders.ts';
import type { Logger } from '../core/logger.ts';
import { type Decision, EnvelopeError, type IntentEnvelope, parseEnvelope } from './envelope.ts';
import type { GatewayPipeline } from './pipeline.ts';

/** Subjects, stream and buckets of one account's gateway. */
export function natsNames(account: string) {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(account))
    throw new Error(`gateway account ${JSON.stringify(account)}: use letters, digits, _ and -`);
  return {
    stream: `HFT_GW_${account}`,
    intents: `hft.gw.${account}.intent`,
    decision: (runner: string) => `hft.gw.${account}.decision.${runner}`,
    exec: (runner: string) => `hft.gw.${account}.exec.${runner}`,
    ledger: `hft_gw_${account}_ledger`,
    lease: `hft_gw_${account}_lease`,
    consumer: 'gateway',
  };
}

/** The consumer's ack wait for a lease TTL (at least 500 ms). */
export const ackWaitMs = (leaseTtlMs: number) => Math.max(500, leaseTtlMs);

/** How long JetStream remembers a message id (server-side dedup of a re-published intent). */
export const DUPLICATE_WINDOW_NS = 120e9;

/** An execution report as the gateway sends it back to the runner (client order ids). */
export interface WireExec {
  type: ExecReport['type'];
  orderId: number;
  venueOrderId: string;
  lastPx: number;
  lastQty: number;
  leavesQty: number;
  taker: boolean;
  reason: string;
  exchTs: number;
}

/** A ledger entry: a reservation (decision null) by the lease revision that took it, or the decision. */
interface LedgerEntry {
  lease: number;
  decision: Decision | null;
}

/** Opens the account's stream and buckets (idempotent: every gateway and runner may call it). */
export async function ensureAccount(nc: NatsConnection, account: string, leaseTtlMs: number) {
  const n = natsNames(account);
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(n.stream);
  } catch {
    await jsm.streams.add({ name: n.stream, subjects: [n.intents], duplicate_window: DUPLICATE_WINDOW_NS });
  }
  try {
    await jsm.consumers.info(n.stream, n.consumer);
  } catch {
    // One durable consumer shared by the gateways: only the leader pulls; one intent in flight at a time
    // keeps the exposure and the ledger in stream order. The intent a dead leader held comes back
    // after ack_wait, and nothing else is delivered before it: ack_wait is the lease TTL, so a
    // failover waits for it no longer than for the lease (a live leader extends it while deciding).
    await jsm.consumers.add(n.stream, {
      durable_name: n.consumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: ackWaitMs(leaseTtlMs) * 1e6,
      max_ack_pending: 1,
    });
  }
  const kvm = new Kvm(nc);
  const ledger = await kvm.create(n.ledger, { history: 1 });
  const lease = await kvm.create(n.lease, { history: 1, ttl: leaseTtlMs });
  return { names: n, ledger, lease, js: jetstream(nc) };
}

export interface NatsGatewayOptions {
  url: string;
  account: string;
  /** This instance's name (in the lease and the logs). */
  id: string;
  /** Lease time to live: a leader that cannot renew within it is deposed; a standby takes over after it. */
  leaseTtlMs: number;
  log: Logger;
  /** Symbol code -> this process's symbol id. */
  symbolIds: ReadonlyMap<string, number>;
  /** Called on every lease change, the first one included. */
  onLeaderChange?: (leader: boolean, revision: number) => void;
}

/** Gauges and counters for /metrics and the logs. */
export interface NatsGatewayMetrics {
  leader: boolean;
  leaseRevision: number;
  /** Leader terms won by this instance. */
  terms: number;
  decisions: number;
  /** Repeats answered from the replicated ledger (nothing sent again). */
  ledgerHits: number;
  malformed: number;
  /** Intents waiting in the stream (consumer pending), sampled at each pull. */
  lag: number;
  /**
   * Where a decided intent's time goes, summed over `timed` intents, µs: waiting for the pull
   * (idle time included), the ledger read/reservation, the pipeline, the commit, the ack.
   */
  stageUs: { pull: number; reserve: number; decide: number; commit: number; ack: number };
  timed: number;
}

/**
 * The gateway as a service over NATS JetStream. Runners publish intent envelopes on the
 * account's stream with the idempotency key as message id (JetStream drops a repeat within
 * its duplicate window). The instance holding the lease (a KV key created if absent, renewed by
 * compare-and-set on its revision, expiring after `leaseTtlMs`) pulls them one at a time and,
 * per intent: reads the replicated decision ledger (KV, key = idempotency key) — a decided
 * intent is answered again, never re-sent; reserves the key; runs the same pipeline as
 * in-process; commits the decision; publishes it to the runner; acks the message. Every order
 * is fenced by the lease: the pipeline's leader check fails the moment the lease may have
 * expired, so a deposed leader sends nothing. Execution reports go back to the runner that
 * owns the order.
 */
export class NatsGatewayService {
  readonly metrics: NatsGatewayMetrics = {
    leader: false,
    leaseRevision: 0,
    terms: 0,
    decisions: 0,
    ledgerHits: 0,
    malformed: 0,
    lag: 0,
    stageUs: { pull: 0, reserve: 0, decide: 0, commit: 0, ack: 0 },
    timed: 0,
  };
  private leaseValidUntil = 0;
  private running = true;
  private leaseTimer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  /** Client order id -> runner, for execution reports. */
  private readonly owners = new Map<number, string>();
  onLeaderChange: ((leader: boolean, revision: number) => void) | null = null;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly ledger: KV,
    private readonly lease: KV,
    private readonly consumer: Consumer,
    private readonly names: ReturnType<typeof natsNames>,
    readonly pipeline: GatewayPipeline,
    private readonly opts: NatsGatewayOptions,
  ) {
    pipeline.isLeader = () => this.metrics.leader && Date.now() < this.leaseValidUntil;
    this.onLeaderChange = opts.onLeaderChange ?? null;
  }

  static async start(pipeline: GatewayPipeline, opts: NatsGatewayOptions): Promise<NatsGatewayService> {
    const nc = await connect({ servers: opts.url, name: `hft-gateway-${opts.id}`, maxReconnectAttempts: -1 });
    const a = await ensureAccount(nc, opts.account, opts.leaseTtlMs);
    const consumer = await a.js.consumers.get(a.names.stream, a.names.consumer);
    const svc = new NatsGatewayService(nc, a.js, a.ledger, a.lease, consumer, a.names, pipeline, opts);
    await svc.renew();
    svc.leaseTimer = setInterval(() => void svc.renew(), Math.max(10, Math.floor(opts.leaseTtlMs / 4)));
    svc.loop = svc.consume();
    return svc;
  }

  /** Execution-report listener (wire it to the router): the report goes to the order's runner. */
  readonly onReport = (r: ExecReport): void => {
    const runner = this.owners.get(r.orderId);
    if (runner === undefined) return;
    const w: WireExec = {
      type: r.type,
      orderId: r.orderId,
      venueOrderId: r.venueOrderId,
      lastPx: r.lastPx,
      lastQty: r.lastQty,
      leavesQty: r.leavesQty,
      taker: r.taker,
      reason: r.reason,
      exchTs: r.exchTs,
    };
    this.nc.publish(this.names.exec(runner), JSON.stringify(w));
    if (r.type === 'fill' || r.type === 'canceled' || r.type === 'reject') {
      if (r.leavesQty <= 0) this.owners.delete(r.orderId);
    }
  };

  /** Takes or renews the lease: create-if-absent, else compare-and-set on the revision held. */
  private async renew(): Promise<void> {
    if (!this.running) return;
    const m = this.metrics;
    const t0 = Date.now();
    try {
      if (m.leader) {
        m.leaseRevision = await this.lease.update('leader', this.opts.id, m.leaseRevision);
      } else {
        m.leaseRevision = await this.lease.create('leader', this.opts.id);
        m.leader = true;
        m.terms++;
        this.opts.log.info({ id: this.opts.id, revision: m.leaseRevision }, 'gateway lease taken: leader');
        this.onLeaderChange?.(true, m.leaseRevision);
      }
      // Valid until the TTL counted from before the request (the server's clock started no earlier).
      this.leaseValidUntil = t0 + this.opts.leaseTtlMs;
      this.pipeline.leaseRevision = m.leaseRevision;
    } catch {
      if (m.leader) {
        m.leader = false;
        this.leaseValidUntil = 0;
        this.opts.log.warn({ id: this.opts.id }, 'gateway lease lost: standby');
        this.onLeaderChange?.(false, m.leaseRevision);
      }
    }
  }

  private async consume(): Promise<void> {
    while (this.running) {
      if (!this.metrics.leader) {
        await sleep(20);
        continue;
      }
      let msg: Awaited<ReturnType<Consumer['next']>> = null;
      const t0 = performance.now();
      try {
        msg = await this.consumer.next({ expires: 1000 });
      } catch (err) {
        if (!this.running) return;
        this.opts.log.warn({ err: (err as Error).message }, 'gateway: pulling intents failed, retrying');
        await sleep(200);
        continue;
      }
      if (msg === null) continue;
      const st = this.metrics.stageUs;
      st.pull += (performance.now() - t0) * 1000;
      this.metrics.lag = msg.info.pending;
      // A decision slower than the ack wait (NATS slow or reconnecting) keeps its message.
      const m = msg;
      const working = setInterval(() => m.working(), ackWaitMs(this.opts.leaseTtlMs) / 3);
      try {
        // NOT_LEADER is answered but not final: the message goes back for the leader.
        const ok = await this.handle(msg.string());
        const t1 = performance.now();
        if (ok) msg.ack();
        else msg.nak(200);
        st.ack += (performance.now() - t1) * 1000;
        this.metrics.timed++;
      } catch (err) {
        // Not decided (NATS down mid-intent): redelivered after ack_wait, the ledger makes it safe.
        this.opts.log.warn(
          { err: (err as Error).message },
          'gateway: intent not decided, left for redelivery',
        );
        msg.nak(500);
      } finally {
        clearInterval(working);
      }
    }
  }

  /** One intent: ledger, reserve, pipeline, commit, answer; false when it is left for the leader. */
  private async handle(raw: string): Promise<boolean> {
    let env: IntentEnvelope;
    try {
      env = parseEnvelope(JSON.parse(raw));
    } catch (err) {
      this.metrics.malformed++;
      this.opts.log.warn({ err: (err as Error).message }, 'gateway: malformed intent dropped');
      if (err instanceof EnvelopeError || err instanceof SyntaxError) return true;
      throw err;
    }
    const key = env.idempotencyKey;
    const lease = this.metrics.leaseRevision;
    let reservedRev = 0;
    let reservedBefore = false;
    const st = this.metrics.stageUs;
    let t = performance.now();
    if (key !== '') {
      const kk = ledgerKey(key);
      const entry = JSON.stringify({ lease, decision: null } satisfies LedgerEntry);
      // The common case is a new key: reserve it in one round trip; only a taken key is read.
      const created = await this.ledger.create(kk, entry).catch(() => 0);
      if (created !== 0) reservedRev = created;
      else {
        const e = await this.ledger.get(kk);
        const prev = e !== null && e.operation === 'PUT' ? (e.json() as LedgerEntry) : null;
        if (prev?.decision) {
          this.metrics.ledgerHits++;
          this.answer(env.runner, prev.decision);
          return true;
        }
        // A reservation of a deposed leader's term: its order may or may not have gone; the same
        // client order id goes again and the venue (and the adapter) refuse a repeat.
        reservedBefore = prev !== null;
        reservedRev =
          e === null || e.operation !== 'PUT'
            ? await this.ledger.create(kk, entry)
            : await this.ledger.update(kk, entry, e.revision);
      }
    }
    st.reserve += (performance.now() - t) * 1000;
    t = performance.now();
    // Reserved earlier and its order already went out from here (the commit was lost): commit that.
    const sent =
      reservedBefore && env.clientOrderId !== 0 && this.pipeline.orders.get(env.clientOrderId) !== undefined;
    const d: Decision = sent
      ? { key, intentId: env.intentId, approved: true, reason: 'OK', orderId: env.clientOrderId, lease }
      : this.pipeline.decide(env, this.opts.symbolIds);
    this.metrics.decisions++;
    if (d.approved && d.orderId !== 0) this.owners.set(d.orderId, env.runner);
    st.decide += (performance.now() - t) * 1000;
    t = performance.now();
    if (key !== '') {
      const kk = ledgerKey(key);
      if (d.reason === 'NOT_LEADER' || d.reason === 'DEDUP_IN_FLIGHT') await this.ledger.delete(kk);
      else
        await this.ledger.update(
          kk,
          JSON.stringify({ lease, decision: d } satisfies LedgerEntry),
          reservedRev,
        );
    }
    st.commit += (performance.now() - t) * 1000;
    this.answer(env.runner, d);
    return d.reason !== 'NOT_LEADER';
  }

  private answer(runner: string, d: Decision): void {
    this.nc.publish(this.names.decision(runner), JSON.stringify(d));
  }

  /**
   * Stops as a crash would, for tests and benchmarks: no more renewals, pulls or orders, the
   * lease left to expire by its TTL (the connection stays open until stop()).
   */
  kill(): void {
    this.running = false;
    if (this.leaseTimer !== null) clearInterval(this.leaseTimer);
    this.leaseTimer = null;
    this.metrics.leader = false;
    this.leaseValidUntil = 0;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.leaseTimer !== null) clearInterval(this.leaseTimer);
    await this.loop?.catch(() => {});
    if (this.metrics.leader) {
      // Hand over at once rather than after the TTL.
      await this.lease.delete('leader', { previousSeq: this.metrics.leaseRevision }).catch(() => {});
      this.metrics.leader = false;
    }
    await this.nc.drain().catch(() => {});
  }
}

/** KV keys allow [-/_=.a-zA-Z0-9]; other characters of an idempotency key are escaped. */
export function ledgerKey(key: string): string {
  return key.replace(/[^-_=a-zA-Z0-9]/g, (c) => `.${c.charCodeAt(0).toString(16)}.`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
