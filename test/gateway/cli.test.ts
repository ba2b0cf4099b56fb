import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type NatsServer, natsServerBinary, startNatsServer } from '../helpers/nats-server.ts';
import { hft, stopProc } from './processes.ts';

const bin = natsServerBinary();
const skip =
  bin === null && process.env.CI !== 'true'
    ? 'nats-server not installed (apt-get install nats-server)'
    : false;
if (skip) process.stdout.write(`# SKIP NATS gateway CLI tests: ${skip}\n`);

let server: NatsServer;
let dir: string;
before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hft-gw-cli-'));
  if (!skip) server = await startNatsServer();
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Settings every process of these tests shares: no dashboard, no store, files in the temp dir. */
const common = () => ['--no-record', '--set', 'ops.enabled=false', '--set', `orders.dlq_dir=${dir}/dlq`];

const lines = (f: string) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, number | string>);

/**
 * `hft gateway run` leading `account` with its audit log and summary in the temp dir (file names
 * prefixed with `prefix`), once it says it leads; stopped again if it never does.
 */
async function leadingGateway(account: string, id: string, prefix = '') {
  const audit = path.join(dir, `${prefix}audit.jsonl`);
  const summary = path.join(dir, `${prefix}gw.json`);
  const gw = hft('gateway', [
    'gateway',
    'run',
    '--nats',
    server.url,
    '--account',
    account,
    '--id',
    id,
    '--orders-log',
    audit,
    '--summary-json',
    summary,
    ...common(),
  ]);
  try {
    await gw.waitFor(new RegExp(`gateway ${id}: account ${account} .*, leader`));
  } catch (err) {
    await stopProc(gw);
    throw err;
  }
  return { gw, audit, summary };
}

/** `hft run sim --gateway` on `account` for `seconds`; asserts it exits 0, returns it and its summary. */
async function runnerRun(label: string, account: string, name: string, seconds: number) {
  const file = path.join(dir, `${name}.json`);
  const runner = hft(label, [
    'run',
    'sim',
    '--gateway',
    server.url,
    '--set',
    `gateway.nats.account=${account}`,
    '--set',
    `gateway.nats.name=${name}`,
    '--duration',
    String(seconds),
    '--summary-json',
    file,
    ...common(),
  ]);
  assert.equal(await runner.exited, 0, runner.out());
  return { runner, run: JSON.parse(readFileSync(file, 'utf8')) as Summary };
}

test('hft run sim --gateway: the strategies trade through hft gateway run in another process', {
  skip,
  timeout: 300_000,
}, async () => {
  const { gw, audit, summary } = await leadingGateway('e2e', 'gw-1');
  try {
    const { runner, run } = await runnerRun('runner', 'e2e', 'runner-1', 12);
    assert.equal(await stopProc(gw), 0, gw.out());
    const gws = JSON.parse(readFileSync(summary, 'utf8'));
    const sent = lines(audit).filter((l) => l.order !== undefined);
    // The runner's orders reached the gateway's venue with the runner's number in their ids.
    const ids = sent.map((l) => l.order as number);
    assert.ok(run.orders > 0 && sent.length > 0, `orders: runner ${run.orders}, gateway ${sent.length}`);
    assert.ok(
      ids.every((id) => id > 2 ** 32),
      'client order ids derived from the runner number',
    );
    assert.equal(new Set(ids).size, ids.length, 'no client order id sent twice');
    assert.ok(sent.length <= run.orders, 'the gateway sent no order the runner did not ask for');
    // Execution reports came back: the runner saw fills, and no more than the gateway's venue made.
    assert.ok(run.fills > 0, `runner fills: ${run.fills}\n${runner.out().slice(-2000)}`);
    assert.ok(run.fills <= gws.fills, `fills: runner ${run.fills}, gateway ${gws.fills}`);
    assert.equal(gws.orders, sent.length, 'every order of the gateway is in its audit log');
  } finally {
    await stopProc(gw);
  }
});

test('hft run sim --gateway with a bad URL is one line, exit 2', { skip, timeout: 120_000 }, async () => {
  const p = hft('bad', ['run', 'sim', '--gateway', 'http://x', ...common()]);
  assert.equal(await p.exited, 2);
  assert.match(p.out(), /^hft: --gateway expects a nats:\/\/host:port URL, got 'http:\/\/x'\n$/m);
});

test('hft run sim --gateway that fails to start after reaching NATS exits 2, not held open by its connection', {
  skip,
  timeout: 120_000,
}, async () => {
  const bad = path.join(dir, 'garbage.parquet');
  writeFileSync(bad, Buffer.alloc(4096, 7));
  const p = hft('failed-start', ['run', 'sim', '--gateway', server.url, '--data', bad, ...common()], {
    HFT_LOG_LEVEL: 'info',
  });
  // Without closing its NATS connection the runner printed the error and never exited.
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    p.exited,
    new Promise((r) => {
      timer = setTimeout(r, 60_000, 'still running');
    }),
  ]);
  clearTimeout(timer);
  if (code === 'still running') p.proc.kill('SIGKILL');
  assert.equal(code, 2, p.out());
  assert.match(p.out(), /intents go to the NATS gateway/);
  assert.match(p.out(), /^hft: garbage\.parquet: unknown data format/m);
});

type Line = Record<string, number | string>;
/** Orders of the gateway's audit log (--orders-log) not cancelled, rejected or fully filled. */
function working(audit: Line[]): number[] {
  const left = new Map<number, number>();
  for (const l of audit) {
    if (l.order !== undefined) left.set(l.order as number, l.qty as number);
    else if (l.fill !== undefined && left.has(l.fill as number))
      left.set(l.fill as number, left.get(l.fill as number)! - (l.qty as number));
    else if (l.done !== undefined) left.delete(l.done as number);
  }
  return [...left].filter(([, q]) => q > 0).map(([id]) => id);
}

interface Summary {
  orders: number;
  fills: number;
  cancels: number;
  left_open: number;
  positions: {
    strategy: string;
    symbol: string;
    qty: number;
    avg_price: number;
    realized: number;
    fees: number;
    fills: number;
    volume: number;
  }[];
}

/** What the account holds per strategy and symbol (marks differ: each process has its own market). */
const held = (s: Summary) =>
  s.positions
    .filter((p) => p.fills > 0)
    .map(({ strategy, symbol, qty, avg_price, realized, fees, fills, volume }) => ({
      strategy,
      symbol,
      qty,
      avg_price,
      realized,
      fees,
      fills,
      volume,
    }))
    .sort((a, b) => `${a.strategy}/${a.symbol}`.localeCompare(`${b.strategy}/${b.symbol}`));

test('a runner stopping (--duration) cancels its working orders through the gateway and waits for them: its fills and positions are the account', {
  skip,
  timeout: 180_000,
}, async () => {
  const { gw, audit, summary } = await leadingGateway('stop', 'gw-stop', 'stop-');
  try {
    const { runner, run } = await runnerRun('runner', 'stop', 'runner-stop', 6);
    assert.ok(run.orders > 0, `the runner sent orders: ${run.orders}`);
    // The runner exits only after the gateway confirmed every order done: its venue holds none
    // of them now (the audit line of a report is written before the report goes to the runner).
    // Before the fix the runner's resting quotes were left working and filled after it exited.
    const left = working(lines(audit));
    assert.deepEqual(
      left,
      [],
      `orders still working at the gateway after the runner exited:\n${runner.out()}`,
    );
    assert.equal(run.left_open, 0, runner.out());
    assert.doesNotMatch(runner.out(), /may still be working/);
    assert.equal(await stopProc(gw), 0, gw.out());
    const gws = JSON.parse(readFileSync(summary, 'utf8')) as Summary;
    // One runner on the account: what it believes is what the account holds.
    assert.equal(run.fills, gws.fills, `fills: runner ${run.fills}, gateway ${gws.fills}`);
    assert.equal(run.orders, gws.orders, `orders: runner ${run.orders}, gateway ${gws.orders}`);
    assert.equal(run.cancels, gws.cancels, `cancels: runner ${run.cancels}, gateway ${gws.cancels}`);
    assert.deepEqual(held(run), held(gws));
  } finally {
    await stopProc(gw);
  }
});

test('a runner whose cancels are not confirmed in time says how many orders may still be working', {
  skip,
  timeout: 180_000,
}, async () => {
  // No gateway leads this account: every order and cancel waits in the stream unanswered.
  const { runner, run } = await runnerRun('runner-alone', 'nobody', 'runner-alone', 4);
  assert.ok(run.orders > 0, `the runner sent orders: ${run.orders}`);
  assert.equal(run.fills, 0);
  // Not one was confirmed: each may be working once a gateway leads the account.
  assert.ok(run.left_open > 0, runner.out());
  const m = /^ {2}(\d+) orders may still be working at the venue/m.exec(runner.out());
  assert.ok(m !== null, runner.out());
  assert.equal(Number(m[1]), run.left_open);
});
