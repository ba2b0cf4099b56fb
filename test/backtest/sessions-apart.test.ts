import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';
import { hft, readCsv, tmpDir } from './helpers.ts';

const STEM = 'AAPL_2012-06-21_34200000_57600000';
/** The same LOBSTER sample replayed as a second session 240 days later (its date is in its name). */
const LATER = 'AAPL_2013-02-16_34200000_57600000';

describe('a backtest over two sessions 240 days apart', requireData(), () => {
  // Before rows followed the calendar it ran out of heap after minutes: bounded, so that fails rather than hangs.
  test('takes rows only where there is data, evaluates the guard only then, and completes', {
    timeout: 300_000,
  }, async () => {
    const dir = tmpDir('hft-bt-apart-');
    for (const stem of [STEM, LATER])
      for (const kind of ['message', 'orderbook'])
        copyFileSync(dataFile(`${STEM}_${kind}_10.csv`), path.join(dir, `${stem}_${kind}_10.csv`));
    const strategies = path.join(dir, 'strategies.yaml');
    writeFileSync(
      strategies,
      `strategies:
  - id: mm-aapl
    class: market_maker
    symbols: [AAPL]
    params: { order_qty: 10, half_spread_ticks: 1, max_inventory: 20, skew_ticks_per_unit: 0.01, requote_ticks: 1 }
`,
    );
    const out = path.join(dir, 'out');
    const r = await hft([
      'backtest',
      'run',
      '--strategy',
      'mm-aapl',
      '--data',
      ...[STEM, LATER].map((s) => path.join(dir, `${s}_message_10.csv`)),
      '--out',
      out,
      '--set',
      `strategies_file=${strategies}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.ok(s.period.data_s > 240 * 86_400 - 3600, `${s.period.data_s} s span`);
    assert.equal(s.sessions.length, 2);
    // Each session is 49 s of data: at most a row per second of each, one per fill and the last.
    const sessionS = s.sessions.map(
      (x: { start: string; end: string }) => (Date.parse(x.end) - Date.parse(x.start)) / 1000,
    );
    assert.ok(
      sessionS.every((d: number) => d > 40 && d < 60),
      `${sessionS}`,
    );
    const rows = readCsv(path.join(out, 'equity.csv'));
    const bound = Math.ceil(sessionS[0]) + Math.ceil(sessionS[1]) + 2 + s.trades + 1;
    assert.ok(
      rows.length > 80 && rows.length <= bound,
      `${rows.length} equity rows (at most ${bound}; 20.7M at one per second)`,
    );
    const end0 = Date.parse(s.sessions[0].end) * 1e6;
    const start1 = Date.parse(s.sessions[1].start) * 1e6;
    assert.equal(
      rows.filter((x) => Number(x.ts) > end0 + 1e9 && Number(x.ts) < start1 - 1e9).length,
      0,
      'no row in the gap',
    );
    // StormGuard (observed) evaluates every 250 ms while there is work, not through the 240 days (83M).
    assert.ok(s.guard.evaluations > 300 && s.guard.evaluations < 2000, `${s.guard.evaluations} evaluations`);
    assert.ok(s.trades > 0, 'the strategy traded in the sessions');
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.match(html, /\/\/ 240\.0 d</, 'the report cuts the 240 days out of the time axis and says so');
  });
});
