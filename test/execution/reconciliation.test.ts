import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NS_PER_S } from '../../src/core/clock.ts';
import { createLogger } from '../../src/core/logger.ts';
import { Reconciler, type ReconOptions } from '../../src/execution/reconciliation.ts';
import { harness, intent } from './harness.ts';

const OPTS: ReconOptions = {
  intervalNs: 5 * NS_PER_S,
  debounce: 3,
  brokerZeroDebounce: 2,
  stockToleranceShares: 100,
  stockTolerancePct: 10,
  orphanTtlNs: 30 * NS_PER_S,
};

function setup() {
  const h = harness({ globalPerS: 0, symbolPerS: 0 });
  const venuePos = new Map<number, number>();
  const venueOrders = new Set<number>();
  const critical: string[] = [];
  let clean = 0;
  const recon = new Reconciler(
    h.symbols,
    h.positions,
    h.orders,
    h.router,
    { positions: () => venuePos, openOrderIds: () => venueOrders },
    h.scheduler,
    OPTS,
    createLogger('silent'),
    { onCritical: (r) => critical.push(r), onClean: () => clean++ },
  );
  const id = (code: string) => h.symbols.find((s) => s.code === code)!.id;
  return { h, recon, venuePos, venueOrders, critical, clean: () => clean, id };
}

test('a futures position difference of one lot halts after 3 consecutive observations', () => {
  const { h, recon, venuePos, critical, id } = setup();
  const txf = id('TXFD6');
  h.positions.get('s', txf).apply(1, 33_000_00, 2, 0);
  venuePos.set(txf, 2);
  recon.check();
  assert.equal(recon.last.length, 0);
  venuePos.set(txf, 3);
  recon.check();
  recon.check();
  assert.deepEqual(critical, [], 'debounced');
  assert.equal(recon.last[0].observations, 2);
  recon.check();
  assert.equal(critical.length, 1);
  assert.match(critical[0], /recon_mismatch TXFD6: local 2 venue 3 \(3 checks\)/);
  // A clean check resets the count.
  venuePos.set(txf, 2);
  recon.check();
  venuePos.set(txf, 3);
  recon.check();
  assert.equal(critical.length, 1);
});

test('stocks tolerate max(100 shares, 10%); a sign flip is always critical; venue-flat debounces 2', () => {
  const { h, recon, venuePos, critical, id } = setup();
  const tsmc = id('2330');
  h.positions.get('s', tsmc).apply(1, 1850_00, 5000, 0);
  venuePos.set(tsmc, 5400);
  for (let i = 0; i < 5; i++) recon.check();
  assert.deepEqual(critical, [], '400 shares of 5000 is within 10%');
  assert.equal(recon.last[0].critical, false);
  venuePos.set(tsmc, 5600);
  for (let i = 0; i < 3; i++) recon.check();
  assert.equal(critical.length, 1, '600 shares is beyond 10%');

  const b = setup();
  const txf = b.id('TXFD6');
  b.h.positions.get('s', txf).apply(1, 33_000_00, 1, 0);
  b.recon.check();
  b.recon.check();
  assert.equal(b.critical.length, 1, 'the venue reports flat: 2 observations');
  const c = setup();
  c.h.positions.get('s', c.id('2330')).apply(1, 1850_00, 1000, 0);
  c.venuePos.set(c.id('2330'), -1000);
  for (let i = 0; i < 3; i++) c.recon.check();
  assert.equal(c.critical.length, 1, 'opposite signs');
});

test('the test hook injects a mismatch into what the venue reports', () => {
  const { recon, critical, id } = setup();
  recon.injectMismatch(id('MXFD6'), 1);
  for (let i = 0; i < 3; i++) recon.check();
  assert.match(critical[0], /MXFD6: local 0 venue 1/);
});

test('an order working at the venue but not locally is critical; a local order the venue lost is closed', () => {
  const { h, recon, venueOrders, critical, clean } = setup();
  venueOrders.add(42);
  recon.check();
  recon.check();
  assert.equal(critical.length, 0);
  recon.check();
  assert.match(critical[0], /order 42 working at the venue/);

  const s = setup();
  const id = s.h.orders.send(intent());
  s.h.exec({ type: 'ack', orderId: id, leavesQty: 1 });
  for (let i = 0; i < 2; i++) s.recon.check();
  assert.equal(s.h.orders.get(id)?.status, 'working');
  s.recon.check();
  assert.equal(s.h.orders.get(id)?.status, 'canceled');
  assert.equal(s.recon.counters.repairedOrders, 1);
  assert.equal(s.h.reports.at(-1)?.reason, 'UNKNOWN_ORDER');
  assert.equal(s.critical.length, 0);
  assert.ok(s.clean() > 0);
  assert.equal(h.orders.openCount, 0);
  assert.equal(clean(), 0, 'never clean while the venue-only order persists');
});

test('runs on the scheduler and settles expired orphans', () => {
  const { h, recon } = setup();
  h.exec({
    type: 'fill',
    orderId: 0,
    venueOrderId: 'Z',
    lastPx: 33_000_00,
    lastQty: 1,
    leavesQty: 0,
    symbolId: 0,
    side: 1,
  });
  recon.start();
  h.advance(30 * NS_PER_S);
  assert.equal(recon.counters.checks, 6);
  assert.equal(h.router.counters.orphansBooked, 1);
  recon.stop();
  h.advance(30 * NS_PER_S);
  assert.equal(recon.counters.checks, 6);
});
