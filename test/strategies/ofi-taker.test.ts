import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NS_PER_MS } from '../../src/core/clock.ts';
import { OfiTaker } from '../../src/strategies/ofi-taker.ts';
import { symbolByCode } from '../helpers/symbols.ts';
import { build, FakeContext } from './fake-context.ts';

const txf = { ...symbolByCode('TXFD6'), id: 0 };
const PARAMS = {
  order_qty: 1,
  feature: 'ofi_5',
  entry_threshold: 1,
  exit_threshold: 0.5,
  max_position: 2,
  hold_ms: 2000,
  cooldown_ms: 1000,
  retry_ms: 100,
};
const BID = 33_000_00;
const ASK = 33_001_00;

function setup() {
  const ctx = new FakeContext([txf]);
  const s = build(OfiTaker, 'ofi', [txf], PARAMS);
  /** One book update with OFI = `ofi` (depth 50 a side: normalized = ofi / 50), `dtMs` later. */
  const book = (ofi: number, dtMs = 0) => {
    ctx.t += dtMs * NS_PER_MS;
    ctx.feats.set('ofi_5', ofi);
    s.onBook(ctx, ctx.setBook(0, BID, ASK, 50));
  };
  return { ctx, s, book };
}

test('reads OFI from the feature plane and takes the far touch (IOC) when |OFI| / depth reaches the threshold', () => {
  const { ctx, s, book } = setup();
  assert.equal(s.featureSet, 'lob_core');
  book(Number.NaN);
  book(40);
  assert.deepEqual(ctx.actions, [], 'warming up, then 0.8 < 1');
  book(60);
  assert.deepEqual(ctx.actions, ['place buy 1@3300100 IOC']);
  book(60, 200);
  assert.equal(ctx.actions.length, 1, 'one order in flight at a time');
  ctx.fill(s, 1);
  book(60, 200);
  assert.equal(ctx.actions.length, 1, 'cooldown after an entry');
  book(60, 700);
  assert.deepEqual(ctx.actions.slice(1), ['place buy 1@3300100 IOC']);
  ctx.fill(s, 2);
  book(60, 500);
  assert.equal(ctx.position(0), 2);
  assert.equal(ctx.actions.length, 2, 'max position reached');
  // Held 2.1 s since the first entry: flatten at the near touch.
  book(60, 500);
  assert.deepEqual(ctx.actions.slice(2), ['place sell 2@3300000 IOC']);
});

test('leaves early when the flow turns against the position; sells on negative flow', () => {
  const { ctx, s, book } = setup();
  book(-60);
  assert.deepEqual(ctx.actions, ['place sell 1@3300000 IOC']);
  ctx.fill(s, 1);
  book(10, 150);
  assert.equal(ctx.actions.length, 1, 'flow not against enough');
  book(30, 150);
  assert.deepEqual(ctx.actions.slice(1), ['place buy 1@3300100 IOC'], '+0.6 against a short');
});

test('a refused order is not retried at every update; an IOC that did not fill frees the slot', () => {
  const { ctx, s, book } = setup();
  ctx.refuse = true;
  book(60);
  book(60, 50);
  book(60, 50);
  assert.equal(ctx.actions.length, 1, 'retry_ms and the entry cooldown space attempts');
  ctx.refuse = false;
  book(60, 1000);
  assert.equal(ctx.actions.length, 2);
  ctx.expire(s, 1);
  book(60, 1100);
  assert.equal(ctx.actions.length, 3);
  assert.throws(
    () => build(OfiTaker, 'x', [txf], { ...PARAMS, order_qty: 0 }),
    /^UserError: strategy x: parameter 'order_qty' = 0: Too small/,
  );
});
