/**
 * Misuse of `hft backtest sweep`, `hft worker`, `hft gateway run` and `hft run sim --gateway`
 * through the real CLI: each mistake is one line `hft: <message>` and exit 2, never a crash, a
 * hang or a silent misreading.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
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
async function refused(cases: [string[], RegExp][]): Promise<void> {
  const results = await Promise.all(cases.map(([a]) => run(a)));
  cases.forEach(([args, want], i) => {
    const r = results[i];
    const label = `hft ${args.join(' ')}`;
    assert.equal(r.code, 2, `${label}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, /^hft: [^\n]*\n$/, `${label}: not one line:\n${r.stderr}`);
    assert.match(r.stderr.trim(), want, label);
    assert.equal(r.stdout, '', `${label}: printed something`);
  });
}

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
