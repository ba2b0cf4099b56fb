import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadProject } from '../../src/config/project.ts';
import type { LobStats, TradeEvent } from '../../src/contracts/market.ts';
import { createLogger } from '../../src/core/logger.ts';
import { computeFeatureFile } from '../../src/features/compute-file.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../../src/strategy/sdk.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';

/**
 * Records what a strategy sees at every callback, as `hft features compute` writes it: exch_ts and
 * local_ts (ns since 1970), symbol, price scale, event, then lob_core's values.
 */
class Recorder extends Strategy {
  override readonly featureSet = 'lob_core';
  rows: string[] = [];
  private row(ctx: StrategyContext, symbolId: number, exchTs: number, localTs: number, event: string): void {
    const v = ctx.features(symbolId);
    const spec = this.symbols[0];
    this.rows.push(
      [
        ctx.epoch.toAbs(exchTs),
        ctx.epoch.toAbs(localTs),
        spec.code,
        spec.priceScale,
        event,
        ...v.names.map((n) => (Number.isNaN(v.get(n)) ? 'nan' : String(v.get(n)))),
      ].join(','),
    );
  }
  override onBook(ctx: StrategyContext, st: LobStats): void {
    this.row(ctx, st.symbolId, st.exchTs, st.localTs, 'book');
  }
  override onTrade(ctx: StrategyContext, t: TradeEvent): void {
    this.row(ctx, t.symbolId, t.exchTs, t.localTs, 'trade');
  }
}

test(
  'a replay through the trading system (hft run, backtests) and hft features compute give the same features at every event',
  requireData(),
  async () => {
    const data = dataFile('taifex-txo35000q6-20260417.parquet');
    const { settings, symbols } = loadProject({
      root: repoRoot,
      env: 'test',
      envVars: {},
      overrides: [
        { key: 'run.clock', value: 'sim', label: 'test' },
        { key: 'feed.kind', value: 'replay', label: 'test' },
        { key: 'feed.data', value: [data], label: 'test' },
        { key: 'feed.speed', value: 'max', label: 'test' },
      ],
    });
    const sys = await TradingSystem.create({
      settings,
      root: repoRoot,
      symbols,
      strategies: [],
      log: createLogger('silent'),
      record: false,
    });
    const rec = new Recorder('recorder', sys.symbols, {});
    sys.runner.add(rec);
    await sys.run(0);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-same-kernels-'));
    try {
      const out = path.join(dir, 'f.csv');
      await computeFeatureFile({
        data: [data],
        out,
        setId: 'lob_core',
        symbols,
        symbolMap: settings.feed.symbols,
        root: repoRoot,
        feedLatencyNs: settings.feed.latency_us * 1000,
      });
      const computed = readFileSync(out, 'utf8').trimEnd().split('\n').slice(1);
      assert.ok(computed.length > 20_000, `rows ${computed.length}`);
      assert.equal(rec.rows.length, computed.length, 'one strategy callback per computed row');
      const first = rec.rows.findIndex((r, i) => r !== computed[i]);
      assert.equal(
        first,
        -1,
        `first difference at row ${first}:\n  run:     ${rec.rows[first]}\n  compute: ${computed[first]}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
