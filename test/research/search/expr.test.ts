import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { UserError } from '../../../src/core/errors.ts';
import {
  exprDepth,
  exprVariables,
  formatExpr,
  isRawPrice,
  parseExpr,
} from '../../../src/research/search/expr.ts';

const FEATURES = ['ofi_5', 'imbalance_l1', 'spread_ticks', 'mid', 'microprice', 'ret_1'];
const rejects = (src: string, why: RegExp, opts = {}) =>
  assert.throws(
    () => parseExpr(src, { features: FEATURES, ...opts }),
    (e: unknown) => e instanceof UserError && why.test(e.message) && !e.message.includes('\n'),
    src,
  );

test('parses numbers, features, + - * /, unary minus, calls, with precedence; canonical text re-parses to the same tree', () => {
  const e = parseExpr('ofi_5 + 2 * -imbalance_l1 / (spread_ticks - 1)', { features: FEATURES, maxDepth: 6 });
  assert.equal(formatExpr(e), '(ofi_5 + ((2 * -(imbalance_l1)) / (spread_ticks - 1)))');
  const z = parseExpr('zscore(ts_delta(ofi_5, 5), 5)', { features: FEATURES });
  assert.equal(exprDepth(z), 3, "the original's rule: this formula is exactly depth 3");
  for (const src of [
    'zscore(ts_delta(ofi_5, 5), 5)',
    'ts_corr(ofi_5, ret_1, 20)',
    'rank(ofi_5)',
    '-ofi_5 * 1.5e-3',
    'div(ofi_5, spread_ticks) - -3',
  ]) {
    const a = parseExpr(src, { features: FEATURES });
    assert.deepEqual(parseExpr(formatExpr(a), { features: FEATURES }), a, src);
  }
  assert.deepEqual(exprVariables(parseExpr('ts_corr(ret_1, ofi_5, 5) + ofi_5')), ['ofi_5', 'ret_1']);
});

test('depth limit: default 3, configurable; window literals count as arguments', () => {
  rejects('zscore(ts_delta(ts_mean(ofi_5, 3), 5), 5)', /deeper than the depth limit 3/);
  rejects('abs(abs(abs(ofi_5)))', /depth limit 3/);
  rejects('ofi_5 + (ofi_5 * (ofi_5 - ofi_5))', /depth limit 3/);
  assert.doesNotThrow(() => parseExpr('abs(abs(abs(ofi_5)))', { features: FEATURES, maxDepth: 4 }));
  rejects('abs(ts_mean(ofi_5, 5))', /depth limit 2/, { maxDepth: 2 });
});

test('rejects unknown features and operators, wrong arities and windows that are not integer literals', () => {
  rejects('ofi_6', /unknown feature 'ofi_6'/);
  rejects('foo(ofi_5)', /unknown operator 'foo'/);
  rejects('ts_mean(ofi_5)', /ts_mean takes 2 arguments, got 1/);
  rejects('sign(ofi_5, 3)', /sign takes 1 arguments, got 2/);
  rejects('zscore(ofi_5, 5, 5)', /zscore takes 1 or 2 arguments, got 3/);
  rejects('ts_mean(ofi_5, ret_1)', /window .* integer literal/);
  rejects('ts_mean(ofi_5, 2.5)', /window .* integer literal/);
  rejects('ts_mean(ofi_5, -3)', /window .* integer literal/);
  rejects('ts_mean(ofi_5, 0)', /window .* integer literal/);
  rejects('3 + 4', /uses no feature/);
  rejects('ts_mean', /operator 'ts_mean' used without arguments/);
});

test('raw price levels only through ts_delta', () => {
  assert.ok(
    isRawPrice('mid') && isRawPrice('microprice') && isRawPrice('bid_px') && isRawPrice('last_price'),
  );
  assert.ok(!isRawPrice('spread_ticks') && !isRawPrice('price_delta') && !isRawPrice('mid_return'));
  rejects('zscore(mid, 20)', /raw price level 'mid' is not allowed/);
  rejects('microprice - mid', /raw price level/);
  rejects('ts_delta(ofi_5, 3) + mid', /raw price level 'mid'/);
  assert.doesNotThrow(() => parseExpr('zscore(ts_delta(mid, 5), 20)', { features: FEATURES }));
  assert.doesNotThrow(() => parseExpr('zscore(mid, 20)', { features: FEATURES, rawPriceGuard: false }));
});

test('anything outside the grammar is refused, and the parser never evaluates text', () => {
  for (const src of [
    'process.exit(1)',
    'ofi_5 ** 2',
    'ofi_5 % 2',
    'ofi_5[0]',
    'ofi_5 > 0',
    '`ofi_5`',
    "require('fs')",
    'ofi_5; 1',
    'ts_mean(ofi_5, w=5)',
    '(ofi_5',
    'ofi_5)',
    'ofi_5 ofi_5',
    '',
  ])
    rejects(src, /formula|unexpected|expected/);
  // The parser is our own: the module never reaches for eval or Function.
  const text = readFileSync(new URL('../../../src/research/search/expr.ts', import.meta.url), 'utf8');
  assert.ok(!/\beval\s*\(|new Function\s*\(/.test(text));
  assert.throws(() => parseExpr('x'.repeat(3000)), /longer than/);
});
