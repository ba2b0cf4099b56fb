import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

/** A JetStream publish's outcome: stored (its stream sequence, whether a repeat), or why not. */
export type PubAckHandler = (err: string | null, seq: number, duplicate: boolean) => void;

interface Pending {
  done: PubAckHandler;
  at: number;
}

/**
 * JetStream publishes written out without waiting, their acknowledgements matched by reply
 * subject (one wildcard inbox per connection, a counter per publish). The client's own
 * `js.publish` makes a request per message that builds two error objects with stack traces
 * up front: at thousands of publishes a second that was the gateway process's largest cost
 * (profile: 1.0 of 7.5 s CPU in RequestError/TimeoutError, and their garbage collection).
 * A publish without an acknowledgement after `timeoutMs` is reported failed (it may still have
 * been stored: callers settle that with the stream, as after any lost answer).
 */
export class JsPublisher {
  private readonly prefix = `${createInbox()}.`;
  private readonly pending = new Map<number, Pending>();
  private readonly sub: Subscription;
  private readonly timer: NodeJS.Timeout;
  private seq = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 5000,
  ) {
    this.sub = nc.subscribe(`${this.prefix}*`, { callback: (_e, m) => this.onAck(m) });
    this.timer = setInterval(() => this.expire(), Math.max(50, timeoutMs / 4));
    this.timer.unref();
  }

  get inFlight(): number {
    return this.pending.size;
  }

  publish(subject: string, data: string, hdrs: MsgHdrs | undefined, done: PubAckHandler): void {
    const id = ++this.seq;
    this.pending.set(id, { done, at: Date.now() });
    try {
      this.nc.publish(subject, data, { reply: this.prefix + id, headers: hdrs });
    } catch (err) {
      // Closed or draining connection: nothing was written.
      this.pending.delete(id);
      done((err as Error).message, 0, false);
    }
  }

  private onAck(m: Msg): void {
    const id = Number(m.subject.slice(this.prefix.length));
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    // A status without a body: no stream listens on the subject (503) or the like.
    if (m.data.length === 0) {
      p.done(`no acknowledgement: ${m.headers?.code ?? 0} ${m.headers?.description ?? ''}`, 0, false);
      return;
    }
    // The usual acknowledgement, {"stream":"S","seq":N} or with "duplicate":true, is read
    // without JSON.parse and decoding; anything else (an error) is parsed in full.
    const b = m.data;
    const seq = ackSeq(b);
    if (seq > 0) {
      p.done(null, seq, b[b.length - 2] === 0x65 /* e of true} */ && isDuplicate(b));
      return;
    }
    let a: { seq?: number; duplicate?: boolean; error?: { description?: string } };
    try {
      a = m.json();
    } catch {
      p.done('malformed acknowledgement', 0, false);
      return;
    }
    if (a.error !== undefined) p.done(a.error.description ?? 'publish refused', 0, false);
    else p.done(null, a.seq ?? 0, a.duplicate === true);
  }

  private expire(): void {
    const old = Date.now() - this.timeoutMs;
    for (const [id, p] of this.pending) {
      if (p.at > old) break; // insertion order is publish order
      this.pending.delete(id);
      p.done('timeout', 0, false);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.sub.unsubscribe();
    for (const p of this.pending.values()) p.done('closed', 0, false);
    this.pending.clear();
  }
}

const SEQ = bytes('"seq":');
const DUP = bytes('"duplicate":');

function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Index just past `pat` in `b` from `from`, or -1. */
function after(b: Uint8Array, pat: Uint8Array, from: number): number {
  outer: for (let i = from; i + pat.length <= b.length; i++) {
    for (let j = 0; j < pat.length; j++) if (b[i + j] !== pat[j]) continue outer;
    return i + pat.length;
  }
  return -1;
}

/**
 * The stream sequence of a plain acknowledgement, else 0. nats-server writes them as
 * {"stream":"S", "seq":N} and {"stream":"S", "seq":N,"duplicate": true} (spaces included);
 * an error starts {"error" and is left to JSON.parse.
 */
function ackSeq(b: Uint8Array): number {
  if (b.length < 10 || b[b.length - 1] !== 0x7d || b[2] === 0x65 /* e */) return 0;
  let k = after(b, SEQ, 1);
  if (k < 0) return 0;
  while (b[k] === 0x20) k++;
  const start = k;
  let n = 0;
  for (; k < b.length; k++) {
    const c = b[k];
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  return k > start && (b[k] === 0x2c || b[k] === 0x7d || b[k] === 0x20) ? n : 0;
}

function isDuplicate(b: Uint8Array): boolean {
  let k = after(b, DUP, 1);
  if (k < 0) return false;
  while (b[k] === 0x20) k++;
  return b[k] === 0x74; // t(rue)
}
