import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ExperimentLedger, type RunMeta, readSeries } from '../../src/alpha/ledger.ts';
import { Epoch } from '../../src/core/clock.ts';

const epoch = Epoch.midnightBeforeMs(Date.parse('2026-04-08T03:00:00Z'));

function meta(run: string, alpha: string, hash: string, timestamp: string, sr: number | null) {
  return {
    run_id: run,
    alpha_id: alpha,
    config_hash: hash,
    timestamp,
    code_version: 'hft-platform@test',
    data_paths: ['/data/a.parquet'],
    config: { alpha_id: alpha, mapping: { threshold: 0.3 } },
    metrics: { sharpe_oos: sr === null ? null : sr * 100, sharpe_oos_per_bar: sr },
    gate_status: { gate_a: true, gate_b: true, gate_c: sr !== null },
    passed: false,
  };
}

test('a run is written once, read back, listed newest first, and its Parquet series read exactly', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-ledger-'));
  try {
    const ledger = new ExperimentLedger(dir);
    // Times 1 ns apart around 02:00 UTC: exact only if the reader keeps Int64 ns.
    const ts = [2 * 3600e9 + 1, 2 * 3600e9 + 2, 2 * 3600e9 + 1e9 + 3];
    const w = ledger.write(
      meta('20260408T020000.000Z-00000001', 'a1', 'h1', '2026-04-08T02:00:00.000Z', 0.01),
      {
        scorecard: { sharpe_oos: 1 },
        backtestReport: { gate: 'Gate C', passed: false, details: {} },
        report: { alpha_id: 'a1' },
        signals: { epoch, ts, columns: { signal: [0.5, Number.NaN, -1], mid: [1, 2, 3] } },
        equity: { epoch, ts, columns: { equity: [0, 10, -5], position: [0, 1, 0] } },
        fills: null,
      },
    );
    assert.equal(w.meta.fills_path, null);
    const back = JSON.parse(readFileSync(path.join(w.dir, 'meta.json'), 'utf8')) as RunMeta;
    assert.deepEqual(back, w.meta);
    assert.equal(ledger.get(back.run_id).config_hash, 'h1');
    const sig = readSeries(back.signals_path as string, ['signal', 'mid']);
    assert.equal(sig.rows, 3);
    assert.deepEqual(
      [...sig.ts].map((t) => (sig.epoch as Epoch).toAbs(t)),
      ts.map((t) => epoch.toAbs(t)),
    );
    assert.ok(Number.isNaN(sig.columns.get('signal')![1]));
    assert.deepEqual([...sig.columns.get('mid')!], [1, 2, 3]);
    assert.throws(
      () =>
        ledger.write(meta('20260408T020000.000Z-00000001', 'a1', 'h1', 'x', 0), {
          scorecard: null,
          backtestReport: {},
          report: {},
          signals: null,
          equity: null,
          fills: null,
        }),
      /exists/,
    );

    const write = (m: ReturnType<typeof meta>) =>
      ledger.write(m, {
        scorecard: null,
        backtestReport: {},
        report: {},
        signals: null,
        equity: null,
        fills: null,
      });
    write(meta('20260409T000000.000Z-00000002', 'a1', 'h2', '2026-04-09T00:00:00.000Z', 0.03));
    write(meta('20260410T000000.000Z-00000003', 'a1', 'h2', '2026-04-10T00:00:00.000Z', 0.05));
    write(meta('20260410T000001.000Z-00000004', 'a2', 'h9', '2026-04-10T00:00:01.000Z', 0.2));
    write(meta('20260411T000000.000Z-00000005', 'a1', 'h3', '2026-04-11T00:00:00.000Z', null));
    // A broken run folder is skipped, not an error.
    mkdirSync(path.join(dir, 'runs', 'broken'));
    writeFileSync(path.join(dir, 'runs', 'broken', 'meta.json'), '{ not json');
    writeFileSync(path.join(dir, 'runs', 'x.txt'), 'not a run');
    assert.deepEqual(
      ledger.list().map((r) => r.run_id),
      [
        '20260411T000000.000Z-00000005',
        '20260410T000001.000Z-00000004',
        '20260410T000000.000Z-00000003',
        '20260409T000000.000Z-00000002',
        '20260408T020000.000Z-00000001',
      ],
    );
    assert.deepEqual(
      ledger.list('a2').map((r) => r.alpha_id),
      ['a2'],
    );
    // Trials of a1 other than h3: the newest run of h2 (0.05) and h1 (0.01); h3 never reached Gate C.
    assert.deepEqual(ledger.otherTrials('a1', 'h3'), [0.05, 0.01]);
    assert.deepEqual(ledger.otherTrials('a1', 'h2'), [0.01]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
