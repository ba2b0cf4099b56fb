import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreaker } from '../../src/order/circuit-breaker.ts';

test('closed -> open after N consecutive failures; a success in between resets the count', () => {
  const b = new CircuitBreaker({ failureThreshold: 3, openNs: 100, halfOpenProbes: 2 });
  const seen: string[] = [];
  b.onChange((from, to, reason) => seen.push(`${from}>${to}:${reason}`));
  b.failure(0, 'x');
  b.failure(0, 'x');
  b.success(0);
  b.failure(0, 'x');
  b.failure(0, 'x');
  assert.equal(b.state, 'closed');
  b.failure(1, 'venue down');
  assert.equal(b.state, 'open');
  assert.equal(b.allow(50), false);
  assert.deepEqual(seen, ['closed>open:3 consecutive venue failures, last: venue down']);
});

test('open -> half-open after the open period: a bounded number of probes; success closes, failure reopens', () => {
  const b = new CircuitBreaker({ failureThreshold: 1, openNs: 100, halfOpenProbes: 2 });
  b.failure(0, 'x');
  assert.equal(b.allow(99), false);
  assert.equal(b.allow(100), true);
  assert.equal(b.state, 'half_open');
  assert.equal(b.allow(100), true);
  assert.equal(b.allow(100), false, 'probes exhausted');
  b.failure(120, 'probe rejected');
  assert.equal(b.state, 'open');
  assert.equal(b.allow(150), false, 'a fresh open period');
  assert.equal(b.allow(220), true);
  b.success(230);
  assert.equal(b.state, 'closed');
  assert.equal(b.opens, 2);
});

test('a threshold of 0 disables the breaker', () => {
  const b = new CircuitBreaker({ failureThreshold: 0, openNs: 100, halfOpenProbes: 1 });
  for (let i = 0; i < 100; i++) b.failure(i, 'x');
  assert.equal(b.state, 'closed');
  assert.equal(b.allow(100), true);
});
