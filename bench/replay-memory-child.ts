/**
 * Child of the replay-memory bench: one backtest over `days` trading days, in a fresh process, with
 * the market maker on TXF (StormGuard off; `mm`) or no strategy (`none`: the replay and the runtime's
 * data path alone), then prints its events, wall time and peak RSS as JSON.
 *   node --expose-gc --import tsx bench/replay-memory-child.ts <root> <days> <mm|none> <file...>
 * Only a few real TXF days exist, so `days` streams are made of the given files in turn, each
 * repetition shifted by REPEAT_SHIFT_NS (bench only: the runner refuses two streams of one symbol
 * that overlap in time). Every stream is lazy, as `hft backtest run` streams multi-day data: read
 * when the replay reaches it, dropped after its last message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backtestSettings, DEFAULT_MODELS, loadBacktestData, runBacktest } from '../src/backtest/runner.ts';
import { loadProject } from '../src/config/project.ts';
import { createLogger } from '../src/core/logger.ts';
import { TradingSystem } from '../src/services/trading-system.ts';
import type { LoadedReplay } from '../src/venues/replay/replay-sources.ts';
import type { ReplayStream } from '../src/venues/replay/replay-venue.ts';

/**
 * Time between repetitions of the given files: 3 days keeps the shared pair (a Wednesday and a
 * Friday, night sessions included) apart, and 15 repetitions stay within 2^53 ns of the epoch.
 */
const REPEAT_SHIFT_NS = 3 * 86_400e9;

/** `days` lazy streams cycling through `base`'s streams (each a file), repetition k shifted by k days' worth. */
export function repeatDays(base: LoadedReplay, days: number): LoadedReplay {
  const m = base.streams.length;
  const streams: ReplayStream[] = [];
  for (let k = 0; k < days; k++) {
    const src = base.streams[k % m];
    const lazy = src.lazy;
    if (lazy === undefined || src.columns.l3 !== undefined) {
      throw new Error('repeatDays: L2 files read as lazy streams only (two files or more, TAIFEX or DBN)');
    }
    const shift = Math.floor(k / m) * REPEAT_SHIFT_NS;
    streams.push({
      symbolId: src.symbolId,
      columns: src.columns,
      lazy: {
        ...lazy,
        firstLocalTs: lazy.firstLocalTs + shift,
        firstExchTs: lazy.firstExchTs + shift,
        load: () => {
          const c = lazy.load();
          for (let i = 0; i < c.n; i++) {
            c.exchTs[i] += shift;
            c.localTs[i] += shift;
          }
          return c;
        },
      },
    });
  }
  return {
    ...base,
    streams,
    sources: Array.from({ length: days }, (_, k) => base.sources[k % m]),
  };
}

if (process.argv[1]?.endsWith('replay-memory-child.ts')) {
  const [root, daysArg, mode, ...files] = process.argv.slice(2);
  const days = Number(daysArg);
  if (!Number.isInteger(days) || days < 1 || (mode !== 'mm' && mode !== 'none') || files.length < 2) {
    throw new Error('usage: replay-memory-child.ts <root> <days> <mm|none> <file> <file...>');
  }
  const { settings, symbols, strategies } = loadProject({ root, env: 'test', envVars: {} });
  const cfg = { settings, root, symbols, strategies };
  const log = createLogger('silent');
  const replay = repeatDays(await loadBacktestData(cfg, files, true), days);
  let events: number;
  let orders = 0;
  let wall: number;
  if (mode === 'mm') {
    // The order log spilled to a scratch folder, as `hft backtest run` spills it to the report's.
    const spillDir = mkdtempSync(path.join(os.tmpdir(), 'hft-bench-mem-'));
    const r = await runBacktest(cfg, {
      strategyId: 'mm-txf',
      data: files,
      models: DEFAULT_MODELS,
      log,
      guard: 'off',
      replay,
      spillDir,
    });
    r.tracker.orders.close();
    rmSync(spillDir, { recursive: true, force: true });
    events = r.run.events;
    orders = r.tracker.orders.length;
    wall = r.run.wall_s;
  } else {
    const sys = await TradingSystem.create({
      settings: backtestSettings(settings, files),
      root,
      symbols,
      strategies: strategies.map((s) => ({ ...s, enabled: false })),
      log,
      record: false,
      replay,
    });
    const run = await sys.run(0);
    events = run.events;
    wall = run.wall_s;
  }
  // With --expose-gc: what the finished run still holds (its records), apart from garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({
      days,
      mode,
      events,
      /** Order events in the run's order log (spilled to disk for orders.csv). */
      order_events: orders,
      wall_s: wall,
      peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
      /** JS heap and off-heap (typed arrays) held after the run. */
      end_heap_mib: Math.round(mem.heapUsed / 2 ** 20),
      end_external_mib: Math.round(mem.external / 2 ** 20),
    })}\n`,
  );
}
