import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { LobStats } from '../../../src/contracts/market.ts';
import { UserError } from '../../../src/core/errors.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { LiveSession } from '../../../src/services/live-session.ts';
import { TradingSystem } from '../../../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../../../src/strategy/sdk.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { FakeBinance } from './fake-binance.ts';
import { API_KEY, API_SECRET, DATA, liveProject, until } from './harness.ts';

const KEY = 'HFT_BINANCE_USDM_API_KEY';
const SECRET = 'HFT_BINANCE_USDM_API_SECRET';

/** One bid far below the market (it rests), once. */
class FarBid extends Strategy {
  private placed = false;
  override onBook(ctx: StrategyContext, st: LobStats): void {
    if (this.placed || !(st.bestBid > 0 && st.bestAsk > st.bestBid)) return;
    this.placed = true;
    ctx.place(st.symbolId, 1, st.bestBid - 50_000, 1);
  }
}

async function system(url: string, dir: string, extra: [string, unknown][] = [], strategies = true) {
  // The far bid is 5,000 USD under the touch: outside the default band.
  const { settings, symbols } = liveProject(url, dir, [['risk.price_band_ticks', 1_000_000], ...extra]);
  const sys = await TradingSystem.create({
    settings,
    root: repoRoot,
    symbols,
    strategies: strategies
      ? [{ id: 'far', class: 'far-bid', enabled: true, symbols: ['BTCUSDT-PERP'], params: {}, risk: {} }]
      : [],
    log: createLogger('silent'),
    record: false,
    strategyClasses: { 'far-bid': FarBid },
    runKind: 'live',
  });
  return { sys, session: new LiveSession(sys, sys.live!, settings.live) };
}

/** A loopback port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function withKeys(key: string | undefined, secret: string | undefined): () => void {
  const old = [process.env[KEY], process.env[SECRET]];
  for (const [k, v] of [
    [KEY, key],
    [SECRET, secret],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of [
      [KEY, old[0]],
      [SECRET, old[1]],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

test('strategies with no API keys are refused at start; keys half set name the missing variable', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bin-keys-'));
  let restore = withKeys(undefined, undefined);
  try {
    await assert.rejects(system('http://127.0.0.1:9', dir), (e: Error) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /no API keys found, but strategies far would send orders/);
      assert.match(e.message, new RegExp(`${KEY} and ${SECRET}`));
      return true;
    });
    // Market data only (hft record): no strategy, no keys needed.
    const { sys } = await system('http://127.0.0.1:9', dir, [], false);
    assert.equal(sys.runner.strategies.length, 0);
    restore();
    restore = withKeys(API_KEY, undefined);
    await assert.rejects(system('http://127.0.0.1:9', dir), new RegExp(`${SECRET} not set`));
  } finally {
    restore();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a venue that cannot be opened says why in one line: nothing listening, a refused key, a symbol it does not list', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bin-open-'));
  const fake = new FakeBinance({ file: DATA, apiKey: API_KEY, apiSecret: API_SECRET, maxLines: 2_000 });
  const url = await fake.listen();
  let restore = withKeys(API_KEY, API_SECRET);
  const opens = async (u: string, extra: [string, unknown][] = []) => {
    const { sys, session } = await system(u, dir, extra);
    try {
      await session.start();
    } finally {
      session.stop();
      await sys.live!.close();
    }
  };
  try {
    const port = await deadPort();
    await assert.rejects(opens(`http://127.0.0.1:${port}`), (e: Error) => {
      assert.ok(e instanceof UserError, 'no stack trace for the user');
      assert.match(
        e.message,
        new RegExp(`binance-usdm: could not open at http://127.0.0.1:${port}: nothing listens there`),
      );
      return true;
    });
    restore();
    restore = withKeys('not-the-key', API_SECRET);
    await assert.rejects(opens(url), (e: Error) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /the API key was refused/);
      assert.doesNotMatch(e.message, /not-the-key/, 'the key itself is never printed');
      return true;
    });
    restore();
    restore = withKeys(API_KEY, API_SECRET);
    // TXFD6 is a TAIFEX future (TXF in the data): Binance's exchangeInfo does not list it.
    await assert.rejects(opens(url, [['live.symbols', ['TXFD6']]]), (e: Error) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /TXFD6 \(TXF at the venue\) is not listed in its exchangeInfo/);
      return true;
    });
  } finally {
    restore();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const onStop of ['cancel', 'leave'] as const) {
  test(`a stopping run with a working order: live.on_stop ${onStop}`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bin-stop-'));
    const fake = new FakeBinance({ file: DATA, apiKey: API_KEY, apiSecret: API_SECRET, maxLines: 20_000 });
    const url = await fake.listen();
    const restore = withKeys(API_KEY, API_SECRET);
    try {
      const { sys, session } = await system(url, dir, [['live.on_stop', onStop]]);
      await session.start();
      const running = sys.run(0);
      await until(() => fake.orders.size === 1 && sys.orders.openCount === 1, 60_000, 'the bid resting');
      sys.stop();
      const summary = await running;
      session.stop();
      await sys.live!.close();
      if (onStop === 'cancel') {
        assert.equal(fake.orders.size, 0, 'cancelled at the venue before the run returned');
        assert.equal(summary.left_open, 0);
        assert.equal(summary.cancels, 1);
      } else {
        assert.equal(fake.orders.size, 1, 'left working');
        assert.equal(summary.left_open, 1);
      }
    } finally {
      restore();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
