import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '../../src/core/logger.ts';
import type { Decision } from '../../src/gateway/envelope.ts';
import { IntentSender } from '../../src/gateway/nats-client.ts';
import { type LedgerBatch, NatsGatewayService } from '../../src/gateway/nats-gateway.ts';
import { type NatsServer, natsServerBinary, startNatsServer } from '../helpers/nats-server.ts';
import { CASES, env } from './cases.ts';
import { gatewayHarness } from './harness.ts';

const bin = natsServerBinary();
const skip =
  bin === null && process.env.CI !== 'true'
    ? 'nats-server not installed (apt-get install nats-server)'
    : false;
if (skip) process.stdout.write(`# SKIP NATS gateway tests: ${skip}\n`);

let server: NatsServer;
before(async () => {
  if (!skip) server = await startNatsServer();
});
after(async () => {
  await server?.stop();
});

let accounts = 0;
const log = createLogger('silent');

/** A gateway service over the scripted-venue harness, and a runner's sender, on a fresh account. */
async function rig(over: Parameters<typeof gatewayHarness>[0], ids: string[] = ['gw-a']) {
  const account = `t${++accounts}`;
  const g = gatewayHarness(over);
  const symbolIds = new Map(g.h.symbols.map((s) => [s.code, s.id]));
  const opts = { url: server.url, account, leaseTtlMs: 1000, log, symbolIds };
  const services: NatsGatewayService[] = [];
  for (const id of ids) services.push(await NatsGatewayService.start(g.gw, { ...opts, id }));
  g.h.router.listen((r) => services.find((s) => s.metrics.leader)?.onReport(r));
  const sender = await IntentSender.open({ url: server.url, account, runner: 'r1', leaseTtlMs: 1000 });
  const close = async () => {
    await sender.close();
    for (const s of services) await s.stop();
  };
  return { g, services, sender, close };
}

// The in-flight case needs a second intent under a key whose first is still undecided: over
// NATS one leader decides intents one at a time and JetStream drops the repeated message id,
// which the dedup case covers (the repeat is answered from the ledger).
for (const [name, over, run] of CASES.filter(([n]) => !n.includes('DEDUP_IN_FLIGHT'))) {
  test(`NATS gateway: ${name}`, { skip, timeout: 60_000 }, async () => {
    const r = await rig(over);
    try {
      await run({ g: r.g, submit: (e) => r.sender.submit(e, 20_000) });
    } finally {
      await r.close();
    }
  });
}

test('NATS gateway: one leader per account; a standby takes over the lease and the ledger when the leader stops', {
  skip,
  timeout: 60_000,
}, async () => {
  // Two gateway processes' worth: each its own pipeline and venue, one account.
  const r = await rig({});
  const g2 = gatewayHarness({});
  const b = await NatsGatewayService.start(g2.gw, {
    url: server.url,
    account: `t${accounts}`,
    id: 'gw-b',
    leaseTtlMs: 1000,
    log,
    symbolIds: new Map(g2.h.symbols.map((s) => [s.code, s.id])),
  });
  try {
    const a = r.services[0];
    assert.deepEqual(
      [a.metrics.leader, b.metrics.leader],
      [true, false],
      'the first to create the lease leads',
    );
    assert.equal(b.pipeline.isLeader(), false);
    const e = env({ ts: r.g.h.clock.nowNs() });
    const d1 = await r.sender.submit(e);
    assert.equal(d1.approved, true);
    // Every renewal is a compare-and-set that moves the revision: the decision names the one it was made under.
    assert.ok(d1.lease > 0 && d1.lease <= a.metrics.leaseRevision);
    await a.stop();
    const lastOfA = a.metrics.leaseRevision;
    const t0 = Date.now();
    while (!b.metrics.leader) {
      assert.ok(Date.now() - t0 < 30_000, 'standby never took the lease');
      await new Promise((res) => setTimeout(res, 20));
    }
    // The repeat is answered from the replicated ledger: the same decision, no order from the new leader.
    assert.deepEqual(await r.sender.submit({ ...e }), d1);
    const d2 = await r.sender.submit(env({ ts: g2.h.clock.nowNs() }));
    assert.equal(d2.approved, true);
    assert.ok(d2.lease > lastOfA, 'the new term has a higher lease revision');
    assert.deepEqual([r.g.h.venue.submits.length, g2.h.venue.submits.length], [1, 1]);
  } finally {
    await b.stop();
    await r.close();
  }
});

test('NATS gateway: a renewal slower than the renewal period (a loaded machine) does not depose a healthy leader', {
  skip,
  timeout: 60_000,
}, async () => {
  const r = await rig({});
  const a = r.services[0];
  try {
    const terms = a.metrics.terms;
    // The renewal timer firing again while its last request is still out, three times over.
    const renew = (a as unknown as { renew(): Promise<void> }).renew.bind(a);
    await Promise.all([renew(), renew(), renew()]);
    assert.equal(a.metrics.leader, true, 'still the leader');
    assert.equal(a.metrics.terms, terms, 'in the same term');
    assert.equal((await r.sender.submit(env({ ts: r.g.h.clock.nowNs() }))).approved, true);
  } finally {
    await r.close();
  }
});

test('NATS gateway: execution reports go back to the runner that sent the order', {
  skip,
  timeout: 60_000,
}, async () => {
  const r = await rig({});
  try {
    const got: string[] = [];
    r.sender.onExec = (x) => got.push(`${x.type}:${x.orderId}:${x.lastQty}`);
    const id = 7 * 2 ** 32 + 1;
    const d = await r.sender.submit(env({ ts: r.g.h.clock.nowNs(), clientOrderId: id }));
    assert.equal(d.orderId, id);
    r.g.h.exec({ type: 'ack', orderId: id });
    r.g.h.exec({ type: 'fill', orderId: id, lastPx: 33_000_00, lastQty: 1, leavesQty: 0 });
    const t0 = Date.now();
    while (got.length < 2) {
      assert.ok(Date.now() - t0 < 20_000, `reports not received: ${got}`);
      await new Promise((res) => setTimeout(res, 10));
    }
    assert.deepEqual(got, [`ack:${id}:0`, `fill:${id}:1`]);
  } finally {
    await r.close();
  }
});

test('NATS gateway: a malformed intent is counted and dropped, the next one is decided', {
  skip,
  timeout: 60_000,
}, async () => {
  const r = await rig({});
  try {
    await r.sender.nc.publish(`hft.gw.t${accounts}.intent`, '{"not":"an intent"}');
    const d = await r.sender.submit(env({ ts: r.g.h.clock.nowNs() }));
    assert.equal(d.approved, true);
    assert.equal(r.services[0].metrics.malformed, 1);
  } finally {
    await r.close();
  }
});

test('NATS gateway: a leader whose lease is taken sends nothing more; the next leader decides', {
  skip,
  timeout: 60_000,
}, async () => {
  const r = await rig({});
  const { Kvm } = await import('@nats-io/kv');
  const a = r.services[0];
  try {
    assert.equal((await r.sender.submit(env({ ts: r.g.h.clock.nowNs() }))).approved, true);
    // Someone else holds the lease now (as after a partition): A's next compare-and-set fails.
    const lease = await new Kvm(r.sender.nc).open(`hft_gw_t${accounts}_lease`);
    const intruderRev = await lease.put('leader', 'intruder');
    const t0 = Date.now();
    while (a.metrics.leader) {
      assert.ok(Date.now() - t0 < 20_000, 'A never noticed it lost the lease');
      await new Promise((res) => setTimeout(res, 10));
    }
    assert.equal(a.pipeline.isLeader(), false, 'fenced: the pipeline refuses to send');
    const e = env({ ts: r.g.h.clock.nowNs() });
    // A may still pull it and answer NOT_LEADER (fenced); the final decision is the new leader's.
    const pending = r.sender.decide(e, 30_000);
    // The intruder never renews: its key expires with the bucket's TTL and a gateway (B, or A
    // again in a new term) takes the lease.
    const g2 = gatewayHarness({});
    const b = await NatsGatewayService.start(g2.gw, {
      url: server.url,
      account: `t${accounts}`,
      id: 'gw-b',
      leaseTtlMs: 1000,
      log,
      symbolIds: new Map(g2.h.symbols.map((s) => [s.code, s.id])),
    });
    try {
      const d = await pending;
      assert.equal(d.approved, true);
      assert.ok(d.lease > intruderRev, "decided under a lease taken after the intruder's");
      assert.equal(r.g.h.venue.submits.length + g2.h.venue.submits.length, 2, 'one order per intent');
      if (r.g.h.venue.submits.length === 2)
        assert.equal(a.metrics.terms, 2, 'A sent again only in a new term');
    } finally {
      await b.stop();
    }
  } finally {
    await r.close();
  }
});

/** Every decision in the account's ledger stream, in stream order (a key may only appear once). */
async function ledgerKeys(nc: import('@nats-io/transport-node').NatsConnection, account: string) {
  const { jetstream, jetstreamManager } = await import('@nats-io/jetstream');
  const last = (await (await jetstreamManager(nc)).streams.info(`HFT_GW_${account}_LEDGER`)).state.last_seq;
  const c = await jetstream(nc).consumers.get(`HFT_GW_${account}_LEDGER`);
  const keys: string[] = [];
  for (let seq = 1; seq <= last; seq++) {
    const m = await c.next({ expires: 5000 });
    assert.ok(m !== null, `ledger message ${seq}`);
    for (const e of (m.json() as LedgerBatch).d) keys.push(e.d.key);
  }
  return keys;
}

test("NATS gateway: another gateway's late batch refuses the leader's next append; the leader reads the ledger again, its answers are the ledger's first decisions, no order twice", {
  skip,
  timeout: 60_000,
}, async () => {
  const r = await rig({});
  const a = r.services[0];
  const account = `t${accounts}`;
  try {
    const e1 = env({ ts: r.g.h.clock.nowNs(), clientOrderId: 5 * 2 ** 32 + 1 });
    const d1 = await r.sender.submit(e1);
    assert.equal(d1.approved, true);
    // A deposed leader's batch, stored after A's: it decided e2 (and sent its order elsewhere).
    const e2 = env({ ts: r.g.h.clock.nowNs(), clientOrderId: 5 * 2 ** 32 + 2 });
    const theirs: Decision = {
      key: e2.idempotencyKey,
      intentId: e2.intentId,
      approved: true,
      reason: 'OK',
      orderId: e2.clientOrderId,
      lease: 1,
    };
    const { jetstream } = await import('@nats-io/jetstream');
    const late: LedgerBatch = { w: 'deposed', lease: 1, d: [{ r: 'r1', d: theirs }] };
    await jetstream(r.sender.nc).publish(`hft.gw.${account}.ledger`, JSON.stringify(late));
    // A's next append expects A's own batch to be the last: refused, whenever A's index saw the
    // late batch. A reads the ledger to its end and decides e3 again from its own window.
    const e3 = env({ ts: r.g.h.clock.nowNs(), clientOrderId: 5 * 2 ** 32 + 3 });
    const d3 = await r.sender.submit(e3);
    assert.deepEqual([d3.approved, d3.orderId], [true, e3.clientOrderId]);
    assert.equal(a.metrics.chainBreaks, 1, 'the append after the late batch was refused');
    // e2 is in the ledger: its decision is the answer, A sends nothing for it.
    assert.deepEqual(await r.sender.submit(e2), theirs);
    assert.deepEqual(
      r.g.h.venue.submits.map((c) => c.orderId),
      [e1.clientOrderId, e3.clientOrderId],
      'one order per intent',
    );
    // The refused batch was not stored: every key once, the late batch's in its place.
    assert.deepEqual(await ledgerKeys(r.sender.nc, account), [
      e1.idempotencyKey,
      e2.idempotencyKey,
      e3.idempotencyKey,
    ]);
    // A repeat of e3 after the refusal is answered from the ledger with the stored decision.
    assert.deepEqual(await r.sender.submit({ ...e3 }), d3);
  } finally {
    await r.close();
  }
});

test('NATS gateway: intents sent in one turn travel as one message; each is decided once, a repeat in it is answered from the ledger', {
  skip,
  timeout: 60_000,
}, async () => {
  const r = await rig({});
  const account = `t${accounts}`;
  const batching = await IntentSender.open({
    url: server.url,
    account,
    runner: 'r1',
    leaseTtlMs: 1000,
    batchIntents: true,
  });
  try {
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const jsm = await jetstreamManager(r.sender.nc);
    const seq = async () => (await jsm.streams.info(`HFT_GW_${account}`)).state.last_seq;
    const e0 = env({ ts: r.g.h.clock.nowNs(), clientOrderId: 6 * 2 ** 32 + 1 });
    const d0 = await batching.submit(e0);
    assert.equal(d0.approved, true);
    const before = await seq();
    const es = [2, 3, 4].map((i) => env({ ts: r.g.h.clock.nowNs(), clientOrderId: 6 * 2 ** 32 + i }));
    // Three new intents and a repeat of e0, published in the same turn.
    const ds = await Promise.all([...es, { ...e0 }].map((e) => batching.submit(e)));
    assert.equal((await seq()) - before, 1, 'one message for the four intents');
    assert.deepEqual(
      ds.map((d) => [d.key, d.approved, d.orderId]),
      [
        ...es.map((e) => [e.idempotencyKey, true, e.clientOrderId]),
        [e0.idempotencyKey, true, e0.clientOrderId],
      ],
    );
    assert.deepEqual(ds[3], d0, 'the repeat gets the first decision');
    assert.deepEqual(
      r.g.h.venue.submits.map((c) => c.orderId),
      [e0, ...es].map((e) => e.clientOrderId),
      'one order per intent',
    );
    assert.deepEqual(
      await ledgerKeys(r.sender.nc, account),
      [e0, ...es].map((e) => e.idempotencyKey),
    );
  } finally {
    await batching.close();
    await r.close();
  }
});
