import assert from 'node:assert/strict';
import http from 'node:http';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { DashboardSnapshot } from '../../src/dashboard/snapshot.ts';
import { type Ops, startOps } from '../../src/services/ops-server.ts';
import type { TradingSystem } from '../../src/services/trading-system.ts';
import { buildSystem, parseProm, set, testSettings } from '../observability/helpers.ts';

const TOKEN = 'test-token-0123456789abcdef';

/** A logger whose JSON lines are kept for assertions. */
function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

const settings = testSettings([
  set('run.clock', 'real'),
  set('ops.port', 0),
  set('ops.token', TOKEN),
  set('ops.push_interval_ms', 250),
  // a loaded test machine must not trip loop-lag STORM and block the orders this test counts
  set('supervisor.loop_lag_storm_ms', 5000),
  // nor StormGuard's timer-lag / feed-gap inputs (STORM is reduce-only)
  set('storm_guard.latency_warm_us', 1_000_000),
  set('storm_guard.latency_storm_us', 2_000_000),
  set('storm_guard.feed_gap_storm_s', 30),
]);
const { log, lines } = captureLogger();
let sys: TradingSystem;
let ops: Ops;
let running: Promise<unknown>;
let base: string;

before(async () => {
  sys = await buildSystem(settings, log);
  ops = await startOps(sys, settings, log);
  base = ops.url!;
  running = sys.run(0);
});

after(async () => {
  sys.stop();
  await running;
  await ops.close();
});

const post = (p: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${p}`, { method: 'POST', headers });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it is true (or fails after `ms`). */
async function until(fn: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Reads `n` snapshot events from the SSE stream. */
async function readStream(n: number): Promise<DashboardSnapshot[]> {
  const res = await fetch(`${base}api/stream`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = res.body!.getReader();
  const out: DashboardSnapshot[] = [];
  let buf = '';
  while (out.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += new TextDecoder().decode(value);
    let i = buf.indexOf('\n\n');
    while (i >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = frame.split('\n').find((l) => l.startsWith('data: '));
      if (frame.startsWith('event: snapshot') && data) out.push(JSON.parse(data.slice(6)));
      i = buf.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return out;
}

test('serves the dashboard page and its assets with a strict content security policy', async () => {
  const page = await fetch(base);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self'/);
  const html = await page.text();
  assert.match(html, /<script src="\/dashboard\.js" defer><\/script>/);
  assert.doesNotMatch(html, /https?:\/\//, 'nothing loaded from elsewhere');
  for (const [asset, type] of [
    ['dashboard.js', /javascript/],
    ['dashboard.css', /css/],
  ] as const) {
    const r = await fetch(`${base}${asset}`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', type);
  }
  assert.equal((await fetch(`${base}nope`)).status, 404);
  assert.equal((await post('')).status, 405);
});

test('refuses requests for another host name (DNS rebinding)', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.get(`${base}api/snapshot`, { headers: { host: 'attacker.example:80' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  assert.equal(status, 421);
});

test('/metrics serves the running system in Prometheus text format', async () => {
  await until(() => sys.marketData.events > 20, 10_000, 'market data');
  const res = await fetch(`${base}metrics`);
  assert.equal(res.status, 200);
  const { samples, types } = parseProm(await res.text());
  assert.ok((samples.get('hft_md_events_total{}') ?? 0) > 20);
  assert.equal(types.get('nodejs_eventloop_lag_p99_seconds'), 'gauge', 'default Node metrics included');
  assert.equal(samples.get('hft_service_up{service="ops-server"}'), 1);
});

test('the SSE stream pushes snapshots on a timer: the book and PnL history update, a few per second at most', async () => {
  await until(() => sys.router.counters.fills > 0, 20_000, 'a fill');
  const snaps = await readStream(5);
  assert.equal(snaps.length, 5);
  assert.ok(snaps[0].history !== undefined, 'the first update carries the PnL history');
  assert.ok(snaps[0].history!.t.length >= 1);
  for (let i = 1; i < snaps.length; i++) {
    assert.equal(snaps[i].seq, snaps[i - 1].seq + 1);
    if (i > 1) assert.ok(snaps[i].at - snaps[i - 1].at >= 200, 'no faster than the push interval');
  }
  const first = snaps[0];
  const last = snaps.at(-1)!;
  assert.ok(last.counters.events > first.counters.events, 'market data kept flowing');
  const txf = last.symbols.find((s) => s.code === 'TXFD6')!;
  assert.ok(txf.bids.length > 0 && txf.asks.length > 0, 'ladder has both sides');
  assert.ok(txf.bids[0][0] < txf.asks[0][0], 'best bid below best ask');
  assert.ok(last.positions.length > 0, 'a position after the fill');
  assert.equal(last.latency.find((r) => r.stage === 'lob')!.bars.length, last.latencyBars.length);
  assert.ok(last.services.some((s) => s.name === 'market-data' && s.up));
});

test('controls without the token are refused (401) and counted; with it HALT stops orders and resume restarts them', async () => {
  await until(() => sys.orders.counters.sent > 0, 20_000, 'orders');
  const refused = await post('api/control/halt');
  assert.equal(refused.status, 401);
  assert.deepEqual(await refused.json(), { ok: false, error: 'control token required' });
  assert.equal(
    (await post('api/control/halt', { authorization: 'Bearer wrong-token-wrong-token' })).status,
    401,
  );
  assert.equal((await post('api/control/resume', { 'x-hft-token': 'nope' })).status, 401);
  assert.equal((await fetch(`${base}api/control/halt`)).status, 405);
  assert.equal((await post('api/control/self-destruct', { authorization: `Bearer ${TOKEN}` })).status, 404);
  assert.notEqual(ops.control.level, 3, 'refused requests change nothing');
  assert.ok(!ops.control.history.some((h) => h.source.startsWith('ops:')));
  // Counted each; logged as the first refusal of the period (the rebinding test's) plus a summary later.
  assert.equal(lines.filter((l) => l.msg === 'ops request refused').length, 1);
  assert.equal(ops.refusals.counts['control:no token'], 1);
  assert.equal(ops.control.requests['halt:refused'], 2);
  assert.equal(ops.control.requests['resume:refused'], 1);
  assert.equal(ops.refusals.counts['control:wrong token'], 2);

  const ok = await post('api/control/halt', { authorization: `Bearer ${TOKEN}` });
  assert.equal(ok.status, 200);
  const body = await ok.json();
  assert.equal(body.level, 3);
  assert.equal(body.halted, true);
  const sent = sys.orders.counters.sent;
  const events = sys.marketData.events;
  const haltedRejects = sys.risk.counters.byReason.HALTED ?? 0;
  await until(() => sys.marketData.events > events + 50, 20_000, 'more market data during HALT');
  assert.equal(sys.orders.counters.sent, sent, 'no order left while HALTED');
  assert.ok((sys.risk.counters.byReason.HALTED ?? 0) > haltedRejects, 'intents were refused with HALTED');
  await until(() => sys.orders.openCount === 0, 10_000, 'working orders cancelled');
  const snap = (await (await fetch(`${base}api/snapshot`)).json()) as DashboardSnapshot;
  assert.equal(snap.safety.level, 'HALT');
  assert.equal(snap.safety.history[0].to, 'HALT');

  const resumed = await post('api/control/resume', { 'x-hft-token': TOKEN });
  assert.equal(resumed.status, 200);
  assert.notEqual(ops.control.level, 3);
  const byOperator = ops.control.history.filter((h) => h.source.startsWith('ops:'));
  assert.deepEqual(
    byOperator.map((h) => h.to),
    [3, 0],
    'HALT and resume recorded with the operator as source',
  );
  await until(() => sys.orders.counters.sent > sent, 20_000, 'orders after resume');
  const cancel = await post('api/control/cancel-all', { authorization: `Bearer ${TOKEN}` });
  assert.equal(cancel.status, 200);
  assert.equal(typeof (await cancel.json()).cancels, 'number');
  assert.equal(ops.control.haltViolations, 0);
});

test('the supervisor restarts the ops server on the same port when it stops listening', async () => {
  const port = ops.server!.port;
  await ops.server!.stop();
  await assert.rejects(fetch(`${base}healthz`));
  ops.supervisor!.check();
  await until(() => ops.server!.health().alive, 5000, 'restart');
  assert.equal(ops.server!.port, port);
  assert.equal((await fetch(`${base}healthz`)).status, 200);
  const status = ops.supervisor!.services().find((s) => s.name === 'ops-server')!;
  assert.equal(status.restarts, 1);
});

test('a port in use is a clear error; with metrics off /metrics answers 404', async () => {
  const busy = testSettings([set('ops.port', ops.server!.port), set('ops.token', TOKEN)]);
  const other = await buildSystem(busy);
  await assert.rejects(startOps(other, busy, log), /ops server: 127\.0\.0\.1:\d+ is in use; set ops\.port/);
  const off = testSettings([
    set('ops.port', 0),
    set('metrics.enabled', false),
    set('supervisor.enabled', false),
  ]);
  const quiet = await buildSystem(off);
  const o = await startOps(quiet, off, log);
  try {
    assert.equal(o.metricsUrl, null);
    assert.equal((await fetch(`${o.url}metrics`)).status, 404);
    assert.equal(o.tokenGenerated, true);
    assert.match(o.token, /^[0-9a-f]{32}$/);
  } finally {
    await o.close();
  }
});
