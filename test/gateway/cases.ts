import assert from 'node:assert/strict';
import type { Decision, IntentEnvelope } from '../../src/gateway/envelope.ts';
import type { gatewayHarness } from './harness.ts';

/**
 * One gateway under test and a way to send it intents: in-process (`pipeline.decide`) or
 * over NATS JetStream (a runner client publishing to the gateway service). The same cases run
 * on both; venue answers are scripted on the gateway's harness (`g.h.exec`).
 */
export interface Driver {
  g: ReturnType<typeof gatewayHarness>;
  submit(env: IntentEnvelope): Promise<Decision>;
}

export type GatewayCase = [
  name: string,
  over: Parameters<typeof gatewayHarness>[0],
  run: (d: Driver) => Promise<void>,
];

let seq = 0;
/** A NEW for TXFD6 (33000.00 x 1 x 200 = 6,600,000 TWD of notional) with a fresh idempotency key. */
export function env(over: Partial<IntentEnvelope> = {}): IntentEnvelope {
  seq++;
  return {
    intentId: seq,
    strategyId: 's',
    symbol: 'TXFD6',
    kind: 'NEW',
    side: 1,
    price: 33_000_00,
    qty: 1,
    tif: 'GTC',
    targetOrderId: 0,
    ts: 0,
    sourceTs: 0,
    idempotencyKey: `r1-${seq}`,
    ttlNs: 0,
    decisionPrice: 0,
    clientOrderId: 0,
    runner: 'r1',
    ...over,
  };
}

/** Current gateway time, for envelopes formed "now". */
const now = (d: Driver) => d.g.h.clock.nowNs();
const TXF = 6_600_000 * 10_000; // one TXFD6 lot at 33000.00, money units

export const CASES: GatewayCase[] = [
  [
    'dedup: a repeated key returns the first decision and sends nothing again',
    {},
    async (d) => {
      const e = env({ ts: now(d) });
      const a = await d.submit(e);
      const b = await d.submit({ ...e });
      assert.equal(a.approved, true);
      assert.deepEqual(b, a);
      assert.equal(d.g.h.venue.submits.length, 1);
      // A rejected decision is final too: the repeat is not re-evaluated.
      d.g.gw.policy.setHalt();
      const r = env({ ts: now(d) });
      assert.equal((await d.submit(r)).reason, 'HALT');
      d.g.gw.policy.setNormal();
      assert.equal((await d.submit({ ...r })).reason, 'HALT');
      assert.equal(d.g.h.venue.submits.length, 1);
    },
  ],
  [
    'dedup: a key still in flight is refused DEDUP_IN_FLIGHT; a released one may be retried',
    {},
    async (d) => {
      const e = env({ ts: now(d) });
      d.g.gw.dedup.reserve(e.idempotencyKey);
      const a = await d.submit(e);
      assert.deepEqual([a.approved, a.reason], [false, 'DEDUP_IN_FLIGHT']);
      d.g.gw.dedup.release(e.idempotencyKey);
      const b = await d.submit({ ...e });
      assert.equal(b.approved, true);
      assert.equal(d.g.h.venue.submits.length, 1);
    },
  ],
  [
    'TTL: an intent older than its ttl is rejected TTL_EXPIRED before policy and risk',
    {},
    async (d) => {
      const t = now(d);
      d.g.h.advance(5_000_000);
      const late = await d.submit(env({ ts: t, ttlNs: 1_000_000 }));
      assert.deepEqual([late.approved, late.reason], [false, 'TTL_EXPIRED']);
      const fresh = await d.submit(env({ ts: t, ttlNs: 10_000_000 }));
      assert.equal(fresh.approved, true);
      assert.equal(d.g.h.venue.submits.length, 1);
    },
  ],
  [
    'policy: startup hold-off refuses NEW until it has passed',
    { startup_holdoff_s: 1 },
    async (d) => {
      const a = await d.submit(env({ ts: now(d) }));
      assert.deepEqual([a.approved, a.reason], [false, 'STARTUP_HOLDOFF']);
      d.g.h.advance(1_000_000_000);
      assert.equal((await d.submit(env({ ts: now(d) }))).approved, true);
    },
  ],
  [
    'policy HALT: new orders refused; reduce-only, exempt, cancel and FORCE_FLAT pass',
    { halt_exempt: ['hedger'] },
    async (d) => {
      const open = await d.submit(env({ ts: now(d), qty: 2 }));
      d.g.h.exec({ type: 'fill', orderId: open.orderId, lastPx: 33_000_00, lastQty: 2, leavesQty: 0 });
      const resting = await d.submit(env({ ts: now(d), price: 32_990_00 }));
      d.g.gw.policy.setHalt();
      assert.equal(d.g.gw.policy.mode, 2);
      const more = await d.submit(env({ ts: now(d) }));
      assert.deepEqual([more.approved, more.reason], [false, 'HALT']);
      const reduce = await d.submit(env({ ts: now(d), side: -1, qty: 1 }));
      assert.deepEqual([reduce.approved, reduce.reason], [true, 'HALT_REDUCE_ONLY']);
      // Selling 5 against a long of 2 flips the position: not reduce-only.
      const flip = await d.submit(env({ ts: now(d), side: -1, qty: 5 }));
      assert.deepEqual([flip.approved, flip.reason], [false, 'HALT']);
      const ex = await d.submit(env({ ts: now(d), strategyId: 'hedger' }));
      assert.deepEqual([ex.approved, ex.reason], [true, 'HALT_EXEMPT']);
      const cancel = await d.submit(env({ ts: now(d), kind: 'CANCEL', targetOrderId: resting.orderId }));
      assert.deepEqual([cancel.approved, cancel.reason], [true, 'OK']);
      const flat = await d.submit(env({ ts: now(d), kind: 'FORCE_FLAT', side: -1, qty: 1, tif: 'IOC' }));
      assert.deepEqual([flat.approved, flat.reason], [true, 'OK']);
      d.g.gw.policy.setNormal();
      assert.equal((await d.submit(env({ ts: now(d) }))).approved, true);
    },
  ],
  [
    'policy HALT with halt_cancel off: cancels are refused too',
    { halt_cancel: false },
    async (d) => {
      const o = await d.submit(env({ ts: now(d) }));
      d.g.gw.policy.setHalt();
      const c = await d.submit(env({ ts: now(d), kind: 'CANCEL', targetOrderId: o.orderId }));
      assert.deepEqual([c.approved, c.reason], [false, 'HALT']);
      assert.equal(d.g.h.venue.cancels.length, 0);
    },
  ],
  [
    'policy DEGRADE: from StormGuard STORM (degrade_on_storm), reduce-only or exempt pass, back to NORMAL when it calms',
    { degrade_on_storm: true, halt_exempt: ['hedger'] },
    async (d) => {
      const open = await d.submit(env({ ts: now(d) }));
      d.g.h.exec({ type: 'fill', orderId: open.orderId, lastPx: 33_000_00, lastQty: 1, leavesQty: 0 });
      d.g.gw.policy.guardLevel = 2;
      assert.equal(d.g.gw.policy.mode, 1);
      const more = await d.submit(env({ ts: now(d) }));
      assert.deepEqual([more.approved, more.reason], [false, 'DEGRADE']);
      const reduce = await d.submit(env({ ts: now(d), side: -1 }));
      assert.deepEqual([reduce.approved, reduce.reason], [true, 'DEGRADE_REDUCE_ONLY']);
      const ex = await d.submit(env({ ts: now(d), strategyId: 'hedger' }));
      assert.deepEqual([ex.approved, ex.reason], [true, 'DEGRADE_EXEMPT']);
      d.g.gw.policy.guardLevel = 1;
      assert.equal(d.g.gw.policy.mode, 0);
      assert.equal((await d.submit(env({ ts: now(d) }))).reason, 'OK');
      d.g.gw.policy.setDegrade();
      assert.equal((await d.submit(env({ ts: now(d) }))).reason, 'DEGRADE');
    },
  ],
  [
    'exposure: global and per-strategy caps; fills, cancels and rejects release',
    { global_max_notional: 20_000_000, strategy_max_notional: 15_000_000 },
    async (d) => {
      const a = await d.submit(env({ ts: now(d), qty: 2 }));
      assert.equal(a.approved, true);
      assert.equal(d.g.gw.exposure.total, 2 * TXF);
      const b = await d.submit(env({ ts: now(d) }));
      assert.deepEqual([b.approved, b.reason], [false, 'STRATEGY_EXPOSURE_LIMIT']);
      const c = await d.submit(env({ ts: now(d), strategyId: 't', qty: 1 }));
      assert.equal(c.approved, true);
      const g = await d.submit(env({ ts: now(d), strategyId: 'u', qty: 1 }));
      assert.deepEqual([g.approved, g.reason], [false, 'GLOBAL_EXPOSURE_LIMIT']);
      d.g.h.exec({ type: 'ack', orderId: a.orderId });
      d.g.h.exec({ type: 'fill', orderId: a.orderId, lastPx: 33_000_00, lastQty: 1, leavesQty: 1 });
      assert.equal(d.g.gw.exposure.strategyTotal('s'), TXF, 'a partial fill releases its part');
      d.g.h.exec({ type: 'canceled', orderId: a.orderId, leavesQty: 0 });
      assert.equal(d.g.gw.exposure.strategyTotal('s'), 0, 'the cancel releases the rest');
      d.g.h.exec({ type: 'reject', orderId: c.orderId, reason: 'VENUE_REJECT' });
      assert.equal(d.g.gw.exposure.total, 0);
      assert.equal((await d.submit(env({ ts: now(d), strategyId: 'u', qty: 2 }))).approved, true);
    },
  ],
  [
    'exposure AMEND: checked by delta over the replaced order, the reservation moves to the new order',
    { strategy_max_notional: 15_000_000 },
    async (d) => {
      const a = await d.submit(env({ ts: now(d), qty: 2 }));
      d.g.h.exec({ type: 'ack', orderId: a.orderId });
      // Same size at another price: delta <= 0, passes at the cap.
      const same = await d.submit(
        env({ ts: now(d), kind: 'AMEND', targetOrderId: a.orderId, qty: 2, price: 32_990_00 }),
      );
      assert.equal(same.approved, true);
      assert.notEqual(same.orderId, a.orderId);
      assert.equal(d.g.gw.exposure.reservationOf(a.orderId), 0);
      assert.equal(d.g.gw.exposure.strategyTotal('s'), 2 * 6_598_000 * 10_000);
      d.g.h.exec({ type: 'ack', orderId: same.orderId });
      const up = await d.submit(
        env({ ts: now(d), kind: 'AMEND', targetOrderId: same.orderId, qty: 3, price: 32_990_00 }),
      );
      assert.deepEqual([up.approved, up.reason], [false, 'STRATEGY_EXPOSURE_LIMIT']);
      const down = await d.submit(
        env({ ts: now(d), kind: 'AMEND', targetOrderId: same.orderId, qty: 1, price: 32_990_00 }),
      );
      assert.equal(down.approved, true);
      assert.equal(d.g.gw.exposure.strategyTotal('s'), 6_598_000 * 10_000);
      // The replaced order's cancel arrives later: it holds nothing any more.
      d.g.h.exec({ type: 'canceled', orderId: same.orderId, leavesQty: 0 });
      assert.equal(d.g.gw.exposure.strategyTotal('s'), 6_598_000 * 10_000);
    },
  ],
  [
    'exposure TTL: a reservation whose report never came is released after exposure_order_ttl_s',
    { strategy_max_notional: 7_000_000, exposure_order_ttl_s: 2 },
    async (d) => {
      assert.equal((await d.submit(env({ ts: now(d) }))).approved, true);
      assert.equal((await d.submit(env({ ts: now(d) }))).reason, 'STRATEGY_EXPOSURE_LIMIT');
      d.g.h.advance(2_000_000_000);
      assert.equal((await d.submit(env({ ts: now(d) }))).approved, true);
      assert.equal(d.g.gw.exposure.counters.expired, 1);
    },
  ],
  [
    'risk and the order adapter still decide: their reasons come back in the decision',
    {},
    async (d) => {
      const big = await d.submit(env({ ts: now(d), qty: 51 }));
      assert.deepEqual([big.approved, big.reason], [false, 'MAX_ORDER_QTY']);
      const bad = await d.submit(env({ ts: now(d), kind: 'CANCEL', targetOrderId: 999 }));
      assert.deepEqual([bad.approved, bad.reason], [false, 'UNKNOWN_ORDER']);
      const sym = await d.submit(env({ ts: now(d), symbol: 'NOPE' }));
      assert.deepEqual([sym.approved, sym.reason], [false, 'UNKNOWN_SYMBOL']);
      assert.equal(d.g.h.venue.submits.length, 0);
    },
  ],
  [
    'client order id: taken from the intent; a second intent with the same id sends nothing',
    {},
    async (d) => {
      const id = 3 * 2 ** 32 + 7;
      const a = await d.submit(env({ ts: now(d), clientOrderId: id }));
      assert.equal(a.orderId, id);
      assert.equal(d.g.h.venue.submits[0].orderId, id);
      const b = await d.submit(env({ ts: now(d), clientOrderId: id }));
      assert.deepEqual([b.approved, b.reason], [false, 'DUPLICATE_INTENT']);
      assert.equal(d.g.h.venue.submits.length, 1);
    },
  ],
  [
    'NOT_LEADER: a standby decides nothing and sends nothing; the key stays open for the leader',
    {},
    async (d) => {
      d.g.gw.isLeader = () => false;
      const e = env({ ts: now(d) });
      const a = await d.submit(e);
      assert.deepEqual([a.approved, a.reason], [false, 'NOT_LEADER']);
      assert.equal(d.g.h.venue.submits.length, 0);
      assert.equal(d.g.gw.exposure.total, 0);
      d.g.gw.isLeader = () => true;
      assert.equal((await d.submit({ ...e })).approved, true);
    },
  ],
];
