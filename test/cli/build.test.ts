import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
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
    assert.match(r.stdout, /Commands:\n\s+init\s+create a project/);
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

/** A strategy whose constructor tells the class-field semantics it was compiled with apart. */
const PROBE = `import { Strategy, type SymbolSpec } from 'hft-platform';

export class Probe extends Strategy {
  // Assigned by Strategy's constructor; compiled with define semantics this declaration resets it.
  override readonly featureSet!: string | null;

  constructor(id: string, symbols: readonly SymbolSpec[], params: unknown) {
    super(id, symbols, params);
    if (this.featureSet !== null) throw new Error('class fields are defined, not assigned');
  }
}
`;

describe('a project made by the built hft init', requireData(), () => {
  test('its TypeScript strategy loads (tsx only now), compiles as the platform does and typechecks against dist/', async () => {
    const parent = tmpDir('hft-built-init-');
    const init = await runLogged(bin, ['init', 'desk'], parent);
    assert.equal(init.code, 0, init.stderr);
    const dir = path.join(parent, 'desk');
    writeFileSync(path.join(dir, 'strategies/probe.ts'), PROBE);
    appendFileSync(
      path.join(dir, 'config/strategies.yaml'),
      '  - { id: probe, class: ./strategies/probe.ts#Probe, symbols: [TXO35000Q6] }\n',
    );
    const r = await runLogged(
      bin,
      ['backtest', 'run', '--strategy', 'probe', '--data', TXO, '--out', 'bt/p'],
      dir,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^backtest probe on TXO35000Q6/);
    assert.ok(
      r.modules.some((u) => u.includes('/node_modules/tsx/')),
      'tsx registered for the TypeScript plugin',
    );

    // Worker threads of a sweep load the plugin themselves (tsx registered in each).
    const sweep = await runLogged(
      bin,
      [
        'backtest',
        'sweep',
        '--strategy',
        'probe',
        '--data',
        TXO,
        '--grid',
        'queue=risk_averse,prob',
        '--out',
        'bt/s',
      ],
      dir,
    );
    assert.equal(sweep.code, 0, sweep.stderr);
    assert.deepEqual(
      readCsv(path.join(dir, 'bt/s/results.csv')).map((x) => x.error),
      ['', ''],
    );

    // What `npm install` in the project does: node_modules/hft-platform links the platform.
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(pkg, path.join(dir, 'node_modules/hft-platform'), 'dir');
    const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')]);
  });
});
