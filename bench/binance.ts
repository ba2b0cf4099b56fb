/**
 * The Binance USD-M live adapter against the fake Binance server on loopback (test tree):
 *   - a depth frame handled per level: JSON parse, the depth sync, the book events handed on
 *     (BinanceVenue.onFrame timed around each depth frame, divided by its bid + ask levels);
 *   - socket frame -> book update -> intent: the system's event -> intent histogram on a live run
 *     (an event's time is taken in onFrame right after the frame's JSON parse, on the wall clock),
 *     a strategy quoting on every 20th book update.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadProject } from '../src/config/project.ts';
import type { LobStats } from '../src/contracts/market.ts';
import { createLogger } from '../src/core/logger.ts';
import { LiveSession } from '../src/services/live-session.ts';
import { TradingSystem } from '../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../src/strategy/sdk.ts';
import type { BinanceVenue } from '../src/venues/binance/binance-venue.ts';
import { FakeBinance } from '../test/venues/binance/fake-binance.ts';
import { API_KEY, API_SECRET } from '../test/venues/binance/harness.ts';

/** Re-quotes one lot a tick behind the best bid every 20th book update (an intent per 20 events). */
class Requoter extends Strategy {
  private n = 0;
  override onBook(ctx: StrategyContext, st: LobStats): void {
    if (++this.n % 20 !== 0 || !(st.bestBid > 0 && st.bestAsk > st.bestBid) || ctx.reduceOnly()) return;
    for (const o of [...ctx.openOrders()]) ctx.cancel(o.orderId);
    ctx.place(st.symbolId, 1, st.bestBid - 10, 1);
  }
}

export interface BinanceBench {
  frames: number;
  depth_frames: number;
  depth_levels: number;
  depth_ns_per_level: number;
  frame_to_intent_us: { p50: number; p99: number; max: number; count: number };
  orders: number;
}

export async function benchBinance(root: string, dataDir: string): Promise<BinanceBench> {
  const file = path.join(dataDir, 'binance-usdm-btcusdt-20240808.gz');
  const fake = new FakeBinance({ file, apiKey: API_KEY, apiSecret: API_SECRET, maxLines: 60_000 });
  const url = await fake.listen();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bench-binance-'));
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
        ['store.path', dir],
        ['metrics.enabled', false],
      ].map(([key, value]) => ({ key: key as string, value, label: 'bench' })),
    });
    const sys = await TradingSystem.create({
      settings,
      root,
      symbols,
      strategies: [
        { id: 'rq', class: 'requoter', enabled: true, symbols: ['BTCUSDT-PERP'], params: {}, risk: {} },
      ],
      log: createLogger('silent'),
      record: false,
      strategyClasses: { requoter: Requoter },
      runKind: 'live',
    });
    const venue = sys.live as BinanceVenue;
    let depthFrames = 0;
    let levels = 0;
    let depthNs = 0n;
    const onFrame = venue.onFrame.bind(venue);
    venue.onFrame = (raw: Buffer | string) => {
      const t0 = process.hrtime.bigint();
      onFrame(raw);
      const dt = process.hrtime.bigint() - t0;
      const s = typeof raw === 'string' ? raw : raw.toString('latin1');
      if (s.includes('@depth')) {
        depthFrames++;
        depthNs += dt;
        // Levels are ["price","qty"] pairs: each opens with '["' (nothing else in a frame does).
        levels += s.split('["').length - 1;
      }
    };
    const session = new LiveSession(sys, venue, settings.live);
    await session.start();
    const running = sys.run(0);
    while (!fake.done) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    sys.stop();
    const s = await running;
    session.stop();
    await venue.close();
    return {
      frames: venue.counters.frames,
      depth_frames: depthFrames,
      depth_levels: levels,
      depth_ns_per_level: Math.round(Number(depthNs) / Math.max(1, levels)),
      frame_to_intent_us: s.latency_us,
      orders: s.orders,
    };
  } finally {
    delete process.env.HFT_BINANCE_USDM_API_KEY;
    delete process.env.HFT_BINANCE_USDM_API_SECRET;
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
