import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { loadProject } from '../../src/config/project.ts';
import { createLogger } from '../../src/core/logger.ts';
import { openEmbeddedStore } from '../../src/recorder/store.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { readCsv, tmpDir } from './helpers.ts';

const exec = promisify(execFile);
/** The V8 heap the backtests below may use: rows per second over the 117-day gap (10M) would need far more. */
const HEAP_MB = 384;
const APRIL = '2026-04-08T01:00:00Z';
const AUGUST = '2026-08-03T01:00:00Z';
const GAP_S = (Date.parse(AUGUST) - Date.parse(APRIL)) / 1000;

/** Records a simulated session of `seconds` from `start` (exchange time) into the store `dir`. */
async function session(dir: string, start: string, seconds: number, seed: number): Promise<string> {
  const { settings, symbols, strategies } = loadProject({
    root: repoRoot,
    env: 'test',
    envVars: {},
    overrides: Object.entries({
      'store.path': dir,
      'sim.start_time': start,
      'sim.seed': seed,
      'run.clock': 'sim',
    }).map(([key, value]) => ({ key, value, label: 'test' })),
  });
  const sys = await TradingSystem.create({
    settings,
    root: repoRoot,
    symbols,
    strategies,
    log: createLogger('silent'),
    record: true,
  });
  return (await sys.run(seconds)).run_id;
}

/** `hft backtest run` with a bounded V8 heap, so a backtest whose memory follows the calendar fails instead of swapping. */
async function backtest(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [path.join(repoRoot, 'bin/hft.mjs'), 'backtest', 'run', ...args], {
      cwd: repoRoot,
      env: { ...process.env, HFT_LOG_LEVEL: 'warn', NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 240_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

interface Summary {
  trades: number;
  period: { data_s: number };
  ratio_buckets: number;
  sessions: { start: string; end: string }[];
  guard: { evaluations: number };
}

/** The outputs of a backtest over two 30 s sessions `GAP_S` apart: bounded by the 60 s of data, none in the gap. */
function assertBoundedByData(out: string): Summary {
  const s = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as Summary;
  assert.equal(s.sessions.length, 2, JSON.stringify(s.sessions));
  assert.ok(s.period.data_s > GAP_S - 60, `${s.period.data_s} s between the first and the last event`);
  const rows = readCsv(path.join(out, 'equity.csv'));
  // A row per second with data (2 × 30), one per fill, and the ends; 10.1M at one per second of the span.
  const bound = 2 * 31 + 2 + s.trades + 1;
  assert.ok(rows.length >= 40 && rows.length <= bound, `${rows.length} equity rows (at most ${bound})`);
  const end0 = Date.parse(s.sessions[0].end) * 1e6;
  const start1 = Date.parse(s.sessions[1].start) * 1e6;
  assert.equal(
    rows.filter((x) => Number(x.ts) > end0 + 1e9 && Number(x.ts) < start1 - 1e9).length,
    0,
    'no row in the gap',
  );
  // StormGuard (observed) evaluates every 250 ms while there is data (~240), not through the gap (40M).
  assert.ok(s.guard.evaluations > 100 && s.guard.evaluations < 1000, `${s.guard.evaluations} evaluations`);
  assert.ok(s.trades > 0, 'the market maker traded in the sessions');
  assert.match(
    readFileSync(path.join(out, 'report.html'), 'utf8'),
    /\/\/ 117\.0 d</,
    'the gap cut out of the axis',
  );
  return s;
}

describe('hft backtest run --data store: on a store holding two sessions months apart', () => {
  let dir = '';
  let april = '';
  let august = '';
  before(async () => {
    dir = tmpDir('hft-bt-store-sessions-');
    april = await session(path.join(dir, 'data'), APRIL, 30, 1);
    august = await session(path.join(dir, 'data'), AUGUST, 30, 2);
    // A store written before run ids: both sessions' rows in one unnamed run (what issue 12 ran out of heap on).
    const store = await openEmbeddedStore(path.join(dir, 'data'));
    const cols =
      'symbol, exch_ts, ingest_ts, type, seq, price, volume, bids_price, bids_vol, asks_price, asks_vol, price_scale, rid';
    await store.exec(
      `INSERT INTO hft.market_data (${cols}, run) SELECT ${cols}, '' FROM hft.market_data WHERE run IN ('${april}', '${august}')`,
    );
    await store.close();
  });

  test('the default reads the latest session alone', { timeout: 300_000 }, async () => {
    const out = path.join(dir, 'latest');
    const r = await backtest([
      '--strategy',
      'mm-txf',
      '--data',
      `store:${dir}/data?symbols=TXFD6`,
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as Summary;
    assert.equal(s.sessions.length, 1);
    assert.ok(Date.parse(s.sessions[0].start) >= Date.parse(AUGUST), s.sessions[0].start);
    assert.ok(s.period.data_s <= 31, `${s.period.data_s} s`);
    // Half a minute of data is one or two 60 s buckets: the printed Sharpe says it means little.
    assert.ok(s.ratio_buckets <= 2, `${s.ratio_buckets} buckets`);
    assert.match(r.stdout, /Sharpe \S+ {2}Sortino \S+ \(over [12] buckets? of 60 s: too few to mean much\)/);
  });

  test('both runs as two sources: memory and outputs bounded by the data, not the 117 days', {
    timeout: 300_000,
  }, async () => {
    const out = path.join(dir, 'both');
    const r = await backtest([
      '--strategy',
      'mm-txf',
      '--data',
      `store:${dir}/data?run=${april}&symbols=TXFD6`,
      `store:${dir}/data?run=${august}&symbols=TXFD6`,
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assertBoundedByData(out);
  });

  test('rows recorded before run ids (both sessions in one source): bounded the same way', {
    timeout: 300_000,
  }, async () => {
    const out = path.join(dir, 'legacy');
    const r = await backtest([
      '--strategy',
      'mm-txf',
      '--data',
      `store:${dir}/data?run=unknown&symbols=TXFD6`,
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assertBoundedByData(out);
  });
});
