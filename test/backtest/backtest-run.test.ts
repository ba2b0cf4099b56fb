import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { REPORT_FILES } from '../../src/backtest/report-files.ts';
import { RUN_ID } from '../../src/core/run-id.ts';
import { requireData } from '../venues/replay/data-dir.ts';
import { hft, readCsv, TXO, tmpDir, txoStrategies } from './helpers.ts';

describe('hft backtest run over a real TAIFEX recording', requireData(), () => {
  const dir = tmpDir('hft-bt-');
  const strategies = txoStrategies(dir);
  const out = (name: string) => path.join(dir, name);
  const run = (name: string, ...extra: string[]) =>
    hft([
      'backtest',
      'run',
      '--strategy',
      'mm-txo',
      '--data',
      TXO,
      '--out',
      out(name),
      '--set',
      `strategies_file=${strategies}`,
      ...extra,
    ]);
  const summary = (name: string) => JSON.parse(readFileSync(path.join(out(name), 'summary.json'), 'utf8'));

  before(async () => {
    for (const name of ['a', 'b']) {
      const r = await run(name);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /net PnL/);
    }
  });

  test('the report folder holds every file, and each parses', () => {
    for (const f of REPORT_FILES) assert.ok(existsSync(path.join(out('a'), f)), f);
    const s = summary('a');
    for (const k of [
      'pnl',
      'sharpe',
      'sortino',
      'max_drawdown',
      'turnover',
      'fill_ratio',
      'maker_share',
      'taker_share',
      'trades',
      'position_limit_hits',
      'run',
    ]) {
      assert.ok(k in s, `summary.json has ${k}`);
    }
    assert.equal(s.run.events, 66_907, 'every event of the file replayed');
    assert.ok(s.ratio_buckets >= 30, `${s.ratio_buckets} buckets`);
    assert.ok(s.orders > 100 && s.trades > 0, `orders ${s.orders} fills ${s.trades}`);
    const fills = readCsv(path.join(out('a'), 'fills.csv'));
    assert.equal(fills.length, s.trades);
    assert.equal(
      fills.reduce((q, f) => q + Number(f.qty), 0),
      s.volume,
    );
    assert.ok(Math.abs(s.maker_share + s.taker_share - 1) < 1e-9);
    const equity = readCsv(path.join(out('a'), 'equity.csv'));
    // A row per second in which market data arrived and after each fill, none across the break
    // between the day and the night session.
    assert.ok(
      equity.length > s.trades && equity.length <= s.period.data_s + s.trades + 1,
      `${equity.length} rows`,
    );
    assert.equal(s.sessions.length, 2, 'the day and the night session');
    const breakStart = Date.parse(s.sessions[0].end) * 1e6;
    const breakEnd = Date.parse(s.sessions[1].start) * 1e6;
    assert.ok(breakEnd - breakStart >= 1800e9);
    assert.ok(
      equity.every((r) => Number(r.ts) <= breakStart + 1e6 || Number(r.ts) >= breakEnd - 1e6),
      'no row inside the break',
    );
    assert.equal(Number(equity[equity.length - 1].equity), s.pnl.net);
    const orders = readCsv(path.join(out('a'), 'orders.csv'));
    assert.equal(orders.filter((o) => o.event === 'new').length, s.orders);
    const html = readFileSync(path.join(out('a'), 'report.html'), 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<svg[^>]*aria-label="Equity/);
    assert.match(html, /<svg[^>]*aria-label="Position TXO35000Q6"/);
    assert.doesNotMatch(
      html,
      /<script|https?:\/\/|<link /,
      'self-contained: no script, no external resource',
    );
  });

  test('per-trade statistics: markouts at 1, 10 and 60 s against the mid, and holding times', () => {
    const s = summary('a');
    assert.deepEqual(
      s.markout.map((m: { horizon_s: number }) => m.horizon_s),
      [1, 10, 60],
    );
    const fills = readCsv(path.join(out('a'), 'fills.csv'));
    for (const [k, m] of s.markout.entries()) {
      const col = `markout_${m.horizon_s}s_ticks`;
      const measured = fills.filter((f) => f[col] !== '');
      assert.equal(measured.length, m.fills, `${col}: the fills measured`);
      assert.ok(m.fills > 0 && m.fills <= s.trades);
      // The mean in summary.json is the quantity-weighted mean of the per-fill column.
      const q = measured.reduce((n, f) => n + Number(f.qty), 0);
      const mean = measured.reduce((n, f) => n + Number(f[col]) * Number(f.qty), 0) / q;
      assert.ok(Math.abs(mean - m.avg_ticks) < 1e-3, `${col}: ${mean} vs ${m.avg_ticks} (${k})`);
    }
    const h = s.holding;
    assert.ok(h.closed_qty > 0 && h.avg_s > 0 && h.median_s <= h.max_s);
    // Everything bought was sold or is still open (FIFO per strategy and symbol).
    const bought = fills.filter((f) => f.side === 'buy').reduce((n, f) => n + Number(f.qty), 0);
    const sold = fills.filter((f) => f.side === 'sell').reduce((n, f) => n + Number(f.qty), 0);
    assert.equal(h.closed_qty, Math.min(bought, sold));
    assert.equal(h.open_qty, Math.abs(bought - sold));
  });

  test('the report reads in Taipei time with the session break, grouped numbers and currency', () => {
    const s = summary('a');
    const html = readFileSync(path.join(out('a'), 'report.html'), 'utf8');
    // The recording starts with the pre-open at 08:30 Taipei (00:30 UTC); the night session at 14:55.
    assert.match(html, />04-17 08:30</, 'axis labels in Taipei time');
    assert.match(html, />14:55</);
    assert.match(html, /\/\/ [\d.]+ (min|h)</, 'the break between the sessions is marked with its length');
    assert.match(html, /<div>Net PnL<b>-?[\d,]+\.\d\d TWD<\/b><\/div>/);
    assert.match(html, /<div>Orders<b>\d{1,3}(,\d{3})+<\/b><\/div>/, `${s.orders} orders, grouped`);
    assert.match(html, /<th>time \(Taipei\)<\/th>/);
    assert.match(html, /<td>1 s<\/td><td>[\d,]+<\/td><td>-?\d+\.\d\d<\/td>/, 'markout table');
    assert.match(html, /Holding time \(FIFO/);
  });

  test('same data, strategy and models give byte-identical reports (summary.json: all but the run id)', () => {
    const [a, b] = [summary('a'), summary('b')];
    assert.match(a.run_id, RUN_ID);
    assert.notEqual(a.run_id, b.run_id, 'each backtest is a run of its own');
    assert.deepEqual({ ...a, run_id: '' }, { ...b, run_id: '' });
    for (const f of ['fills.csv', 'equity.csv', 'orders.csv', 'report.html']) {
      assert.ok(
        readFileSync(path.join(out('a'), f)).equals(readFileSync(path.join(out('b'), f))),
        `${f} differs`,
      );
    }
  });

  test('fees and taxes come from the symbol fee schedule and add up to the net PnL', () => {
    const s = summary('a');
    const fills = readCsv(path.join(out('a'), 'fills.csv'));
    let fees = 0;
    let taxes = 0;
    for (const f of fills) {
      // TXO35000Q6: NT$25 per contract, 0.1% tax of the premium (50 TWD per point) per side.
      assert.equal(Number(f.fee), 25 * Number(f.qty));
      assert.equal(Number(f.tax), Math.round(Number(f.price) * Number(f.qty) * 50 * 0.001 * 10_000) / 10_000);
      fees += Number(f.fee);
      taxes += Number(f.tax);
    }
    assert.ok(fees > 0 && taxes > 0);
    assert.ok(Math.abs(s.pnl.fees - fees) < 1e-6);
    assert.ok(Math.abs(s.pnl.taxes - taxes) < 1e-6);
    assert.ok(Math.abs(s.pnl.net - (s.pnl.realized + s.pnl.unrealized - s.pnl.fees - s.pnl.taxes)) < 1e-6);
    assert.ok(Math.abs(s.run.pnl.total - s.pnl.net) < 1e-6, 'the run summary agrees');
  });

  test('the models are selectable: the probabilistic queue fills more than the risk-averse one', async () => {
    const r = await run('prob', '--queue', 'prob', '--queue-func', 'power', '--queue-n', '2');
    assert.equal(r.code, 0, r.stderr);
    const averse = summary('a');
    const prob = summary('prob');
    assert.equal(prob.models.queue, 'prob:power:2');
    assert.ok(prob.trades > averse.trades, `prob ${prob.trades} vs risk-averse ${averse.trades} fills`);
    // The first order's ack comes back after order + response latency.
    const firstAckDelay = (name: string) => {
      const o = readCsv(path.join(out(name), 'orders.csv'));
      const sent = o.find((e) => e.event === 'new')!;
      const ack = o.find((e) => e.event === 'ack' && e.order_id === sent.order_id)!;
      return Number(ack.ts) - Number(sent.ts);
    };
    const near = (a: number, b: number) => Math.abs(a - b) <= 512; // ns timestamps are exact to 256 ns
    assert.ok(near(firstAckDelay('a'), 500_000), `default 250 + 250 us: ${firstAckDelay('a')}`);
    const slow = await run('slow', '--latency-order-us', '20000', '--latency-response-us', '20000');
    assert.equal(slow.code, 0, slow.stderr);
    assert.deepEqual(summary('slow').models.latency, { order_us: 20_000, response_us: 20_000 });
    assert.ok(near(firstAckDelay('slow'), 40_000_000), `${firstAckDelay('slow')}`);
    const csv = path.join(dir, 'latency.csv');
    writeFileSync(csv, 'ts,order_latency_ns,response_latency_ns\n0,5000000,7000000\n9e18,5000000,7000000\n');
    const rec = await run('recorded', '--latency-file', csv);
    assert.equal(rec.code, 0, rec.stderr);
    assert.deepEqual(summary('recorded').models.latency, { file: csv });
    assert.ok(near(firstAckDelay('recorded'), 12_000_000), `${firstAckDelay('recorded')}`);
  });

  test('bad input is a clear error, not a crash', async () => {
    const bad = await run('x', '--queue-n', '0');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--queue-n expects a positive number/);
    const unknown = await hft(['backtest', 'run', '--strategy', 'nope', '--data', TXO, '--out', out('y')]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown strategy 'nope'/);
    const lat = await run('z', '--latency-file', path.join(dir, 'missing.csv'));
    assert.equal(lat.code, 2);
    assert.match(lat.stderr, /--latency-file .*missing\.csv: not found/);
  });
});
