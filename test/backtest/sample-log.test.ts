import assert from 'node:assert/strict';
import { test } from 'node:test';
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
