/**
 * The Shioaji live adapter against the fake Shioaji server on loopback (test tree), the whole
 * system on TXFD6 (recorded 2026-04-08): SSE message -> book -> intent from the start of the
 * venue's handler of a data message (before its JSON parse) to the strategy's decision, a strategy
 * re-quoting on every 20th book update; the system's event -> intent histogram (from the quote
 * handed to the feed); SSE message -> place_order request read by the fake. The run's clock is set
 * in the recording's day session (the session gate would refuse orders on a weekend), the
 * recording's continuous session streamed 10 messages every 2 ms (~5,000 messages/s; `pace` sets another).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadProject } from '../src/config/project.ts';
import type { LobStats } from '../src/contracts/market.ts';
import { LatencyHistogram } from '../src/core/histogram.ts';
import { createLogger } from '../src/core/logger.ts';
import { LiveSession } from '../src/services/live-session.ts';
import { TradingSystem } from '../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../src/strategy/sdk.ts';
import { readTaifex } from '../src/venues/replay/read-taifex.ts';
import type { ShioajiVenue } from '../src/venues/shioaji/shioaji-venue.ts';
import { FakeShioaji } from '../test/venues/shioaji/fake-server.ts';
import { symbols } from '../test/venues/shioaji/harness.ts';

let frameT0 = 0;
const frameToIntent = new LatencyHistogram();
const placedAt: number[] = [];

/** Re-quotes one lot 10 points behind the best bid every 20th book update. */
class Requoter extends Strategy {
  private n = 0;
  override onBook(ctx: StrategyContext, st: LobStats): void {
    if (++this.n % 20 !== 0 || !(st.bestBid > 0 && st.bestAsk > st.bestBid) || ctx.reduceOnly()) return;
    for (const o of [...ctx.openOrders()]) ctx.cancel(o.orderId);
    // As the system's own histogram: at the new order's intent, after the cancels.
    if (frameT0 > 0) frameToIntent.record((performance.now() - frameT0) * 1e6);
    if (ctx.place(st.symbolId, 1, st.bestBid - 1000, 1) !== 0 && frameT0 > 0) placedAt.push(frameT0);
  }
}

type Us = { p50: number; p99: number; max: number; count: number };
const us = (h: LatencyHistogram): Us => ({
  p50: Math.round(h.percentile(50) / 10) / 100,
  p99: Math.round(h.percentile(99) / 10) / 100,
  max: Math.round(h.max / 10) / 100,
  count: h.count,
});

export interface ShioajiBench {
  messages: number;
  frame_to_intent_us: Us;
  event_to_intent_us: Us;
  frame_to_order_at_venue_us: Us;
  orders: number;
  load_avg_1m: number;
}

/**
 * How the fake streams the continuous session: `burst` messages every `gapMs` ms, `messages` in
 * all. The bench's pace keeps the path warm (the message before an intent's ran it microseconds
 * earlier); one message every 5 ms is the pace of Binance's depth frames in its bench.
 */
export interface ShioajiPace {
  burst: number;
  gapMs: number;
  messages: number;
}

export async function benchShioaji(
  root: string,
  dataDir: string,
  pace: ShioajiPace = { burst: 10, gapMs: 2, messages: 40_000 },
): Promise<ShioajiBench> {
  frameToIntent.reset();
  placedAt.length = 0;
  const [txf] = symbols('TXFD6');
  const columns = (await readTaifex(path.join(dataDir, 'taifex-txf-20260408.parquet'))).columns;
  const fake = new FakeShioaji({
    instruments: [{ spec: txf, columns, maxMessages: pace.messages }],
    heartbeatMs: 1000,
    liveDates: false,
  });
  const toOrder = new LatencyHistogram();
  fake.onPlaceOrder = () => {
    const t = placedAt.shift();
    if (t !== undefined) toOrder.record((performance.now() - t) * 1e6);
  };
  const url = await fake.listen();
  // 08:45:01 Taipei on the recording's day: inside the day session whatever day the bench runs.
  const offsetMs = Date.UTC(2026, 3, 8, 0, 45, 1) - (performance.timeOrigin + performance.now());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bench-shioaji-'));
  try {
    const { settings, symbols: specs } = loadProject({
      root,
      env: 'test',
      envVars: {},
      overrides: [
        ['feed.kind', 'live'],
        ['run.clock', 'real'],
        ['live.venue', 'shioaji'],
        ['live.endpoint', url],
        ['live.paper', true],
        ['live.symbols', ['TXFD6']],
        ['store.path', dir],
        ['orders.dlq_dir', path.join(dir, 'dlq')],
        ['metrics.enabled', false],
        ['ops.enabled', false],
      ].map(([key, value]) => ({ key: key as string, value, label: 'bench' })),
    });
    const sys = await TradingSystem.create({
      settings,
      root,
      symbols: specs,
      strategies: [{ id: 'rq', class: 'requoter', enabled: true, symbols: ['TXFD6'], params: {}, risk: {} }],
      log: createLogger('silent'),
      record: false,
      strategyClasses: { requoter: Requoter },
      runKind: 'live',
      wallMs: () => performance.now() + offsetMs,
      guard: 'observe',
    });
    const venue = sys.live as ShioajiVenue;
    // The data stream's message handler, timed from its start (set before open() passes it on).
    const v = venue as unknown as { onData: (event: string, data: string) => void };
    const onData = v.onData;
    v.onData = (event, data) => {
      frameT0 = performance.now();
      onData(event, data);
      frameT0 = 0;
    };
    const session = new LiveSession(sys, venue, settings.live);
    await session.start();
    const running = sys.run(0);
    await fake.play(1200); // the pre-open
    while (fake.remaining > 0) {
      await fake.play(pace.burst);
      await new Promise((r) => setTimeout(r, pace.gapMs));
    }
    await new Promise((r) => setTimeout(r, 500));
    sys.stop();
    const s = await running;
    session.stop();
    await venue.close();
    return {
      messages: venue.counters.dataMessages,
      frame_to_intent_us: us(frameToIntent),
      event_to_intent_us: s.latency_us,
      frame_to_order_at_venue_us: us(toOrder),
      orders: s.orders,
      load_avg_1m: Math.round(os.loadavg()[0] * 10) / 10,
    };
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
