import type { Metric, Registry } from 'prom-client';
import type { StageSummary } from './latency-stages.ts';

export type Labels = Record<string, string | number>;
export interface Sample {
  labels?: Labels;
  value: number;
}

interface Value {
  labels: Labels;
  value: number;
  metricName?: string;
}

/**
 * Registers a metric whose samples are read at scrape time by `read`. Nothing is recorded
 * through prom-client between scrapes, so the trading loop never calls it.
 */
function register(reg: Registry, name: string, help: string, type: string, get: () => Value[]): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: get() }),
    reset: () => {},
  };
  // prom-client formats any object with name/help/type and get(); its typings only list its own classes.
  reg.registerMetric(metric as unknown as Metric);
}

const toValues = (samples: Sample[]): Value[] =>
  samples.map((s) => ({ labels: s.labels ?? {}, value: s.value }));

/** A counter (name ends in _total) read from a monotonically growing source. */
export function counter(reg: Registry, name: string, help: string, read: () => Sample[]): void {
  if (!name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
  register(reg, name, help, 'counter', () => toValues(read()));
}

export function gauge(reg: Registry, name: string, help: string, read: () => Sample[]): void {
  register(reg, name, help, 'gauge', () => toValues(read()));
}

/** Bucket bounds of the latency histograms, seconds: 100 ns to 60 s. */
export const LATENCY_BUCKETS_S = [
  1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2,
  2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
export const LATENCY_BUCKETS_NS = LATENCY_BUCKETS_S.map((s) => Math.round(s * 1e9));

/**
 * A Prometheus histogram (seconds) converted at scrape time from HdrHistogram summaries
 * whose `cumulative` was computed over LATENCY_BUCKETS_NS.
 */
export function latencyHistogram(
  reg: Registry,
  name: string,
  help: string,
  read: () => { labels: Labels; summary: StageSummary }[],
): void {
  register(reg, name, help, 'histogram', () => {
    const out: Value[] = [];
    for (const { labels, summary } of read()) {
      for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
        out.push({
          labels: { ...labels, le: LATENCY_BUCKETS_S[i] },
          value: summary.cumulative[i],
          metricName: `${name}_bucket`,
        });
      }
      out.push({ labels: { ...labels, le: '+Inf' }, value: summary.count, metricName: `${name}_bucket` });
      out.push({ labels, value: summary.sumNs / 1e9, metricName: `${name}_sum` });
      out.push({ labels, value: summary.count, metricName: `${name}_count` });
    }
    return out;
  });
}
