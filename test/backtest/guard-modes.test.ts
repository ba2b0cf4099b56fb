import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { requireData } from '../venues/replay/data-dir.ts';
import { hft, readCsv, TXO, tmpDir, txoStrategies } from './helpers.ts';

/**
 * The TXO day loses ~20k at its worst: against a capital of 1M that crosses StormGuard's
 * drawdown STORM (100 bps) and HALT (200 bps) thresholds, as a 100M capital does on a TXF day.
 */
describe(
  'hft backtest --guard: the live guard is observed by default, applied only when asked',
  requireData(),
  () => {
    const dir = tmpDir('hft-bt-guard-');
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
        '--set',
        'storm_guard.capital=1000000',
        ...extra,
      ]);
    const summary = (name: string) => JSON.parse(readFileSync(path.join(out(name), 'summary.json'), 'utf8'));
    const stdout: Record<string, string> = {};

    before(async () => {
      for (const [name, flags] of [
        ['default', []],
        ['on', ['--guard', 'on']],
        ['off', ['--guard', 'off']],
      ] as [string, string[]][]) {
        const r = await run(name, ...flags);
        assert.equal(r.code, 0, r.stderr);
        stdout[name] = r.stdout;
      }
    });

    test('default (observe): the guard is evaluated and reported, and the run is the unguarded one', () => {
      const obs = summary('default');
      const off = summary('off');
      assert.equal(obs.guard.mode, 'observe');
      assert.equal(obs.guard.worst, 'HALT', 'the live config would have halted this day');
      assert.ok(obs.guard.transitions.length > 1);
      assert.match(obs.guard.transitions.find((t: { to: string }) => t.to === 'STORM').reason, /^drawdown/);
      assert.ok(obs.guard.evaluations > 1000);
      // Observing changes nothing: the same orders, fills and money as without the guard.
      for (const k of ['orders', 'trades', 'volume']) assert.equal(obs[k], off[k], k);
      assert.deepEqual(obs.pnl, off.pnl);
      assert.equal(off.guard.mode, 'off');
      assert.equal(off.guard.evaluations, 0);
      assert.deepEqual(off.guard.transitions, []);
      assert.match(
        stdout.default,
        /StormGuard \(observe: evaluated, not applied\): would have gone HALT at 2026-04-1\d \d\d:\d\d:\d\d Taipei \(drawdown/,
      );
    });

    test('--guard on applies the live config: reduce-only, then halted, and the refusals say so', () => {
      const on = summary('on');
      const off = summary('off');
      assert.equal(on.guard.mode, 'on');
      assert.ok(on.orders < off.orders, `on ${on.orders} vs off ${off.orders} orders`);
      assert.notDeepEqual(on.pnl, off.pnl);
      assert.ok(on.refused.by_reason.REDUCE_ONLY.count > 0);
      assert.ok(on.refused.by_reason.HALTED.count > 0);
      assert.equal(
        on.refused.total,
        Object.values(on.refused.by_reason).reduce((n: number, r) => n + (r as { count: number }).count, 0),
      );
      // Every refusal the runtime counted, with its time.
      const counted = Object.values(on.run.risk.rejects_by_reason as Record<string, number>).reduce(
        (a, b) => a + b,
        0,
      );
      assert.equal(on.refused.total, counted);
      assert.match(stdout.on, /StormGuard \(on, applied\): went HALT at/);
      assert.match(stdout.on, /refused before the venue: [\d,]+ \(HALTED [\d,]+, REDUCE_ONLY [\d,]+/);
    });

    test('the report marks the guard bands and the refusals on the equity chart', () => {
      const html = readFileSync(path.join(out('default'), 'report.html'), 'utf8');
      const equity = html.slice(
        html.indexOf('aria-label="Equity'),
        html.indexOf('</svg>', html.indexOf('aria-label="Equity')),
      );
      assert.match(equity, /<rect [^>]*fill="#f9cfa5"><title>StormGuard STORM<\/title><\/rect>/);
      assert.match(equity, /<rect [^>]*><title>StormGuard HALT<\/title><\/rect>/);
      assert.match(html, /observed only: what the live guard would have done; nothing was gated/);
      const on = readFileSync(path.join(out('on'), 'report.html'), 'utf8');
      assert.match(on, /applied \(STORM reduce-only, HALT no orders\)/);
      assert.match(on, /<title>[\d,]+ orders refused<\/title>/);
      assert.match(on, /<td>HALTED<\/td><td>[\d,]+<\/td>/);
      // The refusal counts of equity.csv add up to the summary's.
      const rows = readCsv(path.join(out('on'), 'equity.csv'));
      assert.equal(Number(rows[rows.length - 1].refused), summary('on').refused.total);
    });
  },
);
