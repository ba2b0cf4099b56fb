import { type ConsumerMessages, DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { connect, headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Decision, IntentEnvelope } from './envelope.ts';
import { JsPublisher } from './js-publisher.ts';
import { ensureAccount, ledgerBatch, natsNames, orClose, type WireExec } from './nats-gateway.ts';

/** Intents per JetStream message at most (a message stays far below NATS's 1 MB payload). */
export const MAX_BATCH = 64;

/** Key of the runner-number counter in the account's runners bucket. */
const RUNNER_SEQ = '_runner.no';

export interface IntentSenderOptions {
  url: string;
  account: string;
  /** This runner's name: decisions and execution reports come back on its subjects. */
  runner: string;
  leaseTtlMs: number;
  /**
   * Send the intents published in one synchronous turn as one message (default off: one message
   * per intent, published at once). Fewer messages per intent for a runner that forms several
   * at a time; measured to add latency to an intent sent alone (docs/gateway.md).
   */
  batchIntents?: boolean;
}

/**
 * A runner's side of the NATS gateway: publishes intent envelopes on the account's stream
 * (message id = idempotency key) and gets decisions and execution reports back on its own
 * subjects. A re-published intent that JetStream reports as a duplicate is answered from the
 * replicated ledger (this runner's decisions indexed from the ledger stream, followed from its
 * first batch once the first repeat comes), so a retry after a lost answer still learns the
 * first decision.
 */
export class IntentSender {
  private readonly waiting = new Map<string, (d: Decision) => void>();
  private readonly subs: Subscription[] = [];
  /** Every decision received (the final ones and NOT_LEADER answers). */
  onDecision: ((d: Decision) => void) | null = null;
  onExec: ((e: WireExec) => void) | null = null;
  private readonly pub: JsPublisher;
  /** Intents published in this synchronous turn, sent together at its end. */
  private queue: { env: IntentEnvelope; resolve: (fresh: boolean) => void; reject: (e: Error) => void }[] =
    [];
  private flushQueued = false;
  /** This runner's decisions in the ledger by key (the first of each), once a repeat needed them. */
  private readonly index = new Map<string, Decision>();
  private followSeq = 0;
  private following: Promise<void> | null = null;
  private follower: ConsumerMessages | null = null;
  private closed = false;

  private constructor(
    readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly runners: KV,
    private readonly lease: KV,
    private readonly names: ReturnType<typeof natsNames>,
    readonly runner: string,
    private readonly batchIntents: boolean,
  ) {
    this.pub = new JsPublisher(nc);
  }

  static async open(o: IntentSenderOptions): Promise<IntentSender> {
    natsNames(o.account);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.runner))
      throw new Error(`runner name ${JSON.stringify(o.runner)}: use letters, digits, _ and -`);
    const nc = await connect({ servers: o.url, name: `hft-runner-${o.runner}`, maxReconnectAttempts: -1 });
    const a = await orClose(nc, () => ensureAccount(nc, o.account, o.leaseTtlMs));
    const s = new IntentSender(nc, a.js, a.runners, a.lease, a.names, o.runner, o.batchIntents === true);
    s.subs.push(
      nc.subscribe(a.names.decision(o.runner), {
        // One decision, or an array of them (the gateway batches a runner's answers).
        callback: (_e, m) => {
          const v = m.json() as Decision | Decision[];
          if (Array.isArray(v)) for (const d of v) s.decided(d);
          else s.decided(v);
        },
      }),
      nc.subscribe(a.names.exec(o.runner), { callback: (_e, m) => s.onExec?.(m.json() as WireExec) }),
    );
    await nc.flush();
    return s;
  }

  private decided(d: Decision): void {
    this.onDecision?.(d);
    const w = this.waiting.get(d.key);
    if (w !== undefined) {
      this.waiting.delete(d.key);
      w(d);
    }
  }

  /**
   * Publishes an intent; resolves false when JetStream dropped it as a repeat of a message id.
   * The intents published in one synchronous turn go as one message (a JSON array, at most
   * MAX_BATCH each): one store, acknowledgement, delivery and gateway ack for all of them. A
   * message of one intent carries its idempotency key as message id (JetStream drops a repeat);
   * a message of several has none, and a repeat in it is answered from the gateway's ledger.
   */
  publish(env: IntentEnvelope): Promise<boolean> {
    return new Promise((resolve, reject) => {
      if (!this.batchIntents) {
        this.publishOne(env, resolve, reject);
        return;
      }
      this.queue.push({ env, resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(this.flush);
      }
    });
  }

  /** One intent as one message, its idempotency key the message id. */
  private publishOne(
    env: IntentEnvelope,
    resolve: (fresh: boolean) => void,
    reject: (e: Error) => void,
  ): void {
    const h = env.idempotencyKey === '' ? undefined : headers();
    h?.set('Nats-Msg-Id', env.idempotencyKey);
    this.pub.publish(this.names.intents, JSON.stringify(env), h, (err, _seq, duplicate) => {
      if (err === null) resolve(!duplicate);
      else reject(new Error(`intent ${env.idempotencyKey} not published: ${err}`));
    });
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    const q = this.queue;
    this.queue = [];
    for (let i = 0; i < q.length; i += MAX_BATCH) {
      const part = q.length <= MAX_BATCH ? q : q.slice(i, i + MAX_BATCH);
      if (part.length === 1) {
        this.publishOne(part[0].env, part[0].resolve, part[0].reject);
        continue;
      }
      let body = '[';
      for (let j = 0; j < part.length; j++) body += `${j === 0 ? '' : ','}${JSON.stringify(part[j].env)}`;
      body += ']';
      this.pub.publish(this.names.intents, body, undefined, (err) => {
        for (const p of part) {
          if (err === null) p.resolve(true);
          else p.reject(new Error(`intent ${p.env.idempotencyKey} not published: ${err}`));
        }
      });
    }
  };

  /**
   * Sends an intent and waits for its first answer (at most `timeoutMs`). NOT_LEADER is not
   * final (the intent stays in the stream for the leader): submit the same envelope again to
   * learn the leader's decision.
   */
  async submit(env: IntentEnvelope, timeoutMs = 30_000): Promise<Decision> {
    if (env.idempotencyKey === '') throw new Error('submit: an intent over NATS needs an idempotency key');
    let t: NodeJS.Timeout | undefined;
    const answer = new Promise<Decision>((resolve, reject) => {
      t = setTimeout(() => {
        this.waiting.delete(env.idempotencyKey);
        reject(new Error(`no decision for ${env.idempotencyKey} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(env.idempotencyKey, (d) => {
        clearTimeout(t);
        resolve(d);
      });
    });
    try {
      if (!(await this.publish(env))) void this.fromLedger(env.idempotencyKey, timeoutMs);
    } catch (err) {
      // Not published (NATS down): no answer will come for this attempt.
      clearTimeout(t);
      this.waiting.delete(env.idempotencyKey);
      throw err;
    }
    return answer;
  }

  /** Sends an intent and waits for the leader's final decision (a NOT_LEADER answer is waited past). */
  async decide(env: IntentEnvelope, timeoutMs = 30_000): Promise<Decision> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const d = await this.submit(env, Math.max(1, end - Date.now()));
      if (d.reason !== 'NOT_LEADER') return d;
    }
  }

  /**
   * A runner number no other runner of the account ever had (a counter in the runners bucket,
   * advanced by compare-and-set): the high bits of this runner's client order ids and the
   * middle of its idempotency keys, so a restarted runner never reuses an earlier run's.
   */
  async claimRunnerNo(): Promise<number> {
    for (;;) {
      const e = await this.runners.get(RUNNER_SEQ);
      try {
        if (e === null || e.operation !== 'PUT') {
          await this.runners.create(RUNNER_SEQ, '2');
          return 1;
        }
        const n = Number(e.string());
        if (!Number.isSafeInteger(n) || n < 1 || n >= 2 ** 20)
          throw new Error(`gateway: runner numbers of this account are used up (${e.string()})`);
        await this.runners.update(RUNNER_SEQ, String(n + 1), e.revision);
        return n;
      } catch (err) {
        // Another runner moved the counter first: read it again.
        if ((err as Error).message.startsWith('gateway:')) throw err;
      }
    }
  }

  /** The gateway holding the account's lease now, or null: none runs, or its lease ran out. */
  async leader(): Promise<string | null> {
    const e = await this.lease.get('leader');
    return e === null || e.operation !== 'PUT' ? null : e.string();
  }

  /** The decision of a key in the ledger, waited for until it is stored (a repeat JetStream dropped). */
  private async fromLedger(key: string, timeoutMs: number): Promise<void> {
    this.following ??= this.follow();
    const end = Date.now() + timeoutMs;
    while (this.waiting.has(key) && Date.now() < end) {
      const d = this.index.get(key);
      if (d !== undefined) {
        this.decided(d);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Follows the ledger stream from its first batch into `index` (this runner's decisions only). */
  private async follow(): Promise<void> {
    while (!this.closed) {
      try {
        const c = await this.js.consumers.get(this.names.ledgerStream, {
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: this.followSeq + 1,
        });
        // Pulls that expire every 2 s: after a nats-server restart the client re-checks the
        // consumer on that period (the default, 30 s, stalled a takeover's catch-up as long).
        const msgs = await c.consume({ expires: 2000, callback: (m) => this.onLedger(m) });
        this.follower = msgs;
        if (this.closed) msgs.stop();
        await msgs.closed();
      } catch {
        // NATS down or restarting: opened again from the next sequence.
      }
      this.follower = null;
      if (!this.closed) await new Promise((r) => setTimeout(r, 200));
    }
  }

  private onLedger(m: JsMsg): void {
    if (m.seq <= this.followSeq) return;
    this.followSeq = m.seq;
    const b = ledgerBatch(m);
    if (b === null) return;
    for (const e of b.d) if (e.r === this.runner && !this.index.has(e.d.key)) this.index.set(e.d.key, e.d);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.follower?.stop();
    await this.following?.catch(() => {});
    for (const s of this.subs) s.unsubscribe();
    this.pub.close();
    await this.nc.drain().catch(() => {});
  }
}
