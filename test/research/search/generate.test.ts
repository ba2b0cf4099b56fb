import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/core/rng.ts';
import { exprDepth, formatExpr, parseExpr } from '../../../src/research/search/expr.ts';
import {
  crossover,
  expandTemplates,
  grammarOf,
  mutate,
  parseGrid,
  randomExpr,
} from '../../../src/research/search/generate.ts';

const NAMES = ['mid', 'microprice', 'ofi_5', 'imbalance_l1', 'spread_ticks', 'ret_1'];
const g = grammarOf(NAMES, 3);
const reparse = (text: string) => parseExpr(text, { features: NAMES, maxDepth: 3 });

test('random formulas are valid, within the depth limit, and the same for the same seed', () => {
  const draw = (seed: number) => {
    const r = new Rng(seed);
    return Array.from({ length: 200 }, () => formatExpr(randomExpr(r, g)));
  };
  const a = draw(7);
  assert.deepEqual(draw(7), a);
  assert.notDeepEqual(draw(8), a);
  for (const t of a) assert.ok(exprDepth(reparse(t)) <= 3, t);
  assert.ok(new Set(a).size > 100, 'draws are varied');
  assert.ok(
    a.some((t) => /ts_delta\((mid|microprice),/.test(t)),
    'raw prices appear, through ts_delta only',
  );
});

test('mutation gives valid children that differ from the parent; both subtree and point mutations happen', () => {
  const r = new Rng(11);
  let subtree = 0;
  let point = 0;
  for (let i = 0; i < 300; i++) {
    const parent = randomExpr(r, g);
    const child = mutate(r, g, parent);
    assert.ok(child !== null);
    const pt = formatExpr(parent);
    const ct = formatExpr(child);
    assert.notEqual(ct, pt);
    assert.equal(formatExpr(reparse(ct)), ct, 'the child parses back to itself: a valid tree');
    // Same shape with one label changed is a point mutation; anything else regrew a subtree.
    const shape = (t: string) => t.replace(/[a-z_0-9.]+/g, 'T');
    if (shape(pt) === shape(ct)) point++;
    else subtree++;
  }
  assert.ok(subtree > 30 && point > 30, `subtree ${subtree}, point ${point}`);
});

test('crossover swaps a subtree of one parent into the other: valid, different from both, made of their parts', () => {
  const r = new Rng(12);
  const a = parseExpr('zscore(ts_delta(ofi_5, 5), 20)');
  const b = parseExpr('sign(ts_corr(imbalance_l1, ret_1, 10))');
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const child = crossover(r, g, a, b);
    assert.ok(child !== null);
    const t = formatExpr(child);
    assert.notEqual(t, formatExpr(a));
    assert.notEqual(t, formatExpr(b));
    assert.equal(formatExpr(reparse(t)), t);
    // Every child holds a piece of b (a's root itself may be the node replaced).
    assert.ok(/imbalance_l1|ret_1|ts_corr|sign/.test(t), t);
    seen.add(t);
  }
  assert.ok(seen.size >= 4, [...seen].join(' | '));
  assert.ok(
    seen.has(
      'zscore(ts_delta(ofi_5, 5), 20)'.replace('ts_delta(ofi_5, 5)', 'ts_corr(imbalance_l1, ret_1, 10)'),
    ),
  );
});

test('templates expand over the grid (sorted keys, defaults for f and w), duplicates once, invalid ones counted', () => {
  const grid = parseGrid('w=5,10; f=ofi_5,ret_1');
  assert.deepEqual(grid, { w: ['5', '10'], f: ['ofi_5', 'ret_1'] });
  const ex = expandTemplates(['zscore(ts_delta({f}, {w}), {w})', 'sign({f})', 'zscore({f}, {w})'], grid, g);
  assert.deepEqual(ex.formulas.slice(0, 4), [
    'zscore(ts_delta(ofi_5, 5), 5)',
    'zscore(ts_delta(ofi_5, 10), 10)',
    'zscore(ts_delta(ret_1, 5), 5)',
    'zscore(ts_delta(ret_1, 10), 10)',
  ]);
  assert.equal(ex.formulas.length, 4 + 2 + 4);
  const raw = expandTemplates(['zscore({f}, 5)'], { f: ['mid', 'ofi_5'] }, g);
  assert.deepEqual(raw, { formulas: ['zscore(ofi_5, 5)'], invalid: 1 });
  assert.equal(expandTemplates(['sign({f})'], {}, g).formulas.length, g.features.length);
  assert.throws(() => parseGrid('w'), /k=v1,v2/);
  assert.throws(() => expandTemplates(['{q}'], {}, g), /no --grid values for \{q\}/);
  assert.throws(
    () => expandTemplates(['zscore(mid, {w})'], {}, g),
    /gives no valid formula .*raw price level/,
  );
});
