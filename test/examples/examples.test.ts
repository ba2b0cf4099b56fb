import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { decompress } from 'fzstd';
import { parquetMetadata, parquetRead } from 'hyparquet';
import { TXF, tmpDir } from '../backtest/helpers.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { DATA_DIR, requireData } from '../venues/replay/data-dir.ts';
import { hftIn, ordersOf } from './run.ts';

const examples = path.join(repoRoot, 'examples');

/** Code blocks the docs take from a file: a `<!-- examples/… -->` line, then a ```ts fence. */
function includedBlocks(): { doc: string; file: string; code: string }[] {
  const docs = ['README.md', ...readdirSync(path.join(repoRoot, 'docs')).map((f) => `docs/${f}`)];
  const out: { doc: string; file: string; code: string }[] = [];
  for (const doc of docs) {
    const text = readFileSync(path.join(repoRoot, doc), 'utf8');
    for (const m of text.matchAll(/<!-- (examples\/\S+) -->\n```ts\n([\s\S]*?)```\n/g))
      out.push({ doc, file: m[1], code: m[2] });
  }
  return out;
}

test("the README's strategy is examples/strategies/imbalance-taker.ts, character for character", () => {
  const blocks = includedBlocks();
  assert.ok(
    blocks.some((b) => b.doc === 'README.md' && b.file === 'examples/strategies/imbalance-taker.ts'),
    'README.md includes the example strategy',
  );
  for (const b of blocks)
    assert.equal(
      b.code,
      readFileSync(path.join(repoRoot, b.file), 'utf8'),
      `${b.doc} shows ${b.file} as it is`,
    );
});

describe('the example project', requireData(), () => {
  for (const id of ['imbalance-txf', 'flow-txf']) {
    test(`${id}, a plugin strategy in examples/strategies/, backtests on the TXF day from examples/`, async () => {
      const out = path.join(tmpDir('hft-example-'), id);
      const r = await hftIn(examples, ['backtest', 'run', '--strategy', id, '--data', TXF, '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^backtest ${id} on TXFD6: 849,?329 events`));
      assert.ok(ordersOf(r.stdout) > 0, r.stdout);
      const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
      assert.match(summary.strategy.class, /^\.\/strategies\/.+\.ts#/);
    });
  }

  test('the feature export writes the Parquet file read_features.py reads, with the columns it uses', async () => {
    const cwd = tmpDir('hft-research-');
    const hft = `${process.execPath} ${path.join(repoRoot, 'bin/hft.mjs')}`;
    await promisify(execFile)('sh', [path.join(examples, 'research/export-features.sh')], {
      cwd,
      env: { ...process.env, HFT: hft, HFT_DATA_DIR: DATA_DIR, HFT_LOG_LEVEL: 'warn' },
    });
    const script = readFileSync(path.join(examples, 'research/read_features.py'), 'utf8');
    const file = /read_parquet\("([^"]+)"\)/.exec(script)?.[1];
    assert.equal(file, 'bt/features/txf-20260408.parquet');
    const bytes = readFileSync(path.join(cwd, file));
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const meta = parquetMetadata(buffer);
    const columns = new Set(meta.schema.slice(1).map((s) => s.name));
    // Every column the script reads from the file (not the ones it derives: time, microprice_change).
    const derived = new Set(['time', 'microprice_change']);
    const used = [...script.matchAll(/\[\[?([^\]]+)\]/g)]
      .flatMap((m) => [...m[1].matchAll(/"([a-z0-9_]+)"/g)].map((q) => q[1]))
      .filter((c) => !derived.has(c));
    for (const c of ['exch_ts', 'event', 'microprice', 'ofi_5', 'spread_ticks', 'imbalance_l1'])
      assert.ok(used.includes(c), `the script reads ${c}`);
    for (const c of used) assert.ok(columns.has(c), `column ${c} in ${[...columns].join(', ')}`);
    let events: unknown[] = [];
    await parquetRead({
      file: buffer,
      columns: ['event'],
      rowEnd: 1000,
      compressors: { ZSTD: (input: Uint8Array) => decompress(input) },
      onComplete: (rows) => {
        events = (rows as unknown[][]).map((r) => r[0]);
      },
    });
    assert.ok(events.includes('book'), 'book rows, as the script filters them');
    assert.ok(Number(meta.num_rows) > 100_000);
  });
});
