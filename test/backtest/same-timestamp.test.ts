/**
 * An order reaching the exchange model in the same nanosecond as a market event is ordered after
 * it (hftbacktest applies the market event first), deterministically: times are exact.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadProject } from '../../src/config/project.ts';
import type { LobStats } from '../../src/contracts/market.ts';
import type { ExecReport } from '../../src/contracts/orders.ts';
import { createLogger } from '../../src/core/logger.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../../src/strategy/sdk.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { encodeMbo, F_LAST, F_SNAPSHOT, type MboRecord } from '../venues/replay/dbn-file.ts';

/** ESH4 prices in DBN units (1e-9). */
const px = (p: number) => BigInt(Math.round(p * 100)) * 10_000_000n;

/** What the Lifter was told about its order, per run. */
const reports: string[] = [];

/** On the second book update: one buy at the best ask (it would take the ask if it is still there). */
class Lifter extends Strategy {
  private books = 0;
  override onBook(ctx: StrategyContext, st: LobStats): void {
    if (++this.books === 2) ctx.place(st.symbolId, 1, st.bestAsk, 1);
  }
  override onOrderUpdate(_ctx: StrategyContext, r: ExecReport): void {
    reports.push(r.type === 'fill' || r.type === 'partial' ? `${r.type}@${r.lastPx}` : r.type);
  }
}

describe('an order and a market event in the same nanosecond', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-tie-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const { settings } = loadProject({ root: repoRoot, env: 'test', envVars: {} });
  const latency = BigInt(settings.sim.latency.order_us) * 1000n;
  // A sending time at which float64 ns since 1970 (the old representation) could not tell the order's
  // arrival (send time + latency) from an event 1 ns later: both round to the same double, so the
  // order was put after an event it preceded.
  const base = 1_703_541_600_000_000_000n;
  let t0 = -1n;
  for (let k = 0n; k < 256n && t0 < 0n; k++) {
    if (Number(base + k) + Number(latency) === Number(base + k + latency + 1n)) t0 = base + k;
  }

  /**
   * A snapshot (bid 4750.00, ask 4750.25), then at t0 one more bid (the strategy sends its buy at
   * 4750.25), then `delta` ns after the order's arrival the ask at 4750.25 is cancelled and 4750.50
   * offered, then a last bid much later.
   */
  async function run(delta: bigint): Promise<string[]> {
    const at = t0 + latency + delta;
    const rec = (
      ts: bigint,
      action: string,
      side: string,
      price: number,
      orderId: number,
      flags: number,
    ): MboRecord => ({
      tsEvent: ts,
      tsRecv: ts,
      orderId: BigInt(orderId),
      price: px(price),
      size: 1,
      flags,
      action,
      side,
    });
    const s = t0 - 1_000_000_000n;
    const file = path.join(dir, `tie${delta}.dbn`);
    writeFileSync(
      file,
      encodeMbo('ESH4', [
        rec(s, 'A', 'B', 4750, 1, F_SNAPSHOT),
        rec(s, 'A', 'A', 4750.25, 2, F_SNAPSHOT | F_LAST),
        rec(t0, 'A', 'B', 4750, 3, F_LAST),
        rec(at, 'C', 'A', 4750.25, 2, 0),
        rec(at, 'A', 'A', 4750.5, 4, F_LAST),
        rec(at + 1_000_000_000n, 'A', 'B', 4749.75, 5, F_LAST),
      ]),
    );
    const project = loadProject({
      root: repoRoot,
      env: 'test',
      envVars: {},
      overrides: [
        ['feed.kind', 'replay'],
        ['feed.data', [file]],
        ['feed.speed', 'max'],
        ['metrics.enabled', false],
        ['storm_guard.enabled', false],
      ].map(([key, value]) => ({ key: key as string, value, label: 'test' })),
    });
    reports.length = 0;
    const sys = await TradingSystem.create({
      settings: project.settings,
      root: repoRoot,
      symbols: project.symbols,
      strategies: [{ id: 'lift', class: 'lifter', enabled: true, symbols: ['ESH4'], params: {}, risk: {} }],
      log: createLogger('silent'),
      record: false,
      strategyClasses: { lifter: Lifter },
    });
    await sys.run(0);
    return [...reports];
  }

  test('the market event goes first: the ask it removed is gone when the order arrives', async () => {
    assert.ok(t0 > 0n, 'found a time float64 absolute ns cannot order');
    assert.deepEqual(await run(0n), ['ack'], 'the buy at 4750.25 rests: the ask moved to 4750.50 first');
    // One nanosecond either side: the order arrives before (taker fill) or after the event.
    assert.deepEqual(await run(1n), ['ack', 'fill@475025']);
    assert.deepEqual(await run(-1n), ['ack']);
  });
});
