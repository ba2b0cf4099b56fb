import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Recorder } from '../../src/recorder/recorder.ts';
import type { AuditRows } from '../../src/recorder/rows.ts';
import { openEmbeddedStore } from '../../src/recorder/store.ts';
import { captureLogger, rows, tempDataDir } from './helpers.ts';

// Recent: latency spans older than 30 days expire at once (TTL). A multiple of 2^20 ns is exact in a double.
const T0 = Math.floor((Date.now() * 1e6) / 2 ** 20) * 2 ** 20;

const AUDIT: { [K in keyof AuditRows]: AuditRows[K] } = {
  alpha_gate_log: {
    ts: T0,
    alpha_id: 'ofi_v1',
    run_id: 'r1',
    gate: 'C',
    passed: true,
    config_hash: 'abc',
    details: '{"sharpe":1.2}',
  },
  alpha_promotion_log: {
    ts: T0,
    alpha_id: 'ofi_v1',
    run_id: '',
    approved: true,
    forced: false,
    gate_d_passed: true,
    gate_e_passed: false,
    canary_weight: 0.05,
    config_hash: 'abc',
    reasons: '["e: too few days"]',
    scorecard: '{}',
  },
  alpha_canary_log: {
    ts: T0,
    alpha_id: 'ofi_v1',
    action: 'escalate',
    old_weight: 0.05,
    new_weight: 0.1,
    reason: 'ok',
    checks: '{}',
  },
  orders_log: {
    ts: T0,
    strategy_id: 'mm',
    intent_id: '17',
    order_id: 'V9',
    symbol: 'TXFD6',
    action: 'NEW',
    price: 3_300_000,
    qty: 2,
    side: -1,
    status: 'ack',
    broker_msg: '',
    latency_us: 250,
  },
  risk_log: {
    ts: T0,
    strategy_id: 'mm',
    intent_id: '17',
    check_name: 'max_position',
    approved: false,
    reason: 'limit',
    threshold: 20,
    value: 21,
  },
  guardrail_log: { ts: T0, strategy_id: 'mm', old_state: 'NORMAL', new_state: 'HALT', pnl_drawdown: -1234.5 },
};

test('wal_first: latency spans, risk events and audit rows land in their tables; a disk at its HALT level holds trading and sheds market data', async () => {
  const dir = tempDataDir();
  const holds: (string | null)[] = [];
  const rec = await Recorder.open({
    dataDir: dir,
    logger: captureLogger().logger,
    mode: 'wal_first',
    flushIntervalMs: 10,
    wal: { segmentMs: 50 },
    // Every filesystem is fuller than 0.03%: the disk reads HALT from the first check to the last.
    // Market data is shed from critical on; latency spans are kept here, to see them land.
    disk: {
      warnPct: 0.01,
      criticalPct: 0.02,
      haltPct: 0.03,
      checkIntervalMs: 10,
      shedAt: { market_data: 'critical' },
    },
    onHold: (reason) => holds.push(reason),
  });
  for (let i = 0; i < 100; i++) rec.recordLatency(T0 + i, 'tick_to_intent', 1000 + i);
  rec.recordRiskEvent(T0, 'storm_guard', 'NORMAL', 'HALT', 'disk full');
  for (const [table, row] of Object.entries(AUDIT)) rec.recordAudit(table as keyof AuditRows, row as never);
  rec.recordAudit('risk_log', { ...AUDIT.risk_log, reason: undefined } as never);
  await rec.sync();
  assert.match(holds[0] ?? '', /^recorder disk at HALT level \(\d+\.\d% used, WAL \d+ B\)$/);
  assert.equal(rec.stats().disk_level, 'halt');

  const px = new Float64Array([100]);
  for (let i = 0; i < 50; i++) rec.recordDepth('TXFD6', 1, T0 + i, T0 + i, i, 1, px, px, px, px);
  await rec.sync();
  const stats = await rec.close();
  assert.equal(stats.shed.market_data, 50, 'market data is shed at HALT (policy: from critical)');
  assert.equal(stats.written.market_data, 0);
  assert.equal(stats.written.latency_spans, 100);
  assert.equal(stats.written.risk_events, 1);
  for (const t of Object.keys(AUDIT)) assert.equal(stats.written[t as keyof AuditRows], 1, t);
  assert.equal(stats.invalid_rows, 1, 'the audit row without a reason was refused');
  assert.deepEqual(holds.slice(1), [], 'held from the first reading to the end: no release, no second hold');

  const store = await openEmbeddedStore(dir);
  try {
    const q = async (sql: string) =>
      rows(await store.query(`${sql} SETTINGS output_format_json_quote_64bit_integers = 0`, 'JSONEachRow'));
    assert.deepEqual(await q('SELECT count() AS n, sum(ns) AS s FROM hft.latency_spans'), [
      { n: 100, s: 100 * 1000 + 4950 },
    ]);
    assert.deepEqual(await q('SELECT kind, from_state, to_state, reason FROM hft.risk_events'), [
      { kind: 'storm_guard', from_state: 'NORMAL', to_state: 'HALT', reason: 'disk full' },
    ]);
    assert.deepEqual(await q('SELECT * EXCEPT (rid) FROM audit.alpha_promotion_log'), [
      {
        ...AUDIT.alpha_promotion_log,
        approved: 1,
        forced: 0,
        gate_d_passed: 1,
        gate_e_passed: 0,
        run: rec.runId,
      },
    ]);
    assert.deepEqual(await q('SELECT * EXCEPT (rid) FROM audit.orders_log'), [
      { ...AUDIT.orders_log, run: rec.runId },
    ]);
    assert.deepEqual(await q('SELECT * EXCEPT (rid) FROM audit.guardrail_log'), [
      { ...AUDIT.guardrail_log, run: rec.runId },
    ]);
    assert.deepEqual(await q('SELECT check_name, approved, threshold, value FROM audit.risk_log'), [
      { check_name: 'max_position', approved: 0, threshold: 20, value: 21 },
    ]);
  } finally {
    await store.close();
  }
});
