import {
  AckPolicy,
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { connect, headers, type NatsConnection, nuid } from '@nats-io/transport-node';
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
    /** The decision ledger: a stream of batches of decisions, appended by the leader only. */
    ledgerStream: `HFT_GW_${account}_LEDGER`,
    ledger: `hft.gw.${account}.ledger`,
    /**
     * KV bucket of the runner-number counter (the decision ledger's bucket before the ledger
     * became a stream: the counter stays where it was, so runner numbers never restart).
     */
    runners: `hft_gw_${account}_ledger`,
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

/**
 * One message of the decision ledger: the decisions of one pass of the leader (`w`: the writer,
 * unique per process; `lease`: the lease revision it held), each with the runner it answers.
 * A key's decision is its first occurrence in the stream.
 */
export interface LedgerBatch {
  w: string;
  lease: number;
  d: { r: string; d: Decision }[];
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
  try {
    await jsm.streams.info(n.ledgerStream);
  } catch {
    await jsm.streams
      .add({ name: n.ledgerStream, subjects: [n.ledger] })
      .catch(() => jsm.streams.info(n.ledgerStream)); // another process created it first
  }
  const kvm = new Kvm(nc);
  const runners = await kvm.create(n.runners, { history: 1 });
  const lease = await kvm.create(n.lease, { history: 1, ttl: leaseTtlMs });
  return { names: n, runners, lease, js: jetstream(nc), jsm };
}

/**
 * Runs `open` (the account's set-up) on a new connection, closing the connection when it fails: it
 * reconnects forever and kept the process alive (a server without JetStream hung the command).
 */
export async function orClose<T>(nc: NatsConnection, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    await nc.close().catch(() => {});
    throw e;
  }
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
  /**
   * Called on every lease change, the first one included; on a loss, `sinceRenewalMs` is the time
   * since the last renewal that succeeded (at least the lease TTL when another gateway took it).
   */
  onLeaderChange?: (leader: boolean, revision: number, sinceRenewalMs?: number) => void;
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
  /** Messages of intents decided whose batches are not stored yet (not acknowledged). */
  inFlight: number;
  /** Keys in this instance's index of the ledger (followed from the stream). */
  ledgerKeys: number;
  /** Ledger batches this instance appended (each the decisions of one pass). */
  batches: number;
  /** Appends refused (a batch got in first, or NATS failed): the ledger was read again. */
  chainBreaks: number;
  /** Time the last term waited for the local ledger copy to catch up before deciding, ms. */
  catchUpMs: number;
  /**
   * Where a decided intent's time goes, summed over `timed` intents, µs: the gateway's own work
   * on it (parse, ledger look-up, pipeline: the order leaves within it), and from its pass's
   * first decision until its batch is stored (overlapping the next intents' decisions).
   */
  stageUs: { decide: number; commit: number };
  timed: number;
}

/**
 * The gateway as a service over NATS JetStream. Runners publish intent envelopes on the
 * account's stream with the idempotency key as message id (JetStream drops a repeat within
 * its duplicate window). The instance holding the lease (a KV key created if absent, renewed by
 * compare-and-set on its revision, expiring after `leaseTtlMs`) keeps a pull open and decides
 * intents in the order they arrive, without a server round trip before the order goes.
 *
 * The decision ledger is a stream of batches: the decisions of one pass of the leader (the
 * intents of one socket read) are appended as one message, with the stream's expected last
 * sequence set to the last one this leader knows of (read to the end before its first decision,
 * then its own appends). An append therefore stores only if nothing was appended since: a
 * deposed leader's append fails once another leader appended, and a leader whose append fails
 * (another's late batch got in first, or NATS failed) stops, reads the ledger to its end again
 * and decides the refused intents anew (the ledger's decision if they are in it, else the same
 * decision from its own window). So every stored batch was written knowing every batch before
 * it, and a key's decision is its first (only) occurrence in the stream. Every instance follows
 * the stream (an ordered consumer) into an index of decisions by key: a repeat is answered from
 * it, never sent again. The answer goes to the runner and the intents are acknowledged once
 * their batch is stored, so up to `maxInFlight` intents are decided ahead of their batches.
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
    batches: 0,
    chainBreaks: 0,
    catchUpMs: 0,
    stageUs: { decide: 0, commit: 0 },
    timed: 0,
  };
  private leaseValidUntil = 0;
  /** A lease request is in flight. */
  private renewing = false;
  private running = true;
  private leaseTimer: NodeJS.Timeout | null = null;
  private workingTimer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private followLoop: Promise<void> | null = null;
  private messages: ConsumerMessages | null = null;
  private follower: ConsumerMessages | null = null;
  /** The ledger's decisions by idempotency key (the first of each key): the local index. */
  private readonly decided = new Map<string, Decision>();
  /** Highest ledger sequence the index holds (every batch up to it is in `decided`). */
  private followSeq = 0;
  /** The ledger sequence the next append expects to be the stream's last. */
  private appendSeq = 0;
  /** Appends allowed: the ledger was read to its end this term and no append failed since. */
  private ledgerOpen = false;
  /** Bumped when an append fails: a later failure of an earlier chain's batch changes nothing. */
  private chain = 0;
  /** Sequences of this instance's stored batches that the follower has not passed yet (indexed already). */
  private readonly own = new Set<number>();
  /** This process's name in its batches (unique per start: a restarted gateway reads its earlier batches). */
  private readonly writer: string;
  /** Messages decided whose batches are not stored yet, or waiting for the window: kept alive with in-progress acks. */
  private readonly unacked = new Set<JsMsg>();
  /** Intents decided whose batches are not stored yet (the window counts these). */
  private intentsInFlight = 0;
  /** Messages delivered while the window was full, in stream order. */
  private readonly waiting: JsMsg[] = [];
  private readonly maxInFlight: number;
  /** Batches written out without waiting; their acknowledgements come back by reply subject. */
  private readonly pub: JsPublisher;
  /**
   * The pass being collected: its messages (whether each goes back to the stream, its intents
   * decided), and its decisions, their runners and encodings.
   */
  private passMsgs: JsMsg[] = [];
  private passOpen: boolean[] = [];
  private passIntents: number[] = [];
  private passDecisions: Decision[] = [];
  private passRunners: string[] = [];
  private passJson: string[] = [];
  private passT0 = 0;
  private passQueued = false;
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
  onLeaderChange: ((leader: boolean, revision: number, sinceRenewalMs?: number) => void) | null = null;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
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
    this.writer = `${opts.id}.${nuid.next()}`;
  }

  static async start(pipeline: GatewayPipeline, opts: NatsGatewayOptions): Promise<NatsGatewayService> {
    const w = opts.maxInFlight ?? DEFAULT_MAX_INFLIGHT;
    if (!Number.isInteger(w) || w < 1 || w > 10_000)
      throw new RangeError(`gateway: maxInFlight ${w} is not an integer in 1..10000`);
    const nc = await connect({ servers: opts.url, name: `hft-gateway-${opts.id}`, maxReconnectAttempts: -1 });
    const { a, consumer } = await orClose(nc, async () => {
      const a = await ensureAccount(nc, opts.account, opts.leaseTtlMs, w);
      return { a, consumer: await a.js.consumers.get(a.names.stream, a.names.consumer) };
    });
    const svc = new NatsGatewayService(nc, a.js, a.jsm, a.lease, consumer, a.names, pipeline, opts);
    // Standbys follow the ledger too, so a takeover only waits for what is new since.
    svc.followLoop = svc.follow();
    await svc.renew();
    svc.leaseTimer = setInterval(() => void svc.renew(), Math.max(10, Math.floor(opts.leaseTtlMs / 4)));
    // One timer for every unacknowledged intent (not one per intent): a batch slower than the
    // ack wait (NATS slow or reconnecting) keeps its messages.
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
    // One request at a time: a renewal slower than the timer's period (a loaded machine, a server
    // restarting) overlapped the next, which compared against the revision the first had just
    // replaced, failed, and deposed a healthy leader.
    if (!this.running || this.renewing) return;
    this.renewing = true;
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
        const sinceRenewalMs = Date.now() - (this.leaseValidUntil - this.opts.leaseTtlMs);
        m.leader = false;
        this.leaseValidUntil = 0;
        this.ledgerOpen = false;
        this.opts.log.warn({ id: this.opts.id, sinceRenewalMs }, 'gateway lease lost: standby');
        this.onLeaderChange?.(false, m.leaseRevision, sinceRenewalMs);
        // Stop pulling: what was delivered and not decided goes back to the next leader.
        this.messages?.stop();
      }
    } finally {
      this.renewing = false;
    }
  }

  /**
   * The local index of the ledger: every batch in stream order, the first decision of each key
   * kept. A follower that ends while the service runs is opened again from the next sequence: a
   * dead one would stall a takeover's catch-up while the lease is held.
   */
  private async follow(): Promise<void> {
    while (this.running) {
      try {
        const c = await this.js.consumers.get(this.names.ledgerStream, {
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: this.followSeq + 1,
        });
        // Pulls that expire every 2 s: after a nats-server restart the client re-checks the
        // consumer on that period (the default, 30 s, stalled a takeover's catch-up as long).
        const msgs = await c.consume({ expires: 2000, callback: (m) => this.onLedger(m) });
        this.follower = msgs;
        if (!this.running) msgs.stop();
        const err = await msgs.closed();
        if (err instanceof Error) throw err;
      } catch (err) {
        if (this.running)
          this.opts.log.warn({ err: (err as Error).message }, 'gateway: ledger follower ended, reopening');
      }
      this.follower = null;
      if (this.running) await sleep(200);
    }
  }

  private onLedger(m: JsMsg): void {
    const seq = m.seq;
    if (seq <= this.followSeq) return;
    this.followSeq = seq;
    // This instance's own batch: indexed when its append was acknowledged.
    if (this.own.delete(seq)) return;
    const b = ledgerBatch(m);
    if (b === null) {
      this.opts.log.warn({ seq }, 'gateway: ledger message not a batch, skipped');
      return;
    }
    const d = this.decided;
    for (const e of b.d) if (!d.has(e.d.key)) d.set(e.d.key, e.d);
    this.metrics.ledgerKeys = d.size;
  }

  /**
   * Before deciding: waits for this instance's batches in flight to settle, then until the index
   * holds the ledger's last batch; the next append expects that batch to be the last. Every key
   * decided before (by any gateway) is then known here, and a batch appended by anyone after the
   * stream was read makes this instance's first append fail. False when the lease went meanwhile.
   */
  private async catchUp(): Promise<boolean> {
    const t0 = performance.now();
    this.ledgerOpen = false;
    while (this.metrics.inFlight > 0) {
      if (!this.running || !this.metrics.leader) return false;
      await sleep(2);
    }
    const last = (await this.jsm.streams.info(this.names.ledgerStream)).state.last_seq;
    while (this.followSeq < last) {
      if (!this.running || !this.metrics.leader) return false;
      await sleep(2);
    }
    this.appendSeq = last;
    this.ledgerOpen = true;
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
        // A callback, not an iterator: the messages of one socket read are decided in one
        // synchronous pass, so their batch, acks and answers leave in one write (the client
        // flushes once per microtask turn), not one write and one server wake-up per intent.
        const msgs = await this.consumer.consume({
          max_messages: this.maxInFlight,
          callback: (m) => this.onMessage(m),
        });
        this.messages = msgs;
        // The lease (or the ledger chain) may have gone while the pull was opened.
        if (!this.metrics.leader || !this.running || !this.ledgerOpen) msgs.stop();
        const err = await msgs.closed();
        if (err instanceof Error) throw err;
      } catch (err) {
        if (!this.running) return;
        this.opts.log.warn({ err: (err as Error).message }, 'gateway: pulling intents failed, retrying');
        await sleep(200);
      } finally {
        // Delivered and not decided: back to the stream (redelivered to the next leader).
        this.messages?.stop();
        this.messages = null;
        for (const m of this.waiting) {
          this.unacked.delete(m);
          m.nak();
        }
        this.waiting.length = 0;
      }
    }
  }

  /** A delivered message of intents (one envelope, or an array of them), in stream order. */
  private onMessage(m: JsMsg): void {
    if (!this.metrics.leader || !this.running) return; // left for redelivery
    if (!this.ledgerOpen) {
      m.nak(); // the ledger is being read again: back to the stream, before anything newer
      return;
    }
    // The window is counted in intents: beyond it a message waits here (unacknowledged, kept
    // alive) until batches are stored, so at most `maxInFlight` intents are decided ahead.
    if (this.waiting.length > 0 || this.intentsInFlight >= this.maxInFlight) {
      this.waiting.push(m);
      this.unacked.add(m);
      return;
    }
    this.onIntents(m);
  }

  /** Decides the messages that waited for the window, in order, while it has room. */
  private drainWaiting(): void {
    while (this.waiting.length > 0 && this.intentsInFlight < this.maxInFlight) {
      const m = this.waiting.shift()!;
      this.unacked.delete(m);
      if (!this.metrics.leader || !this.running || !this.ledgerOpen) {
        m.nak();
        continue;
      }
      this.onIntents(m);
    }
  }

  /**
   * One message: each intent in it answered from the ledger (a key in the index: nothing sent),
   * or decided here and now, joining this pass's batch. The message is acknowledged once every
   * intent in it is answered and its batch stored; one with an intent not decided for good
   * (`NOT_LEADER`, `DEDUP_IN_FLIGHT`) goes back to the stream instead (its other intents are in
   * the ledger by then and are answered from it when it returns).
   */
  private onIntents(m: JsMsg): void {
    // The consumer's pending count is parsed from the reply subject: sampled, not every message.
    if ((this.metrics.decisions & 31) === 0) this.metrics.lag = m.info.pending;
    let raw: unknown;
    try {
      raw = JSON.parse(m.string());
    } catch (err) {
      this.malformed(err);
      m.ack();
      return;
    }
    let joined = 0;
    let open = false;
    try {
      if (Array.isArray(raw)) {
        for (const x of raw) {
          const r = this.onIntent(x);
          if (r === JOINED) joined++;
          else if (r === OPEN) open = true;
        }
      } else {
        const r = this.onIntent(raw);
        if (r === JOINED) joined++;
        else if (r === OPEN) open = true;
      }
    } catch (err) {
      // Not decided (the pipeline threw): redelivered; what was decided is in the window.
      this.opts.log.warn(
        { err: (err as Error).message },
        'gateway: deciding an intent failed, left for redelivery',
      );
      open = true;
    }
    if (joined === 0) {
      if (open) m.nak(200);
      else m.ack();
      return;
    }
    this.metrics.inFlight++;
    this.intentsInFlight += joined;
    this.unacked.add(m);
    this.passMsgs.push(m);
    this.passOpen.push(open);
    this.passIntents.push(joined);
  }

  private malformed(err: unknown): void {
    this.metrics.malformed++;
    this.opts.log.warn({ err: (err as Error).message }, 'gateway: malformed intent dropped');
  }

  /** One intent of a message: answered now, joined the pass, or not decided for good. */
  private onIntent(raw: unknown): 0 | 1 | 2 {
    const t0 = performance.now();
    let env: IntentEnvelope;
    try {
      env = parseEnvelope(raw);
    } catch (err) {
      this.malformed(err);
      return err instanceof EnvelopeError ? ANSWERED : OPEN;
    }
    const key = env.idempotencyKey;
    if (key !== '') {
      const first = this.decided.get(key);
      if (first !== undefined) {
        // In the ledger: its first decision is the answer, nothing goes to the venue.
        this.metrics.ledgerHits++;
        this.answer(env.runner, first);
        return ANSWERED;
      }
    }
    // Decided by this process and not in the ledger yet (its batch refused, the intent back): the
    // same decision goes into a batch again; the pipeline's window holds it, nothing is re-sent.
    const own = key === '' ? null : (this.pipeline.dedup.get(key)?.decision ?? null);
    const d = own ?? this.pipeline.decide(env, this.opts.symbolIds);
    this.metrics.decisions++;
    if (d.approved && d.orderId !== 0) this.owners.set(d.orderId, env.runner);
    if (d.reason === 'NOT_LEADER' || d.reason === 'DEDUP_IN_FLIGHT' || key === '') {
      // Not final (back to the stream for the leader), or nothing to commit (no key).
      this.answer(env.runner, d);
      return key === '' ? ANSWERED : OPEN;
    }
    if (this.passDecisions.length === 0) this.passT0 = t0;
    this.passDecisions.push(d);
    this.passRunners.push(env.runner);
    // The decision is encoded once: its ledger entry and its answer.
    this.passJson.push(JSON.stringify(d));
    if (!this.passQueued) {
      this.passQueued = true;
      queueMicrotask(this.appendPass);
    }
    this.metrics.stageUs.decide += (performance.now() - t0) * 1000;
    return JOINED;
  }

  /**
   * The pass's decisions as one ledger message, appended only if the stream's last sequence is
   * still the one this leader expects; answers and acks follow when it is stored.
   */
  private readonly appendPass = (): void => {
    this.passQueued = false;
    const msgs = this.passMsgs;
    if (msgs.length === 0) return;
    const open = this.passOpen;
    const counts = this.passIntents;
    const ds = this.passDecisions;
    const rs = this.passRunners;
    const js = this.passJson;
    const n = ds.length;
    this.passMsgs = [];
    this.passOpen = [];
    this.passIntents = [];
    this.passDecisions = [];
    this.passRunners = [];
    this.passJson = [];
    const chain = this.chain;
    if (!this.ledgerOpen || !this.running) {
      this.refused(chain, 'the ledger is being read again', msgs, n);
      return;
    }
    // Runner names are [A-Za-z0-9_-] (checked in the envelope): no escaping.
    let body = `{"w":"${this.writer}","lease":${this.metrics.leaseRevision},"d":[`;
    for (let i = 0; i < n; i++) body += `${i === 0 ? '' : ','}{"r":"${rs[i]}","d":${js[i]}}`;
    body += ']}';
    const h = headers();
    h.set('Nats-Expected-Last-Sequence', String(this.appendSeq));
    this.appendSeq++;
    const t0 = this.passT0;
    this.pub.publish(this.names.ledger, body, h, (err, seq) => {
      if (err !== null) {
        this.refused(chain, err, msgs, n);
        return;
      }
      // Indexed here; the follower skips it when it comes by.
      if (seq > this.followSeq) this.own.add(seq);
      const d = this.decided;
      for (let i = 0; i < n; i++) {
        const x = ds[i];
        if (!d.has(x.key)) d.set(x.key, x);
        this.answer(rs[i], x, js[i]);
      }
      for (let i = 0; i < msgs.length; i++) {
        if (open[i]) msgs[i].nak(200);
        else msgs[i].ack();
        this.unacked.delete(msgs[i]);
        this.intentsInFlight -= counts[i];
      }
      const m = this.metrics;
      m.inFlight -= msgs.length;
      m.batches++;
      m.ledgerKeys = d.size;
      m.stageUs.commit += (performance.now() - t0) * 1000 * n;
      m.timed += n;
      this.drainWaiting();
    });
  };

  /**
   * A batch not stored (another's batch got in first, NATS failed, or the chain was already
   * broken): its messages go back to the stream, and this leader reads the ledger to its end
   * before it decides again (the pull ends; `consume` catches up and pulls anew).
   */
  private refused(chain: number, why: string, msgs: JsMsg[], n: number): void {
    for (const m of msgs) {
      this.unacked.delete(m);
      m.nak();
    }
    this.metrics.inFlight -= msgs.length;
    this.intentsInFlight -= n;
    // Waiting for the window: back to the stream too.
    for (const m of this.waiting) {
      this.unacked.delete(m);
      m.nak();
    }
    this.waiting.length = 0;
    if (chain !== this.chain) return;
    this.chain++;
    this.metrics.chainBreaks++;
    this.ledgerOpen = false;
    this.opts.log.warn({ err: why, intents: n }, 'gateway: ledger append refused, reading the ledger again');
    this.messages?.stop();
  }

  /**
   * A decision for its runner: the decisions of one synchronous pass go to a runner as one
   * JSON array.
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
   * Stops as a crash would, for tests and benchmarks: no more renewals, pulls, appends or
   * orders, the lease left to expire by its TTL (the connection stays open until stop()).
   */
  kill(): void {
    this.running = false;
    if (this.leaseTimer !== null) clearInterval(this.leaseTimer);
    if (this.workingTimer !== null) clearInterval(this.workingTimer);
    this.leaseTimer = null;
    this.workingTimer = null;
    this.metrics.leader = false;
    this.leaseValidUntil = 0;
    this.ledgerOpen = false;
    this.messages?.stop();
    this.follower?.stop();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.leaseTimer !== null) clearInterval(this.leaseTimer);
    this.messages?.stop();
    await this.loop?.catch(() => {});
    // Batches in flight: their intents are acknowledged when stored (bounded wait).
    const end = Date.now() + 2000;
    while (this.metrics.inFlight > 0 && Date.now() < end) await sleep(5);
    if (this.workingTimer !== null) clearInterval(this.workingTimer);
    this.follower?.stop();
    await this.followLoop?.catch(() => {});
    this.pub.close();
    if (this.metrics.leader) {
      // Hand over at once rather than after the TTL.
      await this.lease.delete('leader', { previousSeq: this.metrics.leaseRevision }).catch(() => {});
      this.metrics.leader = false;
    }
    await this.nc.drain().catch(() => {});
  }
}

/** A ledger message's batch, or null when it is not one (written by something else). */
export function ledgerBatch(m: JsMsg): LedgerBatch | null {
  try {
    const b = m.json() as LedgerBatch;
    if (!Array.isArray(b?.d)) return null;
    for (const e of b.d) if (typeof e?.r !== 'string' || typeof e.d?.key !== 'string') return null;
    return b;
  } catch {
    return null;
  }
}

/** What became of one intent of a message. */
const ANSWERED = 0;
const JOINED = 1;
const OPEN = 2;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
