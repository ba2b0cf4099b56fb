/**
 * Many alphas in one run: their reports' drift samples are thinned together to fit the run row,
 * so none is lost to the recorder's 256 KB cap (which replaces the whole summary by a note).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlphaMonitor, type AlphaRunReport } from '../../src/alpha/alpha-monitor.ts';
import { fitAlphaReports, SAMPLES_BUDGET_BYTES } from '../../src/alpha/report-budget.ts';
import { SYNTHETIC_SYMBOL } from '../../src/alpha/testing.ts';
import type { LobStats } from '../../src/contracts/market.ts';
import { Rng } from '../../src/core/rng.ts';

function report(id: string, seed: number, seconds: number): AlphaRunReport {
  const m = new AlphaMonitor(id, SYNTHETIC_SYMBOL, 'shadow', 1, 1e6, 1);
  const rng = new Rng(seed);
  let mid = 10_000;
  const st = { mid } as LobStats;
  for (let s = 0; s < seconds; s++) {
    mid += rng.next() < 0.5 ? -100 : 100;
    st.mid = mid;
    m.onEvent(s * 1e9 + 5e8, rng.next() * 2 - 1, st);
  }
  return m.report();
}

test('forty alphas: every report kept, samples thinned alike to fit, under the run row cap', () => {
  const reports: Record<string, unknown> = { mm: { quotes: 3 } };
  for (let i = 0; i < 40; i++) reports[`a${i}`] = report(`alpha_${i}`, i + 1, 3000);
  const r0 = reports.a0 as AlphaRunReport;
  assert.equal(r0.samples.step_s, 4, '3,000 seconds over 1,024 samples');
  assert.ok(JSON.stringify(reports).length > 256 * 1024, 'the defect: over the recorder cap as it was');

  const fit = fitAlphaReports(reports);
  assert.deepEqual(Object.keys(fit), Object.keys(reports));
  assert.deepEqual(fit.mm, reports.mm);
  let bytes = 0;
  for (let i = 0; i < 40; i++) {
    const a = fit[`a${i}`] as AlphaRunReport;
    const b = reports[`a${i}`] as AlphaRunReport;
    assert.equal(a.alpha_id, `alpha_${i}`);
    assert.equal(a.intents, b.intents);
    const k = a.samples.step_s / b.samples.step_s;
    assert.ok(k >= 2 && Number.isInteger(Math.log2(k)), `k ${k}`);
    assert.equal(a.samples.signal.length, Math.ceil(b.samples.signal.length / k));
    assert.equal(a.samples.signal[1], b.samples.signal[k], 'every k-th sample, spread over the run');
    assert.equal(a.samples.mid_return[1], b.samples.mid_return[k]);
    assert.ok(a.samples.signal.length >= 32, `${a.samples.signal.length} samples left`);
    bytes += JSON.stringify(a.samples.signal).length + JSON.stringify(a.samples.mid_return).length;
  }
  assert.ok(bytes <= SAMPLES_BUDGET_BYTES * 1.01, `${bytes} bytes of samples`);
  assert.ok(JSON.stringify(fit).length < 200 * 1024);

  // Under the budget nothing changes.
  const few = { a: reports.a0, b: reports.a1 };
  assert.equal(fitAlphaReports(few), few);
});
