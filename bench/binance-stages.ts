/**
 * Where the Binance bench's socket frame -> intent goes, stage by stage (docs/live.md): the bench's
 * run (the fake at 10x pace, a strategy quoting on every 20th book update) with a clock read at
 * each stage boundary of the frames that lead to an intent. Each read is a cold performance.now()
 * (~1 us), counted in the stage after it, so the stages add up to more than the bench's figure.
 * Prints the median of each stage over the intent frames and a least-squares fit of the total
 * (and of the book update) against the frame's levels.
 *
 *   node --import tsx bench/binance-stages.ts            # the Binance stages
 *   node --import tsx bench/binance-stages.ts --shioaji  # Shioaji's frame -> intent, paced as its
 *                                                        # bench, then as Binance's depth frames
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type WebSocket from 'ws';
import type { LobStats, MarketEvent, MdHeader } from '../src/contracts/market.ts';
import type { VenueHandlers } from '../src/contracts/venue.ts';
import { LiveSession } from '../src/services/live-session.ts';
import { Strategy, type StrategyContext } from '../src/strategy/sdk.ts';
import type { BinanceVenue } from '../src/venues/binance/binance-venue.ts';
import type { FrameScanner } from '../src/venues/binance/frame-scanner.ts';
import { FakeBinance } from '../test/venues/binance/fake-binance.ts';
import { API_KEY, API_SECRET } from '../test/venues/binance/harness.ts';
import { binanceSystem } from './binance.ts';
import { benchShioaji } from './shioaji.ts';

const STAGES = [
  'socket data -> frame handler (first frame of a read)',
  'frame scanned',
  'scanned -> levels handed to the system (depth sync)',
  'levels but the last into the LOB',
  'last level, message end, stats',
  'LOB -> strategy onBook',
  'reduceOnly()',
  '[...openOrders()]',
  'cancels',
  'place -> intent record',
  'total (frame handler -> intent)',
] as const;

/** Clock reads (performance.now(), ms) of the frame being handled; 0: not reached. */
const t = {
  data: 0,
  frame: 0,
  scanned: 0,
  levels: 0,
  last: 0,
  lastDone: 0,
  onBook: 0,
  reduceOnly: 0,
  openOrders: 0,
  cancels: 0,
  intent: 0,
};
let inFrame = false;

/** The bench's strategy (bench/binance.ts), with a clock read between its calls. */
class Requoter extends Strategy {
  private n = 0;
  override onBook(ctx: StrategyContext, st: LobStats): void {
    if (++this.n % 20 !== 0) return;
    t.onBook = performance.now();
    if (!(st.bestBid > 0 && st.bestAsk > st.bestBid) || ctx.reduceOnly()) return;
    t.reduceOnly = performance.now();
    const open = [...ctx.openOrders()];
    t.openOrders = performance.now();
    for (const o of open) ctx.cancel(o.orderId);
    t.cancels = performance.now();
    ctx.place(st.symbolId, 1, st.bestBid - 10, 1);
  }
}

const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s[s.length >> 1] ?? Number.NaN;
};

/** y = a + b x by least squares. */
function fit(xs: number[], ys: number[]): { a: number; b: number } {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return { a: my - b * mx, b };
}

async function binanceStages(root: string, dataDir: string): Promise<void> {
  const fake = new FakeBinance({
    file: path.join(dataDir, 'binance-usdm-btcusdt-20240808.gz'),
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    maxLines: 60_000,
    speed: 10,
  });
  const url = await fake.listen();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bench-stages-'));
  process.env.HFT_BINANCE_USDM_API_KEY = API_KEY;
  process.env.HFT_BINANCE_USDM_API_SECRET = API_SECRET;
  try {
    const { settings, sys } = await binanceSystem(root, url, dir, Requoter);
    const venue = sys.live as BinanceVenue;
    const inner = venue as unknown as {
      scanner: FrameScanner;
      handlers: VenueHandlers;
      market: (WebSocket & { _socket?: NodeJS.EventEmitter }) | null;
    };
    const hist = sys.intentLatency;
    const record = hist.record.bind(hist);
    hist.record = (ns: number) => {
      if (inFrame) t.intent = performance.now();
      record(ns);
    };
    const sc = inner.scanner;
    const scan = sc.scan.bind(sc);
    sc.scan = (buf: Uint8Array, len: number) => {
      const kind = scan(buf, len);
      t.scanned = performance.now();
      return kind;
    };
    const lob = sys.lob;
    const apply = lob.apply.bind(lob);
    lob.apply = (ev: MarketEvent, end?: boolean) => {
      t.last = performance.now();
      const changed = apply(ev, end);
      t.lastDone = performance.now();
      return changed;
    };
    const rows: number[][] = [];
    const levels: number[] = [];
    const onFrame = venue.onFrame.bind(venue);
    venue.onFrame = (raw: Buffer | string) => {
      t.intent = 0;
      inFrame = true;
      t.frame = performance.now();
      onFrame(raw);
      inFrame = false;
      if (t.intent > 0) {
        // Levels are ["price","qty"] pairs: each opens with '["' (nothing else in a frame does).
        levels.push((typeof raw === 'string' ? raw : raw.toString('latin1')).split('["').length - 1);
        const b = [t.data || Number.NaN, t.frame, t.scanned, t.levels, t.last, t.lastDone, t.onBook];
        b.push(t.reduceOnly, t.openOrders, t.cancels, t.intent);
        const row = b.slice(1).map((x, i) => (x - b[i]) * 1000);
        row.push((t.intent - t.frame) * 1000);
        rows.push(row);
      }
      t.data = 0;
    };
    const session = new LiveSession(sys, venue, settings.live);
    await session.start();
    const h = inner.handlers;
    const onLevels = h.onLevels!;
    h.onLevels = (
      hdr: Readonly<MdHeader>,
      bids: Float64Array,
      bidN: number,
      asks: Float64Array,
      askN: number,
    ) => {
      t.levels = performance.now();
      onLevels(hdr, bids, bidN, asks, askN);
    };
    inner.market?._socket?.prependListener('data', () => {
      if (t.data === 0) t.data = performance.now();
    });
    const load0 = os.loadavg()[0];
    const running = sys.run(0);
    while (!fake.done) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    sys.stop();
    await running;
    session.stop();
    await venue.close();
    const load = `load ${load0.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)}`;
    process.stdout.write(
      `binance frame -> intent by stage: medians (us) over ${rows.length} intent frames, `,
    );
    process.stdout.write(`${median(levels)} levels at the median, ${load}\n`);
    STAGES.forEach((name, k) => {
      process.stdout.write(`  ${name.padEnd(56)} ${median(rows.map((r) => r[k])).toFixed(1)}\n`);
    });
    const total = fit(
      levels,
      rows.map((r) => r[10]),
    );
    const book = fit(
      levels,
      rows.map((r) => r[3]),
    );
    process.stdout.write(
      `  fit: total ${total.a.toFixed(1)} us + ${total.b.toFixed(3)} us a level; ` +
        `levels into the LOB ${book.a.toFixed(1)} us + ${book.b.toFixed(3)} us a level\n`,
    );
  } finally {
    delete process.env.HFT_BINANCE_USDM_API_KEY;
    delete process.env.HFT_BINANCE_USDM_API_SECRET;
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dataDir = process.env.HFT_DATA_DIR ?? path.resolve(root, '../shared/data');
  if (process.argv.includes('--shioaji')) {
    for (const pace of [
      { burst: 10, gapMs: 2, messages: 10_000 },
      { burst: 1, gapMs: 5, messages: 10_000 },
    ]) {
      const s = await benchShioaji(root, dataDir, pace);
      process.stdout.write(
        `shioaji ${pace.burst} message(s) every ${pace.gapMs} ms: frame -> intent p50 ${s.frame_to_intent_us.p50} us ` +
          `p99 ${s.frame_to_intent_us.p99} us, event -> intent p50 ${s.event_to_intent_us.p50} us ` +
          `(n=${s.frame_to_intent_us.count}, load ${s.load_avg_1m})\n`,
      );
    }
  } else await binanceStages(root, dataDir);
  process.exit(0);
}
