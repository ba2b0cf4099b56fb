/**
 * The L3 (order-level) book on hand-made sequences with known results: FIFO queues per price,
 * the CME/Databento priority rule (a size decrease keeps the place; a size increase or a price
 * change goes to the back), partial and full cancels and fills, clear, and the L2 view.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyMbo, MBO_ADD, MBO_CANCEL, MBO_CLEAR, MBO_MODIFY } from '../../src/lob/mbo-actions.ts';
import { OrderBookL3 } from '../../src/lob/order-book-l3.ts';

/** Levels of a side best-first as [price, qty]. */
function levels(b: OrderBookL3, side: 1 | -1): [number, number][] {
  const s = side === 1 ? b.bids : b.asks;
  const out: [number, number][] = [];
  for (let i = 0; i < s.n; i++) out.push([s.px[i], s.qty[i]]);
  return out;
}

describe('OrderBookL3', () => {
  test('adds queue FIFO per price; the L2 view aggregates them best-first', () => {
    const b = new OrderBookL3();
    assert.ok(b.add(1, 1, 100, 5));
    assert.ok(b.add(2, 1, 100, 3));
    assert.ok(b.add(3, 1, 99, 7));
    assert.ok(b.add(4, -1, 101, 2));
    assert.ok(b.add(5, -1, 102, 4));
    assert.deepEqual(levels(b, 1), [
      [100, 8],
      [99, 7],
    ]);
    assert.deepEqual(levels(b, -1), [
      [101, 2],
      [102, 4],
    ]);
    assert.equal(b.bestBid, 100);
    assert.equal(b.bestBidQty, 8);
    assert.equal(b.bestAsk, 101);
    assert.equal(b.bestAskQty, 2);
    assert.deepEqual(b.queue(1, 100), [1, 2]);
    assert.equal(b.queueAhead(1), 0);
    assert.equal(b.queueAhead(2), 5);
    assert.equal(b.orders(1), 3);
    assert.equal(b.orders(-1), 2);
    assert.equal(b.ordersAt(1, 100), 2);
    assert.equal(b.add(1, 1, 100, 1), false, 'an id already resting is refused');
    assert.equal(b.add(9, 1, 100, 0), false, 'a size-0 add is refused');
    assert.deepEqual(levels(b, 1), [
      [100, 8],
      [99, 7],
    ]);
  });

  test('partial cancel and fill keep the place; a full one removes the order and an empty level', () => {
    const b = new OrderBookL3();
    b.add(1, 1, 100, 5);
    b.add(2, 1, 100, 3);
    b.add(3, 1, 100, 4);
    assert.equal(b.cancel(1, 2), 2);
    assert.deepEqual(b.queue(1, 100), [1, 2, 3]);
    assert.equal(b.sizeOf(1), 3);
    assert.equal(b.queueAhead(3), 6);
    assert.equal(b.fill(1, 3), 3, 'a fill of the whole remainder');
    assert.equal(b.has(1), false);
    assert.deepEqual(b.queue(1, 100), [2, 3]);
    assert.equal(b.queueAhead(3), 3);
    assert.equal(b.cancel(2, 10), 3, 'an over-cancel removes what is left');
    assert.equal(b.remove(3), 4);
    assert.deepEqual(levels(b, 1), []);
    assert.equal(b.bestBid, 0);
    assert.equal(b.cancel(42, 1), -1, 'unknown order');
    assert.equal(b.remove(42), -1);
    assert.equal(b.orders(1), 0);
  });

  test('modify: size down keeps priority, size up or a new price goes to the back', () => {
    const b = new OrderBookL3();
    b.add(1, -1, 200, 5);
    b.add(2, -1, 200, 5);
    b.add(3, -1, 200, 5);
    assert.ok(b.modify(1, 200, 4));
    assert.deepEqual(b.queue(-1, 200), [1, 2, 3], 'size decrease keeps the place');
    assert.ok(b.modify(1, 200, 6));
    assert.deepEqual(b.queue(-1, 200), [2, 3, 1], 'size increase loses it');
    assert.equal(b.queueAhead(1), 10);
    assert.ok(b.modify(2, 199, 5));
    assert.deepEqual(b.queue(-1, 200), [3, 1]);
    assert.deepEqual(b.queue(-1, 199), [2]);
    assert.deepEqual(levels(b, -1), [
      [199, 5],
      [200, 11],
    ]);
    assert.ok(b.modify(2, 200, 5), 'back to the old price: behind the others');
    assert.deepEqual(b.queue(-1, 200), [3, 1, 2]);
    assert.deepEqual(levels(b, -1), [[200, 16]]);
    assert.ok(b.modify(3, 200, 5), 'an unchanged modify keeps the place');
    assert.deepEqual(b.queue(-1, 200), [3, 1, 2]);
    assert.ok(b.modify(3, 200, 0), 'modify to size 0 removes');
    assert.deepEqual(b.queue(-1, 200), [1, 2]);
    assert.equal(b.modify(99, 200, 1), false);
    assert.equal(b.orders(-1), 2);
  });

  test('clear empties the book and slots are reused afterwards', () => {
    const b = new OrderBookL3(2, 1);
    for (let i = 0; i < 50; i++) b.add(i, i % 2 ? 1 : -1, i % 2 ? 100 - (i % 7) : 110 + (i % 5), 1 + i);
    assert.equal(b.orders(1) + b.orders(-1), 50, 'pools grew past their capacity');
    b.clear();
    assert.equal(b.orders(1) + b.orders(-1), 0);
    assert.deepEqual(levels(b, 1), []);
    assert.deepEqual(levels(b, -1), []);
    assert.ok(b.add(7, 1, 100, 2));
    assert.ok(b.add(8, 1, 100, 3));
    assert.deepEqual(b.queue(1, 100), [7, 8]);
    assert.deepEqual(levels(b, 1), [[100, 5]]);
  });

  test('bigint ids (DBN u64 beyond 2^53) work like numbers', () => {
    const b = new OrderBookL3();
    const big = 2n ** 63n + 5n;
    assert.ok(b.add(big, 1, 100, 4));
    assert.equal(b.sizeOf(big), 4);
    assert.equal(b.cancel(big, 4), 4);
    assert.equal(b.has(big), false);
  });

  test('Databento MBO actions: A, partial C, M up/down, unknown M adds, T/F change nothing, R clears', () => {
    const b = new OrderBookL3();
    const A = MBO_ADD;
    assert.ok(applyMbo(b, A, 1, 1, 4700_00, 10));
    assert.ok(applyMbo(b, A, 2, 1, 4700_00, 5));
    assert.ok(applyMbo(b, MBO_CANCEL, 1, 1, 4700_00, 4));
    assert.deepEqual(b.queue(1, 4700_00), [1, 2]);
    assert.ok(applyMbo(b, 0x46, 2, 1, 4700_00, 5), 'F: no change');
    assert.ok(applyMbo(b, 0x54, 0, -1, 4700_00, 5), 'T: no change');
    assert.deepEqual(levels(b, 1), [[4700_00, 11]]);
    assert.ok(applyMbo(b, MBO_MODIFY, 1, 1, 4700_00, 7));
    assert.deepEqual(b.queue(1, 4700_00), [2, 1]);
    assert.equal(applyMbo(b, MBO_MODIFY, 3, -1, 4701_00, 2), false, 'unknown: reported');
    assert.equal(b.sizeOf(3), 2, 'and added');
    assert.equal(applyMbo(b, MBO_CANCEL, 4, -1, 4701_00, 2), false);
    assert.deepEqual(levels(b, -1), [[4701_00, 2]]);
    assert.ok(applyMbo(b, MBO_CLEAR, 0, 0, 0, 0));
    assert.equal(b.bestBid, 0);
    assert.equal(b.bestAsk, 0);
  });
});
