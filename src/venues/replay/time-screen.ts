import type { Epoch } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import type { BookChecks } from './book-checks.ts';
import { dropEvents, type EventColumns } from './event-columns.ts';
import type { Rejects } from './replay-data.ts';

/** Plausible bounds of a market-data time (ns since 1970): anything outside is a broken value, not a time. */
const MIN_ABS = BigInt(Date.UTC(1990, 0, 1)) * 1_000_000n;
const MAX_ABS = BigInt(Date.UTC(2100, 0, 1)) * 1_000_000n;
/** Steps up to this size are ordinary (streams interleave; a quiet market pauses for minutes). */
const FAR_NS = 1e9;
/** An excursion: at most this many events away from the time line, then back. */
const MAX_RUN = 64;
/** ...and back means: at least this many times closer to where time was than the excursion went. */
const RATIO = 10;
/** A short run at the very start or end further than this from the rest has nothing to return to. */
const EDGE_FAR_NS = 86_400e9;

/** A plausible absolute time: readers choose their epoch from one (a broken first time would not do). */
export function plausibleAbs(abs: bigint): boolean {
  return abs >= MIN_ABS && abs <= MAX_ABS;
}

/** What the time screen saw in one recording (ns; event indexes are before dropping). */
export interface TimeReport {
  /** Events dropped as time outliers (also counted in `rejects` by reason). */
  dropped: number;
  /** Backward steps left in the data (each below FAR_NS) and the largest one. */
  backSteps: number;
  maxBackStepNs: number;
  /** Forward gaps longer than an hour (sessions), and the longest. */
  longGaps: number;
  maxGapNs: number;
}

/**
 * The one time check of every replay source (files and stores): finds events whose receive or
 * exchange time leaves the time line and comes back, and drops them, counted in `rejects`. One
 * such event (a receive time of 0; a flipped byte in a timestamp) would otherwise move the replay's
 * clock by years, or make everything after it late. The rules, applied to each time column:
 * - a time outside 1990..2100 is not a time;
 * - an excursion is a run of at most MAX_RUN events more than FAR_NS away from the last good time,
 *   after which time comes back to at least RATIO times closer to it than the run went: real
 *   sessions never do that, whatever their gap (a gap that persists is a session: kept);
 * - a run of at most MAX_RUN events at the start or end, more than a day away from the rest (a
 *   lone first or last event of another day, year or decade);
 * - time that goes back more than FAR_NS and stays there is not one recording in time order: the
 *   source is refused (UserError naming it and the event).
 * Small backward steps (interleaved streams) are kept and reported. Returns the columns without
 * the dropped events (the same object when none is dropped) and remaps `truth` in place.
 */
export function screenTimes(
  c: EventColumns,
  label: string,
  rejects: Rejects,
  truth?: BookChecks,
): { columns: EventColumns; report: TimeReport } {
  const drop = new Uint8Array(c.n);
  let dropped = markOutliers(c.localTs, c.n, c.epoch, drop, label, 'receive');
  dropped += markOutliers(c.exchTs, c.n, c.epoch, drop, label, 'exchange');
  for (let i = 0; i < c.n; i++) {
    if (drop[i] === 0) continue;
    rejects.add(
      `${drop[i] === 1 ? 'receive' : 'exchange'} time outlier`,
      `event ${i} (${iso(c.epoch, drop[i] === 1 ? c.localTs[i] : c.exchTs[i])})`,
    );
  }
  const columns = dropped === 0 ? c : dropEvents(c, drop, truth);
  return { columns, report: { dropped, ...steps(columns.localTs, columns.n) } };
}

/** Marks outliers of one time column in `drop` (1 receive, 2 exchange); returns how many it marked. */
function markOutliers(
  t: Float64Array,
  n: number,
  epoch: Epoch,
  drop: Uint8Array,
  label: string,
  what: string,
): number {
  const code = what === 'receive' ? 1 : 2;
  let marked = 0;
  const mark = (from: number, to: number) => {
    for (let k = from; k < to; k++) {
      if (drop[k] === 0) {
        drop[k] = code;
        marked++;
      }
    }
  };
  const lo = epoch.fromAbs(MIN_ABS);
  const hi = epoch.fromAbs(MAX_ABS);
  const ok = (i: number) => t[i] >= lo && t[i] <= hi; // false for NaN too
  let good = -1; // last kept event
  let segment = 0; // first event of the current stretch of time
  let first = -1; // first kept event
  for (let i = 0; i < n; i++) {
    if (drop[i] !== 0) continue;
    if (!ok(i)) {
      mark(i, i + 1);
      continue;
    }
    if (good < 0) {
      good = i;
      segment = i;
      first = i;
      continue;
    }
    const d = t[i] - t[good];
    if (Math.abs(d) <= FAR_NS) {
      good = i;
      continue;
    }
    // A far step: does time come back within MAX_RUN events?
    const near = Math.max(FAR_NS, Math.abs(d) / RATIO);
    let back = -1;
    let j = i + 1;
    for (; j < n && j <= i + MAX_RUN; j++) {
      if (drop[j] === 0 && ok(j) && Math.abs(t[j] - t[good]) <= near) {
        back = j;
        break;
      }
    }
    if (back >= 0) {
      for (let k = i; k < back; k++) if (Math.abs(t[k] - t[good]) > near) mark(k, k + 1);
      i = back - 1;
      continue;
    }
    if (j >= n && n - i <= MAX_RUN && Math.abs(d) > EDGE_FAR_NS) {
      mark(i, n); // a short run at the end, far from everything before it
      break;
    }
    if (d < 0) {
      if (i - segment <= MAX_RUN && t[i] - t[segment] < -FAR_NS) {
        // The short stretch before this point was the outlier (e.g. the first event's time).
        for (let k = segment; k < i; k++) mark(k, k + 1);
        if (segment === first) first = i;
        good = i;
        segment = i;
        continue;
      }
      throw new UserError(
        `${label}: ${what} time goes back ${duration(-d)} at event ${i} (${iso(epoch, t[i])} after ${iso(epoch, t[good])}) ` +
          'and stays there: not one recording in time order',
      );
    }
    if (segment === first && i - segment <= MAX_RUN && d > EDGE_FAR_NS) {
      mark(segment, i); // a short run at the start, far before everything after it
      first = i;
    }
    good = i; // a gap that persists: a new session
    segment = i;
  }
  return marked;
}

/** Backward steps and long forward gaps of a (screened) time column. */
function steps(t: Float64Array, n: number): Omit<TimeReport, 'dropped'> {
  let backSteps = 0;
  let maxBackStepNs = 0;
  let longGaps = 0;
  let maxGapNs = 0;
  for (let i = 1; i < n; i++) {
    const d = t[i] - t[i - 1];
    if (d < 0) {
      backSteps++;
      if (-d > maxBackStepNs) maxBackStepNs = -d;
    } else if (d > 3600e9) {
      longGaps++;
      if (d > maxGapNs) maxGapNs = d;
    }
  }
  return { backSteps, maxBackStepNs, longGaps, maxGapNs };
}

/** ISO time of `t` on `epoch`, or the raw number when it is not a usable time (a broken value). */
export function iso(epoch: Epoch, t: number): string {
  const ms = Math.floor(epoch.toMs(t));
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15
    ? new Date(ms).toISOString()
    : `${t} ns after ${epoch.toIso(0)}`;
}

/** A duration in the largest sensible unit. */
export function duration(ns: number): string {
  const s = ns / 1e9;
  if (s >= 86_400 * 365) return `${(s / (86_400 * 365)).toFixed(1)} years`;
  if (s >= 86_400) return `${(s / 86_400).toFixed(1)} days`;
  if (s >= 3600) return `${(s / 3600).toFixed(1)} h`;
  if (s >= 60) return `${(s / 60).toFixed(1)} min`;
  return `${s.toFixed(3)} s`;
}
