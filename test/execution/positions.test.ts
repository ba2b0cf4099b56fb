import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Side } from '../../src/contracts/market.ts';
import { Rng } from '../../src/core/rng.ts';
import { type FillCosts, fillCosts, moneyFactor } from '../../src/execution/fees.ts';
import { Position } from '../../src/execution/positions.ts';
import { symbolByCode } from '../helpers/symbols.ts';

const txf = symbolByCode('TXFD6'); // 200 TWD per point, price scale 100
const tsmc = symbolByCode('2330');
const NTD = 10_000; // money scale

test('long round trip: realized PnL = points x multiplier', () => {
  const p = new Position('s', txf);
  p.apply(1, 33_000_00, 2, 0);
  assert.equal(p.qty, 2);
  assert.equal(p.avgPrice, 33_000_00);
  assert.equal(p.unrealized(33_010_00), 10 * 200 * 2 * NTD);
  p.apply(-1, 33_005_00, 1, 0);
  assert.equal(p.realized, 5 * 200 * NTD);
  assert.equal(p.qty, 1);
  p.apply(-1, 32_990_00, 1, 0);
  assert.equal(p.realized, (5 - 10) * 200 * NTD);
  assert.equal(p.qty, 0);
  assert.equal(p.cost, 0);
});

test('short, then flip through zero to long', () => {
  const p = new Position('s', txf);
  p.apply(-1, 100_00, 3, 0);
  p.apply(1, 90_00, 5, 0); // closes 3 at +10 points, opens 2 long at 90
  assert.equal(p.realized, 10 * 3 * 200 * NTD);
  assert.equal(p.qty, 2);
  assert.equal(p.avgPrice, 90_00);
  assert.equal(p.unrealized(95_00), 5 * 2 * 200 * NTD);
});

test('average price blends entries; partial close keeps the average', () => {
  const p = new Position('s', txf);
  p.apply(1, 100_00, 1, 0);
  p.apply(1, 103_00, 2, 0);
  assert.equal(p.avgPrice, 102_00);
  p.apply(-1, 104_00, 1, 0);
  assert.equal(p.realized, 2 * 200 * NTD);
  assert.equal(p.avgPrice, 102_00);
});

test('fees: TXF commission per contract + 0.002% tax; 2330 0.1425% (min 20) + 0.3% sell tax', () => {
  const c: FillCosts = { fee: 0, tax: 0 };
  fillCosts(txf, 1, 33_000_00, 2, c);
  assert.equal(c.fee, 2 * 50 * NTD);
  // notional 33,000 x 200 x 2 = 13,200,000 TWD; tax 0.002% = 264 TWD
  assert.equal(c.tax, 264 * NTD);
  fillCosts(tsmc, -1, 1850_00, 1000, c);
  // notional 1,850,000 TWD: commission 2,636.25, tax 5,550
  assert.equal(c.fee, 2636.25 * NTD);
  assert.equal(c.tax, 5550 * NTD);
  fillCosts(tsmc, 1, 10_00, 1000, c);
  assert.equal(c.fee, 20 * NTD, 'minimum commission');
  assert.equal(c.tax, 0, 'no tax on buys');
  assert.equal(moneyFactor(txf), (200 * NTD) / 100);
});

test('property: over any fill sequence ending flat, realized PnL equals the net cash flow exactly', () => {
  const rng = new Rng(7);
  for (let run = 0; run < 500; run++) {
    const p = new Position('s', txf);
    let cash = 0;
    let fees = 0;
    const f = moneyFactor(txf);
    for (let i = 0; i < 40; i++) {
      const side: Side = rng.next() < 0.5 ? 1 : -1;
      const qty = rng.int(1, 7);
      const px = rng.int(30_000, 36_000) * 100;
      const cost = rng.int(0, 500) * NTD;
      p.apply(side, px, qty, cost);
      cash -= side * px * qty * f;
      fees += cost;
      // Mark-to-market identity at any time: realized + unrealized = cash + qty x mark.
      const mark = rng.int(30_000, 36_000) * 100;
      assert.equal(p.realized + p.unrealized(mark), cash + p.qty * mark * f);
    }
    const q = p.qty;
    if (q !== 0) {
      const px = rng.int(30_000, 36_000) * 100;
      p.apply(q > 0 ? -1 : 1, px, Math.abs(q), 0);
      cash += q * px * f;
    }
    assert.equal(p.qty, 0);
    assert.equal(p.realized, cash, `run ${run}`);
    assert.equal(p.fees, fees);
    assert.ok(Number.isSafeInteger(p.realized));
  }
});
