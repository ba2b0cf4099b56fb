import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Rng } from '../../../src/core/rng.ts';
import { type SearchData, searchDataOf } from '../../../src/research/search/data.ts';
import { runSearch } from '../../../src/research/search/search.ts';
import { TrialLedger } from '../../../src/research/search/trial-ledger.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-search-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 3000 one-second samples: `lead` predicts the next return, `noise` does not; mid is a random walk. */
function planted(seed: number): SearchData {
  const r = new Rng(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
  const n = 3000;
  const rows = { bar: [] as number[], values: [] as number[][], mid: [] as number[] };
  let mid = 20_000;
  let prev = mid;
  for (let k = 0; k < n; k++) {
    const lead = g();
    rows.bar.push(1_000_000 + k);
    rows.values.push([mid, lead, g(), Math.log(mid / prev)]);
    rows.mid.push(mid);
    prev = mid;
    mid *= Math.exp(0.0004 * lead + 0.0016 * g());
  }
  return searchDataOf(['mid', 'lead', 'noise', 'ret_1'], rows, {
    barMs: 1000,
    featureSet: 'test@1',
    symbol: 'TEST',
    sources: [{ file: 'planted', bytes: seed }],
  });
}

const fixed = () => new Date('2026-12-05T08:00:00Z');

test('genetic search finds the planted signal, is the same for the same seed, and records every trial', async () => {
  const data = planted(1);
  const file = path.join(dir, 'a.jsonl');
  const run = (seed: number, f: string) =>
    runSearch({
      data,
      mode: 'genetic',
      seed,
      population: 20,
      generations: 4,
      ledger: new TrialLedger(f),
      now: fixed,
    });
  const a = await run(5, file);
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(lines.length, a.trials, 'one ledger line per trial');
  assert.equal(a.trials_total, a.trials);
  assert.equal(
    new Set(lines.map((l) => JSON.parse(l).expression)).size,
    a.trials,
    'each trial a distinct formula',
  );
  assert.equal(
    a.trials,
    20 + 4 * (20 - 6),
    'initial population, then 14 children per generation (6 survive)',
  );
  const origins = new Set(lines.map((l) => JSON.parse(l).origin));
  assert.ok(origins.has('mutation') && origins.has('crossover'), [...origins].join(','));
  const best = a.results[0];
  assert.ok(best.variables.includes('lead'), best.expression);
  assert.ok(
    best.sharpe_test > 5 && best.ic_test > 0.15,
    `out of sample ${best.sharpe_test}, IC ${best.ic_test}`,
  );
  // The DSR deflates by the spread of every trial's Sharpe ratio; a search that converges on
  // variants of one real signal widens that spread itself, so the DSR stays conservative here.
  assert.ok(best.dsr > 0 && best.dsr < 1, `dsr ${best.dsr}`);
  assert.ok(a.pbo !== null && a.pbo.pbo < 0.2, `pbo ${a.pbo?.pbo}`);
  // Same seed, same data: the same trials and results (another ledger file).
  const b = await run(5, path.join(dir, 'b.jsonl'));
  assert.deepEqual(
    b.results.map((r) => [r.expression, r.fitness]),
    a.results.map((r) => [r.expression, r.fitness]),
  );
  assert.notDeepEqual(
    (await run(6, path.join(dir, 'c.jsonl'))).results.map((r) => r.expression),
    a.results.map((r) => r.expression),
  );
});

test('trials accumulate per data key across searches, and the DSR deflates by all of them', async () => {
  const data = planted(2);
  const ledger = new TrialLedger(path.join(dir, 'acc.jsonl'));
  const first = await runSearch({ data, mode: 'random', seed: 1, trials: 40, ledger, now: fixed });
  assert.equal(first.trials, 40);
  assert.equal(first.trials_total, 40);
  const second = await runSearch({ data, mode: 'random', seed: 2, trials: 60, ledger, now: fixed });
  const lines = readFileSync(path.join(dir, 'acc.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 100, 'every trial of both searches written');
  const distinct = new Set(lines.map((l) => JSON.parse(l).expression)).size;
  assert.ok(distinct < 100, 'the two seeds drew some formulas in common');
  assert.equal(second.trials_total, distinct, 'a formula scored twice is one hypothesis');
  // The same search again adds lines but no hypothesis.
  const repeat = await runSearch({ data, mode: 'random', seed: 2, trials: 60, ledger, now: fixed });
  assert.equal(repeat.trials_total, distinct);
  assert.ok(second.sr0_test > first.sr0_test, 'more trials, a higher bar');
  // Another target (horizon) is another key: counted apart.
  const other = await runSearch({
    data,
    mode: 'random',
    seed: 1,
    trials: 10,
    horizon: 2,
    ledger,
    now: fixed,
  });
  assert.equal(other.trials_total, 10);
  assert.notEqual(other.data_key, first.data_key);
});

test('noise only: nothing passes the DSR, and PBO says the winner is overfit', async () => {
  const r = new Rng(9);
  const data = planted(3);
  // Replace the planted feature by noise.
  const lead = data.cols.lead;
  for (let i = 0; i < lead.length; i++) lead[i] = r.next() - 0.5;
  const out = await runSearch({
    data,
    mode: 'template',
    seed: 1,
    templates: ['ts_mean({f}, {w})', 'zscore({f}, {w})', 'decay_linear({f}, {w})'],
    grid: { f: ['lead', 'noise'], w: ['2', '3', '5', '8', '13', '21', '34'] },
    ledger: new TrialLedger(path.join(dir, 'noise.jsonl')),
    now: fixed,
  });
  assert.equal(out.trials, 3 * 2 * 7);
  assert.equal(
    out.results.filter((x) => x.passed).length,
    0,
    out.results.map((x) => `${x.expression} ${x.dsr}`).join('; '),
  );
  assert.ok(out.pbo !== null && out.pbo.pbo > 0.2, `pbo ${out.pbo?.pbo}`);
});

test('bad options are one-line errors', async () => {
  const data = planted(4);
  const ledger = new TrialLedger(path.join(dir, 'bad.jsonl'));
  await assert.rejects(() => runSearch({ data, mode: 'random', seed: 1, ledger, split: 1 }), /--split/);
  await assert.rejects(() => runSearch({ data, mode: 'random', seed: 1, ledger, horizon: 0 }), /--horizon/);
  await assert.rejects(
    () => runSearch({ data, mode: 'random', seed: 1, ledger, pool: ['zscore(mid, 5)'] }),
    /raw price level 'mid'/,
  );
});

test('worker threads score the same trials as this thread', { timeout: 300_000 }, async () => {
  const data = planted(5);
  const strip = (f: string) =>
    readFileSync(f, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const { at: _at, ...rest } = JSON.parse(l);
        return rest;
      });
  for (const mode of ['random', 'genetic'] as const) {
    const one = path.join(dir, `w1-${mode}.jsonl`);
    const two = path.join(dir, `w2-${mode}.jsonl`);
    const o = {
      data,
      mode,
      seed: 3,
      trials: 70,
      population: 12,
      generations: 2,
      pool: ['ts_mean(lead, 5)'],
      now: fixed,
    };
    const a = await runSearch({ ...o, ledger: new TrialLedger(one) });
    const b = await runSearch({ ...o, ledger: new TrialLedger(two), workers: 2 });
    assert.deepEqual(strip(two), strip(one), mode);
    assert.deepEqual(b.results, a.results);
    assert.deepEqual(b.pbo, a.pbo);
  }
});
