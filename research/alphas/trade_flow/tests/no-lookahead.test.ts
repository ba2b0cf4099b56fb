import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alphaSignals, createAlpha, syntheticMarket } from 'hft-platform';
import { TradeFlowAlpha } from '../impl.ts';

const make = () => createAlpha(TradeFlowAlpha);

test('the signal at an event is the same whether or not later events exist', () => {
  const market = syntheticMarket({ seed: 11, messages: 4000 });
  const full = alphaSignals(make(), market);
  for (const cut of [2, 777, 3001, market.n - 1]) {
    const part = alphaSignals(make(), market, cut);
    assert.deepEqual(part, full.slice(0, part.length), `cut at event ${cut}`);
  }
});

test('two instances give the same signals, and reset starts over', () => {
  const market = syntheticMarket({ seed: 5 });
  const a = make();
  const first = alphaSignals(a, market);
  assert.deepEqual(alphaSignals(make(), market), first);
  assert.deepEqual(alphaSignals(a, market), first, 'the same instance after reset');
});
