import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/core/logger.ts';
import type { OpsView } from '../../src/observability/ops-view.ts';
import { createMetricsRegistry } from '../../src/observability/system-metrics.ts';
import { TradingControl } from '../../src/services/supervisor.ts';
import type { TradingSystem } from '../../src/services/trading-system.ts';
import { buildSystem, parseProm, set, testSettings } from './helpers.ts';

const log = createLogger('silent');

function opsView(sys: TradingSystem, capacity: number): { view: OpsView; control: TradingControl } {
  const control = new TradingControl(sys, sys.stormGuard, log);
  const view: OpsView = {
    sys,
    safety: control,
    supervision: null,
    busCapacity: capacity,
    venueRejects: { VENUE_REJECT: 3 },
    breakers: () => [{ name: 'orders', state: 2 }],
  };
  return { view, control };
}

/** Cumulative bucket counts of one histogram series, in `le` order. */
function buckets(samples: Map<string, number>, name: string, labels: string): number[] {
  const out: [number, number][] = [];
  for (const [k, v] of samples) {
    if (!k.startsWith(`${name}_bucket{`)) continue;
    if (labels !== '' && !k.includes(labels)) continue;
    const le = /le="([^"]+)"/.exec(k)![1];
    out.push([le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map((x) => x[1]);
}

test('the /metrics registry reads the running system: counters, positions, PnL and latency match the summary', async () => {
  const settings = testSettings();
  const sys = await buildSystem(settings);
  const summary = await sys.run(180);
  assert.ok(summary.orders > 20 && summary.fills > 5, 'the run traded');
  const { view, control } = opsView(sys, settings.bus.capacity);
  const reg = createMetricsRegistry(view);
  const { samples, types } = parseProm(await reg.metrics());
  const get = (k: string) => {
    const v = samples.get(k);
    assert.notEqual(v, undefined, `missing sample ${k}`);
    return v!;
  };

  assert.equal(get('hft_md_events_total{}'), summary.events);
  assert.equal(get('hft_orders_sent_total{}'), summary.orders);
  assert.equal(get('hft_fills_total{kind="full"}') + get('hft_fills_total{kind="partial"}'), summary.fills);
  assert.equal(get('hft_order_cancels_total{}'), summary.cancels);
  assert.equal(get('hft_intents_total{}'), sys.runner.counters.intents);
  assert.equal(get('hft_queue_events_in_total{queue="bus"}'), summary.bus.published);
  assert.equal(get('hft_queue_capacity{queue="bus"}'), settings.bus.capacity);
  for (const [reason, n] of Object.entries(sys.risk.counters.byReason))
    assert.equal(get(`hft_rejects_total{reason="${reason}",source="risk"}`), n);
  assert.equal(get('hft_rejects_total{reason="VENUE_REJECT",source="venue"}'), 3);
  // The summary's reasons cover the venue's rejects too: they add up to its total.
  const counted = Object.values(summary.rejects.by_reason).reduce((a, b) => a + b, 0);
  assert.equal(counted, summary.rejects.total);
  // Every intent went through the in-process gateway: its decisions by outcome and reason.
  const gw = sys.gateway.counters;
  assert.ok(gw.approved > 20);
  assert.equal(get('hft_gateway_decisions_total{outcome="approved",reason="OK"}'), gw.approvedBy.OK);
  assert.equal(gw.approvedBy.OK, gw.approved, 'NORMAL: every approval is OK');
  for (const [reason, v] of Object.entries(gw.byReason))
    assert.equal(get(`hft_gateway_decisions_total{outcome="rejected",reason="${reason}"}`), v);
  assert.equal(get('hft_gateway_intents_total{}'), gw.intents);
  assert.equal(samples.has('hft_gateway_leader{}'), false, 'no NATS gateway in this process');
  for (const p of summary.positions) {
    const l = `currency="TWD",strategy="${p.strategy}",symbol="${p.symbol}"`;
    assert.equal(get(`hft_position_qty{strategy="${p.strategy}",symbol="${p.symbol}"}`), p.qty);
    assert.ok(Math.abs(get(`hft_pnl_net{${l}}`) - p.net) < 1e-6, `net PnL of ${p.strategy}`);
    assert.ok(Math.abs(get(`hft_pnl_fees{${l}}`) - p.fees) < 1e-6);
  }

  // Latency histograms: counts equal what each stage saw, buckets cumulative up to +Inf = count.
  const n = summary.latency_us.count;
  assert.equal(get('hft_event_to_intent_latency_seconds_count{}'), n);
  const e2i = buckets(samples, 'hft_event_to_intent_latency_seconds', '');
  assert.equal(e2i.at(-1), n);
  assert.ok(
    e2i.every((v, i) => i === 0 || v >= e2i[i - 1]),
    'cumulative',
  );
  const stage = (s: string) => get(`hft_stage_latency_seconds_count{stage="${s}"}`);
  assert.equal(stage('feed'), summary.events);
  assert.equal(stage('risk'), sys.risk.counters.checked);
  assert.equal(stage('ack'), sys.router.counters.acks);
  assert.equal(stage('strategy'), summary.events, 'every event reached the strategies');
  assert.ok(stage('order') >= summary.orders);
  assert.ok(stage('features') > 0 && stage('features') <= stage('lob'), 'features timed after book changes');
  // Simulated latency: order 250 us out + 250 us back, so every ack takes at least 500 us.
  const ack = buckets(samples, 'hft_stage_latency_seconds', 'stage="ack"');
  const les = [...samples.keys()]
    .filter((k) => k.startsWith('hft_stage_latency_seconds_bucket{') && k.includes('stage="ack"'))
    .map((k) => Number(/le="([^"]+)"/.exec(k)![1]))
    .sort((a, b) => a - b);
  assert.equal(ack[les.indexOf(0.00025)], 0, 'no ack under 250 us');
  const meanAck = get('hft_stage_latency_seconds_sum{stage="ack"}') / stage('ack');
  assert.ok(meanAck >= 0.0005 && meanAck < 0.002, `mean ack ${meanAck}`);

  // Types follow the conventions; empty families (no recorder here) still declare themselves.
  for (const [name, type] of types) {
    if (!name.startsWith('hft_')) continue;
    assert.equal(type === 'counter', name.endsWith('_total'), `${name} is a ${type}`);
  }
  assert.equal(types.get('hft_stage_latency_seconds'), 'histogram');
  assert.equal(types.get('hft_recorder_disk_level'), 'gauge');
  assert.ok(
    ![...samples.keys()].some((k) => k.startsWith('hft_recorder_')),
    'no recorder samples without one',
  );
  assert.equal(get('hft_circuit_breaker_state{breaker="orders"}'), 2);

  assert.equal(get('hft_stormguard_state{}'), sys.stormGuard.level);
  assert.ok(sys.stormGuard.level < 3);
  control.halt('test', 'test');
  const after = parseProm(await reg.metrics()).samples;
  assert.equal(after.get('hft_stormguard_state{}'), 3);
  assert.equal(after.get('hft_trading_halted{}'), 1);
  assert.equal(after.get('hft_stormguard_transitions_total{}'), 1);
});

test('metrics off: no hot-path instrumentation, and the trading is identical to metrics on', async () => {
  const run = async (enabled: boolean) => {
    const settings = testSettings([set('metrics.enabled', enabled), set('sim.seed', 7)]);
    const sys = await buildSystem(settings);
    const s = await sys.run(90);
    return { sys, s, settings };
  };
  const on = await run(true);
  const off = await run(false);
  assert.equal(off.sys.latency, null);
  assert.equal(off.sys.tape, null);
  const key = (s: typeof on.s) =>
    JSON.stringify([s.events, s.orders, s.fills, s.cancels, s.pnl, s.positions]);
  assert.equal(key(off.s), key(on.s), 'instrumentation does not change what the system does');
  assert.equal(off.s.latency_us.count, on.s.latency_us.count, 'the run summary still times event -> intent');
  const { view } = opsView(off.sys, off.settings.bus.capacity);
  const { samples } = parseProm(await createMetricsRegistry(view).metrics());
  assert.ok(![...samples.keys()].some((k) => k.startsWith('hft_stage_latency_seconds')));
  assert.equal(samples.get('hft_orders_sent_total{}'), off.s.orders);
});
