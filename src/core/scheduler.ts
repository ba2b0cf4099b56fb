import type { Clock, Nanos, SimClock } from './clock.ts';

/** A scheduled callback; `arg` lets callers avoid closures on hot paths. */
interface Task {
  ts: Nanos;
  seq: number;
  fn: (arg: unknown) => void;
  arg: unknown;
}

/**
 * A stream of timed work that knows its own next time (a replay cursor over sorted data): the
 * scheduler runs it in time order with the heap's tasks without a heap push and pop per item.
 * `run` does the work due at `nextTs` and moves `nextTs` on (Infinity when done).
 */
export interface TaskSource {
  nextTs: Nanos;
  run(): void;
}

/**
 * Timed-callback queue (binary min-heap on (ts, seq)): venue latencies, order-flow
 * arrivals and strategy timers all go through it, merged with task sources (replayed data).
 * Ties keep insertion order among tasks; at equal times sources run before tasks, in the order
 * they were added. Runs are deterministic. Task objects are pooled. In simulated time `advance`
 * runs many items per call (a replay is millions of them).
 */
export class Scheduler {
  private heap: Task[] = [];
  private pool: Task[] = [];
  private seq = 0;
  private readonly sources: TaskSource[] = [];
  /** Per source: an observer (periodic samples, evaluations) rather than work (see addSource). */
  private readonly background: boolean[] = [];
  private interrupted = false;

  constructor(readonly clock: Clock) {}

  /** Tasks waiting, plus sources with work left. */
  get pending(): number {
    let n = this.heap.length;
    for (let i = 0; i < this.sources.length; i++)
      if (this.sources[i].nextTs !== Number.POSITIVE_INFINITY) n++;
    return n;
  }

  /**
   * Merges a source into the run order (scanned linearly: meant for a few streams). A
   * `background` source observes the run (a periodic sample or evaluation) and is not itself
   * work: `nextWorkTs` leaves it out, so observers can skip a stretch of simulated time in
   * which nothing else happens (the night between two recorded sessions).
   */
  addSource(src: TaskSource, background = false): void {
    this.sources.push(src);
    this.background.push(background);
  }

  /** Time of the earliest task or non-background source item, or Infinity. */
  nextWorkTs(): Nanos {
    let t = this.heap.length === 0 ? Number.POSITIVE_INFINITY : this.heap[0].ts;
    for (let i = 0; i < this.sources.length; i++)
      if (!this.background[i] && this.sources[i].nextTs < t) t = this.sources[i].nextTs;
    return t;
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

  /** Time of the earliest task or source item, or Infinity. */
  nextTs(): Nanos {
    let t = this.heap.length === 0 ? Number.POSITIVE_INFINITY : this.heap[0].ts;
    for (let i = 0; i < this.sources.length; i++) t = Math.min(t, this.sources[i].nextTs);
    return t;
  }

  /** Runs the earliest task or source item if it is due at or before `limit`; returns false otherwise. */
  runNext(limit: Nanos): boolean {
    const si = this.firstSource(limit);
    if (si >= 0) {
      this.sources[si].run();
      return true;
    }
    return this.runTask(limit, null);
  }

  /**
   * Simulated time: runs due items in time order, moving `clock` to each one's time first, until
   * nothing is due by `limit`, `maxItems` ran, or `interrupt()` was called by one of them (a stop).
   * Returns the number of items run (0: nothing due).
   */
  advance(limit: Nanos, clock: SimClock, maxItems = 1024): number {
    this.interrupted = false;
    let n = 0;
    while (n < maxItems) {
      const si = this.firstSource(limit);
      if (si >= 0) {
        const src = this.sources[si];
        clock.set(src.nextTs);
        src.run();
      } else if (!this.runTask(limit, clock)) break;
      n++;
      if (this.interrupted) break;
    }
    return n;
  }

  /** Ends the running `advance` call after the current item. */
  interrupt(): void {
    this.interrupted = true;
  }

  /**
   * Index of the source to run next: the earliest one (the first added among equal times) when it
   * is due by `limit` and not after the earliest task (sources win ties); -1 when a task or nothing is.
   */
  private firstSource(limit: Nanos): number {
    const srcs = this.sources;
    let si = -1;
    let t = Number.POSITIVE_INFINITY;
    for (let i = 0; i < srcs.length; i++) {
      const x = srcs[i].nextTs;
      if (x < t) {
        t = x;
        si = i;
      }
    }
    if (si < 0 || t > limit) return -1;
    const h = this.heap;
    return h.length === 0 || t <= h[0].ts ? si : -1;
  }

  /** Runs the earliest task if it is due by `limit` (moving `clock` to its time). */
  private runTask(limit: Nanos, clock: SimClock | null): boolean {
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
    if (clock !== null) clock.set(top.ts);
    fn(arg);
    return true;
  }
}

function before(a: Task, b: Task): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq);
}

function noop(): void {}
