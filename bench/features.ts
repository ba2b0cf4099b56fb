/**
 * Feature-set update cost per event on real TAIFEX data: the full set (every kernel) after each
 * LOB message end and each trade. p50/p99 from individually timed calls (includes the timer's own
 * cost, reported); mean from whole passes: CPU time of (LOB + features) − (LOB only), divided by
 * the calls (CPU time, not wall time, so that other processes on the machine do not count).
 */
import path from 'node:path';
import type { Side } from '../src/contracts/market.ts';
import { LatencyHistogram } from '../src/core/histogram.ts';
import { FeatureEngine } from '../src/features/feature-engine.ts';
import { type FeatureSink, replayFeatures } from '../src/features/replay-features.ts';
import { LOB_CORE } from '../src/features/sets.ts';
import type { OrderBook } from '../src/lob/order-book.ts';
import { readTaifex } from '../src/venues/replay/read-taifex.ts';

const PASSES = 7;

/** Runs the benchmark; prints rows through `row` and returns the figures. */
export async function benchFeatures(
  dataDir: string,
  row: (name: string, value: string) => void,
  file = 'taifex-txf-20260408.parquet',
): Promise<Record<string, unknown>> {
  const data = await readTaifex(path.join(dataDir, file), {});
  const symbols = [{ ticks: [{ below: Number.POSITIVE_INFINITY, tick: data.tick }] }];
  const c = data.columns;

  const timer = new LatencyHistogram();
  for (let i = 0; i < 100_000; i++) {
    const a = performance.now();
    timer.record((performance.now() - a) * 1e6);
  }
  const timerNs = timer.percentile(50);

  // Individually timed calls.
  const all = new LatencyHistogram();
  const books = new LatencyHistogram();
  for (let pass = 0; pass < 3; pass++) {
    all.reset();
    books.reset();
    const engine = new FeatureEngine(LOB_CORE, symbols);
    const timed: FeatureSink = {
      update(symbolId: number, book: OrderBook, exchTs: number) {
        const a = performance.now();
        engine.update(symbolId, book, exchTs);
        const ns = (performance.now() - a) * 1e6;
        all.record(ns);
        books.record(ns);
      },
      onTrade(symbolId: number, qty: number, aggressor: Side | 0, exchTs: number) {
        const a = performance.now();
        engine.onTrade(symbolId, qty, aggressor, exchTs);
        all.record((performance.now() - a) * 1e6);
      },
      reset: (symbolId: number) => engine.reset(symbolId),
    };
    replayFeatures(c, timed);
  }

  // Whole passes, alternating with and without features; the fastest pass of each.
  const noop: FeatureSink = { update() {}, onTrade() {}, reset() {} };
  const cpuNs = (run: () => void) => {
    const t0 = process.cpuUsage();
    run();
    const t = process.cpuUsage(t0);
    return (t.user + t.system) * 1e3;
  };
  let withNs = Number.POSITIVE_INFINITY;
  let withoutNs = Number.POSITIVE_INFINITY;
  let calls = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    const engine = new FeatureEngine(LOB_CORE, symbols);
    withNs = Math.min(
      withNs,
      cpuNs(() => {
        const n = replayFeatures(c, engine);
        calls = n.books + n.trades;
      }),
    );
    withoutNs = Math.min(
      withoutNs,
      cpuNs(() => replayFeatures(c, noop)),
    );
  }
  const meanNs = (withNs - withoutNs) / calls;

  const result = {
    file,
    set: `${LOB_CORE.id}@${LOB_CORE.version}`,
    features: LOB_CORE.features.length,
    calls,
    book_updates: books.count,
    p50_ns: all.percentile(50),
    p99_ns: all.percentile(99),
    book_p50_ns: books.percentile(50),
    book_p99_ns: books.percentile(99),
    mean_ns: Math.round(meanNs),
    timer_cost_ns: Math.round(timerNs),
  };
  row(
    `feature set ${result.set} (${result.features} features), real data`,
    `p50 ${result.p50_ns} ns   p99 ${result.p99_ns} ns   mean ${result.mean_ns} ns   ` +
      `(${calls} updates, timer ~${result.timer_cost_ns} ns)`,
  );
  row('  of which book updates', `p50 ${result.book_p50_ns} ns   p99 ${result.book_p99_ns} ns`);
  return result;
}
