import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

test('SampleLog rows read as the blank value until set, in every chunk', () => {
  const log = new SampleLog(2, Number.NaN);
  for (let i = 0; i < 5000; i++) log.add(); // two chunks
  log.set(4999, 1, 7);
  assert.ok(Number.isNaN(log.get(0, 0)));
  assert.ok(Number.isNaN(log.get(4096, 1)));
  assert.ok(Number.isNaN(log.get(4999, 0)));
  assert.equal(log.get(4999, 1), 7);
  const zeros = new SampleLog(1);
  zeros.add();
  assert.equal(zeros.get(0, 0), 0);
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

test('an order log with a spill file keeps one chunk in memory and reads back every row', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-order-log-'));
  const file = path.join(dir, 'orders.spill');
  const kept = new OrderLog();
  const spilled = new OrderLog(file);
  const n = 3 * 8192 + 5; // three full chunks and part of a fourth
  for (const log of [kept, spilled]) {
    for (let i = 0; i < n; i++)
      log.push(
        1e18 + i * 256,
        i + 1,
        i % 3,
        ORDER_EVENTS[i % 7],
        i % 2 ? 1 : -1,
        30_000 + i,
        1 + (i % 5),
        i % 4,
        3,
        i % 1000 === 0 ? `R${i}` : '',
      );
  }
  assert.equal(spilled.chunksInMemory, 1);
  assert.equal(kept.chunksInMemory, 4);
  assert.equal(spilled.length, n);
  // In order, and jumping between chunks (the one read back is cached).
  for (let i = 0; i < n; i++) assert.deepEqual(spilled.row(i), kept.row(i), `row ${i}`);
  for (const i of [n - 1, 0, 8192 * 2 + 7, 8191, 8192, n - 6]) assert.deepEqual(spilled.row(i), kept.row(i));
  assert.ok(existsSync(file));
  spilled.close();
  assert.ok(!existsSync(file), 'close removes the file');
  assert.throws(() => spilled.row(0), /spill file was closed/);
  spilled.close();
  rmSync(dir, { recursive: true, force: true });
});
