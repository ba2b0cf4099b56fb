import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScaledDecimal, parseSecondsToNs } from '../../../src/venues/replay/scaled-decimal.ts';

test('scales decimal strings exactly where float multiplication would not', () => {
  // 0.29 * 100 = 28.999999999999996 in floats.
  assert.equal(parseScaledDecimal('0.29', 2), 29);
  assert.equal(parseScaledDecimal('61837.63000000', 2), 6183763);
  assert.equal(parseScaledDecimal('25.42618900', 8), 2542618900);
  assert.equal(parseScaledDecimal('0.014', 3), 14);
  assert.equal(parseScaledDecimal('61800.3', 2), 6180030);
  assert.equal(parseScaledDecimal('7', 2), 700);
  assert.equal(parseScaledDecimal('0.000', 3), 0);
});

test('rejects malformed strings and digits finer than the scale', () => {
  assert.ok(Number.isNaN(parseScaledDecimal('61837.635', 2)));
  assert.ok(Number.isNaN(parseScaledDecimal('1.2.3', 2)));
  assert.ok(Number.isNaN(parseScaledDecimal('-1', 2)));
  assert.ok(Number.isNaN(parseScaledDecimal('', 2)));
  assert.ok(Number.isNaN(parseScaledDecimal('.', 2)));
  assert.ok(Number.isNaN(parseScaledDecimal('1e5', 2)));
  assert.ok(Number.isNaN(parseScaledDecimal('99999999999999999', 2)));
});

test('parses seconds after midnight to integer nanoseconds', () => {
  assert.equal(parseSecondsToNs('34200.004241176'), 34_200_004_241_176);
  assert.equal(parseSecondsToNs('34200.00426064'), 34_200_004_260_640);
  assert.equal(parseSecondsToNs('57600'), 57_600_000_000_000);
});
