import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { readCsv, TXO, tmpDir, txoStrategies } from '../backtest/helpers.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { requireData } from '../venues/replay/data-dir.ts';
import { buildPackage, runLogged } from './built.ts';

/** Modules `hft --help` must not load: the platform's planes and heavy dependencies. */
const HEAVY =
  /node_modules\/(chdb|hyparquet|zod|pino|prom-client|@clickhouse|yaml|tsx|fzstd|hdr-histogram-js)\/|\/dist\/(?!cli\/main\.js|core\/errors\.js)/;

let pkg = '';
let bin = '';
before(async () => {
  pkg = await buildPackage();
  bin = path.join(pkg, 'bin/hft.mjs');
});

describe('the built CLI', () => {
  test('hft --help and --version run the built code and load none of the platform', async () => {
    const r = await runLogged(bin, ['--help'], tmpDir('hft-cwd-'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Commands:\n\s+run\s/);
    assert.match(r.stdout, /backtest\s+tick-level backtests/);
    const files = r.modules.filter((u) => u.startsWith('file:'));
    assert.ok(
      files.some((u) => u.endsWith('/dist/cli/main.js')),
      `ran dist/cli/main.js: ${files.join(' ')}`,
    );
    assert.deepEqual(
      files.filter((u) => HEAVY.test(u) || u.endsWith('.ts')),
      [],
    );
    const v = await runLogged(bin, ['--version'], pkg);
    assert.equal(
      v.stdout.trim(),
      JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version,
    );
  });

  test('a user mistake is one line with exit code 2', async () => {
    const r = await runLogged(bin, ['run', 'sim', '--duration', 'soon'], pkg);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "hft: --duration expects a non-negative number, got 'soon'\n");
  });
});

describe('the built CLI on recorded data', requireData(), () => {
  test('a sweep runs its worker threads and a recorded run its recorder worker, from dist/', async () => {
    const dir = tmpDir('hft-built-run-');
    const out = path.join(dir, 'sweep');
    const sweep = await runLogged(
      bin,
      [
        'backtest',
        'sweep',
        '--strategy',
        'mm-txo',
        '--data',
        TXO,
        '--set',
        `strategies_file=${txoStrategies(dir)}`,
        '--grid',
        'half_spread_ticks=0.5,2',
        '--workers',
        '2',
        '--out',
        out,
      ],
      pkg,
    );
    assert.equal(sweep.code, 0, sweep.stderr);
    assert.deepEqual(
      readCsv(path.join(out, 'results.csv')).map((x) => x.error),
      ['', ''],
    );
    assert.deepEqual(
      sweep.modules.filter((u) => u.endsWith('.ts')),
      [],
      'no TypeScript',
    );

    const store = ['--set', `store.path=${path.join(dir, 'data')}`];
    const sim = await runLogged(bin, ['run', 'sim', '--clock', 'sim', '--duration', '20', ...store], pkg);
    assert.equal(sim.code, 0, sim.stderr);
    const fills = Number(/fills (\d+)/.exec(sim.stdout)?.[1]);
    assert.ok(fills > 0, sim.stdout);
    const q = await runLogged(
      bin,
      ['db', 'query', 'SELECT count() FROM hft.trades', '--format', 'TSV', ...store],
      pkg,
    );
    assert.equal(q.code, 0, q.stderr);
    assert.equal(Number(q.stdout.trim()), fills, 'the recorder worker stored every fill');
  });
});
