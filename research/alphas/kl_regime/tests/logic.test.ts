import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alphaSignals, createAlpha, type MarketMessage, marketOf } from 'hft-platform';
import { KlRegimeAlpha } from '../impl.ts';

/** A mid that steps by `step` ticks up and down alternately, `n` times. */
function walk(n: number, stepOf: (i: number) => number, start: number, t0: number): MarketMessage[] {
  const out: MarketMessage[] = [];
  let bid = start;
  for (let i = 0; i < n; i++) {
    bid += (i % 2 === 0 ? 1 : -1) * stepOf(i) * 100;
    out.push({
      ts: t0 + i,
      levels: [
        [1, bid, 5],
        [-1, bid + 100, 5],
      ],
    });
  }
  return out;
}

test('the manifest is the original kl_regime', () => {
  const m = createAlpha(KlRegimeAlpha).manifest;
  assert.equal(m.alpha_id, 'kl_regime');
  assert.equal(m.complexity, 'O(N)');
});

test('a change of the return distribution is a regime (1), the same distribution is not (0)', () => {
  const p = { recent: 100, reference: 400, eval_every: 20 };
  const calm = walk(600, () => 1, 1_000_000, 0);
  const same = alphaSignals(createAlpha(KlRegimeAlpha, p), marketOf(calm));
  assert.equal(same.at(-1), 0);
  // Then the steps grow from 1 to 1-4 ticks: the recent window no longer looks like the reference.
  const wild = walk(150, (i) => 1 + (i % 4), 1_000_000, 600);
  const changed = alphaSignals(createAlpha(KlRegimeAlpha, p), marketOf([...calm, ...wild]));
  assert.equal(changed.at(-1), 1);
});
