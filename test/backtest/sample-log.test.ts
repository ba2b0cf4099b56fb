import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ORDER_EVENTS, OrderLog } from '../../src/backtest/order-log.ts';
import { SampleLog } from '../../src/backtest/sample-log.ts';

test('SampleLog keeps every row across chunks and returns columns in order', () => {
  const log = new SampleLog(3);
  const n = 10_000; // several chunks
  for (let i = 0; i < n; i++) {
    const off = log.add();
    log.chunk[off] = i;
    log.chunk[off + 1] = -i;
    log.chunk[off + 2] = i * 0.5;
  }
  assert.equal(log.length, n);
  const a = log.column(0);
  const b = log.column(1);
  const c = log.column(2);
  assert.equal(a.length, n);
  for (const i of [0, 1, 4095, 4096, 4097, n - 1]) {
    assert.equal(a[i], i);
    assert.equal(b[i], -i);
    assert.equal(c[i], i * 0.5);
    assert.equal(log.get(i, 1), -i);
  }
  assert.deepEqual(new SampleLog(2).column(1), []);
});

test('the order log codes every event kind and reads it back', () => {
  const log = new OrderLog();
  for (const [i, e] of ORDER_EVENTS.entries())
    log.push(i, 100 + i, 0, e, 1, 5, 2, 0, 2, e === 'reject' ? 'RISK' : '');
  assert.deepEqual(
    ORDER_EVENTS.map((_, i) => log.row(i).event),
    [...ORDER_EVENTS],
  );
  assert.equal(log.row(2).reason, 'RISK');
  assert.equal(log.row(3).reason, '');
});
