import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NS_PER_S } from '../../src/core/clock.ts';
import { UNATTRIBUTED } from '../../src/execution/router.ts';
import { harness, intent } from './harness.ts';

const noLimits = { globalPerS: 0, symbolPerS: 0 };
const PX = 33_000_00;

test('every callback becomes a report; a full fill closes the order and prices fees and tax', () => {
  const h = harness(noLimits);
  const id = h.orders.send(intent({ qty: 3 }));
  h.exec({ type: 'ack', orderId: id, venueOrderId: 'V1', leavesQty: 3 });
  h.exec({ type: 'fill', orderId: id, lastPx: PX, lastQty: 1, leavesQty: 2, execId: 'F1' });
  h.exec({ type: 'fill', orderId: id, lastPx: PX, lastQty: 2, leavesQty: 0, execId: 'F2' });
  assert.deepEqual(
    h.reports.map((r) => r.type),
    ['ack', 'partial', 'fill'],
  );
  const o = h.orders.get(id)!;
  assert.equal(o.status, 'filled');
  assert.equal(o.cumQty, 3);
  assert.equal(h.orders.openCount, 0);
  assert.equal(h.positions.get('s', 0).qty, 3);
  // TXF: 50 TWD per contract, 0.002% tax on 33,000 x 200 per contract = 132 TWD.
  assert.equal(h.reports[2].fee, 2 * 50 * 10_000);
  assert.equal(h.reports[2].tax, 2 * 132 * 10_000);
});

test('fill before ack: the fill applies, the late ack is stale and not reported', () => {
  const h = harness(noLimits);
  const id = h.orders.send(intent());
  h.exec({ type: 'fill', orderId: id, lastPx: PX, lastQty: 1, leavesQty: 0, execId: 'F1' });
  h.exec({ type: 'ack', orderId: id, venueOrderId: 'V1', leavesQty: 1 });
  assert.deepEqual(
    h.reports.map((r) => r.type),
    ['fill'],
  );
  assert.equal(h.orders.get(id)?.status, 'filled');
  assert.equal(h.router.counters.stale, 1);
  assert.equal(h.positions.get('s', 0).qty, 1);
  // A partial fill before the ack makes the order working.
  const id2 = h.orders.send(intent({ qty: 2 }));
  h.exec({ type: 'fill', orderId: id2, lastPx: PX, lastQty: 1, leavesQty: 1, execId: 'F2' });
  assert.equal(h.orders.get(id2)?.status, 'working');
});

test('a duplicate fill id is dropped: the position moves once', () => {
  const h = harness(noLimits);
  const id = h.orders.send(intent({ qty: 2 }));
  h.exec({ type: 'ack', orderId: id, leavesQty: 2 });
  h.exec({ type: 'fill', orderId: id, lastPx: PX, lastQty: 1, leavesQty: 1, execId: 'F1' });
  h.exec({ type: 'fill', orderId: id, lastPx: PX, lastQty: 1, leavesQty: 1, execId: 'F1' });
  assert.equal(h.positions.get('s', 0).qty, 1);
  assert.equal(h.router.counters.duplicateFills, 1);
  assert.equal(h.orders.get(id)?.cumQty, 1);
});

test('ack after cancel is stale; a cancel-reject after the fill leaves the order filled', () => {
  const h = harness(noLimits);
  const a = h.orders.send(intent());
  h.orders.cancel(a);
  h.exec({ type: 'canceled', orderId: a });
  h.exec({ type: 'ack', orderId: a, leavesQty: 1 });
  assert.equal(h.orders.get(a)?.status, 'canceled');
  assert.equal(h.router.counters.stale, 1);

  const b = h.orders.send(intent());
  h.exec({ type: 'ack', orderId: b, leavesQty: 1 });
  h.orders.cancel(b);
  assert.equal(h.orders.get(b)?.status, 'pending_cancel');
  h.exec({ type: 'fill', orderId: b, lastPx: PX, lastQty: 1, leavesQty: 0, execId: 'F9' });
  h.exec({ type: 'cancel_reject', orderId: b, reason: 'TOO_LATE_TO_CANCEL' });
  assert.equal(h.orders.get(b)?.status, 'filled');
  assert.deepEqual(
    h.reports.slice(-2).map((r) => [r.type, r.reason]),
    [
      ['fill', ''],
      ['cancel_reject', 'TOO_LATE_TO_CANCEL'],
    ],
  );
  // A cancel-reject of a still working order puts it back to working.
  const c = h.orders.send(intent({ qty: 2 }));
  h.exec({ type: 'ack', orderId: c, leavesQty: 2 });
  h.orders.cancel(c);
  h.exec({ type: 'cancel_reject', orderId: c, reason: 'VENUE_REJECT' });
  assert.equal(h.orders.get(c)?.status, 'working');
});

test('a fill after the venue canceled the order still moves the position (the money moved)', () => {
  const h = harness(noLimits);
  const id = h.orders.send(intent({ qty: 2 }));
  h.exec({ type: 'ack', orderId: id, leavesQty: 2 });
  h.exec({ type: 'canceled', orderId: id });
  h.exec({ type: 'fill', orderId: id, lastPx: PX, lastQty: 1, leavesQty: 0, execId: 'F1' });
  assert.equal(h.positions.get('s', 0).qty, 1);
  assert.equal(h.router.counters.lateFills, 1);
  assert.equal(h.orders.get(id)?.status, 'canceled');
  assert.equal(h.reports.at(-1)?.type, 'fill');
  // An overfill is applied and counted.
  h.exec({ type: 'fill', orderId: id, lastPx: PX, lastQty: 2, leavesQty: 0, execId: 'F2' });
  assert.equal(h.router.counters.overfills, 1);
  assert.equal(h.positions.get('s', 0).qty, 3);
});

test('a fill known only by venue id before its ack is parked, then applied first when the ack maps it', () => {
  const h = harness(noLimits);
  const id = h.orders.send(intent());
  h.exec({
    type: 'fill',
    orderId: 0,
    venueOrderId: 'V7',
    lastPx: PX,
    lastQty: 1,
    leavesQty: 0,
    execId: 'F1',
  });
  assert.equal(h.router.counters.orphans, 1);
  assert.equal(h.router.orphans.size, 1);
  assert.equal(h.positions.get('s', 0).qty, 0, 'not applied blindly');
  h.exec({ type: 'ack', orderId: id, venueOrderId: 'V7', leavesQty: 1 });
  assert.equal(h.router.orphans.size, 0);
  assert.equal(h.router.counters.orphansMatched, 1);
  assert.equal(h.positions.get('s', 0).qty, 1);
  assert.equal(h.orders.get(id)?.status, 'filled');
  assert.deepEqual(
    h.reports.map((r) => r.type),
    ['fill'],
    'the ack came after the fill: stale',
  );
});

test('orphans past their time to live: fills with symbol and side are booked unattributed, others kept', () => {
  const h = harness(noLimits);
  h.exec({
    type: 'fill',
    orderId: 0,
    venueOrderId: 'X1',
    lastPx: PX,
    lastQty: 2,
    leavesQty: 0,
    symbolId: 0,
    side: -1,
  });
  h.exec({ type: 'fill', orderId: 0, venueOrderId: 'X2', lastPx: PX, lastQty: 1, leavesQty: 0 });
  h.exec({ type: 'ack', orderId: 0, venueOrderId: 'X3' });
  h.advance(5 * NS_PER_S);
  assert.equal(h.router.settleOrphans(h.clock.nowNs(), 10 * NS_PER_S), 0, 'not yet expired');
  h.advance(5 * NS_PER_S);
  assert.equal(h.router.settleOrphans(h.clock.nowNs(), 10 * NS_PER_S), 1);
  assert.equal(h.positions.get(UNATTRIBUTED, 0).qty, -2);
  assert.equal(h.positions.netQty(0), -2, 'local net position now matches what the venue did');
  assert.equal(h.router.counters.orphansBooked, 1);
  assert.equal(h.router.counters.orphansUnresolved, 1);
  assert.equal(h.router.counters.orphansDiscarded, 1);
  assert.equal(h.router.unresolved[0].venueOrderId, 'X2');
  assert.equal(h.reports.at(-1)?.strategyId, UNATTRIBUTED);
});

test('a listener that triggers another report does not corrupt the report others still read', () => {
  const h = harness({ globalPerS: 0, symbolPerS: 1, symbolBurst: 1 });
  const first = h.orders.send(intent());
  h.exec({ type: 'ack', orderId: first, leavesQty: 1 });
  const held = h.orders.replace(intent({ action: 'replace', targetOrderId: first, price: 33_001_00 }));
  const seen: string[] = [];
  h.router.listen((r) => {
    // On the old order's cancel, drop the held replacement (a nested, local 'canceled' report).
    if (r.orderId === first && r.type === 'canceled') h.orders.cancel(held);
  });
  h.router.listen((r) => seen.push(`${r.orderId}:${r.type}`));
  h.exec({ type: 'canceled', orderId: first });
  assert.deepEqual(seen, [`${held}:canceled`, `${first}:canceled`]);
});

test('venue rejects are counted by reason (none given: VENUE_REJECT), a stale one too', () => {
  const h = harness(noLimits);
  const a = h.orders.send(intent());
  const b = h.orders.send(intent());
  h.exec({ type: 'reject', orderId: a, reason: 'OUTSIDE_SESSION' });
  h.exec({ type: 'reject', orderId: b, reason: '' });
  h.exec({ type: 'reject', orderId: b, reason: '' });
  assert.deepEqual(h.router.rejectsByReason, { OUTSIDE_SESSION: 1, VENUE_REJECT: 2 });
  assert.equal(h.router.counters.rejects, 3);
  assert.equal(h.router.counters.stale, 1);
});
