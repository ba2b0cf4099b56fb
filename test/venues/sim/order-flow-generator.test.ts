import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SymbolSpec } from '../../../src/contracts/symbols.ts';
import { Rng } from '../../../src/core/rng.ts';
import { onTick } from '../../../src/core/ticks.ts';
import { MatchingEngine } from '../../../src/venues/sim/matching-engine.ts';
import { OrderFlowGenerator, type OrderFlowOptions } from '../../../src/venues/sim/order-flow-generator.ts';
import { TSMC, TXF } from './fixtures.ts';

function make(spec: SymbolSpec, seed: number, opts: OrderFlowOptions) {
  let trades = 0;
  const e = new MatchingEngine(spec, {
    onMatch() {
      trades++;
    },
  });
  const g = new OrderFlowGenerator(e, new Rng(seed), opts);
  g.seed();
  return { e, g, trades: () => trades };
}

/** Steps the generator `n` times, checking after each event that the book is two-sided, uncrossed and on the tick grid. */
function runChecked(spec: SymbolSpec, e: MatchingEngine, g: OrderFlowGenerator, n: number): void {
  const px = new Float64Array(5);
  const qty = new Float64Array(5);
  const apx = new Float64Array(5);
  const aqty = new Float64Array(5);
  for (let i = 0; i < n; i++) {
    g.step();
    const bid = e.bestBid();
    const ask = e.bestAsk();
    if (!(bid > 0 && ask > 0 && bid < ask)) assert.fail(`event ${i}: bid ${bid} ask ${ask}`);
    e.depth(5, px, qty, apx, aqty);
    for (let k = 0; k < 5; k++) {
      if (qty[k] > 0 && (!onTick(spec, px[k]) || qty[k] % spec.lotSize !== 0))
        assert.fail(`event ${i}: bad bid level ${px[k]}x${qty[k]}`);
      if (aqty[k] > 0 && (!onTick(spec, apx[k]) || aqty[k] % spec.lotSize !== 0))
        assert.fail(`event ${i}: bad ask level ${apx[k]}x${aqty[k]}`);
      if (k > 0 && qty[k] > 0 && px[k] >= px[k - 1]) assert.fail(`event ${i}: bids out of order`);
      if (k > 0 && aqty[k] > 0 && apx[k] <= apx[k - 1]) assert.fail(`event ${i}: asks out of order`);
    }
  }
}

describe('OrderFlowGenerator', () => {
  it('seeds a two-sided book around the reference price', () => {
    const { e } = make(TXF, 1, { refPrice: 2_000_000, initialLevels: 4 });
    assert.equal(e.bestBid(), 2_000_000);
    assert.equal(e.bestAsk(), 2_000_100);
    assert.equal(e.levelCount(1), 4);
    assert.equal(e.levelCount(-1), 4);
    assert.ok(e.bestBidQty() > 0 && e.bestAskQty() > 0);
  });

  it('keeps a futures book two-sided and uncrossed over 100k events, with trades', () => {
    const { e, g, trades } = make(TXF, 42, { refPrice: 2_000_000 });
    runChecked(TXF, e, g, 100_000);
    const c = g.counters;
    assert.ok(c.limitOrders > 40_000, `limit orders ${c.limitOrders}`);
    assert.ok(c.marketOrders > 5_000, `market orders ${c.marketOrders}`);
    assert.ok(c.cancels > 20_000, `cancels ${c.cancels}`);
    assert.ok(trades() > 5_000, `trades ${trades()}`);
    // Cancellations balance arrivals: the book stays bounded.
    assert.ok(e.orderCount < 2_000, `resting orders ${e.orderCount}`);
  });

  it('respects a banded TWSE tick ladder around a band edge', () => {
    // 500.00 is a band edge: ticks of 0.50 below it, 1.00 from it up.
    const { e, g } = make(TSMC, 3, { refPrice: 49_950, initialLevels: 3 });
    const bp = new Float64Array(3);
    const ap = new Float64Array(3);
    e.depth(3, bp, new Float64Array(3), ap, new Float64Array(3));
    assert.deepEqual([...bp], [49_950, 49_900, 49_850]);
    assert.deepEqual([...ap], [50_000, 50_100, 50_200]);
    runChecked(TSMC, e, g, 50_000);
  });

  it('rebuilds a side that market orders emptied', () => {
    const { e, g } = make(TXF, 5, {
      refPrice: 2_000_000,
      limitRate: 1,
      marketRate: 5,
      cancelRate: 0.5,
      meanLots: 4,
      initialLevels: 2,
    });
    runChecked(TXF, e, g, 20_000);
    assert.ok(g.counters.rebuilds > 100, `rebuilds ${g.counters.rebuilds}`);
  });

  it('never trades without market orders: limit orders never cross', () => {
    const { e, g, trades } = make(TXF, 9, { refPrice: 2_000_000, marketRate: 0 });
    runChecked(TXF, e, g, 20_000);
    assert.equal(trades(), 0);
    assert.equal(g.counters.marketOrders, 0);
  });

  it('draws exponential waiting times at the total rate', () => {
    const { g } = make(TXF, 11, { refPrice: 2_000_000, limitRate: 10, marketRate: 2.5, cancelRate: 0 });
    assert.equal(g.totalRate(), 25);
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) sum += g.nextDelayNs();
    const meanNs = sum / n;
    assert.ok(Math.abs(meanNs - 40_000_000) < 0.03 * 40_000_000, `mean delay ${meanNs} ns`);
  });

  it('is deterministic for a seed', () => {
    const trace = (seed: number): string => {
      const { e, g } = make(TXF, seed, { refPrice: 2_000_000 });
      const out: number[] = [];
      for (let i = 0; i < 2_000; i++) {
        out.push(g.nextDelayNs());
        g.step();
        out.push(e.bestBid(), e.bestBidQty(), e.bestAsk(), e.bestAskQty());
      }
      return out.join(',');
    };
    assert.equal(trace(1), trace(1));
    assert.notEqual(trace(1), trace(2));
  });

  it('rejects invalid options with the key named', () => {
    const e = new MatchingEngine(TXF);
    assert.throws(() => new OrderFlowGenerator(e, new Rng(1), { refPrice: 0 }), /refPrice/);
    assert.throws(() => new OrderFlowGenerator(e, new Rng(1), { refPrice: 1, cancelRate: -1 }), /cancelRate/);
    assert.throws(
      () => new OrderFlowGenerator(e, new Rng(1), { refPrice: 1, maxDistanceTicks: 0 }),
      /maxDistanceTicks/,
    );
    assert.throws(() => new OrderFlowGenerator(e, new Rng(1), { refPrice: 1, meanLots: 0.5 }), /meanLots/);
    const g = new OrderFlowGenerator(e, new Rng(1), { refPrice: 100, limitRate: undefined });
    assert.equal(g.options.limitRate, 15);
  });
});
