import type { Logger } from '../core/logger.ts';

/** What one refusal is logged with; `endpoint` and `reason` also key the counts. */
export interface Refusal {
  endpoint: string;
  reason: string;
  remote?: string;
  [k: string]: unknown;
}

/**
 * Counts refused requests and keeps their logging readable under a flood: the first refusal of
 * a quiet period is logged in full, the rest only as a summary line per `intervalMs` (how many,
 * by endpoint and reason). Counts are kept for metrics whatever is logged.
 */
export class RefusalLog {
  /** Every refusal, keyed `endpoint:reason`. */
  readonly counts: Record<string, number> = {};
  private pending: Record<string, number> = {};
  private pendingTotal = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  refused(r: Refusal): void {
    const key = `${r.endpoint}:${r.reason}`;
    this.counts[key] = (this.counts[key] ?? 0) + 1;
    if (this.timer === null) {
      this.log.warn(r, 'ops request refused');
      this.timer = setTimeout(() => this.summarize(), this.intervalMs);
      this.timer.unref();
      return;
    }
    this.pending[key] = (this.pending[key] ?? 0) + 1;
    this.pendingTotal++;
  }

  /** Logs what was refused since the last line; the quiet period ends when nothing was. */
  private summarize(): void {
    this.timer = null;
    if (!this.flush()) return;
    this.timer = setTimeout(() => this.summarize(), this.intervalMs);
    this.timer.unref();
  }

  /** Writes the summary line of refusals not logged yet; false when there were none. */
  flush(): boolean {
    if (this.pendingTotal === 0) return false;
    this.log.warn(
      { refused: this.pendingTotal, by: this.pending, interval_s: this.intervalMs / 1000 },
      `ops requests refused: ${this.pendingTotal} more since the last line`,
    );
    this.pending = {};
    this.pendingTotal = 0;
    return true;
  }

  /** Logs what is pending and stops the timer. */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }
}
