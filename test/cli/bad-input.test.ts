import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/symbols.ts';

const exec = promisify(execFile);
const hft = path.join(repoRoot, 'bin/hft.mjs');
const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bad-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await exec(process.execPath, [hft, ...args], {
      cwd: repoRoot,
      env: { ...process.env, HFT_LOG_LEVEL: 'warn', ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Every CLI misuse that escaped as a stack trace (issue 17), through the real CLI. */
test('each bad input that escaped as a stack trace is now one line naming the file, flag or key (exit 2)', async () => {
  const bomb = path.join(dir, 'bomb.yaml');
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (const [k, prev] of ['ba', 'cb', 'dc', 'ed', 'fe', 'gf'])
    lines.push(`${k}: &${k} [${Array(9).fill(`*${prev}`).join(',')}]`);
  writeFileSync(bomb, `${lines.join('\n')}\n`);
  const sim = ['run', 'sim', '--env', 'test', '--duration', '5', '--no-record'];
  const cases: [string[], Record<string, string>, RegExp][] = [
    [[...sim, '--config', dir], {}, /^hft: config error in \S+: is a directory, expected a YAML file$/],
    [
      ['recorder', 'status', '--set', 'recorder.wal.dir=/etc/passwd'],
      {},
      /at 'recorder\.wal\.dir': \/etc\/passwd is not a directory$/,
    ],
    [
      [...sim, '--set', 'recorder.ring_mb=100000'],
      {},
      /at 'recorder\.ring_mb': Too big: expected number to be <=1024$/,
    ],
    [
      [...sim, '--summary-json', '/nonexistent/dir/s.json'],
      {},
      /^hft: --summary-json \/nonexistent\/dir\/s\.json: folder \/nonexistent\/dir does not exist$/,
    ],
    [[...sim, '--config', bomb], {}, /bomb\.yaml: not valid YAML: Excessive alias count/],
    [
      [...sim, '--set', 'symbols_file=/etc/passwd'],
      {},
      /\/etc\/passwd \(symbols_file, set in CLI flag --set symbols_file\): not a symbol table/,
    ],
    [
      [...sim, '--set', 'storm_guard.drawdown_warm_bps=300', '--set', 'storm_guard.drawdown_storm_bps=200'],
      {},
      /at 'storm_guard\.drawdown_storm_bps': 200 is not above drawdown_warm_bps \(300\)/,
    ],
    [
      sim,
      { HFT_RISKK__MAX_POSITION: '5' },
      /environment variable HFT_RISKK__MAX_POSITION: no config section 'riskk'/,
    ],
    [
      [...sim, '--data', bomb, '--format', 'csv'],
      {},
      /^hft: --format expects auto or one of taifex-parquet, /,
    ],
    [
      ['backtest', 'sweep', '--strategy', 'mm-txf', '--grid', 'half_spread_ticks=1,2'].concat([
        '--data',
        path.join(dir, 'missing.parquet'),
        '--out',
        path.join(dir, 'sweep'),
      ]),
      {},
      /^hft: --data \S+missing\.parquet: not found$/,
    ],
    [['db', 'query', ' '], {}, /^hft: hft db query: the query is empty/],
    [
      ['run', 'sim', '--data', '--speed', 'max', '--no-record'],
      {},
      /^hft: expected a path, got the flag '--speed'/,
    ],
    [[...sim, '--set', 'ops.host=no-such-host.invalid'], {}, /^hft: ops server: cannot resolve ops\.host/],
  ];
  const results: Awaited<ReturnType<typeof run>>[] = [];
  // Two at a time: each is a process start.
  for (let i = 0; i < cases.length; i += 2)
    results.push(...(await Promise.all(cases.slice(i, i + 2).map(([a, e]) => run(a, e)))));
  cases.forEach(([args, env, want], i) => {
    const r = results[i];
    const label = `${Object.keys(env).join(' ')} hft ${args.join(' ')}`;
    assert.equal(r.code, 2, `${label}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, /^hft: [^\n]*\n$/, `${label}: not one line:\n${r.stderr}`);
    assert.match(r.stderr.trim(), want, label);
    assert.doesNotMatch(r.stdout, /run finished/, `${label}: it ran before failing`);
  });
});

test("commander's usage errors (unknown option, bad choice, missing argument) exit 2 like ours; help and --version exit 0", async () => {
  for (const args of [
    ['backtest', 'run', '--exchange', 'l4'],
    ['db', 'query'],
    ['run', 'sim', '--bogus'],
    ['nosuch'],
  ]) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^error: /, args.join(' '));
  }
  for (const args of [['--version'], ['backtest', '--help']])
    assert.equal((await run(args)).code, 0, args.join(' '));
});
