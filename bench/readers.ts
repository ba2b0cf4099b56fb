import { statSync } from 'node:fs';
import path from 'node:path';
import { readAny } from '../src/venues/replay/read-any.ts';

/** One data file read by readAny (reader + shared checks): best of `passes` wall times. */
export interface ReaderFigure {
  file: string;
  mb: number;
  events: number;
  best_ms: number;
  events_per_s: number;
}

/**
 * Reading the real data files as a replay does (decode, checks, time screen): the start-up cost of
 * every replay and backtest. Best of 3 (the first pass also compiles the readers).
 */
export async function benchReaders(
  dataDir: string,
  row: (name: string, value: string) => void,
): Promise<ReaderFigure[]> {
  const files = [
    'taifex-txf-20260408.parquet',
    'taifex-tmf-20260408.parquet',
    'binance-usdm-btcusdt-20240808.gz',
    'esh4-glbx-mdp3-20231225.mbo.dbn.zst',
  ];
  const out: ReaderFigure[] = [];
  for (const file of files) {
    const full = path.join(dataDir, file);
    let best = Number.POSITIVE_INFINITY;
    let events = 0;
    for (let pass = 0; pass < 3; pass++) {
      const t0 = performance.now();
      events = (await readAny(full)).columns.n;
      best = Math.min(best, performance.now() - t0);
    }
    const mb = statSync(full).size / 1e6;
    const f = {
      file,
      mb,
      events,
      best_ms: Math.round(best),
      events_per_s: Math.round(events / (best / 1000)),
    };
    out.push(f);
    row(
      `read ${file}`,
      `${f.best_ms} ms for ${events} events (${(f.events_per_s / 1e6).toFixed(1)} M events/s, ${mb.toFixed(1)} MB)`,
    );
  }
  return out;
}
