import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { connect, headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Decision, IntentEnvelope } from './envelope.ts';
import { JsPublisher } from './js-publisher.ts';
import { ensureAccount, ledgerKey, natsNames, type WireExec } from './nats-gateway.ts';

/** Ledger key of the runner-number counter (escaped idempotency keys never contain '.n'). */
const RUNNER_SEQ = '_runner.no';

export interface IntentSenderOptions {
  url: string;
  account: string;
  /** This runner's name: decisions and execution reports come back on its subjects. */
  runner: string;
  leaseTtlMs: number;
}

/**
 * A runner's side of the NATS gateway: publishes intent envelopes on the account's stream
 * (message id = idempotency key) and gets decisions and execution reports back on its own
 * subjects. A re-published intent that JetStream reports as a duplicate is answered from the
 * replicated ledger, so a retry after a lost answer still learns the first decision.
 */
export class IntentSender {
  private readonly waiting = new Map<string, (d: Decision) => void>();
  private readonly subs: Subscription[] = [];
  /** Every decision received (the final ones and NOT_LEADER answers). */
  onDecision: ((d: Decision) => void) | null = null;
  onExec: ((e: WireExec) => void) | null = null;
  private readonly pub: JsPublisher;

  private constructor(
    readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly ledger: KV,
    private readonly names: ReturnType<typeof natsNames>,
    readonly runner: string,
  ) {
    this.pub = new JsPublisher(nc);
  }

  static async open(o: IntentSenderOptions): Promise<IntentSender> {
    natsNames(o.account);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.runner))
      throw new Error(`runner name ${JSON.stringify(o.runner)}: use letters, digits, _ and -`);
    const nc = await connect({ servers: o.url, name: `hft-runner-${o.runner}`, maxReconnectAttempts: -1 });
    const a = await ensureAccount(nc, o.account, o.leaseTtlMs);
    const s = new IntentSender(nc, a.js, a.ledger, a.names, o.runner);
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

  /** Publishes an intent; resolves false when JetStream dropped it as a repeat of a message id. */
  async publish(env: IntentEnvelope): Promise<boolean> {
    const h = env.idempotencyKey === '' ? undefined : headers();
    h?.set('Nats-Msg-Id', env.idempotencyKey);
    return new Promise((resolve, reject) =>
      this.pub.publish(this.names.intents, JSON.stringify(env), h, (err, _seq, duplicate) => {
        if (err === null) resolve(!duplicate);
        else reject(new Error(`intent ${env.idempotencyKey} not published: ${err}`));
      }),
    );
  }

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
   * A runner number no other runner of the account ever had (a counter in the ledger bucket,
   * advanced by compare-and-set): the high bits of this runner's client order ids and the
   * middle of its idempotency keys, so a restarted runner never reuses an earlier run's.
   */
  async claimRunnerNo(): Promise<number> {
    for (;;) {
      const e = await this.ledger.get(RUNNER_SEQ);
      try {
        if (e === null || e.operation !== 'PUT') {
          await this.ledger.create(RUNNER_SEQ, '2');
          return 1;
        }
        const n = Number(e.string());
        if (!Number.isSafeInteger(n) || n < 1 || n >= 2 ** 20)
          throw new Error(`gateway: runner numbers of this account are used up (${e.string()})`);
        await this.ledger.update(RUNNER_SEQ, String(n + 1), e.revision);
        return n;
      } catch (err) {
        // Another runner moved the counter first: read it again.
        if ((err as Error).message.startsWith('gateway:')) throw err;
      }
    }
  }

  /** The decision of a key in the ledger, polled until it is committed (a repeat JetStream dropped). */
  private async fromLedger(key: string, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.waiting.has(key) && Date.now() < end) {
      const e = await this.ledger.get(ledgerKey(key)).catch(() => null);
      const d =
        e !== null && e.operation === 'PUT' ? (e.json() as { decision: Decision | null }).decision : null;
      if (d !== null) {
        this.decided(d);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.pub.close();
    await this.nc.drain().catch(() => {});
  }
}
