/**
 * `hft alpha search --nats`: the formulas scored by two `hft worker` processes through a real
 * nats-server (random port) give the same ledger, DSR, PBO and results as the local run with the
 * same seed; a worker refuses data that differs from the searcher's. Skips with a notice without
 * nats-server or the data (fails under CI=true, as test/gateway/ does).
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadProject } from '../../../src/config/project.ts';
import { serveWork } from '../../../src/gateway/work-queue.ts';
import { loadSearchData } from '../../../src/research/search/data.ts';
import type { TrialScore } from '../../../src/research/search/fitness.ts';
import { NatsEvaluator } from '../../../src/research/search/nats-evaluator.ts';
import {
  decodeScores,
  encodeScores,
  fileSha256,
  type SearchTask,
} from '../../../src/research/search/remote-task.ts';
import { searchHandler } from '../../../src/research/search/search-handler.ts';
import { hft, stopProc } from '../../gateway/processes.ts';
import { CLI_LIMIT_MS, hftCli } from '../../helpers/hft-cli.ts';
import { natsServerBinary, startNatsServer } from '../../helpers/nats-server.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile, requireData } from '../../venues/replay/data-dir.ts';

const data = requireData();
const noNats =
  natsServerBinary() === null && process.env.CI !== 'true'
    ? 'nats-server not installed (apt-get install nats-server)'
    : false;
const skip = data.skip || noNats;
if (skip) process.stdout.write(`# SKIP distributed alpha search test: ${skip}\n`);

test('scores cross the queue bit for bit: NaN, infinities and -0 included', () => {
  const s = {
    fitness: Number.NaN,
    sharpe_train: Number.POSITIVE_INFINITY,
    sharpe_test: Number.NEGATIVE_INFINITY,
    sr_train: -0,
    sr_test: 0.1 + 0.2,
    degenerate: true,
    blocks: { n: [1, 2], sum: [Number.NaN, -1e-300], sq: [5e-324, 0] },
  } as unknown as TrialScore;
  // Through JSON twice, as the worker's result message is.
  const back = decodeScores(JSON.parse(JSON.stringify({ v: encodeScores([s]) })).v);
  assert.deepStrictEqual(back, [s]);
  assert.throws(() => decodeScores(null), /something else than its scores/);
});

test('hft alpha search --nats on two hft worker processes: the same trials, DSR, PBO and results as locally', {
  skip,
  timeout: CLI_LIMIT_MS,
}, async () => {
  const server = await startNatsServer();
  const root = mkdtempSync(path.join(os.tmpdir(), 'hft-search-nats-'));
  const workers = ['w1', 'w2'].map((name) =>
    hft(name, ['worker', '--nats', server.url, '--work-queue', 'srch', '--name', name]),
  );
  try {
    cpSync(path.join(repoRoot, 'config'), path.join(root, 'config'), { recursive: true });
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    await Promise.all(workers.map((w) => w.waitFor(/worker w\d: queue srch/)));
    const common = [
      'alpha',
      'search',
      '--data',
      dataFile('taifex-txf-20260408.parquet'),
      '--bar-ms',
      '5000',
      '--no-progress',
      '--mode',
      'genetic',
      '--population',
      '12',
      '--generations',
      '2',
      '--seed',
      '7',
      '--pool',
      'ts_mean(ofi_5, 5)',
    ];
    const local = await hftCli(root, [...common, '--ledger', 'local.jsonl', '--save-results', 'local.json']);
    assert.equal(local.code, 0, local.stderr);
    const remote = await hftCli(root, [
      ...common,
      '--ledger',
      'nats.jsonl',
      '--save-results',
      'nats.json',
      '--nats',
      server.url,
      '--work-queue',
      'srch',
      '--nats-chunk',
      '2',
    ]);
    assert.equal(remote.code, 0, remote.stderr);
    assert.match(remote.stderr, /search: formulas to the work queue 'srch'/);

    // Everything but the clock: ledger lines without their time and search id, the outcome
    // without its timings.
    const ledger = (f: string) =>
      readFileSync(path.join(root, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const { at: _a, search_id: _s, ...rest } = JSON.parse(l);
          return rest;
        });
    const outcome = (f: string) => {
      const {
        search_id: _i,
        search_s: _s,
        analysis_s: _a,
        elapsed_s: _e,
        trials_per_s: _t,
        ledger: _l,
        ...rest
      } = JSON.parse(readFileSync(path.join(root, f), 'utf8'));
      return rest;
    };
    const a = ledger('local.jsonl');
    assert.equal(a.length, 12 + 2 * (12 - 3));
    assert.deepStrictEqual(ledger('nats.jsonl'), a);
    const o = outcome('local.json');
    assert.ok(o.pbo !== null && o.results.length > 0 && o.results.every((r: { dsr: number }) => r.dsr >= 0));
    assert.deepStrictEqual(outcome('nats.json'), o);
    // The table printed is the same too (the first line holds the clock-dependent id and rate).
    const table = (s: string) => s.split('\n').slice(1).join('\n');
    assert.equal(table(remote.stdout), table(local.stdout));
    // Both processes scored items (each pulls while the other scores; items of 2 formulas).
    for (const w of workers) assert.match(w.out(), /search [0-9a-f]+#\d+: done/, w.out());
  } finally {
    for (const w of workers) await stopProc(w);
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  for (const w of workers) assert.match(w.out(), /items done/);
});

test("a worker refuses a data file that differs from the searcher's, or is not on its host", {
  skip: data.skip,
  timeout: CLI_LIMIT_MS,
}, async () => {
  const day = dataFile('taifex-txf-20260408.parquet');
  const cfg = loadProject({ root: repoRoot, env: 'test', envVars: {} });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-search-refuse-'));
  try {
    const task = (file: string, sha256: string, columns = 'c'.repeat(64)): SearchTask => ({
      data: {
        files: [{ path: file, sha256 }],
        barMs: 5000,
        featureSet: 'lob_core',
        cfg: { settings: cfg.settings, root: cfg.root, symbols: cfg.symbols },
        columns,
      },
      target: { horizon: 1, split: 0.7, blocks: 16 },
      pool: [],
      poolPenalty: 0.5,
      formulas: ['ofi_5'],
    });
    const sha = fileSha256(day);
    // Another day under the searcher's file name.
    const other = path.join(dir, path.basename(day));
    copyFileSync(dataFile('taifex-txf-20260410.parquet'), other);
    await assert.rejects(
      searchHandler()(task(other, sha)),
      /refused: .* differs from the searcher's taifex-txf-20260408/,
    );
    const missing = path.join(dir, 'nowhere', path.basename(day));
    await assert.rejects(
      searchHandler()(task(missing, sha)),
      /is not on this worker \(hft worker --data-dir/,
    );
    // Found by name in --data-dir, the right file, but columns other than the searcher's.
    await assert.rejects(
      searchHandler(path.dirname(day))(task(missing, sha)),
      /refused: the same files sampled on this worker give other columns/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a worker's refusal stops the search with its reason, through the queue", {
  skip,
  timeout: CLI_LIMIT_MS,
}, async () => {
  const server = await startNatsServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-search-refuse-q-'));
  const stop = new AbortController();
  const worker = serveWork(
    { url: server.url, queue: 'refuse', name: 'w' },
    { search: searchHandler() },
    stop.signal,
  );
  try {
    // A writable copy of the day under its name (the name gives the symbol; the shared files are read-only).
    const file = path.join(dir, 'taifex-txf-20260408.parquet');
    writeFileSync(file, readFileSync(dataFile('taifex-txf-20260408.parquet')));
    const cfg = loadProject({ root: repoRoot, env: 'test', envVars: {} });
    const d = await loadSearchData(cfg, [file], { barMs: 5000, featureSet: 'lob_core' });
    const ev = await NatsEvaluator.start(
      { url: server.url, queue: 'refuse', cfg, files: [file], barMs: 5000, featureSet: 'lob_core' },
      d,
      { horizon: 1, split: 0.7, blocks: 16 },
      [],
      0.5,
    );
    try {
      // The file changes between the searcher's reading and the worker's.
      writeFileSync(file, readFileSync(dataFile('taifex-txf-20260410.parquet')));
      await assert.rejects(
        ev.score(['ofi_5', 'imbalance_l1']),
        /search item 0 on worker w: refused: .*08\.parquet on this worker differs from the searcher's taifex-txf-20260408\.parquet/,
      );
    } finally {
      await ev.close();
    }
  } finally {
    stop.abort();
    await worker;
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
