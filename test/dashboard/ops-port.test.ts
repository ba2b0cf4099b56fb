import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { bindOps } from '../../src/services/ops-server.ts';
import { runHft } from '../security/running-system.ts';

// The ops port is bound before anything else of a run: a port someone else holds (here: this
// test) costs the run nothing.
let taken: net.Server;
let port = 0;

before(async () => {
  taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  port = (taken.address() as net.AddressInfo).port;
});

after(() => {
  taken.close();
});

test('a taken ops port: the run serves on a free port, says so and which key sets it, and records', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-port-'));
  const r = await runHft([
    'run',
    'sim',
    '--duration',
    '20',
    '--clock',
    'sim',
    '--set',
    `ops.port=${port}`,
    '--set',
    `store.path=${path.join(dir, 'data')}`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const m = new RegExp(
    `ops port ${port} is in use: the dashboard and /metrics are on port (\\d+) instead \\(ops\\.port sets it, e\\.g\\. --set ops\\.port=`,
  ).exec(r.stdout);
  assert.ok(m, r.stdout);
  const other = Number(m[1]);
  assert.notEqual(other, port);
  assert.match(r.stdout, new RegExp(`dashboard: http://127\\.0\\.0\\.1:${other}/`));
  assert.match(r.stdout, /run finished: 20\.0 s of sim time/);
});

test('with ops.port_fallback=false a taken port stops the run at once, before the store is opened', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-port-'));
  const store = path.join(dir, 'data');
  const r = await runHft([
    'run',
    'sim',
    '--duration',
    '20',
    '--clock',
    'sim',
    '--set',
    `ops.port=${port}`,
    '--set',
    'ops.port_fallback=false',
    '--set',
    `store.path=${store}`,
  ]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    `hft: ops server: 127.0.0.1:${port} is in use; set ops.port (e.g. --set ops.port=0 for any free port), ops.port_fallback=true, or ops.enabled=false\n`,
  );
  assert.equal(existsSync(store), false, 'the store was never opened');
});

test('an ops.host that does not resolve is one line, not a DNS stack trace', async () => {
  await assert.rejects(bindOps('no-such-host.invalid', 0, true), (e: Error) => {
    assert.equal(e.name, 'UserError');
    assert.equal(e.message, "ops server: cannot resolve ops.host 'no-such-host.invalid'");
    return true;
  });
});
