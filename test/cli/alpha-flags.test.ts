/**
 * Bad flag values of `hft alpha ...` through the real CLI: each is one line `hft: <message>` and exit 2,
 * before any data is read (the --data files of these cases do not exist) or anything is written.
 * Runs in a throwaway project (the platform's config and the ofi_mc alpha).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { hftCli, refused as refusedBy } from '../helpers/hft-cli.ts';
import { repoRoot } from '../helpers/symbols.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'hft-alpha-flags-'));
after(() => rmSync(root, { recursive: true, force: true }));
cpSync(path.join(repoRoot, 'config'), path.join(root, 'config'), { recursive: true });
cpSync(path.join(repoRoot, 'research/alphas/ofi_mc'), path.join(root, 'research/alphas/ofi_mc'), {
  recursive: true,
  filter: (f) => !/_report\.json$|scorecard\.json$|report\.html$/.test(f),
});
writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));

const missing = path.join(root, 'missing.parquet');
const aDir = path.join(root, 'a-dir');
mkdirSync(aDir);
const aFile = path.join(root, 'a-file');
writeFileSync(aFile, 'x');
const emptyLedger = path.join(root, 'empty-ledger');
mkdirSync(emptyLedger);
const validate = ['alpha', 'validate', 'ofi_mc', '--data', missing, '--no-store', '--skip-gate-b-tests'];

/** Runs hft from the throwaway project. */
async function hft(args: string[]) {
  return hftCli(root, args, { HFT_LOG_LEVEL: 'warn' });
}

/** Each case exits 2 with one `hft:` line matching its pattern; with `quiet`, nothing on stdout. */
const refused = (cases: [string[], RegExp][], quiet = true) => refusedBy(cases, hft, quiet);

test('alpha validate: bad numbers, --out and --experiments-dir are refused before the data is read', async () => {
  await refused([
    [[...validate, '--bar-s', '0'], /^hft: --bar-s expects a positive number, got '0'$/],
    [[...validate, '--test-timeout', '0'], /^hft: --test-timeout expects a positive number, got '0'$/],
    [[...validate, '--ic-horizons', '-5,10'], /^hft: --ic-horizons expects a positive number, got '-5'$/],
    [[...validate, '--min-dsr', '5'], /^hft: --min-dsr expects a number in \[0, 1\], got '5'$/],
    [[...validate, '--out', aDir], /^hft: --out \S+a-dir: is a directory, expected a file name$/],
    [
      [...validate, '--out', path.join(root, 'nosuch', 'r.json')],
      /^hft: --out \S+r\.json: folder \S+nosuch does not exist$/,
    ],
    [[...validate, '--out', '/proc/version'], /^hft: --out \/proc\/version: /],
    [[...validate, '--experiments-dir', aFile], /^hft: --experiments-dir \S+a-file: is not a directory$/],
  ]);
  assert.ok(!existsSync(path.join(root, 'research/experiments')), 'nothing recorded');
});

// Refused by loadReplayData (src/venues/replay/replay-sources.ts, commit 5793113): it crashed in Gate B.
test('alpha validate on data of no events says so', async () => {
  const empty = path.join(root, 'taifex-txf-20260101.parquet');
  writeFileSync(
    empty,
    Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: 'ev', data: new BigInt64Array(0), type: 'INT64' },
          { name: 'exch_ts', data: new BigInt64Array(0), type: 'INT64' },
          { name: 'px', data: new Float64Array(0), type: 'DOUBLE' },
          { name: 'qty', data: new Float64Array(0), type: 'DOUBLE' },
        ],
      }),
    ),
  );
  const r = await hft(['alpha', 'validate', 'ofi_mc', '--data', empty, '--no-store', '--skip-gate-b-tests']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^hft: [^\n]*no events[^\n]*\n$/);
});

test('alpha report and --out of the JSON commands: a bad --out is one line naming it', async () => {
  // A run of ofi_mc in a ledger of its own, enough for the report.
  const ledger = path.join(root, 'ledger');
  const run = path.join(ledger, 'runs', 'r1');
  mkdirSync(run, { recursive: true });
  const gate = (g: string) => ({ gate: g, passed: false, details: {} });
  writeFileSync(
    path.join(run, 'report.json'),
    JSON.stringify({ passed: false, gate_a: gate('A'), gate_b: gate('B'), gate_c: gate('C') }),
  );
  writeFileSync(
    path.join(run, 'meta.json'),
    JSON.stringify({
      run_id: 'r1',
      alpha_id: 'ofi_mc',
      config_hash: 'h',
      timestamp: '2026-01-01T00:00:00.000Z',
      code_version: 'x',
      data_paths: [],
      config: {},
      metrics: {},
      gate_status: {},
      passed: false,
      scorecard_path: null,
      backtest_report_path: null,
      report_path: path.join(run, 'report.json'),
      signals_path: null,
      equity_path: null,
      fills_path: null,
    }),
  );
  const report = ['alpha', 'report', 'ofi_mc', '--base-dir', ledger];
  const cases: [string[], RegExp][] = [
    [[...report, '--out', aDir], /^hft: --out \S+a-dir: is a directory, expected a file name$/],
    [
      [...report, '--out', path.join(root, 'nosuch', 'r.html')],
      /^hft: --out \S+r\.html: folder \S+nosuch does not exist$/,
    ],
  ];
  if (existsSync('/proc/version'))
    cases.push([[...report, '--out', '/proc/version'], /^hft: --out \/proc\/version: /]);
  // Passes the checks up front, fails where it is written (ENOSPC; EACCES when not root).
  if (existsSync('/dev/full'))
    cases.push(
      [[...report, '--out', '/dev/full'], /^hft: --out \/dev\/full: .*\((ENOSPC|EACCES)\)$/],
      [
        ['alpha', 'experiments', 'list', '--base-dir', emptyLedger, '--out', '/dev/full'],
        /^hft: --out \/dev\/full: .*\((ENOSPC|EACCES)\)$/,
      ],
    );
  // A JSON result is printed before its --out is written: stdout may hold it.
  await refused(cases, false);
  // The same report where it can be written.
  const ok = await hft([...report, '--out', path.join(root, 'r.html')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(existsSync(path.join(root, 'r.html')));
});

test('alpha search, rl, promote, pool: out-of-range values are refused before any work', async () => {
  const cpus = os.availableParallelism();
  await refused([
    [
      ['alpha', 'search', '--data', missing, '--workers', '100000', '--trials', '3'],
      new RegExp(`^hft: --workers expects an integer from 1 to ${4 * cpus} \\(4 per CPU\\), got '100000'$`),
    ],
    [
      ['alpha', 'search', '--data', missing, '--min-dsr', '5'],
      /^hft: --min-dsr expects a number in \[0, 1\], got '5'$/,
    ],
    [
      ['alpha', 'search', '--data', missing, '--max-corr', '5'],
      /^hft: --max-corr expects a number in \(0, 1\], got '5'$/,
    ],
    [
      ['alpha', 'search', '--data', missing, '--save-results', os.tmpdir()],
      /^hft: --save-results \S+: is a directory, expected a file name$/,
    ],
    [
      ['alpha', 'rl', 'train', '--data', missing, '--out', os.tmpdir()],
      /^hft: --out \S+: is a directory, expected a file name$/,
    ],
    [
      ['alpha', 'rl', 'evaluate', '--policy', missing, '--data', missing, '--out', os.tmpdir()],
      /^hft: --out \S+: is a directory, expected a file name$/,
    ],
    [
      ['alpha', 'rl', 'train', '--data', missing, '--out', 'p.json', '--elite', '20', '--population', '5'],
      /^hft: --elite expects an integer below --population \(5\), got '20'$/,
    ],
    [
      ['alpha', 'rl', 'train', '--data', missing, '--out', 'p.json', '--elite', '5', '--population', '5'],
      /^hft: --elite expects an integer below --population \(5\), got '5'$/,
    ],
    [
      ['alpha', 'promote', 'ofi_mc', '--owner', 'x', '--force', '--canary-weight', '5'],
      /^hft: --canary-weight expects a number in \(0, 1\], got '5'$/,
    ],
    [
      ['alpha', 'promote', 'ofi_mc', '--owner', 'x', '--force', '--canary-weight', '-1'],
      /^hft: --canary-weight expects a number in \(0, 1\], got '-1'$/,
    ],
    [
      ['alpha', 'rl', 'promote', '--policy', missing, '--id', 'rl_x', '--canary-weight', '5'],
      /^hft: --canary-weight expects a number in \(0, 1\], got '5'$/,
    ],
    [
      ['alpha', 'pool', 'redundant', '--base-dir', emptyLedger, '--threshold', '5'],
      /^hft: --threshold expects a number in \(0, 1\], got '5'$/,
    ],
  ]);
  assert.ok(!existsSync(path.join(root, 'p.json')));
  assert.ok(!existsSync(path.join(root, 'research/alphas/rl_x')));
  // The edge of the range still runs.
  const ok = await hft(['alpha', 'pool', 'redundant', '--base-dir', emptyLedger, '--threshold', '1']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).threshold, 1);
});

test('alpha canary evaluate of an alpha without a canary exits 2', async () => {
  await refused([
    [['alpha', 'canary', 'evaluate', 'nosuch'], /^hft: no canary for alpha 'nosuch'/],
    [['alpha', 'canary', 'evaluate', 'nosuch', '--apply'], /^hft: no canary for alpha 'nosuch'/],
  ]);
});

test('alpha scaffold refuses an id that is not already an alpha id, and an undocumented complexity', async () => {
  const alphas = path.join(root, 'research/alphas');
  await refused([
    [
      ['alpha', 'scaffold', 'Bad-Name!'],
      /^hft: alpha id 'Bad-Name!': use lowercase letters, digits and _, starting and ending with a letter or digit$/,
    ],
    [['alpha', 'scaffold', '../evil'], /^hft: alpha id '\.\.\/evil': use lowercase letters/],
    [
      ['alpha', 'scaffold', 'good_one', '--complexity', 'O3'],
      /^hft: --complexity expects O1 or ON, got 'O3'$/,
    ],
  ]);
  assert.deepEqual(readdirSync(alphas), ['ofi_mc']);
  const ok = await hft(['alpha', 'scaffold', 'good_one', '--complexity', 'ON']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(existsSync(path.join(alphas, 'good_one', 'impl.ts')));
});
