/**
 * Gateway figures. In-process: what the gateway's own stages (dedup, TTL, policy, exposure
 * check and reservation, release on the report) add to an intent that risk passes and the
 * order adapter sends, measured as the difference between the pipeline and the direct
 * risk + adapter path over the same intents (each order then canceled through the router).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProject } from '../src/config/project.ts';
import type { OrderCommand, OrderIntent } from '../src/contracts/orders.ts';
import type { Venue, VenueHandlers } from '../src/contracts/venue.ts';
import { SimClock } from '../src/core/clock.ts';
import { createLogger } from '../src/core/logger.ts';
import { Scheduler } from '../src/core/scheduler.ts';
import { PositionStore } from '../src/execution/positions.ts';
import { ExecutionRouter } from '../src/execution/router.ts';
import { buildPipeline } from '../src/gateway/build.ts';
import { DEFAULT_ADAPTER_OPTIONS, OrderAdapter } from '../src/order/order-adapter.ts';
import { RiskEngine } from '../src/risk/risk-engine.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];

export interface InProcessGatewayBench {
  intents: number;
  /** ns per intent (batch means of 1000): risk + adapter + cancel report, without and with the gateway. */
  direct_ns: { p50: number; p99: number };
  gateway_ns: { p50: number; p99: number };
  /** Median of the paired batch differences (gateway - direct), ns per intent. */
  added_ns_p50: number;
}

/** One process's risk, adapter, router and gateway over a venue that acks nothing (orders are canceled at once). */
function rig() {
  const { settings, symbols } = loadProject({ root, env: 'test', envVars: {} });
  const clock = new SimClock(1_775_610_000_000_000_000);
  const scheduler = new Scheduler(clock);
  const log = createLogger('silent');
  let handlers: VenueHandlers | null = null;
  const venue: Venue = {
    name: 'bench',
    reportsOrderIds: true,
    connect(h) {
      handlers = h;
    },
    start() {},
    stop() {},
    submit(_c: OrderCommand) {},
    cancel(orderId: number) {
      handlers!.onExec(cancelled(orderId));
    },
  };
  const ev = {
    type: 'canceled' as const,
    orderId: 0,
    venueOrderId: '',
    lastPx: 0,
    lastQty: 0,
    leavesQty: 0,
    taker: false,
    reason: '' as const,
    exchTs: 0,
  };
  const cancelled = (id: number) => {
    ev.orderId = id;
    return ev;
  };
  const orders = new OrderAdapter(venue, symbols, scheduler, log, {
    ...DEFAULT_ADAPTER_OPTIONS,
    globalPerS: 0,
    symbolPerS: 0,
    ackTimeoutNs: 0,
  });
  const positions = new PositionStore(symbols);
  const router = new ExecutionRouter(symbols, orders, positions, clock, log);
  venue.connect({ onQuote() {}, onMarketEvent() {}, onExec: router.onExec });
  const lim = { ...settings.risk };
  const risk = new RiskEngine(
    symbols,
    {
      maxOrderQty: lim.max_order_qty,
      maxPosition: lim.max_position,
      priceBandTicks: lim.price_band_ticks,
      maxNotional: 0,
      maxOpenOrders: 0,
      maxOrdersPerS: 0,
      selfTradePrevention: true,
      duplicateWindowNs: 0,
    },
    {
      position: (s, sym) => positions.get(s, sym).qty,
      openQty: (s, sym, side) => orders.openQty(s, sym, side),
      openCount: (s, sym) => orders.openCountOf(s, sym),
      ownBest: (sym, side) => orders.ownBest(sym, side),
      reference: () => 33_000_50,
      order: (id) => orders.get(id),
    },
  );
  // Exposure caps on, so the check does its arithmetic (generous: nothing is refused).
  const gw = buildPipeline(
    { ...settings.gateway, global_max_notional: 1e12, strategy_max_notional: 1e11 },
    symbols,
    clock,
    risk,
    orders,
    positions,
  );
  router.listen((r) => gw.onReport(r));
  gw.start();
  const txf = symbols.find((s) => s.code === 'TXFD6')!.id;
  return { risk, orders, gw, txf };
}

export function benchInProcessGateway(batches = 2000, batch = 1000): InProcessGatewayBench {
  const { risk, orders, gw, txf } = rig();
  const it: OrderIntent = {
    intentId: 0,
    strategyId: 'mm',
    symbolId: txf,
    action: 'new',
    side: 1,
    price: 32_995_00,
    qty: 1,
    tif: 'GTC',
    targetOrderId: 0,
    ts: 0,
  };
  const direct = () => {
    it.intentId++;
    if (risk.check(it) !== null) throw new Error(`bench intent rejected: ${risk.counters.byReason}`);
    const id = orders.send(it);
    risk.accepted(it, id);
    orders.cancel(id);
  };
  const viaGateway = () => {
    it.intentId++;
    const id = gw.submit(it, 'NEW', '', 0, 0);
    if (id === 0) throw new Error(`bench intent rejected: ${gw.lastReason}`);
    orders.cancel(id);
  };
  const time = (fn: () => void) => {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    return ((performance.now() - t0) * 1e6) / batch;
  };
  for (let b = 0; b < 200; b++) {
    time(direct);
    time(viaGateway);
  }
  const d: number[] = [];
  const g: number[] = [];
  const diff: number[] = [];
  // Interleaved batches: machine load hits both sides alike.
  for (let b = 0; b < batches; b++) {
    const a = time(direct);
    const c = time(viaGateway);
    d.push(a);
    g.push(c);
    diff.push(c - a);
  }
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    intents: batches * batch * 2,
    direct_ns: { p50: r(median(d)), p99: r(pct(d, 0.99)) },
    gateway_ns: { p50: r(median(g)), p99: r(pct(g, 0.99)) },
    added_ns_p50: r(median(diff)),
  };
}

export interface NatsGatewayBench {
  /**
   * Intent published by a runner -> order handed to the venue by the leader, one at a time,
   * after `warm` intents not counted (the JIT and the NATS paths settle over the first
   * thousands: the first 2,000 had p50 ~100 µs and p99 ~1 ms above the steady state).
   */
  intent_to_order_us: { p50: number; p99: number; n: number; warm: number };
  /** The same against a nats-server limited to one Go thread (GOMAXPROCS=1): see docs/gateway.md. */
  intent_to_order_us_server_gomaxprocs1: { p50: number; p99: number; n: number; warm: number };
  /** Intents published at once, decided and committed per second by one gateway (runner's answers in). */
  throughput_intents_per_s: number;
  /**
   * Mean µs per intent in the burst: the gateway's own work (parse, local ledger look-up,
   * pipeline, commit written out) and the commit's round trip (overlapped with later intents).
   */
  burst_stage_us: { decide: number; commit: number };
  /**
   * CPU of this process (runner's sender, gateway, venue) per intent of the burst, µs (user +
   * system): on a shared machine the wall figures include waiting for a core, this does not.
   */
  burst_cpu_us_per_intent: number;
  /** nats-server's CPU per intent of the same burst, µs (from /proc/<pid>/stat; null off Linux). */
  burst_server_cpu_us_per_intent: number | null;
  /** Intents per decision-ledger message (batch) in the burst. */
  burst_intents_per_batch: number;
  /** Leader stopped hard (its lease left to expire) -> first order from the standby, ms; lease TTL. */
  failover_ms: number;
  lease_ttl_ms: number;
}

/** User + system CPU of a process so far, µs (/proc/<pid>/stat, clock ticks of 10 ms); null when unreadable. */
function procCpuUs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name.
    return (Number(rest[11]) + Number(rest[12])) * 10_000;
  } catch {
    return null;
  }
}

const LEASE_TTL_MS = 1000;

/** A gateway (id `a`) and a runner's sender (`r1`) on `url`, its venue filling every order at once. */
async function natsRig(url: string) {
  const { gatewayHarness } = await import('../test/gateway/harness.ts');
  const { NatsGatewayService } = await import('../src/gateway/nats-gateway.ts');
  const { IntentSender } = await import('../src/gateway/nats-client.ts');
  const g = gatewayHarness({});
  const symbolIds = new Map(g.h.symbols.map((s) => [s.code, s.id]));
  const opts = { url, account: 'bench', leaseTtlMs: LEASE_TTL_MS, log: createLogger('silent'), symbolIds };
  const svc = await NatsGatewayService.start(g.gw, { ...opts, id: 'a' });
  const sender = await IntentSender.open({ url, account: 'bench', runner: 'r1', leaseTtlMs: LEASE_TTL_MS });
  let onSubmit: (() => void) | null = null;
  const submit = g.h.venue.submit.bind(g.h.venue);
  g.h.venue.submit = (c) => {
    submit(c);
    onSubmit?.();
  };
  let k = 0;
  const envOf = (side: 1 | -1, runner = 'r1') => ({
    intentId: ++k,
    strategyId: 's',
    symbol: 'TXFD6',
    kind: 'NEW' as const,
    side,
    price: side === 1 ? 32_990_00 : 33_010_00,
    qty: 1,
    tif: 'GTC' as const,
    targetOrderId: 0,
    ts: g.h.clock.nowNs(),
    sourceTs: 0,
    idempotencyKey: `b-${k}`,
    ttlNs: 0,
    decisionPrice: 0,
    clientOrderId: 0,
    runner,
  });
  // Every order filled at once by the scripted venue, so positions stay inside the risk limits.
  const fillAll = () => {
    for (const c of g.h.venue.submits.splice(0))
      g.h.exec({ type: 'fill', orderId: c.orderId, lastPx: c.intent.price, lastQty: 1, leavesQty: 0 });
  };
  /** `warm` intents then `n` measured, one at a time: published -> order at the venue, µs. */
  const latency = async (n: number, warm: number) => {
    const lat: number[] = [];
    for (let i = 0; i < warm + n; i++) {
      const t0 = performance.now();
      const sent = new Promise<void>((r) => {
        onSubmit = r;
      });
      void sender.publish(envOf(i % 2 === 0 ? 1 : -1));
      await sent;
      if (i >= warm) lat.push((performance.now() - t0) * 1000);
      fillAll();
    }
    onSubmit = null;
    return { p50: Math.round(median(lat)), p99: Math.round(pct(lat, 0.99)), n, warm };
  };
  return { g, svc, sender, opts, envOf, fillAll, latency, NatsGatewayService, IntentSender };
}

/** The gateway over a real nats-server on loopback: runner sender, service and venue in this process. */
export async function benchNatsGateway(
  n = 5000,
  warm = 2000,
  burst = 5000,
): Promise<NatsGatewayBench | null> {
  const { natsServerBinary, startNatsServer } = await import('../test/helpers/nats-server.ts');
  if (natsServerBinary() === null) return null;
  const server = await startNatsServer();
  let out: Omit<NatsGatewayBench, 'intent_to_order_us_server_gomaxprocs1'>;
  try {
    const { svc, sender, opts, envOf, fillAll, latency, NatsGatewayService, IntentSender } = await natsRig(
      server.url,
    );
    const latencyDefault = await latency(n, warm);
    const burstSender = await IntentSender.open({
      url: server.url,
      account: 'bench',
      runner: 'r2',
      leaseTtlMs: LEASE_TTL_MS,
      batchIntents: true,
    });
    const st = svc.metrics.stageUs;
    for (const k of Object.keys(st) as (keyof typeof st)[]) st[k] = 0;
    svc.metrics.timed = 0;
    const batches0 = svc.metrics.batches;
    const srv0 = procCpuUs(server.proc.pid);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // The burst from a runner that sends the intents of one turn as one message (batchIntents).
    const all = [];
    for (let i = 0; i < burst; i++) all.push(burstSender.submit(envOf(i % 2 === 0 ? 1 : -1, 'r2'), 120_000));
    await Promise.all(all);
    const throughput = Math.round(burst / ((performance.now() - t0) / 1000));
    const cpu = process.cpuUsage(cpu0);
    const srv1 = procCpuUs(server.proc.pid);
    const serverCpu = srv0 === null || srv1 === null ? null : Math.round((srv1 - srv0) / burst);
    const cpuPerIntent = Math.round((cpu.user + cpu.system) / burst);
    const perBatch = Math.round((burst / Math.max(1, svc.metrics.batches - batches0)) * 10) / 10;
    // Where an intent's time went in the burst (the stream always had the next one waiting).
    const stages = Object.fromEntries(
      Object.entries(st).map(([k, v]) => [k, Math.round(v / Math.max(1, svc.metrics.timed))]),
    ) as Record<keyof typeof st, number>;
    fillAll();
    // Failover: a standby gateway; the leader's renewals stop (as if it died) and its lease expires.
    const { gatewayHarness } = await import('../test/gateway/harness.ts');
    const g2 = gatewayHarness({});
    const b = await NatsGatewayService.start(g2.gw, { ...opts, id: 'b' });
    const firstOrder = new Promise<number>((r) => {
      const s2 = g2.h.venue.submit.bind(g2.h.venue);
      g2.h.venue.submit = (c) => {
        s2(c);
        r(performance.now());
      };
    });
    const died = performance.now();
    svc.kill();
    sender.decide(envOf(1), 60_000).catch(() => {}); // answered or not: only the order counts here
    const failoverMs = Math.round((await firstOrder) - died);
    await b.stop();
    await svc.stop();
    await sender.close();
    await burstSender.close();
    out = {
      intent_to_order_us: latencyDefault,
      throughput_intents_per_s: throughput,
      burst_stage_us: stages,
      burst_cpu_us_per_intent: cpuPerIntent,
      burst_server_cpu_us_per_intent: serverCpu,
      burst_intents_per_batch: perBatch,
      failover_ms: failoverMs,
      lease_ttl_ms: LEASE_TTL_MS,
    };
  } finally {
    await server.stop();
  }
  // The latency against a server limited to one Go thread, on a server of its own.
  const one = await startNatsServer({ env: { GOMAXPROCS: '1' } });
  let latencyOneThread: NatsGatewayBench['intent_to_order_us_server_gomaxprocs1'];
  try {
    const rig = await natsRig(one.url);
    latencyOneThread = await rig.latency(n, warm);
    await rig.svc.stop();
    await rig.sender.close();
  } finally {
    await one.stop();
  }
  return { ...out, intent_to_order_us_server_gomaxprocs1: latencyOneThread };
}

export interface WorkQueueBench {
  /** Items of no work through the queue, one in-process worker: ms per item (publish, pull, result, ack). */
  overhead_ms_per_item: number;
  overhead_items: number;
  /** `spin` items (CPU-bound, `item_ms` each) on 1 and 2 `hft worker` processes: wall seconds. */
  item_ms: number;
  items: number;
  wall_s: { one: number; two: number };
  /** wall(1) / wall(2); ideal 2 (the issue asks within 1.1x of it: >= 1.82). */
  speedup: number;
  load_avg_1m: number;
}

/** The research work queue (hft worker) over a real nats-server on loopback. */
export async function benchWorkQueue(
  items = 24,
  itemMs = 250,
  overheadItems = 500,
): Promise<WorkQueueBench | null> {
  const { natsServerBinary, startNatsServer } = await import('../test/helpers/nats-server.ts');
  const { distribute, serveWork, spin } = await import('../src/gateway/work-queue.ts');
  const { spawn } = await import('node:child_process');
  const os = await import('node:os');
  if (natsServerBinary() === null) return null;
  const server = await startNatsServer();
  try {
    // Overhead: items of no work, one worker in this process.
    const stop = new AbortController();
    const w = serveWork({ url: server.url, queue: 'overhead', name: 'w' }, { spin }, stop.signal);
    await distribute(server.url, 'overhead', 'spin', [{ ms: 0 }]); // queue created, connections warm
    const t0 = performance.now();
    await distribute(
      server.url,
      'overhead',
      'spin',
      Array.from({ length: overheadItems }, () => ({ ms: 0 })),
    );
    const overhead = (performance.now() - t0) / overheadItems;
    stop.abort();
    await w;
    // Scaling: the same CPU-bound items on 1, then 2 worker processes (started before the clock).
    const wall = async (n: number, queue: string) => {
      const procs = Array.from({ length: n }, (_, i) =>
        spawn(
          process.execPath,
          [
            path.join(root, 'bin/hft.mjs'),
            'worker',
            '--nats',
            server.url,
            '--work-queue',
            queue,
            '--name',
            `b${i}`,
          ],
          {
            stdio: ['ignore', 'pipe', 'ignore'],
          },
        ),
      );
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((r) => {
              p.stdout!.on('data', (b: Buffer) => {
                if (b.toString().includes('worker b')) r();
              });
            }),
        ),
      );
      const t = performance.now();
      await distribute(
        server.url,
        queue,
        'spin',
        Array.from({ length: items }, () => ({ ms: itemMs })),
      );
      const s = (performance.now() - t) / 1000;
      for (const p of procs) p.kill('SIGTERM');
      await Promise.all(procs.map((p) => new Promise((r) => p.once('exit', r))));
      return s;
    };
    const one = await wall(1, 'scale1');
    const two = await wall(2, 'scale2');
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return {
      overhead_ms_per_item: r2(overhead),
      overhead_items: overheadItems,
      item_ms: itemMs,
      items,
      wall_s: { one: r2(one), two: r2(two) },
      speedup: r2(one / two),
      load_avg_1m: r2(os.loadavg()[0]),
    };
  } finally {
    await server.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const which = process.argv[2];
  const out: Record<string, unknown> = {};
  if (which === undefined || which === 'inprocess') out.inprocess = benchInProcessGateway();
  if (which === undefined || which === 'nats') out.nats = await benchNatsGateway();
  if (which === undefined || which === 'work') out.work = await benchWorkQueue();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
