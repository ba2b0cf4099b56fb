import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alphaSignals, createAlpha, syntheticMarket } from 'hft-platform';
import { OfiDepthAlpha } from '../impl.ts';

test('the signal is tanh of OFI over mean depth: bounded, both signs, 0 while warming up', () => {
  const s = alphaSignals(createAlpha(OfiDepthAlpha), syntheticMarket({ seed: 2, messages: 3000 }));
  assert.equal(s[0], 0, 'OFI is undefined for the first second');
  assert.ok(s.every((x) => x >= -1 && x <= 1));
  assert.ok(s.some((x) => x > 0.05) && s.some((x) => x < -0.05));
});

test('a bigger scale shrinks the signal', () => {
  const m = syntheticMarket({ seed: 2, messages: 3000 });
  const a = alphaSignals(createAlpha(OfiDepthAlpha), m);
  const b = alphaSignals(createAlpha(OfiDepthAlpha, { scale: 10 }), m);
  const sum = (x: number[]) => x.reduce((p, v) => p + Math.abs(v), 0);
  assert.ok(sum(b) < sum(a));
});
