import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadProject } from '../../src/config/project.ts';
import type { LobStats, TradeEvent } from '../../src/contracts/market.ts';
import { createLogger } from '../../src/core/logger.ts';
import { tickAt } from '../../src/core/ticks.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../../src/strategy/sdk.ts';
import { repoRoot } from '../helpers/symbols.ts';

/** Reads the shared features on every callback and checks them against the book it was given. */
class FeatureProbe extends Strategy {
  override readonly featureSet = 'lob_core';
  books = 0;
  midMatches = 0;
  spreadMatches = 0;
  ofiValues = 0;
  tradeImbalanceValues = 0;
  mismatches: string[] = [];
  private iMid = -1;

  override onStart(ctx: StrategyContext): void {
    this.iMid = ctx.features(this.symbols[0].id).index('mid');
  }

  override onBook(ctx: StrategyContext, st: LobStats): void {
    const f = ctx.features(st.symbolId);
    this.books++;
    const mid = f.at(this.iMid);
    if (mid === st.mid) this.midMatches++;
    else this.mismatches.push(`mid ${mid} vs stats ${st.mid}`);
    const spec = this.symbols.find((s) => s.id === st.symbolId)!;
    if (f.get('spread_ticks') === st.spread / tickAt(spec, st.bestBid)) this.spreadMatches++;
    if (Number.isFinite(f.get('ofi_5'))) this.ofiValues++;
  }

  override onTrade(ctx: StrategyContext, t: TradeEvent): void {
    if (Number.isFinite(ctx.features(t.symbolId).get('trade_imbalance_5s'))) this.tradeImbalanceValues++;
  }
}

/** Declares no feature set but reads features: a strategy bug, isolated by the runner. */
class NoSetProbe extends Strategy {
  override onBook(ctx: StrategyContext, st: LobStats): void {
    ctx.features(st.symbolId);
  }
}

async function system() {
  const { settings, symbols } = loadProject({ root: repoRoot, env: 'test', envVars: {}, overrides: [] });
  return TradingSystem.create({
    settings,
    root: repoRoot,
    symbols,
    strategies: [],
    log: createLogger('silent'),
    record: false,
  });
}

test('strategies read the FeatureEngine run in the hot path right after the LOB', async () => {
  const sys = await system();
  assert.equal(sys.features.engines.length, 0, 'no strategy asked: no feature engine runs');
  const probe = new FeatureProbe('probe', sys.symbols, {});
  sys.runner.add(probe);
  assert.equal(sys.features.engines.length, 1);
  assert.equal(sys.features.engines[0].key, 'lob_core@1');
  await sys.run(60);
  assert.ok(probe.books > 1000, `book callbacks ${probe.books}`);
  assert.deepEqual(probe.mismatches.slice(0, 3), []);
  assert.equal(probe.midMatches, probe.books, 'the feature mid is the mid of the book the strategy sees');
  assert.equal(probe.spreadMatches, probe.books);
  assert.ok(probe.ofiValues > probe.books / 2, `ofi_5 finite on ${probe.ofiValues} of ${probe.books}`);
  assert.ok(probe.tradeImbalanceValues > 0);
  assert.equal(sys.runner.counters.errors, 0);
});

test('reading features without declaring a feature set is a counted strategy error', async () => {
  const sys = await system();
  sys.runner.add(new NoSetProbe('nofeatures', sys.symbols, {}));
  assert.equal(sys.features.engines.length, 0);
  await sys.run(5);
  assert.ok(sys.runner.counters.errors > 0);
  assert.equal(sys.runner.isEnabled('nofeatures'), false, 'disabled after repeated errors');
});
