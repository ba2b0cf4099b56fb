import type { Decision } from './envelope.ts';

/** A key's state in the window: reserved (in flight, decision null) or committed. */
export interface DedupRecord {
  key: string;
  decision: Decision | null;
}

export type ReserveResult =
  | { kind: 'reserved' }
  | { kind: 'in_flight' }
  | { kind: 'committed'; decision: Decision };

const RESERVED: ReserveResult = { kind: 'reserved' };
const IN_FLIGHT: ReserveResult = { kind: 'in_flight' };

/**
 * The original's idempotency window (gateway/dedup.py): keys in insertion order, a hit moves a
 * key to the end, the oldest is evicted past `capacity`; no time TTL. `reserve` claims a key
 * before the pipeline runs, `commit` records the decision (the first commit wins), `release`
 * frees a reservation whose intent may be retried (risk threw). In-process store; over NATS the
 * window is backed by the JetStream decision ledger (nats-gateway.ts: its stream of batches and local index).
 */
export class DedupWindow {
  private readonly map = new Map<string, DedupRecord>();
  readonly counters = { hits: 0, inFlight: 0, evicted: 0 };

  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity <= 0)
      throw new RangeError(`dedup window: bad capacity ${capacity}`);
  }

  get size(): number {
    return this.map.size;
  }

  reserve(key: string): ReserveResult {
    const r = this.map.get(key);
    if (r !== undefined) {
      this.map.delete(key);
      this.map.set(key, r);
      if (r.decision === null) {
        this.counters.inFlight++;
        return IN_FLIGHT;
      }
      this.counters.hits++;
      return { kind: 'committed', decision: r.decision };
    }
    this.map.set(key, { key, decision: null });
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
      this.counters.evicted++;
    }
    return RESERVED;
  }

  /** Records the decision of a reserved key; false when one was already committed (it stays). */
  commit(key: string, d: Decision): boolean {
    const r = this.map.get(key);
    if (r === undefined) {
      this.map.set(key, { key, decision: d });
      return true;
    }
    if (r.decision !== null) return false;
    r.decision = d;
    return true;
  }

  /** Frees a reservation (not a committed decision): the intent may be sent again. */
  release(key: string): void {
    const r = this.map.get(key);
    if (r !== undefined && r.decision === null) this.map.delete(key);
  }

  get(key: string): DedupRecord | undefined {
    return this.map.get(key);
  }
}
