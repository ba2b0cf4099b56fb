import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DedupWindow } from '../../src/gateway/dedup.ts';
import { clientOrderId, EnvelopeError, parseEnvelope } from '../../src/gateway/envelope.ts';
import { CASES, env } from './cases.ts';
import { gatewayHarness } from './harness.ts';

for (const [name, over, run] of CASES) {
  test(`in-process gateway: ${name}`, async () => {
    const g = gatewayHarness(over);
    const ids = new Map(g.h.symbols.map((s) => [s.code, s.id]));
    await run({ g, submit: async (e) => g.gw.decide(e, ids) });
  });
}

test('dedup window: oldest key evicted past capacity, a hit moves a key to the end', () => {
  const w = new DedupWindow(2);
  w.reserve('a');
  w.reserve('b');
  w.reserve('a'); // hit: a is now newest
  w.reserve('c'); // evicts b
  assert.equal(w.get('b'), undefined);
  assert.notEqual(w.get('a'), undefined);
  assert.equal(w.counters.evicted, 1);
  const d = { key: 'c', intentId: 1, approved: true, reason: 'OK' as const, orderId: 5, lease: 0 };
  assert.equal(w.commit('c', d), true);
  assert.equal(w.commit('c', { ...d, orderId: 6 }), false, 'the first commit wins');
  w.release('c');
  assert.equal(w.get('c')?.decision?.orderId, 5, 'a committed decision is not released');
});

test('envelope: a malformed one is an EnvelopeError naming the field; client ids are runner-scoped', () => {
  assert.deepEqual(
    parseEnvelope(JSON.parse(JSON.stringify(env({ idempotencyKey: 'k' })))).idempotencyKey,
    'k',
  );
  assert.throws(
    () => parseEnvelope({ ...env(), side: 2 }),
    (e: Error) => e instanceof EnvelopeError && /side/.test(e.message),
  );
  assert.throws(() => parseEnvelope({ ...env(), price: 1.5 }), /price/);
  assert.throws(() => parseEnvelope({ ...env(), runner: 'a b' }), /runner/);
  assert.throws(() => parseEnvelope(null), /not an object/);
  assert.equal(clientOrderId(1, 1), 2 ** 32 + 1);
  assert.notEqual(clientOrderId(1, 5), clientOrderId(2, 5));
  assert.throws(() => clientOrderId(2 ** 20, 1), RangeError);
});
