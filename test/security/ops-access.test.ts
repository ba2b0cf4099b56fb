import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { type Ops, startOps } from '../../src/services/ops-server.ts';
import type { TradingSystem } from '../../src/services/trading-system.ts';
import { buildSystem, parseProm, set, testSettings } from '../observability/helpers.ts';

const TOKEN = 'control-token-0123456789abcdef';

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

/** A raw request to `port` on `address` with exactly these headers (fetch sets Host and Origin itself). */
function raw(
  address: string,
  port: number,
  method: string,
  p: string,
  headers: Record<string, string>,
  body = '',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: address, port, method, path: p, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function until(fn: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A running system (real clock) with its ops plane, for `fn`; stopped afterwards. */
async function withSystem(
  over: ReturnType<typeof set>[],
  fn: (sys: TradingSystem, ops: Ops) => Promise<void>,
  opts: {
    record?: boolean;
    log?: ReturnType<typeof captureLogger>['log'];
    refusalLogIntervalMs?: number;
  } = {},
): Promise<void> {
  const settings = testSettings([
    set('run.clock', 'real'),
    set('ops.port', 0),
    set('ops.token', TOKEN),
    set('store.path', path.join(mkdtempSync(path.join(os.tmpdir(), 'hft-ops-')), 'data')),
    set('supervisor.loop_lag_storm_ms', 5000),
    set('storm_guard.latency_warm_us', 1_000_000),
    set('storm_guard.latency_storm_us', 2_000_000),
    set('storm_guard.feed_gap_storm_s', 30),
    ...over,
  ]);
  const log = opts.log ?? captureLogger().log;
  const sys = await buildSystem(settings, log, opts.record ?? false);
  const ops = await startOps(sys, settings, log, { refusalLogIntervalMs: opts.refusalLogIntervalMs });
  const running = sys.run(0);
  try {
    await fn(sys, ops);
  } finally {
    sys.stop();
    await running;
    await ops.close();
  }
}

test('on a 127.0.0.2 bind a foreign Host is refused (DNS rebinding), loopback names are served', async () => {
  await withSystem([set('ops.host', '127.0.0.2')], async (_sys, ops) => {
    const port = ops.server!.port;
    assert.equal(await raw('127.0.0.2', port, 'GET', '/api/snapshot', { host: 'evil.example' }), 421);
    assert.equal(await raw('127.0.0.2', port, 'GET', '/metrics', { host: `evil.example:${port}` }), 421);
    assert.equal(await raw('127.0.0.2', port, 'GET', '/', { host: 'evil.example' }), 421);
    assert.equal(
      await raw('127.0.0.2', port, 'POST', '/api/control/halt', {
        host: 'evil.example',
        authorization: `Bearer ${TOKEN}`,
      }),
      421,
    );
    assert.notEqual(ops.control.level, 3, 'the rebound HALT did nothing');
    assert.equal(await raw('127.0.0.2', port, 'GET', '/api/snapshot', { host: `127.0.0.2:${port}` }), 200);
    assert.equal(await raw('127.0.0.2', port, 'GET', '/api/snapshot', { host: `localhost:${port}` }), 200);
  });
});

test('a cross-origin page can drive no control, even a simple form POST', async () => {
  await withSystem([], async (_sys, ops) => {
    const port = ops.server!.port;
    const host = `127.0.0.1:${port}`;
    for (const p of ['/api/control/halt', '/api/control/cancel-all', '/api/strategy/mm-txf/disable']) {
      const status = await raw('127.0.0.1', port, 'POST', p, {
        host,
        origin: 'http://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Bearer ${TOKEN}`,
      });
      assert.equal(status, 403, p);
    }
    assert.equal(
      await raw('127.0.0.1', port, 'GET', '/api/snapshot', { host, origin: 'http://evil.example' }),
      403,
    );
    assert.equal(
      await raw('127.0.0.1', port, 'GET', '/api/stream', { host, 'sec-fetch-site': 'cross-site' }),
      403,
    );
    assert.notEqual(ops.control.level, 3);
    // The same request from the dashboard's own origin works.
    assert.equal(
      await raw('127.0.0.1', port, 'POST', '/api/control/cancel-all', {
        host,
        origin: `http://${host}`,
        authorization: `Bearer ${TOKEN}`,
      }),
      200,
    );
  });
});

test('on a 0.0.0.0 bind a rebinding Host is refused on every address; addresses and given names need the tokens', async () => {
  // The machine's own non-loopback addresses: a browser on this host reaches them as well.
  const own = Object.values(os.networkInterfaces())
    .flat()
    .filter((i) => i !== undefined && i.family === 'IPv4' && !i.internal)
    .map((i) => i!.address);
  await withSystem(
    [set('ops.host', '0.0.0.0'), set('ops.allowed_hosts', ['Trading01.Example.com'])],
    async (_sys, ops) => {
      const port = ops.server!.port;
      const q = JSON.stringify({ sql: 'SELECT 1' });
      const json = { 'content-type': 'application/json' };
      const read = { authorization: `Bearer ${ops.readToken}` };
      for (const address of ['127.0.0.1', ...own]) {
        for (const host of ['evil.example', `evil.example:${port}`]) {
          assert.equal(await raw(address, port, 'GET', '/api/snapshot', { host }), 421, address);
          assert.equal(await raw(address, port, 'GET', '/metrics', { host }), 421, address);
          assert.equal(
            await raw(address, port, 'POST', '/api/control/halt', { host, authorization: `Bearer ${TOKEN}` }),
            421,
            address,
          );
          assert.equal(await raw(address, port, 'POST', '/api/query', { host, ...json, ...read }, q), 421);
        }
      }
      // Named by an address, the machine's name or a name given: served, and the tokens still hold.
      for (const host of [
        `127.0.0.1:${port}`,
        `0.0.0.0:${port}`,
        `${os.hostname()}:${port}`,
        'trading01.example.com',
      ]) {
        assert.equal(await raw('127.0.0.1', port, 'GET', '/api/snapshot', { host }), 200, host);
        assert.equal(await raw('127.0.0.1', port, 'POST', '/api/control/halt', { host }), 401, host);
        assert.equal(await raw('127.0.0.1', port, 'POST', '/api/query', { host, ...json }, q), 401, host);
        assert.equal(await raw('127.0.0.1', port, 'POST', '/api/query', { host, ...json, ...read }, q), 200);
        assert.equal(
          await raw(
            '127.0.0.1',
            port,
            'POST',
            '/api/query',
            { host, ...json, ...read, origin: 'http://other.example' },
            q,
          ),
          403,
        );
      }
      for (const address of own)
        assert.equal(await raw(address, port, 'GET', '/api/snapshot', { host: `${address}:${port}` }), 200);
      assert.notEqual(ops.control.level, 3);
    },
    { record: true },
  );
});

test('1,508 refused requests are all counted, and logged as one line plus a summary', async () => {
  const { log, lines } = captureLogger();
  await withSystem(
    [],
    async (_sys, ops) => {
      const port = ops.server!.port;
      const host = `127.0.0.1:${port}`;
      const kinds = [
        () =>
          raw(
            '127.0.0.1',
            port,
            'POST',
            '/api/query',
            { host, 'content-type': 'application/json' },
            '{"sql":"SELECT 1"}',
          ),
        () =>
          raw('127.0.0.1', port, 'POST', '/api/control/halt', {
            host,
            authorization: 'Bearer wrong-wrong-wrong-wrong',
          }),
        () =>
          raw('127.0.0.1', port, 'POST', '/api/control/halt', {
            host,
            authorization: `Bearer ${ops.readToken}`,
          }),
        () => raw('127.0.0.1', port, 'GET', '/api/snapshot', { host: 'evil.example' }),
        () =>
          raw(
            '127.0.0.1',
            port,
            'POST',
            '/api/query',
            { host, origin: 'http://evil.example', 'content-type': 'text/plain' },
            'x',
          ),
      ];
      const expected = [401, 401, 401, 421, 403];
      const N = 1508;
      for (let i = 0; i < N; i += 8) {
        const batch = [];
        for (let j = i; j < Math.min(N, i + 8); j++)
          batch.push(kinds[j % kinds.length]().then((s) => [s, j] as const));
        for (const [status, j] of await Promise.all(batch)) assert.equal(status, expected[j % kinds.length]);
      }
      const { samples } = parseProm(await ops.registry!.metrics());
      let refused = 0;
      for (const [k, v] of samples) if (k.startsWith('hft_ops_refused_total{')) refused += v;
      assert.equal(refused, N, 'every refusal counted');
      assert.equal(
        samples.get('hft_ops_refused_total{endpoint="control",reason="read token"}'),
        Math.ceil((N - 2) / 5),
      );
      assert.equal(
        samples.get('hft_control_requests_total{action="halt",result="refused"}'),
        Math.ceil((N - 1) / 5) + Math.ceil((N - 2) / 5),
      );
      assert.notEqual(ops.control.level, 3);
    },
    { record: true, log, refusalLogIntervalMs: 600_000 },
  );
  const refusalLines = lines.filter((l) => /refused/.test(String(l.msg)));
  assert.equal(refusalLines.length, 2, refusalLines.map((l) => l.msg).join('\n'));
  assert.equal(refusalLines[0].msg, 'ops request refused');
  assert.ok(['query', 'control', 'snapshot'].includes(String(refusalLines[0].endpoint)));
  assert.equal(refusalLines[1].msg, 'ops requests refused: 1507 more since the last line');
  assert.equal(refusalLines[1].refused, 1507);
});

test('refusals during a flood are summarised once per interval', async () => {
  const { log, lines } = captureLogger();
  await withSystem(
    [],
    async (_sys, ops) => {
      const port = ops.server!.port;
      const host = `127.0.0.1:${port}`;
      for (let i = 0; i < 30; i++) await raw('127.0.0.1', port, 'POST', '/api/control/resume', { host });
      await until(
        () => lines.some((l) => /more since the last line/.test(String(l.msg))),
        10_000,
        'a summary',
      );
    },
    { log, refusalLogIntervalMs: 200 },
  );
  const refusalLines = lines.filter((l) => /refused/.test(String(l.msg)));
  assert.ok(refusalLines.length < 30, `${refusalLines.length} lines for 30 refusals`);
  const total = refusalLines.reduce(
    (a, l) => a + (l.msg === 'ops request refused' ? 1 : Number(l.refused)),
    0,
  );
  assert.equal(total, 30, 'the lines account for every refusal');
});

test('HALT reports the cancels it caused', async () => {
  await withSystem([], async (sys, ops) => {
    await until(() => sys.orders.openCount >= 2, 30_000, 'working orders');
    const guardCancels = sys.stormGuard.haltCancels;
    const accepted = sys.orders.counters.cancelsAccepted;
    const res = await fetch(`${ops.url}api/control/halt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { cancels: number; halted: boolean };
    assert.equal(body.halted, true);
    assert.ok(body.cancels >= 2, `cancels reported: ${body.cancels}`);
    assert.equal(
      body.cancels,
      sys.stormGuard.haltCancels - guardCancels,
      'the cancels StormGuard sent on HALT',
    );
    assert.equal(body.cancels, sys.orders.counters.cancelsAccepted - accepted);
    await until(() => sys.orders.openCount === 0, 10_000, 'orders cancelled');
  });
});
