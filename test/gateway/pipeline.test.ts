import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DedupWindow } from '../../src/gateway/dedup.ts';
import { clientOrderId, EnvelopeError, parseEnvelope } from '../../src/gateway/envelope.ts';
import { ExposureStore } from '../../src/gateway/exposure.ts';
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

test('exposure store: reservations in its hash table match a plain model through growth, fills, releases, expiry', () => {
  const x = new ExposureStore({
    globalMax: 0,
    strategyMax: new Map([['b', 50]]),
    strategyDefault: 0,
    maxBuckets: 1e9,
  });
  // Model: order id -> [strategy, symbol, notional, ts].
  const model = new Map<number, [string, number, number, number]>();
  let seed = 7;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const ids: number[] = [];
  for (let step = 0; step < 20_000; step++) {
    const op = rnd(10);
    if (op < 5 || ids.length === 0) {
      // Runner-scoped ids (high bits) as over NATS, and clustered ids that collide in the table.
      const id = rnd(2) === 0 ? clientOrderId(1 + rnd(3), 1 + rnd(1 << 20)) : 1 + rnd(5000) * 1024;
      if (model.has(id)) continue;
      const sid = rnd(2) === 0 ? 'a' : 'b';
      const sym = rnd(40);
      const n = 1 + rnd(1000);
      x.reserve(id, sid, sym, n, step);
      model.set(id, [sid, sym, n, step]);
      ids.push(id);
    } else if (op < 7) {
      const id = ids.splice(rnd(ids.length), 1)[0];
      x.releaseAll(id);
      model.delete(id);
    } else if (op < 9) {
      const id = ids[rnd(ids.length)];
      const r = model.get(id)!;
      const part = 1 + rnd(600);
      x.releaseFill(id, part);
      r[2] -= Math.min(part, r[2]);
      if (r[2] <= 0) {
        model.delete(id);
        ids.splice(ids.indexOf(id), 1);
      }
    } else if (step % 97 === 0) {
      const gone = x.expire(step, 3000);
      let n = 0;
      for (const [id, r] of model)
        if (step - r[3] >= 3000) {
          model.delete(id);
          ids.splice(ids.indexOf(id), 1);
          n++;
        }
      assert.equal(gone, n);
    }
  }
  assert.equal(x.openReservations, model.size);
  let total = 0;
  const byStrategy = new Map<string, number>();
  for (const [id, r] of model) {
    assert.equal(x.reservationOf(id), r[2], `order ${id}`);
    total += r[2];
    byStrategy.set(r[0], (byStrategy.get(r[0]) ?? 0) + r[2]);
  }
  assert.equal(x.total, total);
  assert.equal(x.strategyTotal('a'), byStrategy.get('a') ?? 0);
  assert.equal(x.strategyTotal('b'), byStrategy.get('b') ?? 0);
  assert.equal(x.reservationOf(123456789), 0);
  // Strategy b's cap (50) is over what it holds: refused, and a's are not capped.
  assert.equal(x.check('b', 0, 51, 0), 'STRATEGY_EXPOSURE_LIMIT');
  assert.equal(x.check('a', 0, 1e9, 0), null);
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
