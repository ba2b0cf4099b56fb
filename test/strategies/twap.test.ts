import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NS_PER_S } from '../../src/core/clock.ts';
import { Twap } from '../../src/strategies/twap.ts';
import { symbolByCode } from '../helpers/symbols.ts';
import { build, FakeContext, T0 } from './fake-context.ts';

const tsmc = { ...symbolByCode('2330'), id: 0 };
const BID = 1850_00;
const ASK = 1855_00;

function setup(over: Record<string, unknown> = {}) {
  const ctx = new FakeContext([tsmc]);
  const twap = build(Twap, 'twap', [tsmc], {
    side: 'buy',
    total_qty: 10_000,
    horizon_s: 40,
    slices: 4,
    ...over,
  });
  ctx.setBook(0, BID, ASK);
  twap.onStart(ctx);
  return { ctx, twap, at: (s: number) => ctx.runTimers(twap, T0 + s * NS_PER_S) };
}

test('works the parent in slices on timers: one passive child at the touch, resized by cancel/replace', () => {
  const { ctx, twap, at } = setup({ catch_up: false });
  at(0);
  assert.deepEqual(ctx.actions, ['place buy 2000@185000'], 'slice 1: floor(10 lots x 1/4) = 2 lots');
  ctx.fill(twap, 1);
  at(10);
  assert.deepEqual(ctx.actions.slice(1), ['place buy 3000@185000'], 'slice 2: target 5 lots, 2 done');
  ctx.setBook(0, 1855_00, 1860_00);
  at(20);
  assert.deepEqual(ctx.actions.slice(2), ['replace 2 -> 5000@185500'], 'slice 3: 7 lots, follows the touch');
  at(30);
  assert.deepEqual(ctx.actions.slice(3), ['replace 3 -> 8000@185500'], 'last slice: all that is left');
  ctx.fill(twap, 4);
  assert.equal(twap.executed, 10_000);
  assert.equal(twap.done, true);
  at(50);
  assert.equal(ctx.actions.length, 4, 'nothing after completion');
});

test('catch-up: a shortfall beyond one slice is taken at the far touch, and the last slice takes the rest', () => {
  const { ctx, twap, at } = setup();
  at(0);
  ctx.fill(twap, 1, 1000); // half of the first child
  at(10);
  // Target 5 lots, 1 done: 4 missing, 2 beyond one slice go IOC, the child carries 2.
  assert.deepEqual(ctx.actions.slice(1), ['place buy 2000@185500 IOC', 'replace 1 -> 2000@185000']);
  ctx.expire(twap, 2); // the IOC found nothing
  at(20);
  assert.deepEqual(
    ctx.actions.slice(3),
    ['place buy 4000@185500 IOC'],
    'child unchanged: same price and size',
  );
  ctx.fill(twap, 4);
  at(30);
  // Last slice: the child's 2 lots are pulled and everything missing goes IOC.
  assert.deepEqual(ctx.actions.slice(4), ['place buy 5000@185500 IOC', 'cancel 3']);
  ctx.fill(twap, 5);
  assert.equal(twap.executed, 10_000, '1 + 4 + 5 lots');
  assert.equal(twap.done, true);

  // Without fills the horizon still ends it.
  const b = setup();
  b.at(40);
  assert.equal(b.twap.done, true);
  assert.equal(b.twap.executed, 0);
});

test('limit offset in ticks from the passive touch, never past the far touch; sells mirror buys', () => {
  const a = setup({ limit_offset_ticks: 1 });
  a.at(0);
  assert.deepEqual(a.ctx.actions, ['place buy 2000@185500'], 'one tick up = the ask: no further');
  const b = setup({ side: 'sell', limit_offset_ticks: -2 });
  b.at(0);
  assert.deepEqual(b.ctx.actions, ['place sell 2000@186500'], 'two ticks behind the ask');
  assert.throws(() => setup({ total_qty: 1500 }), /multiple of the lot/);
});
