import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { RiskLimits } from '../../src/config/schema.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { loadLimitsFile, resolveLimits } from '../../src/risk/limits.ts';
import { repoRoot } from '../helpers/symbols.ts';

const DEFAULTS: RiskLimits = {
  max_order_qty: 10,
  max_position: 20,
  price_band_ticks: 50,
  max_notional: 0,
  max_open_orders: 20,
  max_orders_per_s: 20,
  self_trade_prevention: true,
  duplicate_window_ms: 1000,
};
const KNOWN = new Set(['TXFD6', '2330']);

function file(text: string): string {
  const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'hft-limits-')), 'strategy_limits.yaml');
  writeFileSync(f, text);
  return f;
}

test('layering: defaults < symbol < strategy < strategies.yaml risk < strategy x symbol', () => {
  const f = loadLimitsFile(
    file(`
symbols:
  TXFD6: { max_order_qty: 5, max_notional: 1000000, price_band_ticks: 30 }
strategies:
  mm:
    max_order_qty: 3
    duplicate_window_ms: 0
    symbols:
      TXFD6: { max_position: 4 }
`),
    KNOWN,
  );
  const mm = resolveLimits(DEFAULTS, f, 'mm', 'TXFD6', { max_order_qty: 2, max_position: 9 });
  assert.equal(mm.maxOrderQty, 2, "the strategy's own risk: wins over the file's strategy section");
  assert.equal(mm.maxPosition, 4, 'strategy x symbol is the most specific');
  assert.equal(mm.priceBandTicks, 30, 'from the symbol');
  assert.equal(mm.maxNotional, 1_000_000 * 10_000, 'currency -> money units');
  assert.equal(mm.duplicateWindowNs, 0);
  const other = resolveLimits(DEFAULTS, f, 'other', 'TXFD6');
  assert.equal(other.maxOrderQty, 5);
  assert.equal(other.duplicateWindowNs, 1000 * 1_000_000);
  assert.equal(resolveLimits(DEFAULTS, f, 'mm', '2330').maxOrderQty, 3);
  assert.equal(resolveLimits(DEFAULTS, f, 'x', '2330').maxOrderQty, 10);
});

test('unknown keys and unknown symbols are config errors naming the file and key', () => {
  assert.throws(
    () => loadLimitsFile(file('symbols:\n  TXFD6: { max_qty: 1 }\n'), KNOWN),
    (e: unknown) =>
      e instanceof ConfigError && /symbols\.TXFD6\.max_qty/.test(e.message) && /unknown key/.test(e.message),
  );
  assert.throws(
    () => loadLimitsFile(file('strategies:\n  a: { symbols: { NOPE: { max_position: 1 } } }\n'), KNOWN),
    (e: unknown) => e instanceof ConfigError && /strategies\.a\.symbols\.NOPE/.test(e.message),
  );
  assert.throws(
    () => loadLimitsFile(file('symbols:\n  TXFD6: { max_position: -1 }\n'), KNOWN),
    (e: unknown) => e instanceof ConfigError && /max_position/.test(e.message),
  );
});

test('the shipped strategy_limits.yaml loads', () => {
  const f = loadLimitsFile(path.join(repoRoot, 'config/strategy_limits.yaml'), KNOWN);
  assert.equal(resolveLimits(DEFAULTS, f, 'mm-txf', 'TXFD6').maxPosition, 10);
  assert.equal(resolveLimits(DEFAULTS, f, 'mm-2330', '2330').maxOrderQty, 2000);
});
