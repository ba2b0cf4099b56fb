import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NS_PER_MS } from '../../src/core/clock.ts';
import { MarketMaker } from '../../src/strategies/market-maker.ts';
import { symbolByCode } from '../helpers/symbols.ts';
import { build, FakeContext } from './fake-context.ts';

const txf = { ...symbolByCode('TXFD6'), id: 0 };
const PARAMS = {
  order_qty: 1,
  half_spread_ticks: 0.5,
  max_inventory: 2,
  skew_ticks_per_unit: 1,
  requote_ticks: 1,
  min_quote_life_ms: 50,
};

function setup() {
  const ctx = new FakeContext([txf]);
  const mm = build(MarketMaker, 'mm', [txf], PARAMS);
  return { ctx, mm };
}

test('quotes both sides at the touch when flat, never improving it', () => {
  const { ctx, mm } = setup();
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00));
  assert.deepEqual(ctx.actions, ['place buy 1@3300000', 'place sell 1@3300100']);
  // A wide spread: half a tick from the mid would improve the touch; it joins the touch instead.
  const b = setup();
  b.mm.onBook(b.ctx, b.ctx.setBook(0, 33_000_00, 33_010_00));
  assert.deepEqual(b.ctx.actions, ['place buy 1@3300000', 'place sell 1@3301000']);
});

test('inventory skews the quotes to shed it, and the side that would exceed max inventory stops', () => {
  const { ctx, mm } = setup();
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00));
  ctx.fill(mm, 1); // bid filled: long 1
  ctx.t += 100 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00));
  // Long 1: the bid leans a tick lower (skew 1 tick per unit); the ask stays at the touch.
  assert.equal(ctx.actions.at(-1), 'place buy 1@3299900');
  ctx.fill(mm, 3);
  ctx.t += 100 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00));
  assert.equal(ctx.position(0), 2);
  assert.equal(ctx.actions.length, 3, 'at max inventory: no new bid');
  assert.deepEqual(
    [...ctx.openOrders()].map((o) => [o.side, o.price]),
    [[-1, 33_001_00]],
  );
});

test('moves a drifted quote by cancel/replace, not before its minimum life', () => {
  const { ctx, mm } = setup();
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00));
  ctx.t += 10 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 33_002_00, 33_003_00));
  assert.equal(ctx.actions.length, 2, 'younger than min_quote_life_ms');
  ctx.t += 50 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 33_002_00, 33_003_00));
  // The market moved up: the ask moves first, so the bid never meets our own ask.
  assert.deepEqual(ctx.actions.slice(2), ['replace 2 -> 1@3300300', 'replace 1 -> 1@3300200']);
  // A refused replace keeps tracking the old quote (no orphaned order, no duplicate).
  ctx.refuse = true;
  ctx.t += 60 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 33_005_00, 33_006_00));
  ctx.refuse = false;
  ctx.t += 60 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 33_005_00, 33_006_00));
  assert.deepEqual(ctx.actions.slice(-2), ['replace 3 -> 1@3300600', 'replace 4 -> 1@3300500']);
});

test('while risk is reduce-only it pulls and does not re-send the side that would grow the position', () => {
  const { ctx, mm } = setup();
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00));
  ctx.fill(mm, 1); // long 1; the ask (order 2) still works
  ctx.reducing = true;
  ctx.t += 100 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00));
  assert.deepEqual(ctx.actions.slice(2), [], 'no new bid while long and reduce-only; the ask stays');
  ctx.fill(mm, 2); // flat
  ctx.t += 100 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00));
  assert.deepEqual(ctx.actions.slice(2), [], 'flat and reduce-only: nothing reduces, nothing is sent');
  // Short 1 with a working bid; reduce-only again after quoting normally: the ask is pulled.
  ctx.reducing = false;
  ctx.t += 100 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00));
  assert.deepEqual(ctx.actions.slice(2), ['place buy 1@3300000', 'place sell 1@3300100']);
  ctx.fill(mm, 4); // short 1
  ctx.t += 100 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00)); // a new ask
  ctx.reducing = true;
  ctx.t += 100 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00));
  assert.equal(ctx.actions.at(-1), 'cancel 5', 'the ask that would grow the short is pulled');
  assert.deepEqual(
    [...ctx.openOrders()].map((o) => o.side),
    [1],
  );
});

test('never quotes through its own other side (a call auction fills nothing: its bid can sit above the touch)', () => {
  const ctx = new FakeContext([txf]);
  const mm = build(MarketMaker, 'mm', [txf], { ...PARAMS, skew_ticks_per_unit: 0 });
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00)); // bid #1, ask #2
  ctx.fill(mm, 1);
  ctx.t += 60 * NS_PER_MS;
  mm.onBook(ctx, ctx.setBook(0, 33_000_00, 33_001_00)); // a new bid #3 at 3300000
  ctx.fill(mm, 2);
  ctx.t += 10 * NS_PER_MS;
  // The book moves down through our young bid without filling it (an auction's indicative book).
  mm.onBook(ctx, ctx.setBook(0, 32_998_00, 32_999_00));
  const working = [...ctx.openOrders()];
  const bid = Math.max(...working.filter((o) => o.side === 1).map((o) => o.price));
  const asks = working.filter((o) => o.side === -1).map((o) => o.price);
  assert.equal(bid, 33_000_00);
  assert.deepEqual(
    asks,
    [33_001_00],
    `an ask at or below our bid is a self-trade: ${ctx.actions.join(', ')}`,
  );
});
