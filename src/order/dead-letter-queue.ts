import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Epoch } from '../core/clock.ts';

/** Why an order request could not be sent (or got no answer). */
export type DeadLetterReason =
  | 'circuit_open'
  | 'rate_limit'
  | 'queue_full'
  | 'queue_expired'
  | 'halted'
  | 'ack_timeout'
  | 'target_not_found';

/** One request the adapter could not deliver, with enough to replay or audit it. */
export interface DeadLetter {
  /** When it was refused, on the run's clock. */
  ts: number;
  reason: DeadLetterReason;
  action: 'new' | 'replace' | 'cancel';
  strategyId: string;
  symbol: string;
  side: 1 | -1;
  price: number;
  qty: number;
  /** Client order id (0 when none was assigned). */
  orderId: number;
  /** For replace/cancel: the order acted on. */
  targetOrderId: number;
  detail: string;
}

/** One dead letter as a JSON line, `ts` as exact integer ns since 1970 (`epoch` is the run clock's). */
export function deadLetterJson(d: DeadLetter, epoch: Epoch): string {
  const { ts, ...rest } = d;
  return `{"ts":${epoch.toAbs(ts)},${JSON.stringify(rest).slice(1)}`;
}

/**
 * Bounded in-memory dead-letter queue (drop-oldest, counted). `flush` appends the held entries
 * as JSON lines to `<dir>/dlq-<first ts>.jsonl` off the hot path and empties the queue; times
 * are written as ns since 1970 (`epoch`: the run clock's).
 */
export class DeadLetterQueue {
  private buf: DeadLetter[] = [];
  /** Entries ever pushed, entries lost to overflow, entries written to disk. */
  total = 0;
  dropped = 0;
  written = 0;
  readonly byReason: Partial<Record<DeadLetterReason, number>> = {};
  /** File written by flush ('' until the first flush). */
  file = '';

  constructor(
    readonly capacity: number,
    readonly epoch = Epoch.ZERO,
  ) {
    if (!(capacity >= 1)) throw new Error(`DeadLetterQueue: capacity must be >= 1 (got ${capacity})`);
  }

  push(d: DeadLetter): void {
    this.total++;
    this.byReason[d.reason] = (this.byReason[d.reason] ?? 0) + 1;
    if (this.buf.length >= this.capacity) {
      this.buf.shift();
      this.dropped++;
    }
    this.buf.push(d);
  }

  /** The entries held in memory (not yet flushed), oldest first. */
  entries(): readonly DeadLetter[] {
    return this.buf;
  }

  /** Entries held in memory (not yet flushed). */
  get size(): number {
    return this.buf.length;
  }

  /** Writes the held entries to `dir` as JSONL; returns the file, or null when there was nothing to write. */
  async flush(dir: string): Promise<string | null> {
    if (this.buf.length === 0) return null;
    const out = this.buf;
    this.buf = [];
    await mkdir(dir, { recursive: true });
    if (this.file === '') this.file = path.join(dir, `dlq-${this.epoch.toAbs(out[0].ts)}.jsonl`);
    await appendFile(this.file, out.map((d) => deadLetterJson(d, this.epoch)).join('\n') + '\n');
    this.written += out.length;
    return this.file;
  }
}
