/**
 * The Binance USD-M live adapter against the fake Binance server on loopback (test tree):
 *   - a depth frame handled per level: JSON parse, the depth sync and the book update, alone
 *     (recorded frames into BinanceVenue.onFrame and a LobEngine, no socket, no strategy) and
 *     inside the running system (onFrame timed around each depth frame: LOB, features and
 *     strategies included), divided by the frame's bid + ask levels;
 *   - socket frame -> book update -> intent: from the start of the socket frame's handler (before
 *     its JSON parse) to the strategy's decision, a strategy quoting on every 20th book update;
 *     beside it the system's own event -> intent histogram (from the book event to the intent)
 *     and frame -> order request received by the fake (tick-to-trade on loopback: the request
 *     built, signed, written and read by the fake's HTTP server in the same process).
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { LIVE_V8_FLAGS } from '../bin/live-v8-flags.mjs';
import { loadProject } from '../src/config/project.ts';
import type { LobStats } from '../src/contracts/market.ts';
import type { VenueHandlers } from '../src/contracts/venue.ts';
import { RealClock } from '../src/core/clock.ts';
import { LatencyHistogram } from '../src/core/histogram.ts';
import { createLogger } from '../src/core/logger.ts';
import { Scheduler } from '../src/core/scheduler.ts';
import { uniformTick } from '../src/core/ticks.ts';
import { LobEngine } from '../src/lob/lob-engine.ts';
import { LiveSession } from '../src/services/live-session.ts';
import { TradingSystem } from '../src/services/trading-system.ts';
import { Strategy, type StrategyClass, type StrategyContext } from '../src/strategy/sdk.ts';
import { BinanceVenue } from '../src/venues/binance/binance-venue.ts';
import { FakeBinance } from '../test/venues/binance/fake-binance.ts';
import { API_KEY, API_SECRET, harness, liveProject, until } from '../test/venues/binance/harness.ts';
import { benchChild } from './child.ts';

/**
 * The recording's 60,000 lines (240 s of BTCUSDT-PERP, ~250 frames/s) paced 10x: 2,500 frames/s,
 * a live client's spacing rather than a backlog drained as fast as the loop can (which measures
 * queueing, not the path).
 */
const SPEED = 10;

/** performance.now() at the start of the socket frame being handled (set around onFrame). */
let frameT0 = 0;
/** Process CPU time (us) at the start of that frame (0: not read). */
let frameCpu0 = 0;
/** Least cost of one CPU clock read (us), taken out of the CPU figures. */
let cpuReadUs = 0;
/** An intent was made while handling the current frame. */
let intentInFrame = false;
const frameToIntent = new LatencyHistogram();
const frameToIntentCpu = new LatencyHistogram();
/** Process CPU time (user + system, all threads), us. */
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
/** Frame start of each accepted order, in order, until the fake reads its request. */
const placedAt: number[] = [];

/**
 * At the intent: the frame's wall figure read at `t`, when the system records its own event ->
 * intent (the moment its figure is taken), and the CPU figure right after that record. (Read in
 * the strategy before ctx.place, the CPU clock read, 1-9 us of getrusage, sat inside the system's
 * event -> intent window and inflated it; the wall figure read after the record counted the
 * histogram's own record, 10-11 us cold, as if it came before the intent.)
 */
function onIntent(t: number): void {
  if (frameT0 === 0) return;
  frameToIntent.record((t - frameT0) * 1e6);
  if (frameCpu0 > 0) frameToIntentCpu.record(Math.max(0, cpuUs() - frameCpu0 - cpuReadUs) * 1000);
  intentInFrame = true;
}

/** Re-quotes one lot a tick behind the best bid every 20th book update (an intent per 20 events). */
class Requoter extends Strategy {
  private n = 0;
  override onBook(ctx: StrategyContext, st: LobStats): void {
    if (++this.n % 20 !== 0 || !(st.bestBid > 0 && st.bestAsk > st.bestBid) || ctx.reduceOnly()) return;
    for (const o of [...ctx.openOrders()]) ctx.cancel(o.orderId);
    // Frame -> intent is read at the system's own intent record (onIntent), after the cancels.
    if (ctx.place(st.symbolId, 1, st.bestBid - 10, 1) !== 0 && frameT0 > 0) placedAt.push(frameT0);
  }
}

export interface BinanceBench {
  frames: number;
  depth_frames: number;
  depth_levels: number;
  /** Parse + sync + LOB update per level, the adapter alone on recorded frames (best of 3 passes). */
  depth_alone_ns_per_level: number;
  depth_alone_cpu_ns_per_level: number;
  /** The same inside the running system (LOB, features, strategies included). */
  depth_ns_per_level: number;
  /** The same in process CPU time (all threads: GC helpers included). */
  depth_cpu_ns_per_level: number;
  frame_to_intent_us: { p50: number; p99: number; max: number; count: number };
  /** Process CPU time from the frame's start to the intent: our work, without the waits for a core. */
  frame_to_intent_cpu_us: { p50: number; p99: number; max: number; count: number };
  /** Median bid + ask levels of the frames that led to an intent. */
  intent_frame_levels_p50: number;
  event_to_intent_us: { p50: number; p99: number; max: number; count: number };
  frame_to_order_at_venue_us: { p50: number; p99: number; max: number; count: number };
  orders: number;
  load_avg_1m: number;
}

const us = (h: LatencyHistogram) => ({
  p50: Math.round(h.percentile(50) / 10) / 100,
  p99: Math.round(h.percentile(99) / 10) / 100,
  max: Math.round(h.max / 10) / 100,
  count: h.count,
});

/** Recorded depth frames through BinanceVenue.onFrame into a LobEngine: per level, wall and CPU. */
function depthAlone(root: string, file: string, lines: number): { ns: number; cpuNs: number } {
  const text = gunzipSync(readFileSync(file)).toString('utf8').split('\n').slice(0, lines);
  const { settings, symbols } = loadProject({ root, env: 'test', envVars: {}, overrides: [] });
  const spec = { ...symbols.find((s) => s.code === 'BTCUSDT-PERP')!, id: 0 };
  const clock = new RealClock();
  let best = { ns: Number.POSITIVE_INFINITY, cpuNs: Number.POSITIVE_INFINITY };
  for (let pass = 0; pass < 3; pass++) {
    const venue = new BinanceVenue({
      name: 'binance-usdm',
      symbols: [spec],
      venueSymbols: ['BTCUSDT'],
      scheduler: new Scheduler(clock),
      clock,
      log: createLogger('silent'),
      settings: { ...settings.live, endpoint: 'http://127.0.0.1:9' },
      credentials: null,
    });
    venue.stop(); // no socket, no REST: the recorded snapshot stands in for the fetched one
    const lob = new LobEngine(1, 64, [uniformTick(spec)]); // as the live system's
    lob.setRepair(0, false);
    venue.connect({ onQuote() {}, onMarketEvent: (e, end) => void lob.apply(e, end), onExec() {} });
    const frames: string[] = [];
    let levels = 0;
    let synced = false;
    for (const l of text) {
      const json = l.slice(l.indexOf(' ') + 1);
      if (json.startsWith('{"lastUpdateId"')) {
        if (!synced) venue.loadSnapshot(0, json);
        synced = true;
      } else if (json.includes('@depth')) {
        // Diffs before the recorded snapshot are buffered by the sync (the snapshot replays them).
        if (synced) {
          frames.push(json);
          levels += json.split('["').length - 1;
        } else venue.onFrame(json);
      }
    }
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const f of frames) venue.onFrame(f);
    const wall = (performance.now() - t0) * 1e6;
    const cu = process.cpuUsage(c0);
    if (venue.counters.gaps !== 0) throw new Error('bench: the recorded depth stream broke');
    best = {
      ns: Math.min(best.ns, Math.round(wall / levels)),
      cpuNs: Math.min(best.cpuNs, Math.round(((cu.user + cu.system) * 1000) / levels)),
    };
  }
  return best;
}

/**
 * The trading system on binance-usdm against the fake at `url` (store under `dir`, no recorder,
 * no metrics), one strategy `rq` of class `strategy` on BTCUSDT-PERP. The fake's credentials must
 * be in the environment (HFT_BINANCE_USDM_API_KEY/SECRET).
 */
export async function binanceSystem(root: string, url: string, dir: string, strategy: StrategyClass) {
  const { settings, symbols } = liveProject(url, dir);
  const sys = await TradingSystem.create({
    settings,
    root,
    symbols,
    strategies: [
      { id: 'rq', class: 'requoter', enabled: true, symbols: ['BTCUSDT-PERP'], params: {}, risk: {} },
    ],
    log: createLogger('silent'),
    record: false,
    strategyClasses: { requoter: strategy },
    runKind: 'live',
  });
  return { settings, sys };
}

export async function benchBinance(root: string, dataDir: string): Promise<BinanceBench> {
  const file = path.join(dataDir, 'binance-usdm-btcusdt-20240808.gz');
  const alone = depthAlone(root, file, 60_000);
  const fake = new FakeBinance({
    file,
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    maxLines: 60_000,
    speed: SPEED,
  });
  const toOrder = new LatencyHistogram();
  fake.onOrderRequest = () => {
    const t = placedAt.shift();
    if (t !== undefined) toOrder.record((performance.now() - t) * 1e6);
  };
  const url = await fake.listen();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bench-binance-'));
  process.env.HFT_BINANCE_USDM_API_KEY = API_KEY;
  process.env.HFT_BINANCE_USDM_API_SECRET = API_SECRET;
  try {
    const { settings, sys } = await binanceSystem(root, url, dir, Requoter);
    const venue = sys.live as BinanceVenue;
    const hist = sys.intentLatency;
    const record = hist.record.bind(hist);
    hist.record = (ns: number) => {
      const t = performance.now();
      record(ns);
      onIntent(t);
    };
    let depthFrames = 0;
    let levels = 0;
    let depthNs = 0n;
    let depthCpuUs = 0;
    const intentLevels: number[] = [];
    const onFrame = venue.onFrame.bind(venue);
    // The CPU clock (getrusage over every thread) costs 1-9 us a read at load 10-16: read only
    // around depth frames (intents follow only them), and its own cost is taken out.
    let readCost = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 200; k++) readCost = Math.min(readCost, -cpuUs() + cpuUs());
    cpuReadUs = readCost;
    venue.onFrame = (raw: Buffer | string) => {
      const depth = raw.includes('@depth');
      const c0 = depth ? cpuUs() : 0;
      const t0 = process.hrtime.bigint();
      frameCpu0 = c0;
      frameT0 = performance.now();
      onFrame(raw);
      frameT0 = 0;
      const dt = process.hrtime.bigint() - t0;
      const dc = depth ? cpuUs() - c0 - readCost : 0;
      if (depth) {
        const s = typeof raw === 'string' ? raw : raw.toString('latin1');
        depthFrames++;
        depthNs += dt;
        depthCpuUs += dc;
        // Levels are ["price","qty"] pairs: each opens with '["' (nothing else in a frame does).
        const n = s.split('["').length - 1;
        levels += n;
        if (intentInFrame) intentLevels.push(n);
      }
      intentInFrame = false;
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
      depth_alone_ns_per_level: alone.ns,
      depth_alone_cpu_ns_per_level: alone.cpuNs,
      depth_ns_per_level: Math.round(Number(depthNs) / Math.max(1, levels)),
      depth_cpu_ns_per_level: Math.round((depthCpuUs * 1000) / Math.max(1, levels)),
      frame_to_intent_us: us(frameToIntent),
      frame_to_intent_cpu_us: us(frameToIntentCpu),
      intent_frame_levels_p50: intentLevels.sort((a, b) => a - b)[intentLevels.length >> 1] ?? 0,
      event_to_intent_us: s.latency_us,
      frame_to_order_at_venue_us: us(toOrder),
      orders: s.orders,
      load_avg_1m: Math.round(os.loadavg()[0] * 10) / 10,
    };
  } finally {
    delete process.env.HFT_BINANCE_USDM_API_KEY;
    delete process.env.HFT_BINANCE_USDM_API_SECRET;
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `benchBinance` in a process of its own, with the V8 flags of `hft run live`: a live process runs
 * only its own session, not after the bench's other rows (whose objects shape V8's optimized code
 * and inline caches, and whose heap the collector walks).
 */
export function benchBinanceChild(root: string, dataDir: string): BinanceBench {
  return benchChild(root, fileURLToPath(import.meta.url), [root, dataDir], LIVE_V8_FLAGS);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [root, dataDir] = process.argv.slice(2);
  const r = await benchBinance(root, dataDir);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

export interface DeadStreamBench {
  stale_ms: number;
  /** Last frame received -> venue not ready, the stream silent with its connection open. */
  silent_ms: number[];
  /** Connection dropped by the server -> venue not ready. */
  dropped_ms: number[];
  /** After a drop: not ready -> ready again (reconnected, book rebuilt from a fresh snapshot). */
  resync_ms: number[];
}

/**
 * Dead and silent streams against the fake at the recording's own rate, the shipped live.stale_ms:
 * the fake stalls its stream (connection open) or drops the connection, three times each.
 */
export async function benchDeadStream(root: string): Promise<DeadStreamBench> {
  const { settings } = loadProject({ root, env: 'test', envVars: {}, overrides: [] });
  const stale = settings.live.stale_ms;
  const h = await harness(
    { maxLines: 60_000, speed: 1 },
    {
      stale_ms: stale,
      reconnect_min_ms: settings.live.reconnect_min_ms,
      reconnect_max_ms: settings.live.reconnect_max_ms,
    },
  );
  const out: DeadStreamBench = { stale_ms: stale, silent_ms: [], dropped_ms: [], resync_ms: [] };
  try {
    let lastFrame = 0;
    let notReadyAt = 0;
    const onFrame = h.venue.onFrame.bind(h.venue);
    h.venue.onFrame = (raw: Buffer | string) => {
      lastFrame = performance.now();
      onFrame(raw);
    };
    const hs = (h.venue as unknown as { handlers: VenueHandlers }).handlers;
    const prev = hs.onVenueState!;
    let readyAt = 0;
    hs.onVenueState = (ready, reason) => {
      if (ready) readyAt = performance.now();
      else notReadyAt = performance.now();
      prev(ready, reason);
    };
    await h.venue.open();
    const ready = () => h.states.length === 0 || h.states.at(-1)![0];
    for (let k = 0; k < 3; k++) {
      await new Promise((r) => setTimeout(r, 1000));
      await until(ready, 60_000, 'ready');
      const n = h.states.length;
      notReadyAt = 0;
      h.fake.stall(stale + 2000);
      await until(() => h.states.length > n, 60_000, 'silence seen');
      out.silent_ms.push(Math.round(notReadyAt - lastFrame));
      await until(() => h.states.length > n + 1 && ready(), 60_000, 'resynced');
    }
    for (let k = 0; k < 3; k++) {
      await new Promise((r) => setTimeout(r, 1000));
      const n = h.states.length;
      notReadyAt = 0;
      const t0 = performance.now();
      h.fake.dropMarket();
      await until(() => h.states.length > n, 60_000, 'drop seen');
      out.dropped_ms.push(Math.round((notReadyAt - t0) * 10) / 10);
      await until(() => h.states.length > n + 1 && ready(), 60_000, 'resynced');
      out.resync_ms.push(Math.round(readyAt - notReadyAt));
    }
    return out;
  } finally {
    await h.close();
  }
}
