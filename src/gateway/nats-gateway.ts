import {
  AckPolicy,
  type Consumer,
  type ConsumerMessages,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { type KV, type KvEntry, Kvm } from '@nats-io/kv';
import { connect, headers, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { ExecReport } from '../contracts/orders.ts';
import type { Logger } from '../core/logger.ts';
import { type Decision, EnvelopeError, type IntentEnvelope, parseEnvelope } from './envelope.ts';
import { JsPublisher } from './js-publisher.ts';
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

/** Intents a leader may hold decided but not yet acknowledged (their commits in flight), by default. */
export const DEFAULT_MAX_INFLIGHT = 256;

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

/**
 * Opens the account's stream and buckets (idempotent: every gateway and runner may call it).
 * `maxInFlight` (gateways only) sets the consumer's unacknowledged window, also on an existing consumer.
 */
export async function ensureAccount(
  nc: NatsConnection,
  account: string,
  leaseTtlMs: number,
  maxInFlight?: number,
) {
  const n = natsNames(account);
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(n.stream);
  } catch {
    await jsm.streams.add({ name: n.stream, subjects: [n.intents], duplicate_window: DUPLICATE_WINDOW_NS });
  }
  let info = await jsm.consumers.info(n.stream, n.consumer).catch(() => null);
  if (info === null) {
    // One durable consumer shared by the gateways: only the leader pulls, and decides in the
    // order messages arrive, so exposure and the ledger follow stream order. Up to
    // max_ack_pending intents are decided and waiting for their commits at once. What a dead
    // leader held comes back after ack_wait, before anything newer: ack_wait is the lease TTL,
    // so a failover waits for it no longer than for the lease (a live leader extends it).
    info = await jsm.consumers
      .add(n.stream, {
        durable_name: n.consumer,
        ack_policy: AckPolicy.Explicit,
        ack_wait: ackWaitMs(leaseTtlMs) * 1e6,
        max_ack_pending: maxInFlight ?? DEFAULT_MAX_INFLIGHT,
      })
      .catch(() => jsm.consumers.info(n.stream, n.consumer)); // another process created it first
  }
  if (maxInFlight !== undefined && info.config.max_ack_pending !== maxInFlight)
    await jsm.consumers.update(n.stream, n.consumer, { max_ack_pending: maxInFlight });
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
  /** Intents decided and not yet acknowledged at most (default DEFAULT_MAX_INFLIGHT). */
  maxInFlight?: number;
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
  /** Intents waiting in the stream (consumer pending), sampled at each intent. */
  lag: number;
  /** Intents decided whose commits are not stored yet (not acknowledged). */
  inFlight: number;
  /** Ledger keys this instance knows of (its local copy, followed by a watch). */
  ledgerKeys: number;
  /** Time the last term waited for the local ledger copy to catch up before deciding, ms. */
  catchUpMs: number;
  /**
   * Where a decided intent's time goes, summed over `timed` intents, µs: the gateway's own work
   * on it (parse, ledger look-up, pipeline, commit written out: the order leaves within it), and
   * its commit's round trip (overlapping the next intents' decisions).
   */
  stageUs: { decide: number; commit: number };
  timed: number;
}

type Watch = Awaited<ReturnType<KV['watch']>>;

/**
 * The gateway as a service over NATS JetStream. Runners publish intent envelopes on the
 * account's stream with the idempotency key as message id (JetStream drops a repeat within
 * its duplicate window). The instance holding the lease (a KV key created if absent, renewed by
 * compare-and-set on its revision, expiring after `leaseTtlMs`) keeps a pull open and decides
 * intents one at a time in the order they arrive, without a server round trip before the
 * order goes: every instance follows the replicated decision ledger (KV, key = idempotency
 * key) with a watch, and a new leader decides nothing before that copy has caught up, so a key
 * it does not know is new. A known key (a repeat) is settled from the ledger (answered, never
 * re-sent). A new key's decision is committed by a create (fails if the key exists: the first
 * commit wins) written without waiting; the answer goes to the runner and the message is acked
 * once the commit is stored, so up to `maxInFlight` intents have commits in flight at once.
 * Every order is fenced by the lease: the pipeline's leader check fails the moment the lease
 * may have expired, so a deposed leader sends nothing. Execution reports go back to the runner
 * that owns the order.
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
    inFlight: 0,
    ledgerKeys: 0,
    catchUpMs: 0,
    stageUs: { decide: 0, commit: 0 },
    timed: 0,
  };
  private leaseValidUntil = 0;
  private running = true;
  private leaseTimer: NodeJS.Timeout | null = null;
  private workingTimer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private messages: ConsumerMessages | null = null;
  private watch: Watch | null = null;
  /** Escaped ledger keys that hold an entry (the local copy of the ledger's key set). */
  private readonly known = new Set<string>();
  /** Highest ledger revision the watch has delivered. */
  private seenRevision = 0;
  /** Decided intents whose commits are not stored yet: kept alive with in-progress acks. */
  private readonly unacked = new Set<JsMsg>();
  private readonly maxInFlight: number;
  /** Commits written out without waiting; their acknowledgements come back by reply subject. */
  private readonly pub: JsPublisher;
  /** A KV create: stored only if the key has no entry yet. */
  private readonly createOnly: MsgHdrs = headers();
  private readonly ledgerPrefix: string;
  /** Intents delivered while an earlier one is being settled with the ledger, in stream order. */
  private readonly backlog: JsMsg[] = [];
  private settling = false;
  /** Decisions waiting to go to each runner (one message per runner and microtask turn). */
  private readonly answers = new Map<string, string[]>();
  private answersQueued = false;
  private readonly flushAnswers = (): void => {
    this.answersQueued = false;
    for (const [runner, ds] of this.answers) {
      if (ds.length === 0) continue;
      const data = ds.length === 1 ? ds[0] : `[${ds.join(',')}]`;
      ds.length = 0;
      try {
        this.nc.publish(this.names.decision(runner), data);
      } catch {
        // Connection closed: the runner asks again (its retry is answered from the ledger).
      }
    }
  };
  /** Client order id -> runner, for execution reports. */
  private readonly owners = new Map<number, string>();
  onLeaderChange: ((leader: boolean, revision: number) => void) | null = null;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly ledger: KV,
    private readonly lease: KV,
    private readonly consumer: Consumer,
    private readonly names: ReturnType<typeof natsNames>,
    readonly pipeline: GatewayPipeline,
    private readonly opts: NatsGatewayOptions,
  ) {
    pipeline.isLeader = () => this.metrics.leader && Date.now() < this.leaseValidUntil;
    this.onLeaderChange = opts.onLeaderChange ?? null;
    this.maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_INFLIGHT;
    this.pub = new JsPublisher(nc, Math.max(2000, ackWaitMs(opts.leaseTtlMs) * 2));
    this.createOnly.set('Nats-Expected-Last-Subject-Sequence', '0');
    this.ledgerPrefix = `$KV.${names.ledger}.`;
  }

  static async start(pipeline: GatewayPipeline, opts: NatsGatewayOptions): Promise<NatsGatewayService> {
    const w = opts.maxInFlight ?? DEFAULT_MAX_INFLIGHT;
    if (!Number.isInteger(w) || w < 1 || w > 10_000)
      throw new RangeError(`gateway: maxInFlight ${w} is not an integer in 1..10000`);
    const nc = await connect({ servers: opts.url, name: `hft-gateway-${opts.id}`, maxReconnectAttempts: -1 });
    const a = await ensureAccount(nc, opts.account, opts.leaseTtlMs, w);
    const consumer = await a.js.consumers.get(a.names.stream, a.names.consumer);
    const svc = new NatsGatewayService(nc, a.ledger, a.lease, consumer, a.names, pipeline, opts);
    // Standbys follow the ledger too, so a takeover only waits for what is new since.
    svc.watch = await a.ledger.watch({ headers_only: true });
    void svc.follow(svc.watch);
    await svc.renew();
    svc.leaseTimer = setInterval(() => void svc.renew(), Math.max(10, Math.floor(opts.leaseTtlMs / 4)));
    // One timer for every unacknowledged intent (not one per intent): a commit slower than the
    // ack wait (NATS slow or reconnecting) keeps its message.
    svc.workingTimer = setInterval(() => {
      for (const m of svc.unacked) m.working();
    }, ackWaitMs(opts.leaseTtlMs) / 3);
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
        // Stop pulling: what was delivered and not decided goes back to the next leader.
        this.messages?.stop();
      }
    }
  }

  /**
   * The local copy of the ledger's keys (headers only: the values are read on a repeat). A
   * watch that ends while the service runs is opened again from the next revision: a dead copy
   * would stall a takeover's catch-up while the lease is held.
   */
  private async follow(first: Watch): Promise<void> {
    let w: Watch | null = first;
    while (this.running) {
      try {
        w ??= await this.ledger.watch({ headers_only: true, resumeFromRevision: this.seenRevision + 1 });
        this.watch = w;
        for await (const e of w as AsyncIterable<KvEntry>) {
          if (e.operation === 'PUT') this.known.add(e.key);
          else this.known.delete(e.key);
          if (e.revision > this.seenRevision) this.seenRevision = e.revision;
          this.metrics.ledgerKeys = this.known.size;
        }
      } catch (err) {
        if (this.running)
          this.opts.log.warn({ err: (err as Error).message }, 'gateway: ledger watch ended, reopening');
      }
      w = null;
      if (this.running) await sleep(200);
    }
  }

  /**
   * Waits until the watch has delivered the ledger's last revision: every key decided before
   * this term (by any gateway) is then known here. False when the lease went meanwhile.
   */
  private async catchUp(): Promise<boolean> {
    const t0 = performance.now();
    const last = (await this.ledger.status()).streamInfo.state.last_seq;
    while (this.seenRevision < last) {
      if (!this.running || !this.metrics.leader) return false;
      await sleep(2);
    }
    this.metrics.catchUpMs = Math.round(performance.now() - t0);
    return true;
  }

  private async consume(): Promise<void> {
    while (this.running) {
      if (!this.metrics.leader) {
        await sleep(20);
        continue;
      }
      try {
        if (!(await this.catchUp())) continue;
        this.backlog.length = 0;
        this.settling = false;
        // A callback, not an iterator: the messages of one socket read are decided in one
        // synchronous pass, so their commits, acks and answers leave in one write (the client
        // flushes once per microtask turn), not one write and one server wake-up per intent.
        const msgs = await this.consumer.consume({
          max_messages: this.maxInFlight,
          callback: (m) => this.onMessage(m),
        });
        this.messages = msgs;
        // The lease may have gone while the pull was opened (renew() stopped nothing then).
        if (!this.metrics.leader || !this.running) msgs.stop();
        const err = await msgs.closed();
        if (err instanceof Error) throw err;
      } catch (err) {
        if (!this.running) return;
        this.opts.log.warn({ err: (err as Error).message }, 'gateway: pulling intents failed, retrying');
        await sleep(200);
      } finally {
        this.messages?.stop();
        this.messages = null;
        // Delivered and not decided: left unacknowledged, redelivered to the next leader.
        this.backlog.length = 0;
      }
    }
  }

  /** A delivered intent, in stream order: decided now, or queued behind one being settled. */
  private onMessage(m: JsMsg): void {
    if (!this.metrics.leader || !this.running) return; // left for redelivery
    if (this.settling) {
      this.backlog.push(m);
      return;
    }
    // A known key needs the ledger (round trips): later intents wait, stream order holds.
    if (!this.onIntent(m)) void this.settleInOrder(m);
  }

  /** Settles `first` with the ledger, then decides the intents that arrived meanwhile, in order. */
  private async settleInOrder(first: JsMsg): Promise<void> {
    this.settling = true;
    try {
      await this.settle(first);
      while (this.backlog.length > 0) {
        if (!this.metrics.leader || !this.running) {
          this.backlog.length = 0;
          break;
        }
        const m = this.backlog.shift()!;
        if (!this.onIntent(m)) await this.settle(m);
      }
    } catch (err) {
      // As a throw inside the consumer's callback: this pull ends, what it held is redelivered.
      this.opts.log.warn(
        { err: (err as Error).message },
        'gateway: deciding an intent failed, pulling again',
      );
      this.backlog.length = 0;
      this.messages?.stop();
    } finally {
      this.settling = false;
    }
  }

  /**
   * One intent on the fast path: a new key (not in the local ledger copy) or no key is decided
   * here and now, its commit written without waiting. False when the key is in the ledger and
   * was not decided by this process: `settle` reads the ledger first.
   */
  private onIntent(m: JsMsg): boolean {
    const t0 = performance.now();
    // The consumer's pending count is parsed from the reply subject: sampled, not every intent.
    if ((this.metrics.decisions & 31) === 0) this.metrics.lag = m.info.pending;
    let env: IntentEnvelope;
    try {
      env = parseEnvelope(JSON.parse(m.string()));
    } catch (err) {
      this.metrics.malformed++;
      this.opts.log.warn({ err: (err as Error).message }, 'gateway: malformed intent dropped');
      if (err instanceof EnvelopeError || err instanceof SyntaxError) m.ack();
      else m.nak(500);
      return true;
    }
    const key = env.idempotencyKey;
    const kk = key === '' ? '' : ledgerKey(key);
    // Decided by this process (its commit pending, lost or stored): the pipeline's window
    // answers it again and the commit below settles with the ledger.
    if (kk !== '' && this.known.has(kk) && !this.pipeline.dedup.get(key)?.decision) return false;
    const d = this.pipeline.decide(env, this.opts.symbolIds);
    this.metrics.decisions++;
    if (d.approved && d.orderId !== 0) this.owners.set(d.orderId, env.runner);
    if (d.reason === 'NOT_LEADER' || d.reason === 'DEDUP_IN_FLIGHT' || kk === '') {
      // Not final (back to the stream for the leader), or nothing to commit (no key).
      this.answer(env.runner, d);
      if (kk === '') m.ack();
      else m.nak(200);
      return true;
    }
    this.known.add(kk);
    this.metrics.inFlight++;
    this.unacked.add(m);
    const tc = performance.now();
    // The decision is encoded once: the ledger entry ({lease, decision}: LedgerEntry) and the answer.
    const dj = JSON.stringify(d);
    this.pub.publish(
      this.ledgerPrefix + kk,
      `{"lease":${d.lease},"decision":${dj}}`,
      this.createOnly,
      (err) => {
        if (err !== null) {
          void this.commitTaken(m, env, kk, d);
          return;
        }
        this.metrics.stageUs.commit += (performance.now() - tc) * 1000;
        this.metrics.timed++;
        this.done(m, env.runner, d, dj);
      },
    );
    this.metrics.stageUs.decide += (tc - t0) * 1000;
    return true;
  }

  /** The answer goes once the decision is stored; then the intent is acknowledged. */
  private done(m: JsMsg, runner: string, d: Decision, json?: string): void {
    this.answer(runner, d, json);
    m.ack();
    this.unacked.delete(m);
    this.metrics.inFlight--;
  }

  /**
   * The commit's create failed: the key holds an entry (another gateway's decision, a
   * reservation, a repeat of this one's own commit) or NATS failed. The first decision stored
   * is the answer; a reservation is overwritten by compare-and-set; a failure leaves the
   * intent for redelivery (this process's window then gives the same decision again).
   */
  private async commitTaken(m: JsMsg, env: IntentEnvelope, kk: string, d: Decision): Promise<void> {
    try {
      const e = await this.ledger.get(kk);
      const prev = e !== null && e.operation === 'PUT' ? (e.json() as LedgerEntry) : null;
      if (prev?.decision) {
        if (!sameDecision(prev.decision, d)) this.metrics.ledgerHits++;
        this.done(m, env.runner, prev.decision);
        return;
      }
      const entry = JSON.stringify({ lease: d.lease, decision: d } satisfies LedgerEntry);
      if (e === null) await this.ledger.create(kk, entry);
      else await this.ledger.update(kk, entry, e.revision);
      this.done(m, env.runner, d);
    } catch (err) {
      this.opts.log.warn(
        { err: (err as Error).message, key: env.idempotencyKey },
        'gateway: decision not committed, left for redelivery',
      );
      this.unacked.delete(m);
      this.metrics.inFlight--;
      m.nak(500);
    }
  }

  /** An intent whose key is in the ledger: settled with round trips (repeats are rare). */
  private async settle(m: JsMsg): Promise<void> {
    try {
      // NOT_LEADER is answered but not final: the message goes back for the leader.
      if (await this.handle(m.string())) m.ack();
      else m.nak(200);
    } catch (err) {
      // Not decided (NATS down mid-intent): redelivered after ack_wait, the ledger makes it safe.
      this.opts.log.warn({ err: (err as Error).message }, 'gateway: intent not decided, left for redelivery');
      m.nak(500);
    }
  }

  /** One intent whose key is in the ledger: read, reserve, pipeline, commit, answer; false when it is left for the leader. */
  private async handle(raw: string): Promise<boolean> {
    const env = parseEnvelope(JSON.parse(raw));
    const key = env.idempotencyKey;
    const kk = ledgerKey(key);
    const lease = this.metrics.leaseRevision;
    const entry = JSON.stringify({ lease, decision: null } satisfies LedgerEntry);
    const e = await this.ledger.get(kk);
    const prev = e !== null && e.operation === 'PUT' ? (e.json() as LedgerEntry) : null;
    if (prev?.decision) {
      this.metrics.ledgerHits++;
      this.answer(env.runner, prev.decision);
      return true;
    }
    // A reservation (an earlier gateway's): its order may or may not have gone; the same client
    // order id goes again and the venue (and the adapter) refuse a repeat.
    const reservedBefore = prev !== null;
    const reservedRev =
      e === null || e.operation !== 'PUT'
        ? await this.ledger.create(kk, entry)
        : await this.ledger.update(kk, entry, e.revision);
    // Reserved earlier and its order already went out from here (the commit was lost): commit that.
    const sent =
      reservedBefore && env.clientOrderId !== 0 && this.pipeline.orders.get(env.clientOrderId) !== undefined;
    const d: Decision = sent
      ? { key, intentId: env.intentId, approved: true, reason: 'OK', orderId: env.clientOrderId, lease }
      : this.pipeline.decide(env, this.opts.symbolIds);
    this.metrics.decisions++;
    if (d.approved && d.orderId !== 0) this.owners.set(d.orderId, env.runner);
    if (d.reason === 'NOT_LEADER' || d.reason === 'DEDUP_IN_FLIGHT') await this.ledger.delete(kk);
    else
      await this.ledger.update(kk, JSON.stringify({ lease, decision: d } satisfies LedgerEntry), reservedRev);
    this.answer(env.runner, d);
    return d.reason !== 'NOT_LEADER';
  }

  /**
   * A decision for its runner: the decisions of one synchronous pass (a socket read's commit
   * acknowledgements) go to a runner as one JSON array.
   */
  private answer(runner: string, d: Decision, json = JSON.stringify(d)): void {
    let q = this.answers.get(runner);
    if (q === undefined) {
      q = [];
      this.answers.set(runner, q);
    }
    q.push(json);
    if (!this.answersQueued) {
      this.answersQueued = true;
      queueMicrotask(this.flushAnswers);
    }
  }

  /**
   * Stops as a crash would, for tests and benchmarks: no more renewals, pulls or orders, the
   * lease left to expire by its TTL (the connection stays open until stop()).
   */
  kill(): void {
    this.running = false;
    if (this.leaseTimer !== null) clearInterval(this.leaseTimer);
    if (this.workingTimer !== null) clearInterval(this.workingTimer);
    this.leaseTimer = null;
    this.workingTimer = null;
    this.metrics.leader = false;
    this.leaseValidUntil = 0;
    this.messages?.stop();
    this.watch?.stop();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.leaseTimer !== null) clearInterval(this.leaseTimer);
    this.messages?.stop();
    await this.loop?.catch(() => {});
    // Commits in flight: their intents are acknowledged when stored (bounded wait).
    const end = Date.now() + 2000;
    while (this.metrics.inFlight > 0 && Date.now() < end) await sleep(5);
    if (this.workingTimer !== null) clearInterval(this.workingTimer);
    this.watch?.stop();
    this.pub.close();
    if (this.metrics.leader) {
      // Hand over at once rather than after the TTL.
      await this.lease.delete('leader', { previousSeq: this.metrics.leaseRevision }).catch(() => {});
      this.metrics.leader = false;
    }
    await this.nc.drain().catch(() => {});
  }
}

function sameDecision(a: Decision, b: Decision): boolean {
  return a.approved === b.approved && a.reason === b.reason && a.orderId === b.orderId && a.lease === b.lease;
}

const PLAIN_KEY = /^[-_=a-zA-Z0-9]*$/;

/** KV keys allow [-/_=.a-zA-Z0-9]; other characters of an idempotency key are escaped. */
export function ledgerKey(key: string): string {
  if (PLAIN_KEY.test(key)) return key;
  return key.replace(/[^-_=a-zA-Z0-9]/g, (c) => `.${c.charCodeAt(0).toString(16)}.`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
