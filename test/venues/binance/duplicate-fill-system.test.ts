import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { LobStats } from '../../../src/contracts/market.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { DenseBookSide } from '../../../src/lob/dense-book-side.ts';
import { runQuery } from '../../../src/recorder/query.ts';
import { LiveSession } from '../../../src/services/live-session.ts';
import { TradingSystem } from '../../../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../../../src/strategy/sdk.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { FakeBinance } from './fake-binance.ts';
import { API_KEY, API_SECRET, DATA, liveProject, until } from './harness.ts';

/** Buys one lot IOC at the ask once the book is up; again only if that order filled nothing. */
class OneTaker extends Strategy {
  private n = 0;
  static armed: () => void = () => {};
  override onBook(ctx: StrategyContext, st: LobStats): void {
    if (++this.n % 100 !== 0 || ctx.position(st.symbolId) !== 0 || ctx.openOrders().size > 0) return;
    if (ctx.reduceOnly() || !(st.bestAsk > st.bestBid && st.bestBid > 0)) return;
    OneTaker.armed();
    ctx.place(st.symbolId, 1, st.bestAsk, 1, 'IOC');
  }
}

test('a fill the venue sends twice (same trade id) is counted once by the router, the position, the summary and hft.trades', async () => {
  const fake = new FakeBinance({ file: DATA, apiKey: API_KEY, apiSecret: API_SECRET, maxLines: 40_000 });
  const url = await fake.listen();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bin-dup-'));
  process.env.HFT_BINANCE_USDM_API_KEY = API_KEY;
  process.env.HFT_BINANCE_USDM_API_SECRET = API_SECRET;
  // Every order of this run: the fake sends its fill callback twice.
  OneTaker.armed = () => {
    fake.duplicateNextFill = true;
  };
  try {
    const { settings, symbols } = liveProject(url, dir);
    const sys = await TradingSystem.create({
      settings,
      root: repoRoot,
      symbols,
      strategies: [
        { id: 'take', class: 'one-taker', enabled: true, symbols: ['BTCUSDT-PERP'], params: {}, risk: {} },
      ],
      log: createLogger('silent'),
      record: true,
      strategyClasses: { 'one-taker': OneTaker },
      runKind: 'live',
    });
    const session = new LiveSession(sys, sys.live!, settings.live);
    await session.start();
    const running = sys.run(0);
    const rc = sys.router.counters;
    try {
      await until(() => rc.duplicateFills >= 1, 120_000, 'the duplicated fill');
    } catch (e) {
      sys.stop();
      await running;
      session.stop();
      await sys.live!.close();
      throw new Error(
        `${(e as Error).message}: orders ${sys.orders.counters.sent}, router ${JSON.stringify(rc)}`,
      );
    }
    // The venue's own position (ACCOUNT_UPDATE) has caught up: no second fill is on its way.
    await until(() => sys.live!.positions().get(0) === 1, 60_000, 'venue position');
    sys.stop();
    const summary = await running;
    session.stop();
    await sys.live!.close();

    assert.equal(rc.duplicateFills, 1, 'the second callback was recognised');
    // A full-depth venue: the system's book is price-indexed, every price on the tick.
    assert.ok(sys.lob.book(0).asks instanceof DenseBookSide);
    assert.equal(summary.feed.off_grid_prices, 0);
    assert.equal(rc.fills + rc.partials, 1);
    assert.equal(summary.fills, 1);
    const pos = sys.positions.get('take', 0);
    assert.equal(pos.qty, 1, 'long one lot, not two');
    assert.equal(pos.fills, 1);
    assert.deepEqual(
      summary.positions.map((p) => [p.symbol, p.qty]),
      [['BTCUSDT-PERP', 1]],
    );
    const trades = await runQuery(dir, 'SELECT count(), sum(qty) FROM hft.trades', 'TSV');
    assert.equal(trades.trim(), '1\t1', 'one fill row recorded');
  } finally {
    delete process.env.HFT_BINANCE_USDM_API_KEY;
    delete process.env.HFT_BINANCE_USDM_API_SECRET;
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
