import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { requireData } from '../venues/replay/data-dir.ts';
import { hft, readCsv, TXO, tmpDir, txoStrategies } from './helpers.ts';

describe('hft backtest sweep', requireData(), () => {
  test('runs every grid point on worker threads and tabulates them', async () => {
    const dir = tmpDir('hft-sweep-');
    const strategies = txoStrategies(dir);
    const out = path.join(dir, 'sweep');
    const common = ['--strategy', 'mm-txo', '--data', TXO, '--set', `strategies_file=${strategies}`];
    const r = await hft([
      'backtest',
      'sweep',
      ...common,
      '--out',
      out,
      '--grid',
      'half_spread_ticks=0.5,2',
      '--grid',
      'queue=risk_averse,prob',
      '--workers',
      '2',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /4 points on 2 worker threads/);
    const rows = readCsv(path.join(out, 'results.csv'));
    assert.deepEqual(
      rows.map((x) => [x.point, x.half_spread_ticks, x.queue]),
      [
        ['0', '0.5', 'risk_averse'],
        ['1', '0.5', 'prob'],
        ['2', '2', 'risk_averse'],
        ['3', '2', 'prob'],
      ],
    );
    // The table on stdout lists the same points.
    assert.equal(r.stdout.split('\n').filter((l) => /^\d+\s/.test(l)).length, 4);
    for (const [i, row] of rows.entries()) {
      const s = JSON.parse(readFileSync(path.join(out, `point-00${i}`, 'summary.json'), 'utf8'));
      assert.equal(s.strategy.params.half_spread_ticks, Number(row.half_spread_ticks));
      assert.equal(s.models.queue.startsWith('prob') ? 'prob' : 'risk_averse', row.queue);
      assert.equal(Number(row.net_pnl), s.pnl.net);
      assert.equal(Number(row.trades), s.trades);
      assert.equal(Number(row.fees), s.pnl.fees);
      assert.equal(Number(row.taxes), s.pnl.taxes);
    }
    // A grid point is the same backtest as a single run with those settings.
    const single = path.join(dir, 'single');
    const one = await hft([
      'backtest',
      'run',
      ...common,
      '--out',
      single,
      '--param',
      'half_spread_ticks=2',
      '--queue',
      'prob',
    ]);
    assert.equal(one.code, 0, one.stderr);
    const [a, b] = [path.join(single, 'summary.json'), path.join(out, 'point-003', 'summary.json')].map((f) =>
      JSON.parse(readFileSync(f, 'utf8')),
    );
    assert.notEqual(a.run_id, b.run_id, 'every backtest is a run of its own');
    assert.deepEqual({ ...a, run_id: '' }, { ...b, run_id: '' });
    assert.notEqual(rows[0].net_pnl, rows[2].net_pnl, 'the parameter changes the result');
  });

  test('the table says what StormGuard and the limits did at each point (grid key guard)', async () => {
    const dir = tmpDir('hft-sweep-guard-');
    const strategies = txoStrategies(dir);
    const out = path.join(dir, 'sweep');
    const r = await hft([
      'backtest',
      'sweep',
      '--strategy',
      'mm-txo',
      '--data',
      TXO,
      '--set',
      `strategies_file=${strategies}`,
      '--set',
      'storm_guard.capital=1000000',
      '--out',
      out,
      '--grid',
      'guard=observe,on',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [observed, applied] = readCsv(path.join(out, 'results.csv'));
    assert.match(
      observed.guard,
      /^observe:HALT@2026-04-1\d \d\d:\d\d:\d\d$/,
      'would have halted, not applied',
    );
    assert.match(applied.guard, /^on:HALT@2026-04-1\d \d\d:\d\d:\d\d$/);
    assert.ok(
      Number(applied.refused) > Number(observed.refused),
      `${applied.refused} vs ${observed.refused}`,
    );
    assert.match(applied.top_refusal, /^(HALTED|REDUCE_ONLY):\d+$/);
    assert.notEqual(applied.net_pnl, observed.net_pnl, 'the applied guard changed the result');
    assert.match(r.stdout, /\bguard\b/);
    assert.match(r.stdout, /observe = /, 'the table explains the guard column');
  });

  test('a bad grid key or model fails before any worker starts', async () => {
    const dir = tmpDir('hft-sweep-bad-');
    const strategies = txoStrategies(dir);
    const sweep = (out: string, grid: string) =>
      hft([
        'backtest',
        'sweep',
        '--strategy',
        'mm-txo',
        '--data',
        TXO,
        '--set',
        `strategies_file=${strategies}`,
        '--out',
        path.join(dir, out),
        '--grid',
        grid,
      ]);
    const r = await sweep('o', 'half_spread=1,2');
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr.split('\n')[0],
      "hft: strategy mm-txo: unknown parameter 'half_spread' (MarketMaker takes: order_qty, half_spread_ticks, max_inventory, skew_ticks_per_unit, requote_ticks, min_quote_life_ms)",
    );
    const q = await sweep('q', 'queue=fifo');
    assert.equal(q.code, 2);
    assert.match(q.stderr, /queue: expected risk_averse or prob, got 'fifo'/);
  });
});
