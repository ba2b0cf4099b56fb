import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LobStats } from '../../src/contracts/market.ts';
import type { OrderIntent } from '../../src/contracts/orders.ts';
import { type ExposureView, RiskEngine } from '../../src/risk/risk-engine.ts';
import { shippedSymbols } from '../helpers/symbols.ts';

const symbols = shippedSymbols();
const TXF = symbols.find((s) => s.code === 'TXFD6')!.id;
const TSMC = symbols.find((s) => s.code === '2330')!.id;

function setup(position = 0, openBuy = 0) {
  const stats = symbols.map(
    (s) => ({ symbolId: s.id, mid: s.id === TSMC ? 1850_00 : 33_000_00 }) as LobStats,
  );
  const exposure: ExposureView = {
    position: () => position,
    openQty: (_s, _sym, side) => (side === 1 ? openBuy : 0),
    stats: (id) => stats[id],
  };
  const risk = new RiskEngine(symbols, { maxOrderQty: 5, maxPosition: 10, priceBandTicks: 20 }, exposure);
  return { risk, stats };
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
  ts: 0,
  ...over,
});

test('a sane order passes', () => {
  assert.equal(setup().risk.check(intent()), null);
});

test('rejects an order above max order qty', () => {
  assert.equal(setup().risk.check(intent({ qty: 6 })), 'MAX_ORDER_QTY');
});

test('rejects an order that would take the position above max position, counting working orders', () => {
  assert.equal(setup(8).risk.check(intent({ qty: 3 })), 'MAX_POSITION');
  assert.equal(setup(6, 3).risk.check(intent({ qty: 2 })), 'MAX_POSITION');
  assert.equal(setup(8).risk.check(intent({ qty: 3, side: -1 })), null, 'reducing is fine');
  assert.equal(setup(-10).risk.check(intent({ qty: 1, side: -1 })), 'MAX_POSITION');
});

test('rejects prices outside the band around the mid', () => {
  const { risk } = setup();
  assert.equal(risk.check(intent({ price: 33_020_00 })), null, 'exactly 20 ticks away');
  assert.equal(risk.check(intent({ price: 33_021_00 })), 'PRICE_BAND');
  assert.equal(risk.check(intent({ price: 32_979_00 })), 'PRICE_BAND');
});

test('rejects off-tick prices, bad lots, zero/negative values and a missing reference', () => {
  const { risk, stats } = setup();
  assert.equal(risk.check(intent({ price: 33_000_50 })), 'TICK_SIZE');
  assert.equal(risk.check(intent({ symbolId: TSMC, price: 1850_00, qty: 500 })), 'MAX_ORDER_QTY');
  const big = new RiskEngine(
    symbols,
    { maxOrderQty: 5000, maxPosition: 10_000, priceBandTicks: 20 },
    {
      position: () => 0,
      openQty: () => 0,
      stats: (id) => stats[id],
    },
  );
  assert.equal(big.check(intent({ symbolId: TSMC, price: 1850_00, qty: 500 })), 'LOT_SIZE');
  assert.equal(
    big.check(intent({ symbolId: TSMC, price: 1851_00, qty: 1000 })),
    'TICK_SIZE',
    'tick is 5 above 1000',
  );
  assert.equal(big.check(intent({ symbolId: TSMC, price: 1855_00, qty: 1000 })), null);
  assert.equal(risk.check(intent({ qty: 0 })), 'QTY_INVALID');
  assert.equal(risk.check(intent({ price: -1 })), 'PRICE_INVALID');
  assert.equal(risk.check(intent({ symbolId: 99 })), 'UNKNOWN_SYMBOL');
  stats[TXF].mid = Number.NaN;
  assert.equal(risk.check(intent()), 'NO_REFERENCE_PRICE');
});

test('per-strategy limits override defaults; HALT blocks everything; rejections are counted by reason', () => {
  const { risk } = setup();
  risk.setLimits('big', { maxOrderQty: 50, maxPosition: 100 });
  assert.equal(risk.check(intent({ strategyId: 'big', qty: 30 })), null);
  assert.equal(risk.check(intent({ qty: 30 })), 'MAX_ORDER_QTY');
  risk.halted = true;
  assert.equal(risk.check(intent()), 'HALTED');
  assert.equal(risk.counters.rejected, 2);
  assert.equal(risk.counters.byReason.MAX_ORDER_QTY, 1);
  assert.equal(risk.counters.byReason.HALTED, 1);
});
