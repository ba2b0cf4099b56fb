import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activeBars, computeScorecard, icBlocks } from '../../src/alpha/scorecard.ts';
import { deflatedSharpe, expectedMaxSharpe, normCdf, probabilisticSharpe } from '../../src/alpha/stats.ts';

const S = 1e9;
const MIN = 60 * S;
const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/**
 * A hand-made day: 100 one-minute bars from 00:00 UTC whose PnL changes repeat +3, -1, +2, -2
 * (mean 0.5, population sd sqrt(4.25)), equity sampled every 30 s, all bars active.
 */
function handMade(): { ts: number[]; equity: number[]; active: number[] } {
  const pattern = [3, -1, 2, -2];
  const ts: number[] = [];
  const equity: number[] = [];
  const active: number[] = [];
  let e = 0;
  for (let b = 0; b < 100; b++) {
    // Mid-bar sample (the bar's PnL arrives at its end).
    ts.push(b * MIN + 30 * S);
    equity.push(e);
    active.push(1);
    e += pattern[b % 4];
    ts.push(b * MIN + 59 * S);
    equity.push(e);
    active.push(1);
  }
  return { ts, equity, active };
}

test('active bars hold the PnL change of each bar with data; a bar without data is left out', () => {
  const e = handMade();
  const b = activeBars(e, MIN);
  assert.equal(b.change.length, 100);
  assert.deepEqual(b.change.slice(0, 5), [3, -1, 2, -2, 3]);
  const quiet = { ...e, active: e.active.map((a, i) => (i >= 20 && i < 30 ? 0 : a)) };
  assert.equal(activeBars(quiet, MIN).change.length, 95);
});

test('Sharpe IS/OOS (annualized for the bar length), drawdown and turnover of a known series', () => {
  const e = handMade();
  const sig = { n: 0, exchTs: [], signal: [], mid: [] };
  const sc = computeScorecard(
    e,
    sig,
    {
      fillTs: [],
      fillQty: [],
      orderedQty: 10,
      filledQty: 8,
      takerQty: 2,
      tradedValue: 50_000,
      marketTs: [],
      marketQty: [],
    },
    {
      isOosSplit: 0.6,
      barNs: MIN,
      capital: 100,
      horizonsNs: [10 * S],
      maxPosition: 1,
      otherTrials: [],
    },
    () => '2026-04-08',
  );
  // 100 bars on one UTC day: 252 x 100 bars a year. Mean 0.5, population sd sqrt(4.25).
  const perYear = 252 * 100;
  const sr = (0.5 / Math.sqrt(4.25)) * Math.sqrt(perYear);
  assert.equal(sc.periods_per_year, perYear);
  assert.equal(sc.bars_is, 60);
  assert.equal(sc.bars_oos, 40);
  close(sc.sharpe_is, sr, 1e-5, 'sharpe_is');
  close(sc.sharpe_oos, sr, 1e-5, 'sharpe_oos');
  // Sortino: mean over the root mean square of the losses (1 and 2 in every 4 bars).
  close(sc.sortino_oos, (0.5 / Math.sqrt((1 + 4) / 4)) * Math.sqrt(perYear), 1e-5, 'sortino');
  // The deepest fall from a peak: +3 -1 +2 -2 peaks at 4 then falls 2 (bars 3-4), as fraction of capital 100.
  assert.equal(sc.max_drawdown_currency, 2);
  close(sc.max_drawdown, -0.02, 1e-12, 'max_drawdown');
  // 50,000 traded over one day on a capital of 100.
  assert.equal(sc.turnover, 500);
  assert.equal(sc.fill_ratio, 0.8);
  assert.equal(sc.maker_share, 0.75);
  assert.equal(sc.split_ts, 60 * MIN);
  assert.equal(sc.pnl_oos, 10 * 2);
});

test('IC of a signal that knows the next return is 1, of its opposite -1, and only the OOS slice counts', () => {
  // Mid moves every 100 ms; the signal at each event is the log return of the next 10 s.
  const n = 2000 * 10;
  const exchTs: number[] = [];
  const mid: number[] = [];
  let m = 10_000;
  for (let i = 0; i < n; i++) {
    exchTs.push(i * 0.1 * S);
    m += Math.round(Math.sin(i / 37) * 5 + Math.cos(i / 11) * 3);
    mid.push(m);
  }
  // Signal at event i = ln(mid at the last event at or before t + 10 s / mid_i).
  const signal = exchTs.map((t, i) => {
    const j = Math.min(n - 1, i + 100);
    return Math.log(mid[j] / mid[i]) + (t > 1e15 ? 1 : 0);
  });
  const s = { n, exchTs, signal, mid };
  const ic = icBlocks(s, 0, n * 0.1 * S, 10 * S);
  assert.ok(ic.ics.length >= 19, `blocks ${ic.ics.length}`);
  for (const c of ic.ics) close(c, 1, 1e-9, 'perfect foresight');
  const neg = icBlocks({ ...s, signal: signal.map((x) => -x) }, 0, n * 0.1 * S, 10 * S);
  for (const c of neg.ics) close(c, -1, 1e-9, 'opposite');
  // The OOS slice starts halfway: fewer samples.
  const half = icBlocks(s, (n * 0.1 * S) / 2, n * 0.1 * S, 10 * S);
  assert.ok(half.samples < ic.samples * 0.55 && half.samples > ic.samples * 0.45);
});

test('Deflated Sharpe Ratio: PSR against 0 with one trial, against the expected maximum with several', () => {
  // Bailey & Lopez de Prado (2014), by the formula: SR 0.1 per bar over 250 bars, normal returns.
  const psr = probabilisticSharpe(0.1, 0, 250, 0, 3);
  close(psr, normCdf((0.1 * Math.sqrt(249)) / Math.sqrt(1 + 0.5 * 0.01)), 1e-12, 'PSR');
  close(psr, 0.94226, 1e-4, 'PSR value: Phi(1.5741)');
  // 10 trials whose Sharpe ratios vary with variance 0.01: SR0 = 0.1 * ((1-g) z(0.9) + g z(1 - 1/(10e))).
  const g = 0.5772156649015329;
  // z(0.9) = 1.28155, z(1 - 1/(10e)) = z(0.963212) = 1.78924 (normal tables).
  const sr0 = 0.1 * ((1 - g) * 1.28155 + g * 1.78924);
  close(expectedMaxSharpe(10, 0.01), sr0, 1e-5, 'SR0');
  const d = deflatedSharpe(0.1, 250, 0, 3, 10, 0.01);
  close(d.sr0, sr0, 1e-5, 'SR0 of the DSR');
  close(d.dsr, normCdf(((0.1 - d.sr0) * Math.sqrt(249)) / Math.sqrt(1.005)), 1e-12, 'DSR');
  assert.ok(d.dsr < 0.5, 'a Sharpe below the best of 10 lucky trials is deflated below one half');
  // Negative skew and fat tails widen the error of the Sharpe estimate: a lower PSR.
  assert.ok(probabilisticSharpe(0.1, 0, 250, -1, 6) < psr);
});

test("the scorecard's DSR counts this run and the other configurations in the ledger", () => {
  const e = handMade();
  const opts = { isOosSplit: 0.6, barNs: MIN, capital: 100, horizonsNs: [10 * S], maxPosition: 1 };
  const ex = {
    fillTs: [],
    fillQty: [],
    orderedQty: 0,
    filledQty: 0,
    takerQty: 0,
    tradedValue: 0,
    marketTs: [],
    marketQty: [],
  };
  const sig = { n: 0, exchTs: [], signal: [], mid: [] };
  const one = computeScorecard(e, sig, ex, { ...opts, otherTrials: [] }, () => 'd');
  const srBar = 0.5 / Math.sqrt(4.25);
  close(one.sharpe_oos_per_bar, srBar, 1e-6, 'per-bar SR');
  assert.equal(one.trials, 1);
  assert.equal(one.dsr_sr0, 0);
  // OOS bars: 40 of +3 -1 +2 -2 (skew 0, kurtosis of that pattern).
  const x = [3, -1, 2, -2];
  const m2 = x.reduce((a, v) => a + (v - 0.5) ** 2, 0) / 4;
  const m4 = x.reduce((a, v) => a + (v - 0.5) ** 4, 0) / 4;
  const m3 = x.reduce((a, v) => a + (v - 0.5) ** 3, 0) / 4;
  const skew = m3 / m2 ** 1.5;
  const kurt = m4 / (m2 * m2);
  close(one.dsr, probabilisticSharpe(srBar, 0, 40, skew, kurt), 1e-6, 'DSR with one trial');
  const others = [0.05, -0.02, 0.3];
  const many = computeScorecard(e, sig, ex, { ...opts, otherTrials: others }, () => 'd');
  assert.equal(many.trials, 4);
  const all = [...others, srBar];
  const mean = all.reduce((a, v) => a + v, 0) / 4;
  const variance = all.reduce((a, v) => a + (v - mean) ** 2, 0) / 3;
  close(many.dsr_sr0, expectedMaxSharpe(4, variance), 1e-6, 'SR0 from the ledger');
  assert.ok(many.dsr < one.dsr);
});
