import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenOrders } from '../../src/order/open-orders.ts';
import type { OrderState } from '../../src/order/order-state.ts';

function order(orderId: number): OrderState {
  return {
    orderId,
    intentId: orderId,
    venueOrderId: '',
    strategyId: 's',
    symbolId: 0,
    side: 1,
    price: 100,
    qty: 1,
    tif: 'GTC',
    cumQty: 0,
    leavesQty: 1,
    status: 'working',
    createdTs: 0,
    replaces: 0,
    queued: false,
    queuedTs: 0,
    venueSeen: false,
    execIds: null,
    slot: -1,
    openSlot: -1,
  };
}

const ids = (s: ReadonlySet<OrderState>) => [...s].map((o) => o.orderId);

test('open orders: a set in creation order; removed ones leave it, holes are squeezed out in order', () => {
  const s = new OpenOrders();
  const all = Array.from({ length: 100 }, (_, i) => order(i + 1));
  for (const o of all) s.add(o);
  for (const o of all) if (o.orderId % 10 !== 0) assert.equal(s.delete(o), true);
  assert.equal(s.delete(all[0]), false);
  assert.equal(s.size, 10);
  // Adding squeezes the 90 holes: the survivors keep their order and stay removable.
  const late = order(101);
  s.add(late);
  assert.deepEqual(ids(s), [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 101]);
  assert.equal(s.has(all[49]), true);
  assert.equal(s.has(all[48]), false);
  assert.equal(s.delete(all[49]), true);
  assert.deepEqual(ids(s), [10, 20, 30, 40, 60, 70, 80, 90, 100, 101]);
  const seen: number[] = [];
  s.forEach((o, o2, set) => {
    assert.equal(o, o2);
    assert.equal(set, s);
    seen.push(o.orderId);
  });
  assert.deepEqual(seen, ids(s));
  assert.deepEqual(
    [...s.entries()].map(([a, b]) => [a.orderId, b.orderId]),
    ids(s).map((id) => [id, id]),
  );
});

test('open orders: changes during an iteration act as on a Set (removed unvisited ones skipped, added ones visited)', () => {
  const s = new OpenOrders();
  const all = Array.from({ length: 40 }, (_, i) => order(i + 1));
  for (const o of all) s.add(o);
  for (let i = 2; i < 40; i++) s.delete(all[i]);
  const seen: number[] = [];
  let n = 100;
  // Holes outnumber orders: an add would squeeze, but not while the loop runs.
  for (const o of s) {
    seen.push(o.orderId);
    if (o.orderId === 1) {
      s.delete(all[1]);
      s.add(order(n++));
    }
    if (o.orderId === 100) s.add(order(n++));
  }
  assert.deepEqual(seen, [1, 100, 101]);
  seen.length = 0;
  s.forEach((o) => {
    seen.push(o.orderId);
    if (o.orderId === 100) s.delete(all[0]);
    if (o.orderId === 1) s.add(order(200));
  });
  assert.deepEqual(seen, [1, 100, 101, 200]);
  assert.deepEqual(ids(s), [100, 101, 200]);
  // A loop left by break closes its iterator: squeezing resumes.
  for (const _ of s) break;
  s.add(order(300));
  assert.deepEqual(ids(s), [100, 101, 200, 300]);
  assert.deepEqual(
    [...s].map((o) => o.openSlot),
    [0, 1, 2, 3],
  );
});
