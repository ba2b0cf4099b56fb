import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { query } from 'chdb';
import { Rng } from '../../src/core/rng.ts';
import { binanceGz, binanceUsdmLines, dbnFile, dbnRecords, nthDepthLine } from '../helpers/market-files.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { dataFile, HAVE_DATA } from '../venues/replay/data-dir.ts';
import { COUNTS } from './cases.ts';

/**
 * Market-data fuzzing: 10,000+ generated malformed broker payloads and corrupted data files in
 * every replay format (cases.ts), seeded and deterministic (HFT_FUZZ_SEED, HFT_FUZZ_SCALE change
 * them). They run in two child processes, because a V8 abort (the parquet crash this suite pins)
 * can only be seen from outside; a case that does not finish within HANG_MS is a hang. A sample
 * also goes through the real CLI: `hft data inspect` and `hft run sim --speed max`.
 */
const SEED = Number(process.env.HFT_FUZZ_SEED ?? 20_260_417);
const SCALE = Number(process.env.HFT_FUZZ_SCALE ?? 1);
const SHARDS = 2;
/** No output from a worker for this long: the case it started hangs. */
const HANG_MS = 60_000;
/** A CLI run on a small corrupted file that takes longer than this spins. */
const CLI_MS = 120_000;

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hft-fuzz-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Small valid parquet files in the hftbacktest layout, one per codec, written by ClickHouse. */
function writeParquetSeeds(): string[] {
  const rows =
    'SELECT toUInt64(multiIf(number = 0, 3221225475, number % 7 = 3, 3758096386, number % 2 = 0, 3758096385, 3489660929)) AS ev, ' +
    'toInt64(1775608200000000000 + intDiv(number, 3) * 1000000) AS exch_ts, ' +
    'toFloat64(34500 + number % 5) AS px, toFloat64(if(number % 11 = 0, 0, 1 + number % 9)) AS qty FROM numbers(400)';
  return ['zstd', 'none', 'snappy', 'gzip'].map((codec) => {
    const path = join(dir, `taifex-txf-2099010${codec.length}.parquet`);
    query(
      `${rows} INTO OUTFILE '${path}' TRUNCATE FORMAT Parquet SETTINGS output_format_parquet_compression_method = '${codec}'`,
    );
    return path;
  });
}

interface WorkerResult {
  outcomes: Map<string, string>;
  failures: string[];
  dead: string | null;
}

/** Runs one shard; resolves when the worker ends, dies, or stops making progress. */
function runShard(shard: number, seedsFile: string): Promise<WorkerResult> {
  const progress = join(dir, `progress-${shard}.txt`);
  writeFileSync(progress, '');
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'test/fuzz/fuzz-worker.ts'),
        `${shard}`,
        `${SHARDS}`,
        `${SEED}`,
        `${SCALE}`,
        seedsFile,
        progress,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    let hang: string | null = null;
    let size = 0;
    let still = 0;
    // Progress is the file growing: no growth for HANG_MS means the case it started hangs.
    const poll = setInterval(() => {
      const now = statSync(progress).size;
      still = now === size ? still + 1000 : 0;
      size = now;
      if (still >= HANG_MS) {
        hang = `case ${lastStarted(progress)} did not finish within ${HANG_MS / 1000} s (hang)`;
        child.kill('SIGKILL');
      }
    }, 1000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      const outcomes = new Map<string, string>();
      const failures: string[] = [];
      let ended = false;
      for (const line of readFileSync(progress, 'utf8').split('\n')) {
        const [what, id, ...rest] = line.split(' ');
        if (what === 'ok') outcomes.set(id, rest.join(' '));
        else if (what === 'fail') failures.push(`${id}: ${rest.join(' ')}`);
        else if (what === 'end') ended = true;
      }
      let dead: string | null = hang;
      if (dead === null && (!ended || code !== 0)) {
        dead = `worker ${shard} died (code ${code}, signal ${signal}) during case ${lastStarted(progress)}: ${stderr.slice(-2000)}`;
      }
      resolve({ outcomes, failures, dead });
    });
  });
}

function lastStarted(progress: string): string {
  const starts = readFileSync(progress, 'utf8').match(/^start (\S+)$/gm) ?? [];
  return starts.length > 0 ? starts[starts.length - 1].slice(6) : '(before the first case)';
}

describe('market-data fuzz: malformed payloads and corrupted files never crash, hang or leak a stack', () => {
  test(`${Object.values(COUNTS).reduce((a, b) => a + b, 0) * SCALE}+ seeded cases (seed ${SEED})`, async () => {
    const seedsFile = join(dir, 'seeds.json');
    const txo = dataFile('taifex-txo35000q6-20260417.parquet');
    const zst = dataFile('esh4-glbx-mdp3-20231224.mbo.dbn.zst');
    writeFileSync(
      seedsFile,
      JSON.stringify({
        parquet: writeParquetSeeds(),
        txo: HAVE_DATA && existsSync(txo) ? txo : null,
        dbnZst: HAVE_DATA && existsSync(zst) ? zst : null,
      }),
    );
    const results = await Promise.all(Array.from({ length: SHARDS }, (_, i) => runShard(i, seedsFile)));
    for (const r of results) assert.equal(r.dead, null, r.dead ?? '');
    const failures = results.flatMap((r) => r.failures);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failing cases`);

    const all = new Map<string, string>();
    for (const r of results) for (const [k, v] of r.outcomes) all.set(k, v);
    assert.ok(all.size >= 10_000 * SCALE, `${all.size} cases`);
    // Every kind of input produced refusals or counted rejections: the cases do break things.
    const byKind = new Map<string, Record<string, number>>();
    for (const v of all.values()) {
      const [kind, outcome] = v.split(' ');
      const m = byKind.get(kind) ?? {};
      m[outcome] = (m[outcome] ?? 0) + 1;
      byKind.set(kind, m);
    }
    for (const kind of ['quote', 'binance', 'dbn', 'lobster', 'parquet']) {
      const m = byKind.get(kind) ?? {};
      assert.ok((m.counted ?? 0) > 0, `${kind}: ${JSON.stringify(m)}`);
      if (kind !== 'quote') assert.ok((m.refused ?? 0) > 0, `${kind}: ${JSON.stringify(m)}`);
    }
    // The crash and spin cases found under fault injection, fixed.
    if (HAVE_DATA) assert.equal(all.get('regression-txo-216914'), 'parquet refused');
    assert.equal(all.get('regression-binance-null-level'), 'binance counted');
    assert.equal(all.get('regression-binance-receive-time-0'), 'binance counted');
  });

  test('a sample through the real CLI: hft data inspect and hft run sim --speed max', async () => {
    const files: { name: string; bytes: Uint8Array; inspect: RegExp; code: number }[] = [];
    const r = new Rng(SEED);
    const nullLevel = binanceUsdmLines(200);
    (nullLevel[nthDepthLine(nullLevel, 40)][1] as { data: { b: unknown[] } }).data.b = [null];
    files.push({
      name: 'null-level.gz',
      bytes: binanceGz(nullLevel),
      inspect: /refused +1 \(bad depth message 1\)/,
      code: 0,
    });
    const zero = binanceUsdmLines(3000);
    zero[500][0] = 0;
    files.push({
      name: 'binance-usdm-btcusdt-zero.gz',
      bytes: binanceGz(zero),
      inspect: /outlier event\(s\) dropped/,
      code: 0,
    });
    if (HAVE_DATA) {
      const txo = readFileSync(dataFile('taifex-txo35000q6-20260417.parquet'));
      txo[216914] = 0x9f;
      files.push({
        name: 'taifex-txo35000q6-20260417.parquet',
        bytes: txo,
        inspect: /not a readable parquet file/,
        code: 2,
      });
    }
    // Random damage: bit flips in a Binance recording and a DBN file (either outcome, never a crash).
    for (let k = 0; k < 3; k++) {
      const gz = binanceGz(binanceUsdmLines(300));
      const dbn = dbnFile(dbnRecords(300));
      for (const b of [gz, dbn]) for (let m = 0; m < 3; m++) b[r.int(0, b.length - 1)] ^= 1 << r.int(0, 7);
      files.push({ name: `flipped-${k}.gz`, bytes: gz, inspect: /./, code: -1 });
      files.push({ name: `flipped-${k}.mbo.dbn`, bytes: dbn, inspect: /./, code: -1 });
    }
    const paths = files.map((f) => {
      const p = join(dir, f.name);
      writeFileSync(p, f.bytes);
      return p;
    });
    const runs = await pool(
      [
        ...files.map((f, i) => async () => {
          const out = await cli(['data', 'inspect', paths[i]]);
          return { label: `inspect ${f.name}`, out, want: f };
        }),
        async () => {
          // Replayed from 1970 before the time screen: the simulated clock spun through 54 years.
          const out = await cli([
            'run',
            'sim',
            '--env',
            'test',
            '--data',
            paths[1],
            '--speed',
            'max',
            '--no-record',
          ]);
          return {
            label: 'run sim binance-usdm-btcusdt-zero.gz',
            out,
            want: { inspect: /run finished/, code: 0 },
          };
        },
      ],
      2,
    );
    for (const { label, out, want } of runs) {
      assert.ok(!out.timedOut, `${label}: still running after ${CLI_MS / 1000} s`);
      assert.ok(
        out.code === 0 || out.code === 2,
        `${label}: exit ${out.code} ${out.signal ?? ''}: ${out.stderr}`,
      );
      if (want.code >= 0) assert.equal(out.code, want.code, `${label}: ${out.stderr}`);
      assert.doesNotMatch(out.stderr, /\n\s+at /, `${label}: stack trace: ${out.stderr}`);
      if (out.code === 2) assert.match(out.stderr, /^hft: [^\n]+\n$/, `${label}: one line: ${out.stderr}`);
      else assert.match(out.stdout, want.inspect, label);
    }
  });
});

interface CliOut {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function cli(args: string[]): Promise<CliOut> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/hft.mjs'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, HFT_LOG_LEVEL: 'error' },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CLI_MS);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Runs async jobs, `width` at a time, keeping their order. */
async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]();
      }
    }),
  );
  return out;
}
