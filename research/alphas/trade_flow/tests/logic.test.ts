import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alphaSignals, createAlpha, marketOf, NS_PER_S } from 'hft-platform';
import { TradeFlowAlpha } from '../impl.ts';

test('the signal is the aggressor volume imbalance of the last 5 s', () => {
  const book = {
    levels: [
      [1, 10_000, 5],
      [-1, 10_100, 5],
    ] as [1 | -1, number, number][],
  };
  const market = marketOf([
    { ts: 0, ...book },
    { ts: 1 * NS_PER_S, trade: [1, 10_100, 3] },
    { ts: 2 * NS_PER_S, trade: [-1, 10_000, 1] },
    // The window is warm 5 s after the first event: (3 - 1) / (3 + 1).
    { ts: 5 * NS_PER_S, trade: [1, 10_100, 0] },
    // At 6.5 s the first buy (1 s) has left the window: (0 - 1) / 1.
    { ts: 6.5 * NS_PER_S, trade: [-1, 10_000, 0] },
  ]);
  const s = alphaSignals(createAlpha(TradeFlowAlpha), market);
  assert.deepEqual(s, [0, 0, 0, 0.5, -1]);
});
