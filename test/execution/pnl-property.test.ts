import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Side } from '../../src/contracts/market.ts';
import type { SymbolSpec } from '../../src/contracts/symbols.ts';
import { Rng } from '../../src/core/rng.ts';
import { withDayTradeTax } from '../../src/execution/fees.ts';
import { shippedSymbols } from '../helpers/symbols.ts';
import { harness, intent } from './harness.ts';

const MONEY = 10_000;
const RATE = 10_000_000;

/** Fees and tax of one fill, written out independently of src/execution/fees.ts. */
function expectedCosts(spec: SymbolSpec, side: Side, px: number, qty: number): number {
  const notional = (px * qty * spec.multiplier * MONEY) / spec.priceScale;
  const f = spec.fees;
  const fee = Math.max(
    f.commissionPerContract * qty + Math.round((notional * f.commissionRate) / RATE),
    f.commissionMin,
  );
  const tax = Math.round((notional * (side === 1 ? f.taxRateBuy : f.taxRateSell)) / RATE);
  return fee + tax;
}

interface Book {
  cash: number;
  fees: number;
  qty: number;
}

/**
 * Random orders of 3 strategies in 3 symbols (futures and a stock, with fees and taxes), filled
 * in random partial fills at random prices, with duplicate fill callbacks mixed in, through the
 * order adapter and the execution router.
 */
function run(seed: number, symbols: SymbolSpec[]): void {
  const h = harness({ globalPerS: 0, symbolPerS: 0 }, symbols);
  const rng = new Rng(seed);
  const codes = ['TXFD6', 'MXFD6', '2330'];
  const specs = codes.map((c) => symbols.find((s) => s.code === c)!);
  const ref: Record<string, number> = { TXFD6: 33_000_00, MXFD6: 33_000_00, '2330': 1850_00 };
  const strategies = ['a', 'b', 'c'];
  const books = new Map<string, Book>();
  const key = (s: string, sym: number) => `${s}/${sym}`;
  const factor = (spec: SymbolSpec) => (spec.multiplier * MONEY) / spec.priceScale;
  const price = (spec: SymbolSpec) =>
    ref[spec.code] + rng.int(-40, 40) * (spec.code === '2330' ? 5_00 : 1_00);
  let exec = 0;

  const fillOrder = (strategyId: string, spec: SymbolSpec, side: Side, lots: number) => {
    const qty = lots * spec.lotSize;
    const id = h.orders.send(intent({ strategyId, symbolId: spec.id, side, qty, price: ref[spec.code] }));
    h.exec({ type: 'ack', orderId: id, leavesQty: qty });
    const b = books.get(key(strategyId, spec.id)) ?? { cash: 0, fees: 0, qty: 0 };
    books.set(key(strategyId, spec.id), b);
    let left = lots;
    while (left > 0) {
      const part = rng.int(1, left) * spec.lotSize;
      left -= part / spec.lotSize;
      const px = price(spec);
      const e = {
        type: 'fill' as const,
        orderId: id,
        lastPx: px,
        lastQty: part,
        leavesQty: left * spec.lotSize,
        execId: `E${++exec}`,
      };
      h.exec(e);
      if (rng.next() < 0.2) h.exec(e); // a duplicate callback: must not count twice
      b.cash -= side * px * part * factor(spec);
      b.fees += expectedCosts(spec, side, px, part);
      b.qty += side * part;
    }
  };

  const check = () => {
    let accountNet = 0;
    let expectedNet = 0;
    for (const s of strategies) {
      for (const spec of specs) {
        const b = books.get(key(s, spec.id));
        if (b === undefined) continue;
        const p = h.positions.get(s, spec.id);
        const mark = price(spec);
        assert.equal(p.qty, b.qty);
        assert.equal(p.fees, b.fees, 'fees and taxes of every fill, once');
        // Conservation: realized + unrealized = cash flow + inventory at the mark, to the money unit.
        assert.equal(p.realized + p.unrealized(mark), b.cash + b.qty * mark * factor(spec));
        for (const v of [p.realized, p.unrealized(mark), p.fees, p.cost]) assert.ok(Number.isSafeInteger(v));
        accountNet += p.net(mark);
        expectedNet += b.cash + b.qty * mark * factor(spec) - b.fees;
      }
    }
    assert.equal(accountNet, expectedNet);
  };

  for (let i = 0; i < 40; i++) {
    const spec = specs[rng.int(0, specs.length - 1)];
    fillOrder(strategies[rng.int(0, 2)], spec, rng.next() < 0.5 ? 1 : -1, rng.int(1, 5));
    check();
  }
  // Flatten everything: realized PnL is then exactly the cash flow, fees apart.
  for (const s of strategies) {
    for (const spec of specs) {
      const b = books.get(key(s, spec.id));
      if (b === undefined || b.qty === 0) continue;
      fillOrder(s, spec, b.qty > 0 ? -1 : 1, Math.abs(b.qty) / spec.lotSize);
    }
  }
  check();
  for (const [k, b] of books) {
    const [s, sym] = k.split('/');
    const p = h.positions.get(s, Number(sym));
    assert.equal(p.qty, 0);
    assert.equal(p.realized, b.cash, `seed ${seed} ${k}`);
  }
  for (const spec of specs) assert.equal(h.positions.netQty(spec.id), 0);
}

test('property: PnL is conserved across any fill sequence, with fees, taxes, strategies and symbols', () => {
  const symbols = shippedSymbols();
  for (let seed = 1; seed <= 150; seed++) run(seed, symbols);
});

test('property holds with the day-trade stock tax (0.15% on sells) too', () => {
  const symbols = shippedSymbols().map((s) => withDayTradeTax(s, 0.0015));
  assert.equal(symbols.find((s) => s.code === '2330')!.fees.taxRateSell, 15_000);
  assert.equal(symbols.find((s) => s.code === 'TXFD6')!.fees.taxRateSell, 200, 'futures unchanged');
  assert.equal(symbols.find((s) => s.code === 'AAPL')!.fees.taxRateSell, 0, 'Taiwan stocks only');
  for (let seed = 1; seed <= 50; seed++) run(seed, symbols);
});
