import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alphaSignals, createAlpha, marketOf } from 'hft-platform';
import { OfiMcAlpha } from '../impl.ts';

test('the manifest is the original ofi_mc', () => {
  const m = createAlpha(OfiMcAlpha).manifest;
  assert.equal(m.alpha_id, 'ofi_mc');
  assert.equal(m.tier, 'TIER_2');
  assert.deepEqual(m.paper_refs, ['018']);
});

test('cumulative best-level OFI over market_cap, by the Cont-Kukanov-Stoikov rules', () => {
  const market = marketOf([
    {
      ts: 1,
      levels: [
        [1, 10_000, 5],
        [-1, 10_100, 7],
      ],
    },
    // Same prices: bid +3, ask -2 -> e = 3 - (-2) = 5.
    {
      ts: 2,
      levels: [
        [1, 10_000, 8],
        [-1, 10_100, 5],
      ],
    },
    // Bid up a tick with 4: e_bid = 4; ask unchanged -> e = 4.
    { ts: 3, levels: [[1, 10_100 - 100 + 50, 4]] },
    // A trade changes nothing.
    { ts: 4, trade: [1, 10_100, 1] },
    // Ask falls (improves) with 6: e_ask = 6 -> e = -6.
    { ts: 5, levels: [[-1, 10_090, 6]] },
  ]);
  const s = alphaSignals(createAlpha(OfiMcAlpha, { market_cap: 1 }), market);
  assert.deepEqual(s, [0, 5, 9, 9, 3]);
});
