import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadProject } from '../../src/config/project.ts';
import { createLogger } from '../../src/core/logger.ts';
import { RUN_ID } from '../../src/core/run-id.ts';
import { runQuery } from '../../src/recorder/query.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { repoRoot } from '../helpers/symbols.ts';

function load(dir: string) {
  const { settings, symbols, strategies } = loadProject({
    root: repoRoot,
    env: 'test',
    envVars: {},
    overrides: [
      { key: 'store.path', value: dir, label: 'test' },
      { key: 'recorder.clickhouse.password', value: 'not-for-the-store', label: 'test' },
    ],
  });
  return { settings, root: repoRoot, symbols, strategies, log: createLogger('silent') };
}

const json = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('a recorded run writes its hft.runs row at start and completes it at the end; its rows carry its id', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-run-record-'));
  const sys = await TradingSystem.create({ ...load(dir), record: true });
  const id = sys.identity.id;
  assert.match(id, RUN_ID);
  assert.equal(sys.identity.kind, 'sim');
  let summary: Awaited<ReturnType<typeof sys.run>>;
  try {
    const rec = sys.recorder!;
    assert.equal(rec.runId, id, 'the recorder appends the run id to every row');
    await rec.sync();
    // Before the run ends, the row says when it started and has no end (what a crashed run leaves).
    // A second session of the same process reads the store the recorder's worker writes.
    const atStart = json(
      await runQuery(
        dir,
        'SELECT run, revision, kind, end_ts, symbols, summary, config_hash, code_version, pid FROM hft.runs',
        'JSONEachRow',
      ),
    );
    assert.deepEqual(
      atStart.map((r) => [r.run, r.revision, r.kind, Number(r.end_ts), r.summary]),
      [[id, 0, 'sim', 0, '']],
    );
    assert.deepEqual(
      atStart[0].symbols,
      sys.symbols.map((x) => x.code),
    );
    assert.match(atStart[0].config_hash as string, /^[0-9a-f]{16}$/);
    assert.match(atStart[0].code_version as string, /^hft-platform@\d+\.\d+\.\d+/);
    assert.equal(atStart[0].pid, process.pid);

    summary = await sys.run(30);
    assert.equal(summary.run_id, id);
    assert.equal(summary.kind, 'sim');
    assert.ok(summary.orders > 0);
  } finally {
    // A failed assertion must not leave the recorder's worker running (the test would never end).
    await sys.recorder?.close();
  }
  const row = json(
    await runQuery(
      dir,
      'SELECT argMax(start_ts, revision) AS s, argMax(end_ts, revision) AS e, argMax(summary, revision) AS summary, ' +
        'argMax(config, revision) AS config FROM hft.runs GROUP BY run SETTINGS output_format_json_quote_64bit_integers = 0',
      'JSONEachRow',
    ),
  );
  assert.equal(row.length, 1);
  assert.ok((row[0].e as number) >= (row[0].s as number) && (row[0].s as number) > 0);
  const stored = JSON.parse(row[0].summary as string);
  assert.equal(stored.run_id, id);
  assert.equal(stored.orders, summary.orders);
  assert.equal(stored.fills, summary.fills);
  assert.deepEqual(stored.pnl, summary.pnl);
  const config = row[0].config as string;
  assert.ok(config.includes('"store"'), 'the settings are kept');
  assert.ok(!config.includes('not-for-the-store'), 'secrets are not');

  const perRun = json(
    await runQuery(
      dir,
      "SELECT run, count() AS n FROM hft.orders GROUP BY run UNION ALL SELECT run, count() AS n FROM hft.market_data WHERE run != '' GROUP BY run",
      'JSONEachRow',
    ),
  );
  assert.deepEqual(
    perRun.map((r) => r.run),
    [id, id],
  );
});
