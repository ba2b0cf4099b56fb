import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { OrderCommand } from '../../src/contracts/orders.ts';
import type { Venue } from '../../src/contracts/venue.ts';
import { NS_PER_MS, NS_PER_S, SimClock } from '../../src/core/clock.ts';
import { createLogger } from '../../src/core/logger.ts';
import { Scheduler } from '../../src/core/scheduler.ts';
import { DEFAULT_ADAPTER_OPTIONS, OrderAdapter } from '../../src/order/order-adapter.ts';
import { harness, intent, START } from '../execution/harness.ts';
import { shippedSymbols } from '../helpers/symbols.ts';

const noLimits = { globalPerS: 0, symbolPerS: 0 };

test('sends new orders under fresh client ids and keeps the venue-id map', () => {
  const h = harness(noLimits);
  const sent: number[] = [];
  h.orders.onSent = (o) => sent.push(o.orderId);
  const a = h.orders.send(intent());
  const b = h.orders.send(intent({ price: 32_999_00 }));
  assert.deepEqual([a, b], [1, 2]);
  assert.deepEqual(sent, [1, 2]);
  assert.deepEqual(
    h.venue.submits.map((c) => [c.orderId, c.intent.price]),
    [
      [1, 33_000_00],
      [2, 32_999_00],
    ],
  );
  h.exec({ type: 'ack', orderId: 1, venueOrderId: 'V1' });
  assert.equal(h.orders.byVenueId('V1')?.orderId, 1);
  assert.equal(h.orders.get(1)?.status, 'working');
  assert.equal(h.orders.openCountOf('s', 0), 2);
  assert.equal(h.orders.openQty('s', 0, 1), 2);
});

test('token buckets mirror the broker: per-symbol and global limits refuse new orders, cancels are exempt', () => {
  const h = harness({ globalPerS: 100, globalBurst: 100, symbolPerS: 2, symbolBurst: 3 });
  const ids = [1, 2, 3, 4].map(() => h.orders.send(intent()));
  assert.deepEqual(ids, [1, 2, 3, 0], 'burst of 3 per symbol');
  assert.equal(h.orders.lastReject, 'BROKER_RATE_LIMIT');
  assert.equal(
    h.orders.send(intent({ symbolId: 1, price: 33_000_00 })),
    4,
    'another symbol has its own bucket',
  );
  // Cancels are never throttled.
  for (const id of [1, 2, 3]) assert.equal(h.orders.cancel(id), true);
  assert.deepEqual(h.venue.cancels, [1, 2, 3]);
  h.advance(500 * NS_PER_MS); // 2/s refills one token
  assert.equal(h.orders.send(intent()), 5);
  assert.equal(h.orders.send(intent()), 0);
  assert.equal(h.orders.dlq.byReason.rate_limit, 2);

  const g = harness({ globalPerS: 1, globalBurst: 2, symbolPerS: 0 });
  assert.deepEqual(
    [0, 1, 2].map((sym) => g.orders.send(intent({ symbolId: sym }))),
    [1, 2, 0],
    'global bucket spans symbols',
  );
});

test('a replace cancels at once; when throttled the new order waits, later replaces edit it, a cancel drops it', () => {
  const h = harness({ globalPerS: 0, symbolPerS: 1, symbolBurst: 1 });
  const first = h.orders.send(intent());
  h.exec({ type: 'ack', orderId: first, venueOrderId: 'V1' });
  const r1 = h.orders.replace(intent({ action: 'replace', targetOrderId: first, price: 33_001_00 }));
  assert.ok(r1 > first);
  assert.deepEqual(h.venue.cancels, [first], 'the cancel leg is not throttled');
  assert.equal(h.venue.submits.length, 1, 'the new leg waits for a token');
  assert.equal(h.orders.get(r1)?.queued, true);
  const r2 = h.orders.replace(intent({ action: 'replace', targetOrderId: r1, price: 33_002_00, qty: 2 }));
  assert.equal(r2, r1, 'a replace of a held order edits it in place');
  assert.equal(h.orders.counters.coalesced, 1);
  h.advance(1000 * NS_PER_MS);
  assert.equal(h.venue.submits.length, 2);
  assert.deepEqual(
    [h.venue.submits[1].orderId, h.venue.submits[1].intent.price, h.venue.submits[1].intent.qty],
    [r1, 33_002_00, 2],
  );

  // A held order canceled before it is sent never reaches the venue.
  h.exec({ type: 'ack', orderId: r1, venueOrderId: 'V2' });
  const r3 = h.orders.replace(intent({ action: 'replace', targetOrderId: r1, price: 33_003_00 }));
  assert.equal(h.orders.get(r3)?.queued, true);
  assert.equal(h.orders.cancel(r3), true);
  assert.equal(h.orders.get(r3)?.status, 'canceled');
  assert.deepEqual(h.reports.at(-1), {
    type: 'canceled',
    orderId: r3,
    strategyId: 's',
    lastQty: 0,
    fee: 0,
    tax: 0,
    reason: '',
  });
  h.advance(2000 * NS_PER_MS);
  assert.equal(h.venue.submits.length, 2, 'nothing more was sent');
  assert.equal(h.router.counters.localCancels, 1);
});

test('held orders expire to the dead-letter queue; a replace of an unknown order is refused', () => {
  const h = harness({ globalPerS: 0, symbolPerS: 0.5, symbolBurst: 1, maxQueueNs: 500 * NS_PER_MS });
  const first = h.orders.send(intent());
  const r = h.orders.replace(intent({ action: 'replace', targetOrderId: first, price: 33_001_00 }));
  h.advance(600 * NS_PER_MS);
  assert.equal(h.orders.get(r)?.status, 'rejected');
  assert.equal(h.reports.at(-1)?.type, 'reject');
  assert.equal(h.reports.at(-1)?.reason, 'BROKER_RATE_LIMIT');
  assert.equal(h.orders.dlq.byReason.queue_expired, 1);
  assert.equal(h.orders.replace(intent({ action: 'replace', targetOrderId: 999 })), 0);
  assert.equal(h.orders.lastReject, 'UNKNOWN_ORDER');
  assert.equal(h.orders.dlq.byReason.target_not_found, 1);
});

test('circuit breaker: opens after consecutive venue errors, half-open lets one probe through, closes on its ack', () => {
  const h = harness({
    ...noLimits,
    breaker: { failureThreshold: 3, openNs: 10 * NS_PER_S, halfOpenProbes: 1 },
  });
  for (let i = 0; i < 3; i++) {
    const id = h.orders.send(intent());
    h.exec({ type: 'reject', orderId: id, reason: 'VENUE_REJECT' });
  }
  assert.equal(h.orders.breaker.state, 'open');
  assert.equal(h.orders.send(intent()), 0);
  assert.equal(h.orders.lastReject, 'CIRCUIT_OPEN');
  assert.equal(h.orders.dlq.byReason.circuit_open, 1);
  // Business rejects (not venue errors) do not count.
  h.advance(10 * NS_PER_S);
  const probe = h.orders.send(intent());
  assert.ok(probe > 0, 'probe allowed after the open period');
  assert.equal(h.orders.breaker.state, 'half_open');
  assert.equal(h.orders.send(intent()), 0, 'only one probe in flight');
  h.exec({ type: 'ack', orderId: probe });
  assert.equal(h.orders.breaker.state, 'closed');
  assert.ok(h.orders.send(intent()) > 0);

  // A failed probe reopens it.
  for (let i = 0; i < 3; i++)
    h.exec({ type: 'reject', orderId: h.orders.send(intent()), reason: 'VENUE_REJECT' });
  h.advance(10 * NS_PER_S);
  const probe2 = h.orders.send(intent());
  h.exec({ type: 'reject', orderId: probe2, reason: 'VENUE_REJECT' });
  assert.equal(h.orders.breaker.state, 'open');
  assert.equal(h.orders.breaker.opens, 3);
});

test('business rejects do not trip the breaker; an unanswered order counts as a failure and a dead letter', () => {
  const h = harness({
    ...noLimits,
    ackTimeoutNs: 1 * NS_PER_S,
    breaker: { failureThreshold: 2, openNs: 10 * NS_PER_S, halfOpenProbes: 1 },
  });
  for (let i = 0; i < 5; i++)
    h.exec({ type: 'reject', orderId: h.orders.send(intent()), reason: 'TICK_SIZE' });
  assert.equal(h.orders.breaker.state, 'closed');
  h.orders.send(intent());
  h.orders.send(intent());
  h.advance(1 * NS_PER_S);
  assert.equal(h.orders.counters.ackTimeouts, 2);
  assert.equal(h.orders.breaker.state, 'open');
  assert.equal(h.orders.dlq.byReason.ack_timeout, 2);
});

test('while halted nothing new leaves the adapter, cancels still do; cancelAll cancels every open order', () => {
  const h = harness(noLimits);
  const a = h.orders.send(intent());
  const b = h.orders.send(intent({ strategyId: 't' }));
  h.orders.halted = true;
  assert.equal(h.orders.send(intent()), 0);
  assert.equal(h.orders.lastReject, 'HALTED');
  assert.equal(h.orders.replace(intent({ action: 'replace', targetOrderId: a, price: 33_001_00 })), 0);
  assert.equal(h.orders.cancelAll(), 2);
  assert.deepEqual(h.venue.cancels.sort(), [a, b]);
  assert.equal(h.orders.cancelAll(), 0, 'already pending cancel');
});

test('the dead-letter queue is bounded (drop-oldest) and flushes to JSONL', async () => {
  const h = harness({ ...noLimits, dlqCapacity: 2 });
  h.orders.halted = true;
  for (let i = 0; i < 3; i++) h.orders.send(intent({ price: 33_000_00 + i * 100 }));
  const dlq = h.orders.dlq;
  assert.equal(dlq.size, 2);
  assert.equal(dlq.dropped, 1);
  assert.equal(dlq.total, 3);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-dlq-'));
  const file = await dlq.flush(dir);
  assert.ok(file !== null);
  const rows = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    rows.map((r) => [r.reason, r.symbol, r.price]),
    [
      ['halted', 'TXFD6', 33_001_00],
      ['halted', 'TXFD6', 33_002_00],
    ],
  );
  assert.equal(dlq.size, 0);
  assert.equal(await dlq.flush(dir), null, 'nothing left to write');
});

test('POST_ONLY goes to a venue that has it; a venue without it gets none (TIF_UNSUPPORTED)', () => {
  const h = harness(noLimits);
  const id = h.orders.send(intent({ tif: 'POST_ONLY' }));
  assert.equal(id, 1);
  assert.equal(h.venue.submits[0].intent.tif, 'POST_ONLY');
  const n = harness(noLimits);
  n.venue.postOnly = false;
  assert.equal(n.orders.send(intent({ tif: 'POST_ONLY' })), 0);
  assert.equal(n.orders.lastReject, 'TIF_UNSUPPORTED');
  assert.equal(n.venue.submits.length, 0);
  assert.equal(n.orders.send(intent({ tif: 'GTC' })), 1, 'other orders still go');
});

test('a venue that copies commands gets one command object, with each order in it during submit', () => {
  const symbols = shippedSymbols();
  const clock = new SimClock(START);
  const scheduler = new Scheduler(clock);
  const seen: [number, number, number, string][] = [];
  const objects = new Set<OrderCommand>();
  const venue: Venue = {
    name: 'copying',
    copiesCommands: true,
    connect() {},
    start() {},
    stop() {},
    submit(cmd) {
      objects.add(cmd);
      seen.push([cmd.orderId, cmd.intent.price, cmd.intent.qty, cmd.intent.action]);
    },
    cancel() {},
  };
  const orders = new OrderAdapter(venue, symbols, scheduler, createLogger('silent'), {
    ...DEFAULT_ADAPTER_OPTIONS,
    ...noLimits,
  });
  const a = orders.send(intent());
  const b = orders.replace(intent({ action: 'replace', targetOrderId: a, price: 33_001_00, qty: 2 }));
  orders.send(intent({ price: 32_999_00, qty: 3 }));
  assert.deepEqual(seen, [
    [a, 33_000_00, 1, 'new'],
    [b, 33_001_00, 2, 'new'],
    [b + 1, 32_999_00, 3, 'new'],
  ]);
  assert.equal(objects.size, 1);
  // A venue that keeps commands (the scripted one) still gets a fresh object per order.
  const h = harness(noLimits);
  h.orders.send(intent());
  h.orders.send(intent());
  assert.notEqual(h.venue.submits[0], h.venue.submits[1]);
  assert.equal(h.venue.submits[0].orderId, 1);
});

test('an order record reused once it left the finished memory is not taken for its earlier order', () => {
  const h = harness(noLimits);
  const first = h.orders.send(intent());
  const record = h.orders.get(first);
  h.exec({ type: 'canceled', orderId: first });
  h.advance(1000 * NS_PER_MS);
  // 8192 more orders finish: the first one's record leaves the finished memory and is reused.
  for (let i = 0; i < 8192; i++) h.exec({ type: 'canceled', orderId: h.orders.send(intent()) });
  assert.equal(h.orders.get(first), undefined);
  const last = h.orders.send(intent());
  assert.equal(h.orders.get(last), record, 'the record now carries the new order');
  assert.equal(h.orders.get(last)?.status, 'pending_new');
  // The first order's ack deadline passes: the new order, sent 1 s later, is not late yet.
  h.advance(2500 * NS_PER_MS);
  assert.equal(h.orders.counters.ackTimeouts, 0);
  h.advance(1000 * NS_PER_MS);
  assert.equal(h.orders.counters.ackTimeouts, 1, 'its own deadline counts');
});

test('open orders are found by id however many orders came after them; closed ones are not open', () => {
  const h = harness(noLimits);
  const old = h.orders.send(intent());
  h.exec({ type: 'ack', orderId: old });
  // 8192 newer orders, finished: the old one's id shares its lookup slot with a newer one.
  for (let i = 0; i < 8192; i++) h.exec({ type: 'canceled', orderId: h.orders.send(intent()) });
  assert.equal(h.orders.get(old)?.orderId, old);
  const repl = h.orders.replace(intent({ action: 'replace', targetOrderId: old, price: 32_998_00 }));
  assert.ok(repl > old, 'the old order is still open: it can be replaced');
  assert.equal(h.orders.get(old)?.status, 'pending_cancel');
  h.exec({ type: 'canceled', orderId: old });
  // Closed: found (finished memory) but neither cancellable nor replaceable.
  assert.equal(h.orders.get(old)?.status, 'canceled');
  assert.equal(h.orders.cancel(old), false);
  h.exec({ type: 'ack', orderId: repl });
  h.exec({ type: 'canceled', orderId: repl });
  assert.equal(h.orders.get(repl)?.status, 'canceled');
  assert.equal(h.orders.cancel(repl), false);
  assert.equal(h.orders.replace(intent({ action: 'replace', targetOrderId: repl })), 0);
  assert.equal(h.orders.lastReject, 'UNKNOWN_ORDER');
});
