import type { Clock, Nanos } from './clock.ts';

/** A scheduled callback; `arg` lets callers avoid closures on hot paths. */
interface Task {
  ts: Nanos;
  seq: number;
  fn: (arg: unknown) => void;
  arg: unknown;
}

/**
 * Timed-callback queue (binary min-heap on (ts, seq)): venue latencies, order-flow
 * arrivals and strategy timers all go through it. Ties keep insertion order, which makes
 * runs deterministic. Task objects are pooled.
 */
export class Scheduler {
  private heap: Task[] = [];
  private pool: Task[] = [];
  private seq = 0;

  constructor(readonly clock: Clock) {}

  get pending(): number {
    return this.heap.length;
  }

  /** Runs `fn(arg)` at absolute time `ts` (ns). */
  at<A>(ts: Nanos, fn: (arg: A) => void, arg?: A): void {
    const t = this.pool.pop() ?? { ts: 0, seq: 0, fn: noop, arg: undefined };
    t.ts = ts;
    t.seq = this.seq++;
    t.fn = fn as (arg: unknown) => void;
    t.arg = arg;
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(t, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = t;
  }

  /** Runs `fn(arg)` `delayNs` from now. */
  after<A>(delayNs: Nanos, fn: (arg: A) => void, arg?: A): void {
    this.at(this.clock.nowNs() + delayNs, fn, arg);
  }

  /** Time of the earliest task, or Infinity. */
  nextTs(): Nanos {
    return this.heap.length === 0 ? Number.POSITIVE_INFINITY : this.heap[0].ts;
  }

  /** Runs the earliest task if it is due at or before `limit`; returns false otherwise. */
  runNext(limit: Nanos): boolean {
    const h = this.heap;
    if (h.length === 0 || h[0].ts > limit) return false;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r], h[l]) ? r : l;
        if (!before(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    const { fn, arg } = top;
    top.arg = undefined;
    this.pool.push(top);
    fn(arg);
    return true;
  }
}

function before(a: Task, b: Task): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq);
}

function noop(): void {}
