import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OrderIntent } from '../../src/contracts/orders.ts';
import { NS_PER_MS } from '../../src/core/clock.ts';
import type { Limits } from '../../src/risk/limits.ts';
import { type ExposureView, RiskEngine } from '../../src/risk/risk-engine.ts';
import type { WorkingOrder } from '../../src/risk/validators.ts';
import { shippedSymbols } from '../helpers/symbols.ts';

const symbols = shippedSymbols();
const TXF = symbols.find((s) => s.code === 'TXFD6')!.id;
const TSMC = symbols.find((s) => s.code === '2330')!.id;
const T0 = 1_775_610_000_000_000_000;

const LIMITS: Limits = {
  maxOrderQty: 5,
  maxPosition: 10,
  priceBandTicks: 20,
  maxNotional: 0,
  maxOpenOrders: 0,
  maxOrdersPerS: 0,
  selfTradePrevention: false,
  duplicateWindowNs: 0,
};

/** A mutable world the risk engine looks at. */
function setup(lim: Partial<Limits> = {}) {
  const w = {
    position: 0,
    openBuy: 0,
    openSell: 0,
    openCount: 0,
    ownBid: 0,
    ownAsk: 0,
    mid: new Map<number, number>([
      [TXF, 33_000_00],
      [TSMC, 1850_00],
    ]),
    orders: new Map<number, WorkingOrder>(),
  };
  const view: ExposureView = {
    position: () => w.position,
    openQty: (_s, _sym, side) => (side === 1 ? w.openBuy : w.openSell),
    openCount: () => w.openCount,
    ownBest: (_sym, side) => (side === 1 ? w.ownBid : w.ownAsk),
    reference: (id) => w.mid.get(id) ?? Number.NaN,
    order: (id) => w.orders.get(id),
  };
  const risk = new RiskEngine(symbols, { ...LIMITS, ...lim }, view);
  return { risk, w };
}

const intent = (over: Partial<OrderIntent> = {}): OrderIntent => ({
  intentId: 1,
  strategyId: 's',
  symbolId: TXF,
  action: 'new',
  side: 1,
  price: 33_000_00,
  qty: 1,
  tif: 'GTC',
  targetOrderId: 0,
  ts: T0,
  ...over,
});

test('a sane order passes', () => {
  assert.equal(setup().risk.check(intent()), null);
});

test('FastGate: halt, quantity and price sanity, max order qty, lot, tick, notional', () => {
  const { risk } = setup({ maxNotional: 15_000_000 * 10_000 });
  assert.equal(risk.check(intent({ qty: 0 })), 'QTY_INVALID');
  assert.equal(risk.check(intent({ qty: 1.5 })), 'QTY_INVALID');
  assert.equal(risk.check(intent({ price: -1 })), 'PRICE_INVALID');
  assert.equal(risk.check(intent({ price: Number.NaN })), 'PRICE_INVALID');
  assert.equal(risk.check(intent({ qty: 6 })), 'MAX_ORDER_QTY');
  assert.equal(risk.check(intent({ price: 33_000_50 })), 'TICK_SIZE');
  // 3 lots x 33,000 x 200 = 19.8M TWD > 15M
  assert.equal(risk.check(intent({ qty: 3 })), 'MAX_NOTIONAL');
  assert.equal(risk.check(intent({ qty: 2 })), null, '13.2M TWD is under');
  assert.equal(risk.check(intent({ symbolId: 999 })), 'UNKNOWN_SYMBOL');
  risk.halted = true;
  assert.equal(risk.check(intent()), 'HALTED');
  assert.equal(risk.check(intent({ symbolId: 999 })), 'HALTED', 'the kill switch comes first');
});

test('lot size and the TWSE tick ladder', () => {
  const { risk } = setup({ maxOrderQty: 5000, maxPosition: 10_000 });
  assert.equal(risk.check(intent({ symbolId: TSMC, price: 1850_00, qty: 500 })), 'LOT_SIZE');
  assert.equal(
    risk.check(intent({ symbolId: TSMC, price: 1851_00, qty: 1000 })),
    'TICK_SIZE',
    '5 above 1000',
  );
  assert.equal(risk.check(intent({ symbolId: TSMC, price: 1855_00, qty: 1000 })), null);
});

test('price band around the mid; no reference, no order', () => {
  const { risk, w } = setup();
  assert.equal(risk.check(intent({ price: 33_020_00 })), null, 'exactly 20 ticks away');
  assert.equal(risk.check(intent({ price: 33_021_00 })), 'PRICE_BAND');
  assert.equal(risk.check(intent({ price: 32_979_00 })), 'PRICE_BAND');
  w.mid.set(TXF, Number.NaN);
  assert.equal(risk.check(intent()), 'NO_REFERENCE_PRICE');
});

test('max position counts every working order on the side as filled', () => {
  const { risk, w } = setup();
  w.position = 8;
  assert.equal(risk.check(intent({ qty: 3 })), 'MAX_POSITION');
  assert.equal(risk.check(intent({ qty: 2 })), null);
  w.position = 6;
  w.openBuy = 3;
  assert.equal(risk.check(intent({ qty: 2 })), 'MAX_POSITION');
  assert.equal(risk.check(intent({ qty: 3, side: -1 })), null, 'reducing is fine');
  w.position = -10;
  w.openBuy = 0;
  assert.equal(risk.check(intent({ side: -1 })), 'MAX_POSITION');
});

test('max open orders per strategy and symbol (a replace keeps the count)', () => {
  const { risk, w } = setup({ maxOpenOrders: 2 });
  w.openCount = 1;
  assert.equal(risk.check(intent()), null);
  w.openCount = 2;
  assert.equal(risk.check(intent()), 'MAX_OPEN_ORDERS');
  w.orders.set(7, { strategyId: 's', symbolId: TXF, side: 1, price: 32_999_00, qty: 1, leavesQty: 1 });
  assert.equal(risk.check(intent({ action: 'replace', targetOrderId: 7 })), null);
});

test('order rate: at most N accepted orders per strategy and symbol in any second', () => {
  const { risk } = setup({ maxOrdersPerS: 3 });
  for (let i = 0; i < 3; i++) {
    const it = intent({ ts: T0 + i * 100 * NS_PER_MS, price: 33_000_00 - i * 100 });
    assert.equal(risk.check(it), null);
    risk.accepted(it, i + 1);
  }
  assert.equal(risk.check(intent({ ts: T0 + 999 * NS_PER_MS })), 'RATE_LIMIT');
  assert.equal(risk.check(intent({ ts: T0 + 999 * NS_PER_MS, strategyId: 'other' })), null, 'per strategy');
  assert.equal(risk.check(intent({ ts: T0 + 1000 * NS_PER_MS })), null, 'the first one left the window');
  assert.equal(
    risk.check(intent({ ts: T0 + 999 * NS_PER_MS, symbolId: TSMC, price: 1850_00, qty: 1000 })),
    'MAX_ORDER_QTY',
  );
});

test('self-trade prevention: a buy at or above our own ask (any strategy) is refused', () => {
  const { risk, w } = setup({ selfTradePrevention: true });
  w.ownAsk = 33_001_00;
  assert.equal(risk.check(intent({ price: 33_000_00 })), null);
  assert.equal(risk.check(intent({ price: 33_001_00 })), 'SELF_TRADE');
  assert.equal(risk.check(intent({ price: 33_002_00 })), 'SELF_TRADE');
  w.ownBid = 33_000_00;
  assert.equal(risk.check(intent({ side: -1, price: 33_000_00 })), 'SELF_TRADE');
  assert.equal(
    risk.check(intent({ side: -1, price: 33_001_00 })),
    null,
    'a sell above our bid does not cross it',
  );
});

test('duplicate intent: the same order while the first still works, within the window; a no-op replace', () => {
  const { risk, w } = setup({ duplicateWindowNs: 1000 * NS_PER_MS });
  const first = intent();
  assert.equal(risk.check(first), null);
  risk.accepted(first, 11);
  w.orders.set(11, { strategyId: 's', symbolId: TXF, side: 1, price: 33_000_00, qty: 1, leavesQty: 1 });
  assert.equal(risk.check(intent({ ts: T0 + 10 * NS_PER_MS })), 'DUPLICATE_INTENT');
  assert.equal(risk.check(intent({ ts: T0 + 10 * NS_PER_MS, price: 32_999_00 })), null, 'another price');
  assert.equal(risk.check(intent({ ts: T0 + 10 * NS_PER_MS, side: -1 })), null, 'other side');
  assert.equal(risk.check(intent({ ts: T0 + 1001 * NS_PER_MS })), null, 'outside the window');
  w.orders.delete(11);
  assert.equal(risk.check(intent({ ts: T0 + 10 * NS_PER_MS })), null, 'the first one is done: a re-quote');
  w.orders.set(11, { strategyId: 's', symbolId: TXF, side: 1, price: 33_000_00, qty: 1, leavesQty: 1 });
  assert.equal(risk.check(intent({ action: 'replace', targetOrderId: 11 })), 'DUPLICATE_INTENT');
  assert.equal(risk.check(intent({ action: 'replace', targetOrderId: 11, qty: 2 })), null);
});

test('a replace must target an open order of the same strategy, symbol and side', () => {
  const { risk, w } = setup();
  w.orders.set(5, { strategyId: 'x', symbolId: TXF, side: 1, price: 33_000_00, qty: 1, leavesQty: 1 });
  assert.equal(risk.check(intent({ action: 'replace', targetOrderId: 9 })), 'UNKNOWN_ORDER');
  assert.equal(
    risk.check(intent({ action: 'replace', targetOrderId: 5, price: 32_999_00 })),
    'UNKNOWN_ORDER',
  );
  w.orders.set(6, { strategyId: 's', symbolId: TXF, side: -1, price: 33_000_00, qty: 1, leavesQty: 1 });
  assert.equal(
    risk.check(intent({ action: 'replace', targetOrderId: 6, price: 32_999_00 })),
    'UNKNOWN_ORDER',
  );
});

test('reduce-only (StormGuard STORM): only orders that shrink the position pass', () => {
  const { risk, w } = setup();
  risk.reduceOnly = true;
  assert.equal(risk.check(intent()), 'REDUCE_ONLY', 'flat: nothing reduces');
  w.position = 3;
  assert.equal(risk.check(intent({ side: -1, qty: 3 })), null);
  assert.equal(risk.check(intent({ side: -1, qty: 4 })), 'REDUCE_ONLY', 'would flip');
  assert.equal(risk.check(intent({ side: 1 })), 'REDUCE_ONLY');
  w.openSell = 2;
  assert.equal(risk.check(intent({ side: -1, qty: 2 })), 'REDUCE_ONLY', 'with working sells it would flip');
});

test('limits per strategy and symbol; rejections counted by reason', () => {
  const { risk } = setup();
  risk.setLimits('big', TXF, { ...LIMITS, maxOrderQty: 50, maxPosition: 100 });
  assert.equal(risk.check(intent({ strategyId: 'big', qty: 30 })), null);
  assert.equal(risk.check(intent({ qty: 30 })), 'MAX_ORDER_QTY');
  risk.setSymbolDefaults(TSMC, { ...LIMITS, maxOrderQty: 5000, maxPosition: 10_000 });
  assert.equal(risk.check(intent({ strategyId: 'new', symbolId: TSMC, price: 1850_00, qty: 2000 })), null);
  assert.equal(risk.limits('big', TXF).maxPosition, 100);
  risk.halted = true;
  assert.equal(risk.check(intent()), 'HALTED');
  assert.equal(risk.counters.checked, 4);
  assert.equal(risk.counters.rejected, 2);
  assert.deepEqual(risk.counters.byReason, { MAX_ORDER_QTY: 1, HALTED: 1 });
});

test('time in force: POST_ONLY passes risk like GTC, an unknown one is refused', () => {
  const { risk } = setup();
  assert.equal(risk.check(intent({ tif: 'POST_ONLY' })), null);
  assert.equal(risk.check(intent({ tif: 'FOK' as never })), 'TIF_UNSUPPORTED');
});
