import * as hdr from 'hdr-histogram-js';
import type { Clock, Nanos } from '../core/clock.ts';
import { LatencyHistogram, recordFast } from '../core/histogram.ts';
import type { Scheduler } from '../core/scheduler.ts';
import { SpanSampler } from './span-sampler.ts';

/** Stages of the trading pipeline, in flow order, plus the end-to-end event -> intent time. */
export const Stage = {
  /** Broker quote -> normalized event. */
  Feed: 0,
  /** LOB apply + stats. */
  Lob: 1,
  /** Feature kernels (recorded by the feature plane once wired). */
  Features: 2,
  /** Recorder copy, bus publish + strategy callbacks, excluding the risk and order time they trigger. */
  Strategy: 3,
  /** Pre-trade risk check. */
  Risk: 4,
  /** Order adapter: order record + hand-off to the venue. */
  Order: 5,
  /** Order sent -> venue ack (run clock). */
  Ack: 6,
  /** Order sent -> each fill (run clock). */
  Fill: 7,
  /** Market-data event arrival -> order intent (the figure of the run summary). */
  EventToIntent: 8,
} as const;
export type StageId = (typeof Stage)[keyof typeof Stage];

export const STAGE_NAMES = [
  'feed',
  'lob',
  'features',
  'strategy',
  'risk',
  'order',
  'ack',
  'fill',
  'event_to_intent',
] as const;
export type StageName = (typeof STAGE_NAMES)[number];
const STAGES = STAGE_NAMES.length;

/** Longest latency tracked (1 h); longer values are clamped to it. */
const MAX_NS = 3_600_000_000_000;
const MINUTE_NS = 60_000_000_000;

/** One row of `hft.latency_stats_1m`: a stage's latency over one minute of the run clock. */
export interface LatencyMinuteRow {
  /** Start of the minute, ns of the run clock. */
  minuteTs: Nanos;
  stage: StageName;
  count: number;
  meanNs: number;
  p50Ns: number;
  p95Ns: number;
  p99Ns: number;
  p999Ns: number;
  maxNs: number;
}

/** Percentiles and bucket counts of one histogram, computed in one pass. */
export interface StageSummary {
  count: number;
  /** Exact sum of recorded values (ns). */
  sumNs: number;
  p50Ns: number;
  p90Ns: number;
  p95Ns: number;
  p99Ns: number;
  p999Ns: number;
  maxNs: number;
  /** Cumulative counts of values <= each bound (same order as the bounds given). */
  cumulative: number[];
}

const PCTS = [50, 90, 95, 99, 99.9];

function newHistogram(): hdr.JsHistogram {
  return new hdr.Int32Histogram(1, MAX_NS, 3);
}

/**
 * One pass over the histogram's occupied index range: percentiles (HdrHistogram semantics:
 * the highest value equivalent to the bucket reached) and cumulative counts at `boundsNs`.
 * With `prev` (counts at an earlier time) it summarizes the difference: what was recorded since.
 */
export function summarize(
  h: hdr.JsHistogram,
  sumNs: number,
  boundsNs: readonly number[] = [],
  prev: Float64Array | null = null,
  prevTotal = 0,
): StageSummary {
  const total = h.totalCount - prevTotal;
  const pct = [0, 0, 0, 0, 0];
  const cumulative = new Array<number>(boundsNs.length).fill(0);
  let maxNs = 0;
  if (total > 0) {
    const targets = PCTS.map((p) => Math.max(1, Math.floor((p / 100) * total + 0.5)));
    const half = h.subBucketHalfCount;
    const lo = h.countsArrayIndex(h.minNonZeroValue);
    const hi = h.countsArrayIndex(h.maxValue);
    let seen = 0;
    let k = 0;
    let b = 0;
    for (let i = lo; i <= hi; i++) {
      const c = h.getCountAtIndex(i) - (prev === null ? 0 : prev[i]);
      if (c === 0) continue;
      let bucket = Math.floor(i / half) - 1;
      let sub = (i % half) + half;
      if (bucket < 0) {
        sub -= half;
        bucket = 0;
      }
      const unit = 2 ** (bucket + h.unitMagnitude);
      const value = sub * unit + unit - 1;
      // Bounds below this bucket hold everything seen before it.
      while (b < boundsNs.length && value > boundsNs[b]) cumulative[b++] = seen;
      seen += c;
      while (k < targets.length && seen >= targets[k]) pct[k++] = value;
      maxNs = value;
    }
    while (b < boundsNs.length) cumulative[b++] = seen;
    maxNs = Math.min(maxNs, h.maxValue);
  }
  return {
    count: total,
    sumNs,
    p50Ns: pct[0],
    p90Ns: pct[1],
    p95Ns: pct[2],
    p99Ns: pct[3],
    p999Ns: pct[4],
    maxNs,
    cumulative,
  };
}

/**
 * Per-stage latency histograms (HdrHistogram, 3 significant digits, ns) fed from the hot
 * path: `record*` is a histogram increment and an add, no allocation, no prom-client call.
 * Readers (the /metrics scrape, the dashboard, the per-minute summary) summarize on their
 * own schedule. One market-data event in `sampleEvery` has its stages sampled into `spans`.
 */
export class LatencyStages {
  private readonly hist: hdr.JsHistogram[] = [];
  private readonly sums = new Float64Array(STAGES);
  /** Counts, totals and sums as they were at the last minute boundary (to take the minute's difference). */
  private readonly countsAtMinute: Float64Array[] = [];
  private readonly totalAtMinute = new Float64Array(STAGES);
  private readonly sumsAtMinute = new Float64Array(STAGES);
  readonly spans: SpanSampler;
  /** Risk + order time spent inside the current event's strategy callbacks (ms), subtracted from Strategy. */
  nestedMs = 0;
  private eventSeq = 0;
  private asyncSeq = 0;
  private sampling = false;
  /** Called with each completed minute's rows (the recorder writes them to `hft.latency_stats_1m`). */
  onMinute: ((rows: LatencyMinuteRow[]) => void) | null = null;
  /** Rows of the last completed minute. */
  lastMinute: LatencyMinuteRow[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly sampleEvery = 100,
    spanCapacity = 8192,
  ) {
    for (let i = 0; i < STAGES; i++) {
      const h = newHistogram();
      this.hist.push(h);
      this.countsAtMinute.push(new Float64Array(h.countsArrayLength));
    }
    this.spans = new SpanSampler(spanCapacity);
  }

  /** Starts a market-data event: resets the nested time and decides whether it is sampled. */
  beginEvent(): void {
    this.nestedMs = 0;
    this.sampling = ++this.eventSeq % this.sampleEvery === 0;
  }

  endEvent(): void {
    this.sampling = false;
  }

  /** Records a stage of the current event, from a performance.now() difference in ms. */
  recordMs(stage: StageId, ms: number): void {
    this.recordNs(stage, ms * 1e6);
  }

  /** Records a stage of the current event, in ns. */
  recordNs(stage: StageId, ns: number): void {
    const v = ns < 1 ? 1 : ns > MAX_NS ? MAX_NS : Math.round(ns);
    recordFast(this.hist[stage], v);
    this.sums[stage] += v;
    if (this.sampling) this.spans.add(this.clock.nowNs(), this.eventSeq, stage, v);
  }

  /** Records an asynchronous stage (ack, fill) of order `orderId`; one in `sampleEvery` is sampled. */
  recordOrderNs(stage: StageId, ns: number, orderId: number): void {
    const v = ns < 1 ? 1 : ns > MAX_NS ? MAX_NS : Math.round(ns);
    recordFast(this.hist[stage], v);
    this.sums[stage] += v;
    if (++this.asyncSeq % this.sampleEvery === 0) this.spans.add(this.clock.nowNs(), orderId, stage, v);
  }

  count(stage: StageId): number {
    return this.hist[stage].totalCount;
  }

  /** Cumulative summary of a stage since start (cold path: one pass over the histogram). */
  summary(stage: StageId, boundsNs: readonly number[] = []): StageSummary {
    return summarize(this.hist[stage], this.sums[stage], boundsNs);
  }

  /** Closes the minute starting at `minuteTs`: rows for every stage that recorded in it. */
  rollMinute(minuteTs: Nanos): LatencyMinuteRow[] {
    const rows: LatencyMinuteRow[] = [];
    for (let i = 0; i < STAGES; i++) {
      const h = this.hist[i];
      if (h.totalCount === this.totalAtMinute[i]) continue;
      const prev = this.countsAtMinute[i];
      const sum = this.sums[i] - this.sumsAtMinute[i];
      const s = summarize(h, sum, [], prev, this.totalAtMinute[i]);
      rows.push({
        minuteTs,
        stage: STAGE_NAMES[i],
        count: s.count,
        meanNs: Math.round(sum / s.count),
        p50Ns: s.p50Ns,
        p95Ns: s.p95Ns,
        p99Ns: s.p99Ns,
        p999Ns: s.p999Ns,
        maxNs: s.maxNs,
      });
      const hi = h.countsArrayIndex(h.maxValue);
      for (let k = h.countsArrayIndex(h.minNonZeroValue); k <= hi; k++) prev[k] = h.getCountAtIndex(k);
      this.totalAtMinute[i] = h.totalCount;
      this.sumsAtMinute[i] = this.sums[i];
    }
    this.lastMinute = rows;
    this.onMinute?.(rows);
    return rows;
  }

  /** Rolls a minute at every minute boundary of the run clock (scheduled, so sim and real time alike). */
  scheduleMinutes(scheduler: Scheduler): void {
    const roll = (minuteTs: number) => {
      this.rollMinute(minuteTs);
      scheduler.at(minuteTs + 2 * MINUTE_NS, roll, minuteTs + MINUTE_NS);
    };
    const start = Math.floor(scheduler.clock.nowNs() / MINUTE_NS) * MINUTE_NS;
    scheduler.at(start + MINUTE_NS, roll, start);
  }
}

/** The run's event -> intent histogram that also feeds the EventToIntent stage. */
export class StageTappedHistogram extends LatencyHistogram {
  constructor(private readonly stages: LatencyStages) {
    super();
  }

  override record(ns: number): void {
    super.record(ns);
    this.stages.recordNs(Stage.EventToIntent, ns);
  }
}
