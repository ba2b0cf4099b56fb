import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { drainPending, Session } from 'chdb';
import type { Side } from '../../src/contracts/market.ts';
import { newRunId } from '../../src/core/run-id.ts';
import { Recorder, type RecorderOptions } from '../../src/recorder/recorder.ts';
import type { AuditRows } from '../../src/recorder/rows.ts';
import { applySchema, MIGRATIONS, type SqlRunner } from '../../src/recorder/schema.ts';
import { openServerStore } from '../../src/recorder/server-store.ts';
import { openEmbeddedStore, type Store } from '../../src/recorder/store.ts';
import { TOPICS } from '../../src/recorder/topics.ts';
import { WalWriter } from '../../src/recorder/wal/writer.ts';
import { ClickHouseServer, findClickHouseServer, serverSkip } from './clickhouse-server.ts';
import { captureLogger, rows, tempDataDir } from './helpers.ts';
import { appendTrades } from './wal-fixtures.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Recent: latency spans older than 30 days expire at once (TTL). A multiple of 2^20 ns is exact in a double.
const T0 = Math.floor((Date.now() * 1e6) / 2 ** 20) * 2 ** 20;
const skip = serverSkip();

const AUDIT: { [K in keyof AuditRows]: AuditRows[K] } = {
  alpha_gate_log: {
    ts: T0,
    alpha_id: 'a',
    run_id: 'research-1',
    gate: 'C',
    passed: true,
    config_hash: 'h',
    details: '{}',
  },
  alpha_promotion_log: {
    ts: T0,
    alpha_id: 'a',
    run_id: '',
    approved: true,
    forced: false,
    gate_d_passed: true,
    gate_e_passed: true,
    canary_weight: 0.1,
    config_hash: 'h',
    reasons: '[]',
    scorecard: '{}',
  },
  alpha_canary_log: {
    ts: T0,
    alpha_id: 'a',
    action: 'hold',
    old_weight: 0.1,
    new_weight: 0.1,
    reason: '',
    checks: '{}',
  },
  orders_log: {
    ts: T0,
    strategy_id: 'mm',
    intent_id: '1',
    order_id: '1',
    symbol: 'TXFD6',
    action: 'NEW',
    price: 1,
    qty: 1,
    side: 1,
    status: 'ack',
    broker_msg: '',
    latency_us: 1,
  },
  risk_log: {
    ts: T0,
    strategy_id: 'mm',
    intent_id: '1',
    check_name: 'max_position',
    approved: true,
    reason: '',
    threshold: 1,
    value: 0,
  },
  guardrail_log: { ts: T0, strategy_id: 'mm', old_state: 'NORMAL', new_state: 'WARM', pnl_drawdown: 0 },
};

/** One row into every table the recorder writes (hft.runs included). */
function recordOneOfEach(rec: Recorder): void {
  const px = new Float64Array([100, 99]);
  rec.recordDepth('TXFD6', 1, T0, T0 + 1, 1, 2, px, px, px, px);
  rec.recordTrade('TXFD6', 1, T0 + 2, T0 + 3, 2, 100, 1);
  const order = {
    ts: T0,
    orderId: 1,
    venueOrderId: 'V1',
    strategyId: 'mm',
    symbol: 'TXFD6',
    event: 'new' as const,
    side: 1 as Side,
    price: 100,
    qty: 1,
    cumQty: 0,
    leavesQty: 1,
    reason: '',
    priceScale: 1,
  };
  rec.recordOrder(order);
  rec.recordFill({ ...order, ingestTs: T0, fee: 1, tax: 0, taker: false });
  rec.recordLatency(T0, 'tick_to_intent', 1000);
  rec.recordRiskEvent(T0, 'storm_guard', 'NORMAL', 'WARM', 'test');
  for (const [table, row] of Object.entries(AUDIT)) rec.recordAudit(table as keyof AuditRows, row as never);
  rec.recordRun({
    revision: 0,
    kind: 'sim',
    configHash: 'h',
    config: '{}',
    codeVersion: 'test',
    host: 'h',
    pid: 1,
    startMs: Date.now(),
    endMs: 0,
    symbols: ['TXFD6'],
    summary: '',
  });
}

/** Per table: rows per run id ('' for rows recorded before run ids). */
async function runsPerTable(store: Store): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const t of TOPICS) {
    const counts: Record<string, number> = {};
    for (const r of rows(
      await store.query(`SELECT run, count() AS n FROM ${t.table} GROUP BY run`, 'JSONEachRow'),
    ))
      counts[r.run as string] = Number(r.n);
    out[t.name] = counts;
  }
  return out;
}

const expected = (
  runs: Record<string, number>,
  marketData: Record<string, number> = {},
): Record<string, Record<string, number>> =>
  Object.fromEntries(
    TOPICS.map((t) => [
      t.name,
      t.name === 'market_data'
        ? { ...Object.fromEntries(Object.keys(runs).map((r) => [r, 2])), ...marketData }
        : runs,
    ]),
  );

async function hft(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [join(root, 'bin/hft.mjs'), ...args], {
      cwd: root,
      env: { ...process.env, HFT_LOG_LEVEL: 'warn' },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** A recorder that writes every batch to the WAL and leaves it there (no loading, none at close). */
const walOnly = (dataDir: string, runId: string, server: RecorderOptions['server'] = null) =>
  Recorder.open({
    dataDir,
    runId,
    server,
    logger: captureLogger().logger,
    mode: 'wal_first',
    flushIntervalMs: 5,
    loaderPollMs: 600_000,
    closeTimeoutMs: 0,
  });

test('every table gets the run id on every row: inserted directly, and through a WAL loaded by another process', async () => {
  const dir = tempDataDir();
  const direct = newRunId();
  let rec = await Recorder.open({ dataDir: dir, runId: direct, logger: captureLogger().logger });
  assert.equal(rec.runId, direct);
  recordOneOfEach(rec);
  let stats = await rec.close();
  assert.equal(stats.invalid_rows, 0);

  const viaWal = newRunId();
  rec = await walOnly(dir, viaWal);
  recordOneOfEach(rec);
  stats = await rec.close();
  assert.equal(stats.written.orders, 0, 'the rows stayed in the WAL');
  assert.equal(stats.wal_rows.runs, 1);
  // A segment written before run ids (no run after the rid): loaded with an empty run.
  const legacy = new WalWriter({ dir: join(dir, 'wal') });
  appendTrades(legacy, 0, 5);
  legacy.close();

  const replay = await hft(['recorder', 'replay', '--set', `store.path=${dir}`]);
  assert.equal(replay.code, 0, replay.stderr);

  const store = await openEmbeddedStore(dir, undefined, 'read');
  try {
    assert.deepEqual(await runsPerTable(store), expected({ [direct]: 1, [viaWal]: 1 }, { '': 5 }));
  } finally {
    await store.close();
  }
});

/** SQL straight to a server over HTTP, without our schema code. */
function httpRunner(url: string): SqlRunner {
  const post = async (sql: string) => {
    const res = await fetch(url, { method: 'POST', body: sql });
    const text = await res.text();
    if (!res.ok) throw new Error(text);
    return text;
  };
  return {
    exec: async (sql) => {
      await post(sql);
    },
    query: (sql, format) => post(`${sql} FORMAT ${format}`),
  };
}

/** Rows of a store at schema version 2 (before run ids), as an older build recorded them. */
async function fillVersion2(db: SqlRunner): Promise<void> {
  assert.deepEqual((await applySchema(db, undefined, MIGRATIONS.slice(0, 2))).applied, [1, 2]);
  await db.exec(
    `INSERT INTO hft.market_data (symbol, exch_ts, type, price, volume, price_scale, rid) VALUES
     ('TXF', ${T0}, 'trade', 100, 2, 1, 7), ('TXF', ${T0 + 1e9}, 'trade', 90, 3, 1, 7)`,
  );
  await db.exec(
    `INSERT INTO hft.orders (ts, order_id, symbol, event, rid) VALUES (${T0}, 1, 'TXF', 'new', 8)`,
  );
}

/** After migrating: version 3 recorded once, old rows with an empty run, the rebuilt views hold them. */
async function checkMigrated(store: Store): Promise<void> {
  const versions = rows(
    await store.query('SELECT version FROM hft.schema_migrations ORDER BY version', 'JSONEachRow'),
  ).map((r) => r.version);
  assert.deepEqual(
    versions,
    MIGRATIONS.map((m) => m.version),
  );
  assert.deepEqual(
    rows(
      await store.query(
        'SELECT run, toString(count()) AS n FROM hft.market_data GROUP BY run',
        'JSONEachRow',
      ),
    ),
    [{ run: '', n: '2' }],
  );
  assert.deepEqual(
    rows(await store.query('SELECT run, order_id FROM hft.orders', 'JSONEachRow')).map((r) => r.run),
    [''],
  );
  assert.deepEqual(
    rows(
      await store.query(
        'SELECT run, toString(minMerge(low)) AS low, toString(sumMerge(volume)) AS v FROM hft.ohlcv_1m GROUP BY run',
        'JSONEachRow',
      ),
    ),
    [{ run: '', low: '90', v: '5' }],
  );
  assert.equal((await store.query('SELECT count() FROM hft.runs', 'TSV')).trim(), '0');
}

test('an embedded store of schema version 2 migrates: old rows get an empty run, the views keep them', async () => {
  const dir = tempDataDir();
  const session = new Session(dir);
  await fillVersion2({
    exec: async (sql) => {
      await session.queryAsync(sql, { format: 'TSV' });
    },
    query: async (sql, format) => (await session.queryAsync(sql, { format })).text(),
  });
  session.close();
  await drainPending();

  const { logger, lines } = captureLogger();
  // Opened for reading, a store behind this build is migrated (once).
  const store = await openEmbeddedStore(dir, logger, 'read');
  try {
    assert.ok(lines.some((l) => l.msg === 'store schema is behind this build: migrating' && l.from === 2));
    assert.deepEqual(
      lines.filter((l) => l.msg === 'schema migration applied').map((l) => l.version),
      [3],
    );
    await checkMigrated(store);
  } finally {
    await store.close();
  }
});

test('a clickhouse-server store of schema version 2 migrates, and a recorder writes run ids there (direct and WAL)', {
  skip,
}, async () => {
  const server = await ClickHouseServer.start(findClickHouseServer() as string);
  try {
    await fillVersion2(httpRunner(server.url));
    const store = await openServerStore({ url: server.url });
    try {
      await checkMigrated(store);
      await store.exec('TRUNCATE TABLE hft.market_data');
      await store.exec('TRUNCATE TABLE hft.orders');
    } finally {
      await store.close();
    }

    const dir = tempDataDir();
    const direct = newRunId();
    const opts = { dataDir: dir, server: { url: server.url }, logger: captureLogger().logger };
    let rec = await Recorder.open({ ...opts, runId: direct });
    recordOneOfEach(rec);
    assert.equal((await rec.close()).invalid_rows, 0);
    const viaWal = newRunId();
    rec = await walOnly(dir, viaWal, { url: server.url });
    recordOneOfEach(rec);
    await rec.close();
    const legacy = new WalWriter({ dir: join(dir, 'wal') });
    appendTrades(legacy, 0, 5);
    legacy.close();
    const replay = await hft([
      'recorder',
      'replay',
      '--set',
      `store.path=${dir}`,
      '--set',
      `recorder.clickhouse.url=${server.url}`,
    ]);
    assert.equal(replay.code, 0, replay.stderr);

    const again = await openServerStore({ url: server.url }, undefined, 'read');
    try {
      assert.deepEqual(await runsPerTable(again), expected({ [direct]: 1, [viaWal]: 1 }, { '': 5 }));
    } finally {
      await again.close();
    }
  } finally {
    await server.stop();
  }
});
