import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadProject } from '../../../src/config/project.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { runQuery } from '../../../src/recorder/query.ts';
import { openEmbeddedStore } from '../../../src/recorder/store.ts';
import { TradingSystem } from '../../../src/services/trading-system.ts';
import { parseStoreSource, readStore } from '../../../src/venues/replay/read-store.ts';
import { loadReplay } from '../../../src/venues/replay/replay-sources.ts';
import { repoRoot } from '../../helpers/symbols.ts';

function load(overrides: Record<string, unknown>) {
  const { settings, symbols, strategies } = loadProject({
    root: repoRoot,
    env: 'test',
    envVars: {},
    overrides: Object.entries(overrides).map(([key, value]) => ({ key, value, label: 'test' })),
  });
  return { settings, root: repoRoot, symbols, strategies, log: createLogger('silent') };
}

/** Records a simulated session of `seconds` starting at `start` (exchange time); returns its run id. */
async function session(dir: string, start: string, seconds: number, seed: number): Promise<string> {
  const sys = await TradingSystem.create({
    ...load({ 'store.path': dir, 'sim.start_time': start, 'sim.seed': seed, 'run.clock': 'sim' }),
    record: true,
  });
  return (await sys.run(seconds)).run_id;
}

/** Market-data rows per symbol of one run, as the store counts them. */
async function rowsOf(dir: string, run: string): Promise<Record<string, number>> {
  const text = await runQuery(
    dir,
    `SELECT symbol, count() FROM hft.market_data WHERE run = '${run}' GROUP BY symbol ORDER BY symbol`,
    'TSV',
  );
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .map(([s, n]) => [s, Number(n)]),
  );
}

const records = (data: { symbol: string; records: number }[]) =>
  Object.fromEntries(data.map((d) => [d.symbol, d.records]));

describe('store: sources read one run', () => {
  let dir = '';
  let april = '';
  let august = '';
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hft-store-runs-'));
    // Two sessions months apart, recorded one after the other into one store.
    april = await session(dir, '2026-04-08T01:00:00Z', 20, 1);
    august = await session(dir, '2026-08-03T01:00:00Z', 10, 2);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the latest run by default, a given run (or an unambiguous prefix of its id) on request', async () => {
    assert.ok(april < august, 'run ids sort by start time');
    const latest = await readStore(dir);
    assert.deepEqual(records(latest), await rowsOf(dir, august));
    assert.ok(latest.every((d) => d.run === august && d.paths[0] === `${dir}?run=${august}`));
    const first = await readStore(dir, { run: april });
    assert.deepEqual(records(first), await rowsOf(dir, april));
    assert.deepEqual(
      records(await readStore(dir, { run: april.slice(0, 18) })),
      records(first),
      'a unique prefix names the run',
    );
    const txf = await readStore(dir, { run: 'latest', symbols: ['TXFD6'] });
    assert.deepEqual(records(txf), { TXFD6: (await rowsOf(dir, august)).TXFD6 });
  });

  test('a store holding two sessions never joins them into one replay', async () => {
    // Through the whole source path: store:<dir> is the latest session alone, its time span its own.
    const { dir: d, query } = parseStoreSource(`store:${dir}`, repoRoot);
    const data = await readStore(d, query);
    for (const s of data) {
      const c = s.columns;
      const spanS = (c.exchTs[c.n - 1] - c.exchTs[0]) / 1e9;
      assert.ok(spanS <= 10, `${s.symbol}: ${spanS} s of data, one session of 10 s`);
      assert.ok(c.epoch.toAbs(c.exchTs[0]) >= BigInt(Date.parse('2026-08-03T01:00:00Z')) * 1_000_000n);
    }
    const both = await runQuery(dir, 'SELECT uniqExact(run) FROM hft.market_data', 'TSV');
    assert.equal(both.trim(), '2', 'the store holds both sessions');
  });

  test('a missing run, an ambiguous prefix and a run without the symbols are clear errors', async () => {
    await assert.rejects(
      readStore(dir, { run: '20200101T000000.000Z-00000000' }),
      /no run 20200101T000000\.000Z-00000000 \(latest: .*hft db runs/,
    );
    await assert.rejects(readStore(dir, { run: '2026' }), /run=2026 matches 2 runs/);
    const symbols = Object.keys(await rowsOf(dir, april))
      .sort()
      .join(', ');
    await assert.rejects(
      readStore(dir, { run: april, symbols: ['NOPE'] }),
      new RegExp(`run ${april} holds no market data for NOPE \\(its market data: ${symbols}\\)`),
    );
    await assert.rejects(readStore(dir, { symbols: ['NOPE'] }), /no market data for NOPE/);
    assert.throws(() => parseStoreSource(`store:${dir}?run=a'b`, repoRoot), /is not a run id/);
    assert.throws(() => parseStoreSource(`store:${dir}?run=a&run=b`, repoRoot), /one run per source/);
    assert.throws(() => parseStoreSource(`store:${dir}?runs=a`, repoRoot), /unknown parameter 'runs'/);
  });

  test('a replay run records no market data: it is skipped by default and explained when named', async () => {
    const sys = await TradingSystem.create({
      ...load({
        'store.path': dir,
        'feed.kind': 'replay',
        'feed.data': [`store:${dir}?run=${april}`],
        'feed.speed': 'max',
      }),
      record: true,
    });
    const replay = (await sys.run(0)).run_id;
    assert.equal(sys.identity.kind, 'replay');
    assert.deepEqual(records(await readStore(dir)), await rowsOf(dir, august), 'still the latest session');
    await assert.rejects(readStore(dir, { run: replay }), /it recorded no market data/);
  });

  test('several runs are several sources: replayed in time order, refused when they overlap', async () => {
    const symbols = load({}).symbols;
    const opts = { root: repoRoot, symbolMap: {}, feedLatencyNs: 0 };
    const two = await loadReplay([`store:${dir}?run=${april}`, `store:${dir}?run=${august}`], symbols, opts);
    const perRun = Object.keys(await rowsOf(dir, april)).length;
    assert.equal(two.streams.length, 2 * perRun, 'the symbols of two runs');
    const again = await session(dir, '2026-04-08T01:00:05Z', 5, 3);
    await assert.rejects(
      loadReplay([`store:${dir}?run=${april}`, `store:${dir}?run=${again}`], symbols, opts),
      /both hold .* over the same time/,
    );
  });
});

test('rows recorded before run ids are read only when asked for (run=unknown)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-store-legacy-'));
  try {
    const store = await openEmbeddedStore(dir);
    const t0 = Date.parse('2026-04-08T01:00:00Z') * 1e6;
    await store.exec(
      `INSERT INTO hft.market_data (symbol, exch_ts, ingest_ts, type, price, volume, price_scale) VALUES
       ('TXFD6', ${t0}, ${t0}, 'trade', 3300000, 1, 100), ('TXFD6', ${t0 + 1e9}, ${t0 + 1e9}, 'trade', 3300100, 2, 100)`,
    );
    await store.close();
    await assert.rejects(readStore(dir), /recorded before runs were tracked; select it with run=unknown/);
    const legacy = await readStore(dir, { run: 'unknown' });
    assert.deepEqual(records(legacy), { TXFD6: 2 });
    assert.equal(legacy[0].paths[0], `${dir}?run=unknown`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
