import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { walStatus } from '../../src/cli/recorder.ts';
import type { Side } from '../../src/contracts/market.ts';
import type { RecorderMode } from '../../src/recorder/persister.ts';
import { runQuery } from '../../src/recorder/query.ts';
import { Recorder } from '../../src/recorder/recorder.ts';
import { openServerStore } from '../../src/recorder/server-store.ts';
import type { Store } from '../../src/recorder/store.ts';
import type { LoadResult } from '../../src/recorder/wal/loader.ts';
import { listSegments } from '../../src/recorder/wal/segments.ts';
import { WalWriter } from '../../src/recorder/wal/writer.ts';
import { ClickHouseServer, findClickHouseServer, serverSkip } from './clickhouse-server.ts';
import { captureLogger, rows, tempDataDir, until } from './helpers.ts';
import { appendSpans, appendTrades } from './wal-fixtures.ts';

const skip = serverSkip();
const BIN = findClickHouseServer();
const LOADER = fileURLToPath(new URL('./fixtures/loader-child.ts', import.meta.url));
const T0 = 1_700_000_000_000_000_000;

/** Runs `body` with a fresh server, always stopped afterwards. */
async function withServer(body: (s: ClickHouseServer) => Promise<void>): Promise<void> {
  const server = await ClickHouseServer.start(BIN as string);
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

async function one(store: Store, sql: string): Promise<Record<string, unknown>> {
  return rows(await store.query(sql, 'JSONEachRow'))[0];
}

test(
  'the schema applies to the server, degraded where it lacks features (and logged), and db query works',
  { skip },
  () =>
    withServer(async (server) => {
      const { logger, lines } = captureLogger();
      const store = await openServerStore({ url: server.url }, logger);
      try {
        const f = store.features;
        const degradedLogs = lines.filter((l) => String(l.msg).startsWith('schema degraded'));
        assert.equal(degradedLogs.length, f.degraded.length);
        if (f.version.startsWith('18.')) {
          assert.deepEqual(
            {
              lc: f.lowCardinality,
              codecs: f.codecs,
              ttl: f.ttl,
              dedup: f.dedup,
              addColumn: f.addColumnIfNotExists,
            },
            { lc: false, codecs: false, ttl: false, dedup: false, addColumn: false },
          );
          const type = await store.query(
            "SELECT type FROM system.columns WHERE database = 'hft' AND table = 'orders' AND name = 'symbol'",
            'TSV',
          );
          assert.equal(type.trim(), 'String', 'LowCardinality degraded to String');
        }
        const tables = (
          await store.query(
            "SELECT name FROM system.tables WHERE database IN ('hft', 'audit') AND name NOT LIKE '.inner%' ORDER BY name",
            'TSV',
          )
        )
          .trim()
          .split('\n');
        for (const t of [
          'market_data',
          'ohlcv_1m',
          'latency_stats_1m',
          'latency_spans',
          'wal_manifest',
          'alpha_gate_log',
          'guardrail_log',
        ]) {
          assert.ok(tables.includes(t), `${t} exists`);
        }
        await store.exec(
          `INSERT INTO hft.market_data (symbol, exch_ts, type, price, volume, price_scale) VALUES ('TXF', ${T0}, 'trade', 100, 2, 1), ('TXF', ${T0 + 1e9}, 'trade', 90, 3, 1)`,
        );
        assert.deepEqual(
          await one(
            store,
            'SELECT toString(argMinMerge(open)) AS o, toString(minMerge(low)) AS l, toString(sumMerge(volume)) AS v FROM hft.ohlcv_1m',
          ),
          {
            o: '100',
            l: '90',
            v: '5',
          },
        );
      } finally {
        await store.close();
      }
      const again = await openServerStore({ url: server.url });
      await again.close();
      const out = await runQuery(
        { server: { url: server.url }, dataDir: '' },
        'SELECT count() FROM hft.schema_migrations',
        'TSV',
      );
      assert.equal(out.trim(), '3', 'three migrations, each applied once');
    }),
);

/**
 * Records market data and orders for `ms`, killing the server with SIGKILL after a third of the time and
 * restarting it after two thirds; returns how many of each were recorded.
 */
async function recordThroughOutage(
  rec: Recorder,
  server: ClickHouseServer,
  ms: number,
): Promise<{ md: number; orders: number }> {
  let md = 0;
  let orders = 0;
  const order = {
    ts: 0,
    orderId: 0,
    venueOrderId: '',
    strategyId: 'mm',
    symbol: 'TXFD6',
    event: 'new' as const,
    side: 1 as Side,
    price: 3_300_000,
    qty: 1,
    cumQty: 0,
    leavesQty: 1,
    reason: '',
    priceScale: 100,
  };
  const t0 = Date.now();
  const outage = (async () => {
    await sleep(ms / 3);
    await server.kill('SIGKILL');
    await sleep(ms / 3);
    await server.restart();
  })();
  while (Date.now() - t0 < ms) {
    for (let i = 0; i < 40; i++, md++)
      rec.recordTrade('TXFD6', 100, T0 + md * 1024, T0 + md * 1024, md, 3_300_000 + (md % 9), 1);
    for (let i = 0; i < 4; i++) {
      order.orderId = ++orders;
      order.ts = T0 + orders * 2048;
      rec.recordOrder(order);
    }
    await sleep(2);
  }
  await outage;
  return { md, orders };
}

for (const mode of ['fallback', 'wal_first'] as RecorderMode[]) {
  test(
    `${mode}: the server killed (SIGKILL) mid-run and restarted, every row is recorded exactly once`,
    { skip },
    () =>
      withServer(async (server) => {
        const dataDir = tempDataDir();
        const walDir = join(dataDir, 'wal');
        const { logger, lines } = captureLogger();
        const rec = await Recorder.open({
          dataDir,
          walDir,
          logger,
          mode,
          server: { url: server.url, requestTimeoutMs: 5000 },
          flushIntervalMs: 20,
          batchRows: 500,
          wal: { segmentMs: 300 },
          retryBaseMs: 50,
          retryMaxMs: 400,
          closeTimeoutMs: 600_000, // only a hang reaches it
        });
        const sent = await recordThroughOutage(rec, server, 4500);
        // Recovery is seen before the end: the error says it recovered, the status file says the sink is up.
        await until(() => /recovered at/.test(rec.stats().lastError ?? ''), 'last error recovered');
        assert.match(rec.stats().lastError ?? '', /ECONNREFUSED|socket|connect|failed/i);
        const target = { mode: 'fallback' as const, server: { url: server.url }, dataDir, walDir };
        await until(() => {
          const r = walStatus(target).recorders[0];
          return r?.sink_up === true && /recovered at/.test(r.last_error ?? '');
        }, 'status file: sink up, error recovered');
        assert.equal(
          walStatus(target).recorders[0].mode,
          mode,
          'the mode it runs in, whatever the config says',
        );
        if (mode === 'fallback') {
          await until(
            () => lines.some((l) => l.msg === 'WAL backlog loaded: direct inserts resume'),
            'direct inserts resume',
          );
        }
        const stats = await rec.close();
        assert.equal(stats.written.market_data, sent.md);
        assert.equal(stats.written.orders, sent.orders);
        assert.equal(stats.failed_rows, 0);
        assert.ok(stats.wal_rows.market_data > 0, 'rows went through the WAL');
        if (mode === 'fallback') {
          assert.ok(
            stats.failed_batches > 0 && stats.diverted_rows > 0,
            'the outage made direct inserts fail',
          );
        } else assert.equal(stats.wal_rows.market_data, sent.md, 'wal_first: every row went through the WAL');
        assert.equal(listSegments(walDir).length, 0, 'nothing left in the WAL');

        const store = await openServerStore({ url: server.url });
        try {
          assert.deepEqual(
            await one(
              store,
              'SELECT toString(count()) AS n, toString(uniqExact(seq)) AS u FROM hft.market_data',
            ),
            {
              n: String(sent.md),
              u: String(sent.md),
            },
          );
          assert.deepEqual(
            await one(
              store,
              'SELECT toString(count()) AS n, toString(uniqExact(order_id)) AS u, toString(max(order_id)) AS hi FROM hft.orders',
            ),
            {
              n: String(sent.orders),
              u: String(sent.orders),
              hi: String(sent.orders),
            },
          );
        } finally {
          await store.close();
        }
      }),
  );
}

test(
  'two loader processes on one WAL directory: each segment loaded by exactly one, no duplicates, order kept per table',
  { skip },
  () =>
    withServer(async (server) => {
      const walDir = join(tempDataDir(), 'wal');
      const wal = new WalWriter({ dir: walDir, segmentBytes: 8 * 1024 });
      let md = 0;
      let spans = 0;
      for (let i = 0; i < 300; i++) {
        appendTrades(wal, md, 40);
        md += 40;
        appendSpans(wal, spans, 60);
        spans += 60;
      }
      wal.close();
      const segments = listSegments(walDir).length;
      assert.ok(segments > 40);
      // Schema first, so the two loaders do not race to create it.
      await (await openServerStore({ url: server.url })).close();

      const run = () =>
        promisify(execFile)(process.execPath, ['--import', 'tsx', LOADER, server.url, walDir]);
      const results = (await Promise.all([run(), run()])).map((r) => JSON.parse(r.stdout) as LoadResult);
      assert.equal(results[0].segments + results[1].segments, segments, 'every segment loaded once in total');
      assert.equal(results[0].records + results[1].records, 600);
      assert.equal(
        results[0].foundRecords + results[1].foundRecords,
        0,
        'no loader met a record the other had inserted',
      );
      assert.equal(listSegments(walDir).length, 0);

      const store = await openServerStore({ url: server.url });
      try {
        assert.deepEqual(
          await one(
            store,
            'SELECT toString(count()) AS n, toString(uniqExact(seq)) AS u FROM hft.market_data',
          ),
          {
            n: String(md),
            u: String(md),
          },
        );
        assert.deepEqual(
          await one(
            store,
            'SELECT toString(count()) AS n, toString(uniqExact(ns)) AS u FROM hft.latency_spans',
          ),
          {
            n: String(spans),
            u: String(spans),
          },
        );
        const shared = await store.query(
          'SELECT segment FROM hft.wal_manifest GROUP BY segment HAVING uniqExact(loader) > 1',
          'TSV',
        );
        assert.equal(shared.trim(), '', 'no segment was loaded by both');
        // Per table, records were inserted in record-id order even though two processes loaded them.
        for (const topic of ['market_data', 'latency_spans']) {
          const rids = (
            await store.query(
              `SELECT toString(rid) FROM hft.wal_manifest WHERE topic = '${topic}' ORDER BY loaded_at`,
              'TSV',
            )
          )
            .trim()
            .split('\n')
            .map(BigInt);
          assert.equal(rids.length, 300);
          assert.ok(
            rids.every((r, i) => i === 0 || r > rids[i - 1]),
            `${topic} loaded in order`,
          );
        }
        const loaders = (await store.query('SELECT uniqExact(loader) FROM hft.wal_manifest', 'TSV')).trim();
        process.stdout.write(
          `# two loaders: ${results.map((r) => r.segments).join(' + ')} segments (${loaders} loader ids in the manifest)\n`,
        );
      } finally {
        await store.close();
      }
    }),
);
