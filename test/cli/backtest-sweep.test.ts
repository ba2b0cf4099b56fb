/**
 * Misuse of `hft backtest sweep`, `hft worker`, `hft gateway run` and `hft run sim --gateway`
 * through the real CLI: each mistake is one line `hft: <message>` and exit 2 (or a warning that
 * says what is wrong), never a crash, a hang or a silent misreading. The NATS cases start their
 * own nats-server on a random port (skipped with a notice when the binary is absent).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { hft as hftProc, stopProc } from '../gateway/processes.ts';
import { refused as refusedBy } from '../helpers/hft-cli.ts';
import { natsServerBinary, startNatsServer } from '../helpers/nats-server.ts';
import { repoRoot } from '../helpers/symbols.ts';

const exec = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-sweep-flags-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `hft <args>` from the clone; the timeout is a hang guard (a hang is a failure here). */
async function run(args: string[]) {
  try {
    const r = await exec(process.execPath, [path.join(repoRoot, 'bin/hft.mjs'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, HFT_LOG_LEVEL: 'warn' },
      timeout: 120_000,
    });
    return { code: 0 as number | null, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number | null; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Each case exits 2 with one `hft:` line matching its pattern and prints nothing on stdout. */
const refused = (cases: [string[], RegExp][]) => refusedBy(cases, run);

const missingData = path.join(dir, 'taifex-txf-20260408.parquet');
const sweep = (out: string, ...grid: string[]) => [
  'backtest',
  'sweep',
  '--strategy',
  'mm-txf',
  '--data',
  missingData,
  '--out',
  path.join(dir, out),
  ...grid.flatMap((g) => ['--grid', g]),
];

// A grid of 10 keys of 10 values ran out of memory after a minute and more of checking points.
test('sweep: a grid of more points than a sweep takes is refused before it is expanded', async () => {
  const v = Array.from({ length: 40 }, (_, i) => i + 1).join(',');
  await refused([
    [
      sweep('huge', `order_qty=${v}`, `max_inventory=${v}`, `requote_ticks=${v}`),
      /^hft: --grid: 40 x 40 x 40 = 64,000 points, more than a sweep takes \(10,000\); split the grid into several sweeps$/,
    ],
  ]);
  assert.ok(!existsSync(path.join(dir, 'huge')), 'nothing written');
});

// It was not checked: every point failed on its worker with 'latency file ...: ENOENT', exit 1.
test('sweep: a grid latency_file that does not exist is refused before any point runs', async () => {
  const nope = path.join(dir, 'nope.csv');
  await refused([
    [sweep('lat', `latency_file=${nope}`), /^hft: --grid latency_file \S+nope\.csv: not found$/],
  ]);
  assert.ok(!existsSync(path.join(dir, 'lat')), 'no point ran');
});

// --max-items 1.5 ran two items, 0 ran forever; a bad --work-queue was reported only by a reachable server.
test('worker and sweep --nats: bad --max-items, --idle-exit and --work-queue are refused before connecting', async () => {
  const worker = ['worker', '--nats', 'nats://127.0.0.1:1'];
  await refused([
    [[...worker, '--max-items', '1.5'], /^hft: --max-items expects a positive integer, got '1\.5'$/],
    [[...worker, '--max-items', '0'], /^hft: --max-items expects a positive integer, got '0'$/],
    [[...worker, '--idle-exit', '0'], /^hft: --idle-exit expects a positive number, got '0'$/],
    [[...worker, '--idle-exit', 'NaN'], /^hft: --idle-exit expects a positive number, got 'NaN'$/],
    [[...worker, '--work-queue', 'a.b'], /^hft: --work-queue "a\.b": use letters, digits, _ and -$/],
    [
      [...sweep('wq', 'order_qty=1'), '--nats', 'nats://127.0.0.1:1', '--work-queue', 'a b'],
      /^hft: --work-queue "a b": use letters, digits, _ and -$/,
    ],
  ]);
});

// --queue-func log without --queue prob (or --queue with --exchange l3) ran the default model silently.
test('run and sweep: queue flags that no run uses are refused; where a point uses them they pass', async () => {
  const run1 = [
    'backtest',
    'run',
    '--strategy',
    'mm-txf',
    '--data',
    missingData,
    '--out',
    path.join(dir, 'q'),
  ];
  await refused([
    [
      [...run1, '--queue-func', 'log'],
      /^hft: --queue-func applies to the prob queue model \(--queue prob, --exchange l2\)$/,
    ],
    [
      [...run1, '--queue', 'risk_averse', '--queue-n', '2'],
      /^hft: --queue-n applies to the prob queue model/,
    ],
    [[...run1, '--exchange', 'l3', '--queue', 'prob'], /^hft: --queue applies to --exchange l2 \(l3 takes/],
    [
      [...sweep('q1', 'half_spread_ticks=1'), '--queue-n', '2'],
      /^hft: --queue-n applies to the prob queue model/,
    ],
    // Past the check: the (missing) data is what stops them.
    [[...run1, '--queue', 'prob', '--queue-func', 'log', '--queue-n', '2'], /^hft: \S+: not found$/],
    [[...sweep('q2', 'queue=risk_averse,prob'), '--queue-n', '2'], /^hft: --data \S+: not found$/],
  ]);
});

// A TTL past a Node timer's range made the renewal timer fire every 1 ms (TimeoutOverflowWarning);
// every timer period and timeout of the configuration has the same bound (config/schema.ts).
test('gateway run: a lease TTL past the timers range is refused before connecting', async () => {
  const gw = [
    'gateway',
    'run',
    '--nats',
    'nats://127.0.0.1:1',
    '--account',
    'a1',
    '--id',
    'gw-a',
    '--no-record',
  ];
  const off = ['--set', 'ops.enabled=false'];
  await refused([
    [
      [...gw, ...off, '--lease-ttl-ms', '99999999999'],
      /^hft: config error in CLI flag --lease-ttl-ms at 'gateway\.nats\.lease_ttl_ms': at most 2147483647 ms \(24\.8 days\), the longest a timer waits$/,
    ],
    [
      [...gw, ...off, '--set', 'gateway.nats.lease_ttl_ms=2147483648'],
      /^hft: config error .* at 'gateway\.nats\.lease_ttl_ms': at most 2147483647 ms/,
    ],
    [
      [...gw, ...off, '--set', 'live.stale_ms=1e10'],
      /^hft: config error .* at 'live\.stale_ms': at most 2147483647 ms/,
    ],
  ]);
});

// Accepted silently: a typo showed only when a search item's data file was missing on the host.
test('worker: a --data-dir that is not a folder is refused before connecting', async () => {
  const worker = ['worker', '--nats', 'nats://127.0.0.1:1', '--data-dir'];
  await refused([
    [[...worker, path.join(dir, 'nosuch')], /^hft: --data-dir \S+nosuch: not found$/],
    [[...worker, path.join(repoRoot, 'package.json')], /^hft: --data-dir \S+package\.json: not a directory$/],
  ]);
});

const natsSkip =
  natsServerBinary() === null && process.env.CI !== 'true' ? 'nats-server not installed' : false;
if (natsSkip) process.stdout.write(`# SKIP NATS cases of backtest-sweep.test.ts: ${natsSkip}\n`);

/** A nats-server without JetStream on a random loopback port. */
async function plainNatsServer(): Promise<{ url: string; stop: () => void }> {
  const proc = spawn(natsServerBinary()!, ['-a', '127.0.0.1', '-p', '-1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let log = '';
    const onData = (b: Buffer) => {
      log += b.toString();
      const m = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
      if (m !== null && /Server is ready/.test(log)) resolve(Number(m[1]));
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`nats-server exited (${code}):\n${log}`)));
  });
  return { url: `nats://127.0.0.1:${port}`, stop: () => proc.kill('SIGTERM') };
}

// The gateway and the runner said "no NATS server at <url>" and then hung (the connection they
// had opened kept reconnecting); the worker's error did not name the server.
test('a NATS server without JetStream: gateway, runner and worker say so in one line and exit 2', {
  skip: natsSkip,
}, async () => {
  const server = await plainNatsServer();
  try {
    const url = server.url.replace(/[.]/g, '\\.');
    const quiet = ['--no-record', '--duration', '2', '--set', 'ops.enabled=false'];
    await refused([
      [
        ['gateway', 'run', '--nats', server.url, '--account', 'a1', '--id', 'gw-a', ...quiet],
        new RegExp(
          `^hft: gateway: NATS at ${url}: jetstream is not enabled \\(start nats-server with -js\\)$`,
        ),
      ],
      [
        ['run', 'sim', '--gateway', server.url, ...quiet],
        new RegExp(
          `^hft: gateway: NATS at ${url}: jetstream is not enabled \\(start nats-server with -js\\)$`,
        ),
      ],
    ]);
    const w = await run(['worker', '--nats', server.url, '--idle-exit', '1']);
    assert.equal(w.code, 2, w.stderr);
    assert.match(w.stderr, new RegExp(`^hft: worker on ${url}: jetstream is not enabled\\n$`));
  } finally {
    server.stop();
  }
});

// A runner whose account no gateway leads (none started, or another --account) ran with orders
// that were never answered, and only the venue's "not answered in time" warnings.
test('run sim --gateway: warns when no gateway leads the account, not when one does', {
  skip: natsSkip,
  timeout: 300_000,
}, async () => {
  const server = await startNatsServer();
  const runner = ['run', 'sim', '--gateway', server.url, '--set', 'gateway.nats.account=acct1'];
  const quiet = ['--no-record', '--duration', '1', '--set', 'ops.enabled=false'];
  let gw: ReturnType<typeof hftProc> | null = null;
  try {
    const alone = await run([...runner, ...quiet]);
    assert.equal(alone.code, 0, alone.stderr);
    assert.match(
      alone.stderr,
      /^gateway: no gateway leads account 'acct1' on nats:\/\/127\.0\.0\.1:\d+ now: orders wait until one does \(hft gateway run --nats \S+ --account acct1; /m,
    );
    const gateway = ['gateway', 'run', '--nats', server.url, '--account', 'acct1', '--id', 'gw-a'];
    gw = hftProc('gw', [...gateway, '--no-record', '--set', 'ops.enabled=false']);
    await gw.waitFor(/gateway gw-a: account acct1 on \S+, leader/);
    const led = await run([...runner, ...quiet]);
    assert.equal(led.code, 0, led.stderr);
    assert.doesNotMatch(led.stderr, /no gateway leads/);
  } finally {
    if (gw !== null) await stopProc(gw);
    await server.stop();
  }
});
