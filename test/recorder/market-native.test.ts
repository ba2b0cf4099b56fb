import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { insertBatch } from '../../src/recorder/insert-batch.ts';
import {
  KIND_DEPTH,
  KIND_TRADE,
  MARKET_LEGACY_STRUCTURE,
  MARKET_STRUCTURE,
  MAX_LEVELS,
  marketRowBound,
  writeMarketRow,
} from '../../src/recorder/market-layout.ts';
import { marketToNative, NativeScratch } from '../../src/recorder/market-native.ts';
import { openEmbeddedStore } from '../../src/recorder/store.ts';
import { TOPIC_BY_NAME } from '../../src/recorder/topics.ts';
import { rows, tempDataDir } from './helpers.ts';

const T0 = 1_700_000_000_000_000_000;
const SYMBOLS = ['TXFD6', '2330', '台指期近月', 'X'.repeat(32), 'a\tb', ''];

interface Row {
  symbol: string;
  exch_ts: string;
  type: string;
  seq: string;
  price: string;
  volume: string;
  bids_price: string[];
  asks_vol: string[];
  price_scale: number;
  rid: string;
  run: string;
}

/** `n` layout rows (as the recorder's worker batches them: rid, then the run unless `legacy`) and what the table must hold. */
function batch(n: number, rng: Rng, run: string | null): { payload: Buffer; expected: Row[] } {
  const payload = Buffer.alloc(n * (marketRowBound(MAX_LEVELS) + 8 + 128));
  // Rows are written aligned (as in the ring) and copied after one another (as the worker batches them:
  // after a run id the next row starts anywhere).
  const one = Buffer.alloc(marketRowBound(MAX_LEVELS));
  const f64 = new Float64Array(one.buffer, one.byteOffset, one.length / 8);
  const expected: Row[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const levels = i % 9 === 0 ? MAX_LEVELS : rng.int(0, 10);
    const big = 2 ** 53 - 1;
    const px = Float64Array.from({ length: levels }, () => rng.int(-1e6, 1e6) * (i % 5 === 0 ? 1e9 : 1));
    const qty = Float64Array.from({ length: levels }, (_, k) =>
      k === 0 && i % 7 === 0 ? big : rng.int(0, 1e6),
    );
    const symbol = SYMBOLS[i % SYMBOLS.length];
    const kind = i % 3 === 0 ? KIND_TRADE : KIND_DEPTH;
    const price = i % 4 === 0 ? -big : rng.int(-1e12, 1e12);
    const len = writeMarketRow(
      f64,
      one,
      0,
      symbol,
      100 + i,
      kind,
      T0 + i * 256,
      T0 + i * 256 + 7,
      i,
      price,
      big - i,
      levels,
      px,
      qty,
      qty,
      px,
    );
    assert.ok(len > 0);
    at += one.copy(payload, at, 0, len);
    payload.writeUInt32LE(i + 1, at);
    payload.writeUInt32LE(7, at + 4);
    at += 8;
    if (run !== null) {
      payload[at] = run.length;
      at += 1 + payload.write(run, at + 1, 'utf8');
    }
    expected.push({
      symbol,
      exch_ts: String(BigInt(T0) + BigInt(i * 256)),
      type: kind === KIND_TRADE ? 'trade' : 'depth',
      seq: String(i),
      price: String(price),
      volume: String(big - i),
      bids_price: [...px].map(String),
      asks_vol: [...px].map(String),
      price_scale: 100 + i,
      rid: String(7n * 2n ** 32n + BigInt(i + 1)),
      run: run ?? '',
    });
  }
  return { payload: payload.subarray(0, at), expected };
}

test('market data reaches the embedded engine as a Native block with every value exact (run ids and legacy rows alike)', async () => {
  const dir = tempDataDir();
  const store = await openEmbeddedStore(dir);
  try {
    const rng = new Rng(17);
    const md = TOPIC_BY_NAME.market_data;
    const withRun = batch(400, rng, '20260408T010203.456Z-0badcafe');
    const legacy = batch(100, rng, null);
    await insertBatch(store, md, withRun.payload, 400, null);
    await insertBatch(store, md, legacy.payload, 100, null, true);
    const got = rows(
      await store.query(
        'SELECT symbol, toString(exch_ts) AS exch_ts, type, toString(seq) AS seq, toString(price) AS price, toString(volume) AS volume, arrayMap(x -> toString(x), bids_price) AS bids_price, arrayMap(x -> toString(x), asks_vol) AS asks_vol, price_scale, toString(rid) AS rid, run FROM hft.market_data ORDER BY hft.market_data.run DESC, hft.market_data.seq',
        'JSONEachRow',
      ),
    );
    assert.deepEqual(got, [...withRun.expected, ...legacy.expected]);
  } finally {
    await store.close();
  }
});

test("the Native encoder writes the engine's own Native block, byte for byte, for rows of every shape", async () => {
  const dir = tempDataDir();
  const store = await openEmbeddedStore(dir);
  try {
    const rng = new Rng(5);
    const scratch = new NativeScratch();
    // The same rows converted by the engine (the layout read as RowBinary, cast to the table's columns).
    const select = [
      'toStringCutToZero(symbol) AS symbol',
      'exch_ts',
      'ingest_ts',
      `if(kind = ${KIND_TRADE}, 'trade', 'depth') AS type`,
      'toUInt64(seq) AS seq',
      'toInt64(price) AS price',
      'toInt64(volume) AS volume',
      ...[
        ['bid_px', 'bids_price'],
        ['bid_qty', 'bids_vol'],
        ['ask_px', 'asks_price'],
        ['ask_qty', 'asks_vol'],
      ].map(([a, c]) => `CAST(${a}, 'Array(Int64)') AS ${c}`),
      'toUInt32(price_scale) AS price_scale',
      'rid',
    ];
    // Two sizes, so the scratch is reused (grown, then written over by a smaller batch).
    for (const [n, run] of [
      [3000, 'r'.repeat(127)],
      [700, null],
      [1, '20260408T010203.456Z-0badcafe'],
    ] as const) {
      const { payload } = batch(n, rng, run);
      const file = join(dir, `layout-${n}.bin`);
      writeFileSync(file, payload);
      const structure = run === null ? MARKET_LEGACY_STRUCTURE : MARKET_STRUCTURE;
      const out = join(dir, `native-${n}.bin`);
      await store.query(
        `SELECT ${select.join(', ')}, ${run === null ? "'' AS run" : 'run'} FROM file('${file}', 'RowBinary', '${structure}') INTO OUTFILE '${out}' TRUNCATE FORMAT Native`,
      );
      const ours = Buffer.concat(marketToNative(payload, n, scratch, run === null));
      assert.ok(ours.equals(readFileSync(out)), `${n} rows: the blocks differ`);
    }
  } finally {
    await store.close();
  }
});
