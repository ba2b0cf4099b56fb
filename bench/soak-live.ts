/**
 * Live soak: the whole trading system (recorder on) on binance-usdm against the fake Binance
 * server in its own process, the recording at its own rate and looped (every loop is a gap and a
 * resync), a strategy re-quoting one lot; prints RSS and JS heap at start (after a 60 s warm-up),
 * every `--every` minutes and at the end, and the run's counters. Bounded by `--minutes`.
 *
 *   node --import tsx bench/soak-live.ts [--minutes 60] [--every 5] [--speed 1] [--no-record]
 *
 * Not run by `npm run bench` (an hour); docs/live.md has the figures of the last run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadProject } from '../src/config/project.ts';
import type { LobStats } from '../src/contracts/market.ts';
import { createLogger } from '../src/core/logger.ts';
import { LiveSession } from '../src/services/live-session.ts';
import { TradingSystem } from '../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../src/strategy/sdk.ts';
import type { BinanceVenue } from '../src/venues/binance/binance-venue.ts';
import { API_KEY, API_SECRET } from '../test/venues/binance/harness.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    every: { type: 'string', default: '5' },
    speed: { type: 'string', default: '1' },
    /** Run without the recorder (to tell its memory from the rest). */
    'no-record': { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
const every = Number(values.every);
const speed = Number(values.speed);
if (!(minutes > 0 && minutes <= 24 * 60) || !(every > 0) || !(speed > 0)) {
  process.stderr.write('soak-live: --minutes must be in (0, 1440], --every and --speed above 0\n');
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** One lot a tick behind the best bid, re-quoted every 200th book update. */
class Requoter extends Strategy {
  private n = 0;
  override onBook(ctx: StrategyContext, st: LobStats): void {
    if (++this.n % 200 !== 0 || !(st.bestBid > 0 && st.bestAsk > st.bestBid) || ctx.reduceOnly()) return;
    for (const o of [...ctx.openOrders()]) ctx.cancel(o.orderId);
    ctx.place(st.symbolId, 1, st.bestBid - 10, 1);
  }
}

const mb = (b: number) => Math.round(b / 1048576);
function sample(label: string, t0: number): { rss: number; heap: number } {
  const m = process.memoryUsage();
  const min = ((performance.now() - t0) / 60_000).toFixed(1);
  process.stdout.write(
    `${label.padEnd(6)} ${min.padStart(6)} min   rss ${mb(m.rss)} MB   heap used ${mb(m.heapUsed)} MB   external ${mb(m.external)} MB\n`,
  );
  return { rss: m.rss, heap: m.heapUsed };
}

async function startFake(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'test/venues/binance/serve-fake.ts'), 'usdm', String(speed), 'loop'],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m !== null) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`fake server exited (${code})`)));
  });
  return { child, url };
}

const { child, url } = await startFake();
const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-soak-'));
process.env.HFT_BINANCE_USDM_API_KEY = API_KEY;
process.env.HFT_BINANCE_USDM_API_SECRET = API_SECRET;
try {
  const { settings, symbols } = loadProject({
    root,
    env: 'test',
    envVars: {},
    overrides: [
      ['feed.kind', 'live'],
      ['run.clock', 'real'],
      ['live.venue', 'binance-usdm'],
      ['live.endpoint', url],
      ['live.symbols', ['BTCUSDT-PERP']],
      ['store.path', path.join(dir, 'store')],
      ['orders.dlq_dir', path.join(dir, 'dlq')],
      ['ops.enabled', false],
    ].map(([key, value]) => ({ key: key as string, value, label: 'soak' })),
  });
  const sys = await TradingSystem.create({
    settings,
    root,
    symbols,
    strategies: [
      { id: 'rq', class: 'requoter', enabled: true, symbols: ['BTCUSDT-PERP'], params: {}, risk: {} },
    ],
    log: createLogger('silent'),
    record: !values['no-record'],
    strategyClasses: { requoter: Requoter },
    runKind: 'live',
  });
  const venue = sys.live as BinanceVenue;
  const session = new LiveSession(sys, venue, settings.live);
  await session.start();
  const t0 = performance.now();
  const running = sys.run(minutes * 60);
  process.stdout.write(
    `soak: ${minutes} min against ${url} (recording at ${speed}x, looped), recorder ${values['no-record'] ? 'off' : 'on'}\n`,
  );
  await new Promise((r) => setTimeout(r, Math.min(60_000, minutes * 30_000)));
  const start = sample('start', t0);
  const timer = setInterval(() => sample('', t0), every * 60_000);
  const s = await running;
  clearInterval(timer);
  const end = sample('end', t0);
  session.stop();
  await venue.close();
  const c = venue.counters;
  process.stdout.write(
    `RSS start ${mb(start.rss)} MB -> end ${mb(end.rss)} MB (${mb(end.rss - start.rss) >= 0 ? '+' : ''}${mb(end.rss - start.rss)} MB); heap used ${mb(start.heap)} -> ${mb(end.heap)} MB\n` +
      `frames ${c.frames}, resyncs ${c.snapshots}, gaps ${c.gaps}, stale ${c.staleStreams}, orders ${s.orders}, fills ${s.fills}, ` +
      `market_data rows ${s.recorded_rows?.market_data ?? 0}, load ${os.loadavg()[0].toFixed(1)}\n`,
  );
} finally {
  child.kill('SIGINT');
  rmSync(dir, { recursive: true, force: true });
}
