/**
 * How often a venue runs `check` for a limit of `staleMs`: a tenth of it (at least 50 ms), so a
 * silent stream is seen within 1.1 x staleMs (the 2.5 s default: within 2.75 s; `npm run bench`
 * measures it). A closed socket is reported by the socket at once.
 */
export function checkEveryMs(staleMs: number): number {
  return Math.max(50, Math.floor(staleMs / 10));
}

/**
 * Heartbeat/staleness per stream: each stream notes the (wall) time of its last frame; `check`
 * declares a stream dead when it has been silent for longer than its limit, once per silence.
 * Time is injected (ms): tests drive `check` directly.
 */
export class StreamWatchdog {
  private readonly names: string[] = [];
  private readonly last: number[] = [];
  private readonly limit: number[] = [];
  private readonly dead: boolean[] = [];
  /** Silences detected, over all streams. */
  stale = 0;

  constructor(private readonly onStale: (stream: string, silentMs: number) => void) {}

  /** Watches `name` from `nowMs`; a stream silent for more than `staleMs` is stale. Returns its index. */
  add(name: string, staleMs: number, nowMs: number): number {
    this.names.push(name);
    this.last.push(nowMs);
    this.limit.push(staleMs);
    this.dead.push(false);
    return this.names.length - 1;
  }

  /** A frame arrived on stream `i` (hot path: two stores). */
  beat(i: number, nowMs: number): void {
    this.last[i] = nowMs;
    this.dead[i] = false;
  }

  /** The stream was (re)connected: its silence counts from now. */
  restart(i: number, nowMs: number): void {
    this.beat(i, nowMs);
  }

  /** Reports each stream silent past its limit (once until it beats again). */
  check(nowMs: number): void {
    for (let i = 0; i < this.names.length; i++) {
      const silent = nowMs - this.last[i];
      if (!this.dead[i] && silent > this.limit[i]) {
        this.dead[i] = true;
        this.stale++;
        this.onStale(this.names[i], silent);
      }
    }
  }

  /** Smallest limit, ms (the check period is `checkEveryMs` of it). */
  get minLimitMs(): number {
    return this.limit.length === 0 ? 0 : Math.min(...this.limit);
  }
}
