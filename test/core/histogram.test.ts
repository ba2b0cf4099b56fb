import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyHistogram } from '../../src/core/histogram.ts';

test('a percentile is never above the largest value recorded (a bucket edge is)', () => {
  const h = new LatencyHistogram();
  for (let i = 0; i < 99; i++) h.record(1_000);
  h.record(4_454_660);
  assert.equal(h.max, 4_454_660);
  assert.equal(h.percentile(100), 4_454_660);
  assert.equal(h.percentile(99.5), 4_454_660);
  assert.ok(Math.abs(h.percentile(50) - 1_000) <= 1, 'within the histogram precision');
  assert.equal(new LatencyHistogram().percentile(99), 0, 'empty');
});
