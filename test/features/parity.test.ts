import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NS_PER_MS, NS_PER_S } from '../../src/core/clock.ts';
import { FeatureEngine } from '../../src/features/feature-engine.ts';
import type { FeatureSetSpec } from '../../src/features/feature-set.ts';
import { plainBook, ReferenceFeatures } from '../../src/features/reference.ts';
import { ROW_BOOK, ROW_RESET, replayFeatures } from '../../src/features/replay-features.ts';
import { LOB_CORE } from '../../src/features/sets.ts';
import { LobEngine } from '../../src/lob/lob-engine.ts';
import { readAny } from '../../src/venues/replay/read-any.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';

/** Other parameters of every kernel (deeper levels, level weights, short windows), to cover them on real data too. */
const VARIANTS: FeatureSetSpec = {
  id: 'parity_variants',
  version: 1,
  features: [
    { id: 'depth_imbalance_10', kind: 'depth_imbalance', levels: 10 },
    { id: 'ofi_10_decay', kind: 'ofi', levels: 10, windowNs: 200 * NS_PER_MS, decay: 0.5 },
    { id: 'ofi_3_10s', kind: 'ofi', levels: 3, windowNs: 10 * NS_PER_S },
    { id: 'trade_imbalance_100ms', kind: 'trade_imbalance', windowNs: 100 * NS_PER_MS },
    { id: 'rv_1s', kind: 'realized_vol', windowNs: NS_PER_S },
    { id: 'ewma_ret_5', kind: 'ewma_return', span: 5 },
    { id: 'entropy_10', kind: 'book_entropy', levels: 10 },
  ],
};

/** Equal to 1e-9 relative; NaN only matches NaN. */
function agrees(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

async function checkParity(file: string, set: FeatureSetSpec): Promise<void> {
  const data = await readAny(dataFile(file));
  const sym = { ticks: [{ below: Number.POSITIVE_INFINITY, tick: data.tick }] };
  const engine = new FeatureEngine(set, [sym]);
  const ref = new ReferenceFeatures(set, sym);
  const lob = new LobEngine(1);
  const depth = Math.max(...set.features.map((f) => ('levels' in f ? f.levels : 1)));
  const c = data.columns;
  const finite = new Array<number>(set.features.length).fill(0);
  let rows = 0;
  let mismatches = 0;
  let first = '';
  replayFeatures(
    c,
    engine,
    (kind, i) => {
      if (kind === ROW_RESET) {
        ref.reset();
        return;
      }
      const want =
        kind === ROW_BOOK
          ? ref.onBook(plainBook(lob.book(0), depth), c.exchTs[i])
          : ref.onTrade(c.qty[i], c.side[i], c.exchTs[i]);
      const have = engine.values(0);
      rows++;
      for (let k = 0; k < want.length; k++) {
        if (Number.isFinite(have[k])) finite[k]++;
        if (!agrees(have[k], want[k])) {
          mismatches++;
          first ||= `event ${i} (${kind === ROW_BOOK ? 'book' : 'trade'}) ${set.features[k].id}: engine ${have[k]}, reference ${want[k]}`;
        }
      }
    },
    lob,
  );
  assert.equal(
    mismatches,
    0,
    `${file} ${set.id}: ${mismatches} mismatches over ${rows} rows; first: ${first}`,
  );
  assert.ok(rows > 1000, `${file}: only ${rows} rows`);
  // Every feature must have produced real values, or the comparison proved nothing.
  for (let k = 0; k < set.features.length; k++) {
    assert.ok(finite[k] > rows / 10, `${file}: ${set.features[k].id} finite on ${finite[k]} of ${rows} rows`);
  }
}

describe(
  'optimized kernels agree with the reference implementation on real data (1e-9 relative, every event)',
  requireData(),
  () => {
    for (const file of [
      'taifex-txf-20260408.parquet',
      'taifex-txo35000q6-20260417.parquet',
      'binance-usdm-btcusdt-20240808.gz',
      'binance-spot-btcusdt-20240808.gz',
    ]) {
      test(`${file}: ${LOB_CORE.id}`, () => checkParity(file, LOB_CORE));
      test(`${file}: kernel variants`, () => checkParity(file, VARIANTS));
    }
  },
);
