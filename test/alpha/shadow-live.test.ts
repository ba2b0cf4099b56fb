/**
 * Shadow mode on a live venue (the fake Binance futures server on loopback): a strategy in
 * `mode: shadow` trades on the live book, its orders pass risk and are answered at the edge — the
 * venue receives none — and reconciliation, which compares the venue's account, stays clean.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import type { LobStats } from '../../src/contracts/market.ts';
import { createLogger } from '../../src/core/logger.ts';
import { LiveSession } from '../../src/services/live-session.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../../src/strategy/sdk.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { FakeBinance } from '../venues/binance/fake-binance.ts';
import { API_KEY, API_SECRET, DATA, liveProject, until } from '../venues/binance/harness.ts';

/** Takes one lot at the touch when flat and gives it back when long, every 50 book updates. */
class Toggler extends Strategy.withParams(z.strictObject({ mode: z.enum(['trade', 'shadow']) })) {
  private n = 0;
  override onBook(ctx: StrategyContext, st: LobStats): void {
    if (++this.n % 50 !== 0 || ctx.openOrders().size > 0 || !(st.bestAsk > st.bestBid && st.bestBid > 0))
      return;
    const pos = ctx.position(st.symbolId);
    if (pos === 0) ctx.place(st.symbolId, 1, st.bestAsk, 1, 'IOC');
    else ctx.place(st.symbolId, -1, st.bestBid, pos, 'IOC');
  }
}

test('a shadow strategy on a live venue: fills at the touch, no order reaches the venue, reconciliation clean', {
  timeout: 300_000,
}, async () => {
  const fake = new FakeBinance({ file: DATA, apiKey: API_KEY, apiSecret: API_SECRET, maxLines: 40_000 });
  const url = await fake.listen();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-shadow-live-'));
  process.env.HFT_BINANCE_USDM_API_KEY = API_KEY;
  process.env.HFT_BINANCE_USDM_API_SECRET = API_SECRET;
  try {
    const { settings, symbols } = liveProject(url, dir, [['reconciliation.interval_ms', 500]]);
    const sys = await TradingSystem.create({
      settings,
      root: repoRoot,
      symbols,
      strategies: [
        {
          id: 'shadow',
          class: 'toggler',
          enabled: true,
          symbols: ['BTCUSDT-PERP'],
          params: { mode: 'shadow' },
          risk: {},
        },
      ],
      log: createLogger('silent'),
      record: false,
      strategyClasses: { toggler: Toggler },
      runKind: 'live',
    });
    const session = new LiveSession(sys, sys.live!, settings.live);
    await session.start();
    const running = sys.run(0);
    const rc = sys.router.counters;
    try {
      await until(() => rc.fills + rc.partials >= 4, 120_000, 'four shadow fills');
      const checks = sys.reconciler!.counters.checks;
      await until(() => sys.reconciler!.counters.checks >= checks + 2, 60_000, 'two reconciliations');
    } finally {
      sys.stop();
      await running;
      session.stop();
      await sys.live!.close();
    }
    assert.equal(fake.counts.orders, 0, 'the venue received no order');
    assert.deepEqual(
      fake.requests.filter((r) => /^(POST|DELETE) \/fapi\/v1\/order\b/.test(r)),
      [],
      'no order placed or cancelled at the venue',
    );
    assert.ok(sys.orders.counters.sent >= 4, 'the orders passed risk and the order adapter');
    assert.equal(sys.reconciler!.counters.critical, 0);
    assert.equal(sys.stormGuard.stateName, 'NORMAL');
  } finally {
    delete process.env.HFT_BINANCE_USDM_API_KEY;
    delete process.env.HFT_BINANCE_USDM_API_SECRET;
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
