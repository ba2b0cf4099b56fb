import type { Epoch } from '../core/clock.ts';
import { duration, taipei } from './format.ts';
import { sessionsOf } from './metrics.ts';

/** Pixels between two sessions on the axis (the break is drawn there). */
const GAP_PX = 16;
/** About one labelled tick per this many pixels. */
const TICK_PX = 120;

/**
 * The x axis of the report's charts: data time compressed to its sessions (stretches without
 * market data of `breakNs` or more are cut out and drawn as a break), labelled in Taipei time.
 * Two sessions months apart sit side by side instead of a line across the months.
 */
export class TimeAxis {
  readonly sessions: [number, number][];
  private readonly left: number[] = [];
  private readonly width: number[] = [];

  constructor(
    ts: readonly number[],
    private readonly x0: number,
    pw: number,
    breakNs: number,
  ) {
    this.sessions = sessionsOf(ts, breakNs);
    const n = this.sessions.length;
    const spans = this.sessions.map(([a, b]) => b - a);
    const total = spans.reduce((s, v) => s + v, 0);
    // A session with almost no span still gets a visible slice.
    const weights = spans.map((v) => Math.max(v, total / 40, 1));
    const sum = weights.reduce((s, v) => s + v, 0);
    const usable = pw - GAP_PX * Math.max(0, n - 1);
    let at = x0;
    for (let i = 0; i < n; i++) {
      this.left.push(at);
      const w = (weights[i] / sum) * usable;
      this.width.push(w);
      at += w + GAP_PX;
    }
  }

  /** Index of the session holding `t`, or of the last one starting before it (-1: before all). */
  session(t: number): number {
    const s = this.sessions;
    let lo = 0;
    let hi = s.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid][0] <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Pixel of time `t` (in a break: the end of the session before it). */
  x(t: number): number {
    const i = this.session(t);
    if (i < 0) return this.x0;
    const [a, b] = this.sessions[i];
    const f = b > a ? Math.min(1, (t - a) / (b - a)) : 0;
    return this.left[i] + f * this.width[i];
  }

  /** Labelled ticks: each session's start with its date, then times within it. */
  ticks(epoch: Epoch): { x: number; label: string }[] {
    const out: { x: number; label: string }[] = [];
    let lastDay = '';
    this.sessions.forEach(([a, b], i) => {
      const k = Math.max(1, Math.floor(this.width[i] / TICK_PX));
      for (let j = 0; j < k; j++) {
        const t = a + ((b - a) * j) / k;
        const full = taipei(epoch, t);
        const day = full.slice(5, 10);
        const label = day === lastDay ? full.slice(11, 16) : `${day} ${full.slice(11, 16)}`;
        lastDay = day;
        out.push({ x: this.x(t), label });
      }
    });
    return out;
  }

  /** Where the breaks are drawn and how long each lasted. */
  breaks(): { x: number; label: string }[] {
    const out: { x: number; label: string }[] = [];
    for (let i = 1; i < this.sessions.length; i++) {
      const gapS = (this.sessions[i][0] - this.sessions[i - 1][1]) / 1e9;
      out.push({ x: this.left[i] - GAP_PX / 2, label: duration(gapS) });
    }
    return out;
  }
}
