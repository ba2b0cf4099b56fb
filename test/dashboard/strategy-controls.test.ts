import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { type Ops, startOps } from '../../src/services/ops-server.ts';
import type { TradingSystem } from '../../src/services/trading-system.ts';
import { buildSystem, parseProm, set, testSettings } from '../observability/helpers.ts';

const TOKEN = 'strategy-token-0123456789abcdef';
const lines: Record<string, unknown>[] = [];
const log = pino(
  { level: 'info' },
  new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l));
      cb();
    },
  }),
);
let sys: TradingSystem;
let ops: Ops;
let running: Promise<unknown>;

before(async () => {
  const settings = testSettings([
    set('run.clock', 'real'),
    set('ops.port', 0),
    set('ops.token', TOKEN),
    set('store.path', path.join(mkdtempSync(path.join(os.tmpdir(), 'hft-strategy-')), 'data')),
    set('supervisor.loop_lag_storm_ms', 5000),
    set('storm_guard.latency_warm_us', 1_000_000),
    set('storm_guard.latency_storm_us', 2_000_000),
    set('storm_guard.feed_gap_storm_s', 30),
  ]);
  sys = await buildSystem(settings, log, true);
  ops = await startOps(sys, settings, log);
  running = sys.run(0);
});

after(async () => {
  sys.stop();
  await running;
  await ops.close();
});

async function until(fn: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const control = (id: string, action: string, token: string | null = TOKEN) =>
  fetch(`${ops.url}api/strategy/${id}/${action}`, {
    method: 'POST',
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
const txf = () => sys.symbols.find((s) => s.code === 'TXFD6')!;
const position = (id: string) => sys.positions.get(id, txf().id).qty;

test('strategy controls need the control token; the read token and no token are refused', async () => {
  assert.equal((await control('mm-txf', 'disable', null)).status, 401);
  assert.equal((await control('mm-txf', 'disable', ops.readToken)).status, 401);
  assert.equal((await control('mm-txf', 'flatten', 'wrong-token-wrong-token')).status, 401);
  assert.equal(sys.runner.isEnabled('mm-txf'), true, 'refused requests change nothing');
  assert.equal((await control('no-such-strategy', 'disable')).status, 404);
  assert.equal((await control('mm-txf', 'explode')).status, 404);
  assert.equal((await control('%E0%A4%A', 'disable')).status, 404, 'a malformed id is not a server error');
  assert.equal(ops.control.requests['strategy-disable:refused'], 2);
});

test('disable cancels the strategy and stops it; enable brings it back; both are audited', async () => {
  await until(() => sys.orders.openOrders('mm-txf').size > 0, 30_000, 'mm-txf quoting');
  const res = await control('mm-txf', 'disable');
  assert.equal(res.status, 200);
  const body = (await res.json()) as { enabled: boolean; cancels: number };
  assert.equal(body.enabled, false);
  assert.ok(body.cancels > 0, 'its working orders were cancelled');
  assert.equal(sys.runner.isEnabled('mm-txf'), false);
  await until(() => sys.orders.openOrders('mm-txf').size === 0, 10_000, 'cancels confirmed');
  const events = sys.marketData.events;
  await until(() => sys.marketData.events > events + 50, 20_000, 'market data while disabled');
  assert.equal(sys.orders.openOrders('mm-txf').size, 0, 'a disabled strategy places nothing');
  assert.ok(sys.runner.isEnabled('mm-2330'), 'the others keep trading');

  assert.equal((await control('mm-txf', 'enable')).status, 200);
  await until(() => sys.orders.openOrders('mm-txf').size > 0, 30_000, 'mm-txf quoting again');
  const audit = lines.filter((l) => l.msg === 'strategy disable' || l.msg === 'strategy enable');
  assert.deepEqual(
    audit.map((l) => [l.msg, l.strategy, String(l.source).startsWith('ops:')]),
    [
      ['strategy disable', 'mm-txf', true],
      ['strategy enable', 'mm-txf', true],
    ],
  );
  const { samples } = parseProm(await ops.registry!.metrics());
  assert.equal(samples.get('hft_control_requests_total{action="strategy-disable",result="accepted"}'), 1);
  assert.equal(samples.get('hft_control_requests_total{action="strategy-enable",result="accepted"}'), 1);
});

test('flatten disables the strategy and takes its position to zero through risk', async () => {
  await until(() => position('mm-txf') !== 0, 60_000, 'an mm-txf position');
  const start = position('mm-txf');
  let last: {
    enabled: boolean;
    orders: { side: number; qty: number; orderId: number; reason: string }[];
  } | null = null;
  // One IOC per call, at most max_order_qty: repeat until flat, as an operator would.
  for (let i = 0; i < 20 && position('mm-txf') !== 0; i++) {
    const res = await control('mm-txf', 'flatten');
    assert.equal(res.status, 200);
    last = await res.json();
    assert.equal(last!.enabled, false);
    for (const o of last!.orders) {
      assert.equal(o.side, -Math.sign(position('mm-txf') || start), 'against the position');
      assert.ok(o.orderId > 0 || o.reason !== '', 'sent, or refused with a reason');
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.ok(last !== null);
  assert.equal(position('mm-txf'), 0, 'flat');
  assert.equal(sys.runner.isEnabled('mm-txf'), false, 'and stays off');
  const events = sys.marketData.events;
  await until(() => sys.marketData.events > events + 50, 20_000, 'market data after flatten');
  assert.equal(position('mm-txf'), 0, 'no new position');
  assert.ok(lines.some((l) => l.msg === 'strategy flatten' && l.strategy === 'mm-txf'));
});
