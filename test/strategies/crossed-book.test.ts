import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NS_PER_MS, NS_PER_S } from '../../src/core/clock.ts';
import { MarketMaker } from '../../src/strategies/market-maker.ts';
import { OfiTaker } from '../../src/strategies/ofi-taker.ts';
import { Twap } from '../../src/strategies/twap.ts';
import { symbolByCode } from '../helpers/symbols.ts';
import { build, FakeContext, T0 } from './fake-context.ts';

// The market's own crossed book (an L3 feed's pre-open): the shipped strategies wait it out.
const es = { ...symbolByCode('ESH4'), id: 0 };
const BID = 4750_25;
const ASK = 4750_00;

test('the market maker does not quote a crossed book, and quotes once it uncrosses', () => {
  const ctx = new FakeContext([es]);
  const mm = build(MarketMaker, 'mm', [es], {
    order_qty: 1,
    half_spread_ticks: 0.5,
    max_inventory: 2,
    skew_ticks_per_unit: 0,
    requote_ticks: 1,
  });
  const st = ctx.setBook(0, BID, ASK);
  assert.equal(st.crossed, true);
  mm.onBook(ctx, st);
  assert.deepEqual(ctx.actions, []);
  ctx.t += 100 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 4750_00, 4750_25));
  assert.deepEqual(ctx.actions, ['place buy 1@475000', 'place sell 1@475025']);
});

test('the OFI taker does not take a crossed book', () => {
  const ctx = new FakeContext([es]);
  const s = build(OfiTaker, 'ofi', [es], {
    order_qty: 1,
    feature: 'ofi_5',
    entry_threshold: 1,
    exit_threshold: 0.5,
    max_position: 2,
    hold_ms: 2000,
    cooldown_ms: 1000,
    retry_ms: 100,
  });
  ctx.feats.set('ofi_5', 100);
  s.onBook(ctx, ctx.setBook(0, BID, ASK, 50));
  assert.deepEqual(ctx.actions, []);
  s.onBook(ctx, ctx.setBook(0, 4750_00, 4750_25, 50));
  assert.deepEqual(ctx.actions, ['place buy 1@475025 IOC']);
});

test('TWAP skips a slice while the book is crossed', () => {
  const ctx = new FakeContext([es]);
  const twap = build(Twap, 'twap', [es], {
    side: 'buy',
    total_qty: 4,
    horizon_s: 40,
    slices: 4,
    catch_up: false,
  });
  ctx.setBook(0, BID, ASK);
  twap.onStart(ctx);
  ctx.runTimers(twap, T0);
  assert.deepEqual(ctx.actions, []);
  ctx.setBook(0, 4750_00, 4750_25);
  ctx.runTimers(twap, T0 + 10 * NS_PER_S);
  assert.equal(ctx.actions.length, 1);
});
