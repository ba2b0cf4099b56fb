import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { Decision } from '../../src/gateway/envelope.ts';
import { type NatsServer, natsServerBinary, startNatsServer } from '../helpers/nats-server.ts';
import { hft, type Proc, ROOT, startNode, stopProc } from './processes.ts';

const bin = natsServerBinary();
const skip =
  bin === null && process.env.CI !== 'true'
    ? 'nats-server not installed (apt-get install nats-server)'
    : false;
if (skip) process.stdout.write(`# SKIP NATS gateway chaos test: ${skip}\n`);

type Line = Record<string, unknown> & { t: number };
const read = (f: string): Line[] =>
  existsSync(f)
    ? readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Line)
    : [];

const ACCOUNT = 'chaos';
const LIMIT = 40_000_000; // gateway.global_max_notional, TWD: six TXFD6 lots at 33000
const INTENTS = 400; // per runner, 25 a second each
// The gateways' unacknowledged window (gateway.nats.max_inflight): the runners keep 2 x 4
// intents outstanding, so 8 never holds one back, and it bounds what a fault leaves uncommitted.
const WINDOW = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('chaos: gateways killed and paused, nats-server restarted; every intent decided once, no order twice or from a deposed leader, exposure within its cap', {
  skip,
  timeout: 600_000,
}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-gw-chaos-'));
  const storeDir = path.join(dir, 'js');
  let server: NatsServer = await startNatsServer({ storeDir });
  const url = server.url;
  const gateways = new Map<string, Proc>();
  const runners: Proc[] = [];
  const startGateway = (id: string) => {
    const p = hft(id, [
      'gateway',
      'run',
      '--nats',
      url,
      '--account',
      ACCOUNT,
      '--id',
      id,
      '--lease-ttl-ms',
      '1000',
      '--orders-log',
      path.join(dir, `${id}.jsonl`),
      '--no-record',
      '--set',
      'ops.enabled=false',
      '--set',
      `orders.dlq_dir=${dir}/dlq`,
      '--set',
      `gateway.global_max_notional=${LIMIT}`,
      // Orders of a dead leader's venue never answer: no breaker opening on their ack timeouts.
      '--set',
      'orders.breaker_failures=0',
      // The runners stream as fast as they are answered, repeating orders: no rate limits or
      // repeat window in the way of the exposure cap.
      '--set',
      'orders.global_per_s=0',
      '--set',
      'orders.symbol_per_s=0',
      '--set',
      'risk.duplicate_window_ms=0',
      '--set',
      'risk.max_orders_per_s=0',
      '--set',
      `gateway.nats.max_inflight=${WINDOW}`,
    ]);
    gateways.set(id, p);
    return p.waitFor(new RegExp(`gateway ${id}: account`));
  };
  const events: { t: number; what: string }[] = [];
  const nc = await connect({ servers: url, maxReconnectAttempts: -1 });
  const leaderNow = async (): Promise<string | null> => {
    const kv = await new Kvm(nc).open(`hft_gw_${ACCOUNT}_lease`);
    const e = await kv.get('leader').catch(() => null);
    return e !== null && e.operation === 'PUT' ? e.string() : null;
  };
  const waitLeader = async (): Promise<string> => {
    for (let i = 0; i < 6000; i++) {
      const l = await leaderNow();
      if (l !== null && gateways.has(l)) return l;
      await sleep(20);
    }
    throw new Error('no leader in 120 s');
  };
  try {
    await Promise.all(['gw-1', 'gw-2', 'gw-3'].map(startGateway));
    for (const r of ['run-a', 'run-b'])
      runners.push(
        startNode(r, [
          path.join(ROOT, 'test/gateway/chaos-runner.ts'),
          url,
          ACCOUNT,
          r,
          String(INTENTS),
          path.join(dir, `${r}.jsonl`),
          r === 'run-a' ? '7' : '11',
        ]),
      );
    const progress = () =>
      runners.reduce((n, r) => n + read(path.join(dir, `${r.name}.jsonl`)).filter((l) => l.key).length, 0);
    const atProgress = async (n: number) => {
      while (progress() < n && runners.some((r) => r.proc.exitCode === null)) await sleep(50);
    };
    // The faults, each once the runners are some way through their intents.
    await atProgress(150);
    let victim = await waitLeader();
    events.push({ t: Date.now(), what: `SIGKILL ${victim}` });
    gateways.get(victim)!.proc.kill('SIGKILL');
    await gateways.get(victim)!.exited;
    // Ready before the next fault: it can take the lease before it prints its line, and a leader
    // killed while starting (a loaded machine) would fail its start, not the gateway's guarantees.
    await startGateway(victim);

    await atProgress(300);
    victim = await waitLeader();
    events.push({ t: Date.now(), what: `SIGSTOP ${victim}` });
    gateways.get(victim)!.proc.kill('SIGSTOP');
    await sleep(2500); // past the 1 s lease: another gateway takes over
    gateways.get(victim)!.proc.kill('SIGCONT');
    events.push({ t: Date.now(), what: `SIGCONT ${victim}` });

    await atProgress(450);
    events.push({ t: Date.now(), what: 'nats-server restart' });
    server.proc.kill('SIGKILL');
    await new Promise((r) => server.proc.once('exit', r));
    server = await startNatsServer({ port: server.port, storeDir });

    await atProgress(600);
    victim = await waitLeader();
    events.push({ t: Date.now(), what: `SIGKILL ${victim}` });
    gateways.get(victim)!.proc.kill('SIGKILL');
    await gateways.get(victim)!.exited;

    for (const r of runners) assert.equal(await r.exited, 0, `${r.name}:\n${r.out().slice(-3000)}`);
  } finally {
    for (const r of runners) await stopProc(r);
    for (const g of gateways.values()) await stopProc(g);
    if (process.env.HFT_KEEP_CHAOS !== undefined)
      for (const p of [...runners, ...gateways.values()])
        writeFileSync(path.join(dir, `${p.name}.out`), p.out());
    await nc.close().catch(() => {});
    await server.stop();
  }

  // What the runners saw: one final decision per intent, the same again on the repeat.
  const decisions = new Map<string, Decision>();
  for (const r of ['run-a', 'run-b']) {
    const ls = read(path.join(dir, `${r}.jsonl`));
    const keys = ls.filter((l) => l.key);
    assert.equal(keys.length, INTENTS, `${r}: a decision for every intent`);
    for (const l of keys) {
      assert.equal(decisions.has(l.key as string), false, `${l.key} decided twice`);
      decisions.set(l.key as string, l.decision as Decision);
    }
    for (const l of ls.filter((x) => x.repeat))
      assert.deepEqual(l.decision, decisions.get(l.repeat as string), `repeat of ${l.repeat}`);
  }
  // What the venues got, from every gateway's audit log (written before each order left).
  const audit = ['gw-1', 'gw-2', 'gw-3'].flatMap((id) => read(path.join(dir, `${id}.jsonl`)));
  const orders = audit.filter((l) => l.order !== undefined);
  const approved = [...decisions.values()].filter((d) => d.approved && d.orderId !== 0);
  assert.ok(approved.length > 20, `orders approved: ${approved.length}`);
  const approvedIds = new Set(approved.map((d) => d.orderId));
  const firstBy = new Map<number, Line>();
  const resent: Line[] = [];
  for (const o of [...orders].sort((a, b) => a.t - b.t)) {
    if (firstBy.has(o.order as number)) resent.push(o);
    else firstBy.set(o.order as number, o);
  }
  for (const d of approved) assert.ok(firstBy.has(d.orderId), `approved order ${d.orderId} reached a venue`);
  // An order sent, then its gateway killed or paused before the decision was committed: the next
  // leader decides the intent again (the same client order id, which a shared venue refuses as a
  // repeat). Only orders whose commits were in flight at a fault can be: a leader holds at most
  // WINDOW intents decided and not yet stored, so each is among the victim's last WINDOW orders.
  // The nats-server restart is a fault of whichever gateway led then: its commits in flight are
  // lost with the connection, and its lease lapses while the server is down.
  const faults = events.filter((e) => /^SIG(KILL|STOP) |^nats-server/.test(e.what));
  // A gateway starved past its lease on a loaded machine is deposed without a fault of ours: a
  // lease it reports lost in a term no injected fault touched is a fault too (one per term), if it
  // had gone unrenewed for the lease's TTL (sooner is a bug: a healthy leader deposed).
  const terms = audit.filter((l) => l.event === 'leader').sort((a, b) => a.t - b.t);
  for (const s of audit.filter((l) => l.event === 'standby')) {
    const term = terms.filter((l) => l.id === s.id && l.t <= s.t).at(-1);
    const injected = faults.some(
      (e) =>
        (e.what.endsWith(` ${s.id}`) || e.what.startsWith('nats')) && e.t >= (term?.t ?? 0) && e.t <= s.t,
    );
    if (injected) continue;
    assert.ok(
      (s.sinceRenewalMs as number) >= 1000,
      `${s.id} lost its lease ${s.sinceRenewalMs} ms after renewing it, with no fault`,
    );
    faults.push({ t: s.t, what: `lease lost ${s.id}` });
  }
  faults.sort((a, b) => a.t - b.t);
  const uncommitted = new Map<number, Line>();
  for (const o of resent) uncommitted.set(o.order as number, firstBy.get(o.order as number)!);
  for (const o of firstBy.values())
    if (!approvedIds.has(o.order as number)) uncommitted.set(o.order as number, o);
  for (const o of uncommitted.values()) {
    const fault = faults.find(
      (e) => (e.what.endsWith(` ${o.id}`) || e.what.startsWith('nats')) && e.t >= o.t,
    );
    assert.ok(fault !== undefined, `order ${o.order} of ${o.id} sent again or undecided without a fault`);
    const later = orders.filter((x) => x.id === o.id && x.t > o.t && x.t <= fault.t);
    assert.ok(
      later.length < WINDOW,
      `order ${o.order} was not among the last ${WINDOW} ${o.id} sent before ${fault.what}`,
    );
  }
  assert.ok(
    uncommitted.size <= faults.length * WINDOW,
    `${uncommitted.size} uncommitted orders, ${faults.length} faults`,
  );
  for (const o of resent)
    assert.ok(
      ['side', 'price', 'qty'].every((k) => o[k] === firstBy.get(o.order as number)![k]),
      `order ${o.order} sent again as the same order`,
    );
  // Fencing: no order under lease revision r after another gateway took a later revision.
  for (const o of orders) {
    const deposed = terms.find(
      (l) => (l.lease as number) > (o.lease as number) && l.id !== o.id && l.t < o.t,
    );
    assert.equal(
      deposed,
      undefined,
      `order ${o.order} of ${o.id} (lease ${o.lease}) after ${JSON.stringify(deposed)}`,
    );
  }
  // Exposure: every order fit under the cap with what the account already had open.
  for (const o of orders) {
    const notional = ((o.price as number) / 100) * 200 * (o.qty as number);
    assert.ok(
      (o.exposure as number) + notional <= LIMIT,
      `order ${o.order}: exposure ${o.exposure} + ${notional}`,
    );
  }
  assert.ok(
    [...decisions.values()].some((d) => d.reason === 'GLOBAL_EXPOSURE_LIMIT'),
    'the cap was reached (and refused)',
  );
  // Positions equal fills: every fill a runner heard of was made by a gateway's venue, once.
  const venueFilled = new Map<number, number>();
  for (const f of audit.filter((l) => l.fill !== undefined))
    venueFilled.set(f.fill as number, (venueFilled.get(f.fill as number) ?? 0) + (f.qty as number));
  for (const r of ['run-a', 'run-b']) {
    const heard = new Map<number, number>();
    for (const x of read(path.join(dir, `${r}.jsonl`)).filter(
      (l) => l.exec === 'fill' || l.exec === 'partial',
    ))
      heard.set(x.order as number, (heard.get(x.order as number) ?? 0) + (x.qty as number));
    for (const [id, q] of heard)
      assert.ok(
        q <= (venueFilled.get(id) ?? 0),
        `${r}: order ${id} filled ${q}, venue ${venueFilled.get(id)}`,
      );
  }
  // Failover: a leader's death (or pause) -> the first order from another gateway.
  const byTime = [...orders].sort((a, b) => a.t - b.t);
  const gaps: number[] = [];
  const after: string[] = [];
  for (const e of events.filter((x) => !x.what.startsWith('SIGCONT'))) {
    const who = e.what.split(' ')[1];
    const first = byTime.find((o) => o.t > e.t && o.id !== who);
    if (first === undefined) continue;
    if (/^SIG(KILL|STOP) /.test(e.what)) gaps.push(first.t - e.t);
    after.push(`${e.what} ${first.t - e.t}`);
  }
  gaps.sort((a, b) => a - b);
  const reasons: Record<string, number> = {};
  for (const d of decisions.values()) reasons[d.reason] = (reasons[d.reason] ?? 0) + 1;
  process.stdout.write(
    `# chaos: ${decisions.size} intents, ${orders.length} orders over ${new Set(orders.map((o) => o.id)).size} gateways, ` +
      `decisions ${JSON.stringify(reasons)}, ${terms.length} leader terms, ${uncommitted.size} orders in flight at a fault decided again, leases lost without an injected fault: ${faults.length - events.filter((e) => !e.what.startsWith('SIGCONT')).length}; fault -> first order of another gateway ms: ${after.join(', ')}; ` +
      `failover (leader killed or paused -> first order of the next leader) ms: median ${gaps[Math.floor(gaps.length / 2)]}, max ${gaps.at(-1)}\n`,
  );
  if (process.env.HFT_KEEP_CHAOS === undefined) rmSync(dir, { recursive: true, force: true });
});
