import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadProject } from '../../src/config/project.ts';
import { createLogger } from '../../src/core/logger.ts';
import { runQuery } from '../../src/recorder/query.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { repoRoot } from '../helpers/symbols.ts';

function load(overrides: { key: string; value: unknown; label: string }[] = []) {
  const { settings, symbols, strategies } = loadProject({
    root: repoRoot,
    env: 'test',
    envVars: {},
    overrides,
  });
  return { settings, root: repoRoot, symbols, strategies, log: createLogger('silent') };
}

async function simulate(
  seconds: number,
  overrides: { key: string; value: unknown; label: string }[] = [],
  record = false,
) {
  const sys = await TradingSystem.create({ ...load(overrides), record });
  const summary = await sys.run(seconds);
  return { sys, summary };
}

test('full loop in simulated time: market data -> strategy -> risk -> venue -> fills -> positions', async () => {
  const { sys, summary } = await simulate(300);
  assert.equal(summary.clock, 'sim');
  assert.equal(summary.duration_s, 300);
  assert.ok(summary.events > 10_000, `events ${summary.events}`);
  assert.ok(summary.orders > 50, `orders ${summary.orders}`);
  assert.ok(summary.fills > 20, `fills ${summary.fills}`);
  assert.equal(summary.feed.malformed, 0);
  assert.equal(summary.feed.crossed_books, 0);
  assert.equal(summary.strategy_errors, 0);
  // Positions equal the signed sum of fills, per strategy.
  const fillsQty = sys.router.counters.filledQty;
  const volume = summary.positions.reduce((a, p) => a + p.volume, 0);
  assert.equal(volume, fillsQty);
  // Every order is accounted for: filled, canceled, rejected or still open.
  const rc = sys.router.counters;
  assert.equal(rc.acks + rc.rejects, summary.orders, 'each order acked or rejected exactly once');
  assert.equal(summary.orders, rc.fills + rc.canceled + rc.rejects + sys.orders.openCount);
  // Risk limits hold: no strategy ever exceeds its max position.
  for (const p of summary.positions) {
    const limit = p.symbol === '2330' ? 10_000 : 10;
    assert.ok(Math.abs(p.qty) <= limit, `${p.strategy} qty ${p.qty}`);
  }
  // Every intent formed is timed once, whatever happened to it afterwards.
  assert.equal(summary.latency_us.count, summary.risk.intents);
});

test('the same seed gives the same run; another seed a different one', async () => {
  const a = (await simulate(60, [{ key: 'sim.seed', value: 1, label: 't' }])).summary;
  const b = (await simulate(60, [{ key: 'sim.seed', value: 1, label: 't' }])).summary;
  const c = (await simulate(60, [{ key: 'sim.seed', value: 2, label: 't' }])).summary;
  const key = (s: typeof a) => JSON.stringify([s.events, s.orders, s.fills, s.pnl, s.positions]);
  assert.equal(key(a), key(b));
  assert.notEqual(key(a), key(c));
});

test('risk rejections are counted and the other strategies keep trading', async () => {
  // One strategy quotes 3 lots against a 2-lot limit: every intent of it is rejected.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-strat-'));
  const file = path.join(dir, 'strategies.yaml');
  writeFileSync(
    file,
    `strategies:
  - { id: too-big, class: market_maker, symbols: [TXFD6], risk: { max_order_qty: 2 },
      params: { order_qty: 3, half_spread_ticks: 0.5, max_inventory: 9, skew_ticks_per_unit: 0, requote_ticks: 1 } }
  - { id: ok, class: market_maker, symbols: [TXFD6],
      params: { order_qty: 1, half_spread_ticks: 0.5, max_inventory: 5, skew_ticks_per_unit: 0.5, requote_ticks: 1 } }
`,
  );
  const { summary } = await simulate(60, [{ key: 'strategies_file', value: file, label: 't' }]);
  assert.ok(summary.rejects.risk > 0, 'intents rejected');
  assert.equal(summary.rejects.by_reason.MAX_ORDER_QTY, summary.rejects.risk);
  assert.ok(summary.fills > 0, 'the other strategy still trades');
  assert.ok(summary.positions.every((p) => p.strategy === 'ok'));
});

test('recorded rows match the summary, in the embedded ClickHouse store', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-loop-'));
  const { summary } = await simulate(60, [{ key: 'store.path', value: dir, label: 't' }], true);
  assert.ok(summary.fills > 0);
  assert.equal(summary.recorded_rows.trades, summary.fills);
  assert.equal(summary.recorded_rows.market_data, summary.events);
  assert.equal(summary.recorder?.failed_rows, 0);
  const out = await runQuery(dir, 'SELECT count() AS n FROM hft.trades', 'JSONEachRow');
  assert.equal(JSON.parse(out).n, summary.fills);
  const md = await runQuery(dir, 'SELECT count() AS n FROM hft.market_data', 'JSONEachRow');
  assert.equal(JSON.parse(md).n, summary.events);
  const orders = await runQuery(
    dir,
    "SELECT count() AS n FROM hft.orders WHERE event = 'new'",
    'JSONEachRow',
  );
  assert.equal(JSON.parse(orders).n, summary.orders);
});
