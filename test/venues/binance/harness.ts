import path from 'node:path';
import { loadProject } from '../../../src/config/project.ts';
import type { MarketEvent } from '../../../src/contracts/market.ts';
import type { VenueExecEvent } from '../../../src/contracts/venue.ts';
import { RealClock } from '../../../src/core/clock.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { Scheduler } from '../../../src/core/scheduler.ts';
import { uniformTick } from '../../../src/core/ticks.ts';
import { LobEngine } from '../../../src/lob/lob-engine.ts';
import { BinanceVenue } from '../../../src/venues/binance/binance-venue.ts';
import { Secret } from '../../../src/venues/live/credentials.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile } from '../replay/data-dir.ts';
import { FakeBinance, type FakeOptions } from './fake-binance.ts';

export const DATA = dataFile('binance-usdm-btcusdt-20240808.gz');
export const SPOT_DATA = dataFile('binance-spot-btcusdt-20240808.gz');
export const API_KEY = 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A';
export const API_SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';

/**
 * The project of a live run on binance-usdm (BTCUSDT-PERP) against the fake at `url`: store and dead
 * letters under `dir`, no metrics; `extra` overrides come last.
 */
export function liveProject(url: string, dir: string, extra: [string, unknown][] = []) {
  return loadProject({
    root: repoRoot,
    env: 'test',
    envVars: {},
    overrides: (
      [
        ['feed.kind', 'live'],
        ['run.clock', 'real'],
        ['live.venue', 'binance-usdm'],
        ['live.endpoint', url],
        ['live.symbols', ['BTCUSDT-PERP']],
        ['store.path', dir],
        ['orders.dlq_dir', path.join(dir, 'dlq')],
        ['metrics.enabled', false],
        ...extra,
      ] as [string, unknown][]
    ).map(([key, value]) => ({ key, value, label: 'test' })),
  });
}

/** Polls `cond` every 5 ms; rejects after `ms` (a hang, not a timing assertion). */
export async function until(cond: () => boolean, ms = 60_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A BinanceVenue (binance-usdm, BTCUSDT-PERP; with `market: 'spot'` binance-spot, BTCUSDT) against
 * a fresh fake, its events into a LOB.
 */
export async function harness(fake: Partial<FakeOptions> = {}, live: Record<string, unknown> = {}) {
  const spot = fake.market === 'spot';
  const f = new FakeBinance({
    file: spot ? SPOT_DATA : DATA,
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    ...fake,
  });
  const url = await f.listen();
  const { settings, symbols } = loadProject({ root: repoRoot, env: 'test', envVars: {}, overrides: [] });
  const spec = { ...symbols.find((s) => s.code === (spot ? 'BTCUSDT' : 'BTCUSDT-PERP'))!, id: 0 };
  const clock = new RealClock();
  const scheduler = new Scheduler(clock);
  // Price-indexed, as the trading system keeps a full-depth venue's books.
  const lob = new LobEngine(1, 64, [uniformTick(spec)]);
  lob.setRepair(0, false);
  const states: [boolean, string][] = [];
  const execs: VenueExecEvent[] = [];
  /** Market event kinds since the last not-ready report (a Level before a Clear = traded on a gap). */
  const afterOutage: number[] = [];
  let levelBeforeSnapshot = 0;
  let outage = false;
  const venue = new BinanceVenue({
    name: spot ? 'binance-spot' : 'binance-usdm',
    symbols: [spec],
    venueSymbols: ['BTCUSDT'],
    scheduler,
    clock,
    log: createLogger('silent'),
    settings: {
      ...settings.live,
      endpoint: url,
      stale_ms: 1000,
      reconnect_min_ms: 20,
      reconnect_max_ms: 200,
      ...live,
    },
    credentials: new Map([
      ['api_key', new Secret(API_KEY)],
      ['api_secret', new Secret(API_SECRET)],
    ]),
  });
  venue.connect({
    onQuote() {},
    onMarketEvent(ev: MarketEvent, end: boolean) {
      if (outage) {
        afterOutage.push(ev.kind);
        if (ev.kind === 4) outage = false;
        else if (ev.kind === 3) levelBeforeSnapshot++;
      }
      lob.apply(ev, end);
    },
    onExec(e) {
      execs.push({ ...e });
    },
    onVenueState(ready, reason) {
      states.push([ready, reason]);
      if (!ready) outage = true;
    },
  });
  const drain = setInterval(() => {
    while (scheduler.runNext(clock.nowNs())) {}
  }, 1);
  const close = async () => {
    clearInterval(drain);
    await venue.close();
    await f.close();
  };
  return {
    fake: f,
    url,
    venue,
    lob,
    states,
    execs,
    close,
    levelsOnGap: () => levelBeforeSnapshot,
    afterOutage,
  };
}
