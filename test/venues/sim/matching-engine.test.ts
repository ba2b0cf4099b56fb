import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Side } from '../../../src/contracts/market.ts';
import type { TimeInForce } from '../../../src/contracts/orders.ts';
import { Rng } from '../../../src/core/rng.ts';
import {
  MARKET_TAKER_ID,
  MatchingEngine,
  type MatchListener,
} from '../../../src/venues/sim/matching-engine.ts';
import { TXF } from './fixtures.ts';

interface Match {
  maker: number;
  taker: number;
  price: number;
  qty: number;
  makerOwn: boolean;
  takerOwn: boolean;
  aggressor: Side;
  makerLeaves: number;
  takerLeaves: number;
}

function recorder(): MatchListener & { matches: Match[] } {
  const matches: Match[] = [];
  return {
    matches,
    onMatch(maker, taker, price, qty, makerOwn, takerOwn, aggressor, makerLeaves, takerLeaves) {
      matches.push({ maker, taker, price, qty, makerOwn, takerOwn, aggressor, makerLeaves, takerLeaves });
    },
  };
}

function setup(): { e: MatchingEngine; rec: ReturnType<typeof recorder> } {
  const rec = recorder();
  return { e: new MatchingEngine(TXF, rec), rec };
}

function depthOf(e: MatchingEngine, n = 5): { bids: number[][]; asks: number[][]; filled: number } {
  const bp = new Float64Array(n);
  const bq = new Float64Array(n);
  const ap = new Float64Array(n);
  const aq = new Float64Array(n);
  const filled = e.depth(n, bp, bq, ap, aq);
  const bids: number[][] = [];
  const asks: number[][] = [];
  for (let i = 0; i < n; i++) {
    if (bq[i] > 0) bids.push([bp[i], bq[i]]);
    if (aq[i] > 0) asks.push([ap[i], aq[i]]);
  }
  return { bids, asks, filled };
}

describe('MatchingEngine', () => {
  it('fills the earlier of two orders at one price first', () => {
    const { e, rec } = setup();
    e.add(1, -1, 10_000, 2, 'GTC', false);
    e.add(2, -1, 10_000, 3, 'GTC', false);
    assert.equal(e.add(3, 1, 10_000, 4, 'GTC', true), 0);
    assert.deepEqual(
      rec.matches.map((m) => [m.maker, m.taker, m.price, m.qty, m.makerLeaves, m.takerLeaves]),
      [
        [1, 3, 10_000, 2, 0, 2],
        [2, 3, 10_000, 2, 1, 0],
      ],
    );
    assert.equal(rec.matches[0].takerOwn, true);
    assert.equal(rec.matches[0].aggressor, 1);
    assert.equal(e.has(1), false);
    assert.equal(e.has(2), true);
    assert.equal(e.bestAskQty(), 1);
  });

  it('fills a better price before an earlier time and trades at the resting price', () => {
    const { e, rec } = setup();
    e.add(1, -1, 10_100, 1, 'GTC', false);
    e.add(2, -1, 10_000, 1, 'GTC', false);
    e.add(3, 1, 10_100, 1, 'GTC', false);
    assert.deepEqual(
      rec.matches.map((m) => [m.maker, m.price]),
      [[2, 10_000]],
    );
    assert.equal(e.bestAsk(), 10_100);
    assert.equal(e.bestBid(), 0);
  });

  it('walks several levels, then rests the remainder with the right leaves', () => {
    const { e, rec } = setup();
    e.add(1, -1, 10_000, 2, 'GTC', false);
    e.add(2, -1, 10_100, 3, 'GTC', false);
    e.add(3, -1, 10_200, 5, 'GTC', false);
    const resting = e.add(4, 1, 10_100, 7, 'GTC', false);
    assert.equal(resting, 2);
    assert.deepEqual(
      rec.matches.map((m) => [m.maker, m.price, m.qty, m.takerLeaves]),
      [
        [1, 10_000, 2, 5],
        [2, 10_100, 3, 2],
      ],
    );
    assert.equal(e.bestBid(), 10_100);
    assert.equal(e.bestBidQty(), 2);
    assert.equal(e.bestAsk(), 10_200);
    assert.equal(e.cancel(4), 2);
  });

  it('drops the unfilled remainder of an IOC order', () => {
    const { e, rec } = setup();
    e.add(1, -1, 10_000, 2, 'GTC', false);
    e.add(2, -1, 10_200, 5, 'GTC', false);
    assert.equal(e.add(3, 1, 10_100, 6, 'IOC', true), 0);
    assert.equal(rec.matches.length, 1);
    assert.equal(rec.matches[0].takerLeaves, 4);
    assert.equal(e.has(3), false);
    assert.equal(e.bestBid(), 0);
    assert.deepEqual(depthOf(e).asks, [[10_200, 5]]);
  });

  it('sweeps levels with a market order and stops when the side is empty', () => {
    const { e, rec } = setup();
    e.add(1, 1, 10_000, 2, 'GTC', false);
    e.add(2, 1, 9_900, 3, 'GTC', true);
    e.add(3, 1, 9_800, 4, 'GTC', false);
    assert.equal(e.market(-1, 4), 4);
    assert.deepEqual(
      rec.matches.map((m) => [m.maker, m.taker, m.price, m.qty, m.makerOwn, m.aggressor]),
      [
        [1, MARKET_TAKER_ID, 10_000, 2, false, -1],
        [2, MARKET_TAKER_ID, 9_900, 2, true, -1],
      ],
    );
    assert.deepEqual(depthOf(e).bids, [
      [9_900, 1],
      [9_800, 4],
    ]);
    assert.equal(e.market(-1, 100), 5);
    assert.equal(e.bestBid(), 0);
    assert.equal(e.levelCount(1), 0);
    assert.equal(e.orderCount, 0);
  });

  it('cancels resting orders and returns 0 for unknown or filled ones', () => {
    const { e } = setup();
    e.add(1, 1, 10_000, 5, 'GTC', false);
    e.add(2, 1, 10_000, 3, 'GTC', false);
    e.add(3, -1, 10_100, 1, 'GTC', false);
    e.market(-1, 2);
    assert.equal(e.cancel(1), 3, 'partially filled order cancels its remainder');
    assert.equal(e.cancel(1), 0, 'second cancel finds nothing');
    assert.equal(e.cancel(99), 0, 'unknown id');
    e.market(1, 1);
    assert.equal(e.cancel(3), 0, 'filled order');
    assert.deepEqual(depthOf(e).bids, [[10_000, 3]]);
    assert.equal(e.cancel(2), 3);
    assert.equal(e.levelCount(1), 0);
  });

  it('reports aggregated depth, zero past the last level', () => {
    const { e } = setup();
    e.add(1, 1, 10_000, 1, 'GTC', false);
    e.add(2, 1, 10_000, 2, 'GTC', true);
    e.add(3, 1, 9_800, 4, 'GTC', false);
    e.add(4, -1, 10_300, 5, 'GTC', false);
    e.add(5, 1, 9_900, 6, 'GTC', false);
    const d = depthOf(e, 3);
    assert.equal(d.filled, 3);
    assert.deepEqual(d.bids, [
      [10_000, 3],
      [9_900, 6],
      [9_800, 4],
    ]);
    assert.deepEqual(d.asks, [[10_300, 5]]);
    const ap = new Float64Array(3).fill(7);
    const aq = new Float64Array(3).fill(7);
    e.depth(3, new Float64Array(3), new Float64Array(3), ap, aq);
    assert.deepEqual([...ap], [10_300, 0, 0]);
    assert.deepEqual([...aq], [5, 0, 0]);
    assert.equal(e.backgroundQty(1), 11);
  });

  it('tracks the queue ahead of an own order', () => {
    const { e } = setup();
    e.add(1, -1, 10_000, 4, 'GTC', false);
    e.add(2, -1, 10_000, 3, 'GTC', false);
    e.add(3, -1, 10_000, 2, 'GTC', true);
    e.add(4, -1, 10_000, 9, 'GTC', false);
    assert.equal(e.queueAhead(3), 7);
    e.market(1, 2);
    assert.equal(e.queueAhead(3), 5);
    e.cancel(2);
    assert.equal(e.queueAhead(3), 2);
    assert.equal(e.queueAhead(4), 4);
    assert.equal(e.queueAhead(42), -1);
  });

  it('finds background orders by quantity offset, skipping own orders', () => {
    const { e } = setup();
    e.add(1, 1, 10_000, 2, 'GTC', false);
    e.add(2, 1, 10_000, 5, 'GTC', true);
    e.add(3, 1, 10_000, 3, 'GTC', false);
    e.add(4, 1, 9_900, 1, 'GTC', false);
    const ids = [0, 1, 2, 3, 4, 5, 6].map((k) => e.backgroundOrderAt(1, k));
    assert.deepEqual(ids, [1, 1, 3, 3, 3, 4, 0]);
  });

  it('throws on a reused id or a non-positive quantity', () => {
    const { e } = setup();
    e.add(1, 1, 10_000, 1, 'GTC', false);
    assert.throws(() => e.add(1, 1, 9_900, 1, 'GTC', false), /in use/);
    assert.throws(() => e.add(2, 1, 9_900, 0, 'GTC', false), /bad order/);
    assert.throws(() => e.market(1, -1), /bad market/);
    const a = e.nextOrderId();
    assert.equal(e.nextOrderId(), a + 1);
  });

  it('agrees with a naive reference book over 20k random operations', () => {
    const { e, rec } = setup();
    const ref = new ReferenceBook();
    const rng = new Rng(7);
    let nextId = 1;
    const issued: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      rec.matches.length = 0;
      ref.matches.length = 0;
      const u = rng.next();
      const side: Side = rng.next() < 0.5 ? 1 : -1;
      const qty = rng.int(1, 5);
      const price = rng.int(95, 105);
      if (u < 0.65) {
        const tif: TimeInForce = u < 0.5 ? 'GTC' : 'IOC';
        const id = nextId++;
        issued.push(id);
        const own = rng.next() < 0.2;
        assert.equal(e.add(id, side, price, qty, tif, own), ref.add(id, side, price, qty, tif, own));
      } else if (u < 0.8) {
        assert.equal(e.market(side, qty), ref.market(side, qty));
      } else {
        const id = issued[rng.int(0, issued.length - 1)] ?? 0;
        assert.equal(e.cancel(id), ref.cancel(id));
      }
      assert.deepEqual(rec.matches, ref.matches, `matches at step ${step}`);
      assert.deepEqual(depthOf(e, 20), ref.depth(20), `depth at step ${step}`);
      const probe = issued[rng.int(0, issued.length - 1)] ?? 0;
      assert.equal(e.queueAhead(probe), ref.queueAhead(probe), `queue ahead at step ${step}`);
      assert.equal(e.backgroundQty(1), ref.backgroundQty(1));
      const bb = e.bestBid();
      const ba = e.bestAsk();
      assert.ok(bb === 0 || ba === 0 || bb < ba, `crossed at step ${step}`);
    }
    assert.ok(ref.orders.length > 0);
  });
});

interface RefOrder {
  id: number;
  side: Side;
  price: number;
  qty: number;
  own: boolean;
  seq: number;
}

/** Obviously-correct O(n) book: scans all orders for the best maker on every fill. */
class ReferenceBook {
  orders: RefOrder[] = [];
  matches: Match[] = [];
  private seq = 0;

  add(id: number, side: Side, price: number, qty: number, tif: TimeInForce, own: boolean): number {
    const left = this.match(id, side, price, qty, own);
    if (left === 0 || tif === 'IOC') return 0;
    this.orders.push({ id, side, price, qty: left, own, seq: this.seq++ });
    return left;
  }

  market(side: Side, qty: number): number {
    return qty - this.match(MARKET_TAKER_ID, side, side === 1 ? Number.POSITIVE_INFINITY : 0, qty, false);
  }

  cancel(id: number): number {
    const i = this.orders.findIndex((o) => o.id === id);
    if (i < 0) return 0;
    return this.orders.splice(i, 1)[0].qty;
  }

  queueAhead(id: number): number {
    const o = this.orders.find((x) => x.id === id);
    if (o === undefined) return -1;
    return this.orders
      .filter((x) => x.side === o.side && x.price === o.price && x.seq < o.seq)
      .reduce((s, x) => s + x.qty, 0);
  }

  backgroundQty(side: Side): number {
    return this.orders.filter((o) => o.side === side && !o.own).reduce((s, o) => s + o.qty, 0);
  }

  depth(n: number): { bids: number[][]; asks: number[][]; filled: number } {
    const agg = (side: Side): number[][] => {
      const m = new Map<number, number>();
      for (const o of this.orders) if (o.side === side) m.set(o.price, (m.get(o.price) ?? 0) + o.qty);
      return [...m.entries()].sort((a, b) => side * (b[0] - a[0])).slice(0, n);
    };
    const bids = agg(1);
    const asks = agg(-1);
    return { bids, asks, filled: Math.max(bids.length, asks.length) };
  }

  private match(takerId: number, side: Side, limit: number, qty: number, takerOwn: boolean): number {
    while (qty > 0) {
      let best: RefOrder | undefined;
      for (const o of this.orders) {
        if (o.side === side) continue;
        if (side === 1 ? o.price > limit : o.price < limit) continue;
        if (
          best === undefined ||
          (side === 1 ? o.price < best.price : o.price > best.price) ||
          (o.price === best.price && o.seq < best.seq)
        ) {
          best = o;
        }
      }
      if (best === undefined) break;
      const fill = Math.min(best.qty, qty);
      best.qty -= fill;
      qty -= fill;
      if (best.qty === 0) this.orders.splice(this.orders.indexOf(best), 1);
      this.matches.push({
        maker: best.id,
        taker: takerId,
        price: best.price,
        qty: fill,
        makerOwn: best.own,
        takerOwn,
        aggressor: side,
        makerLeaves: best.qty,
        takerLeaves: qty,
      });
    }
    return qty;
  }
}

describe('MatchingEngine post-only', () => {
  it('a crossing POST_ONLY order is not entered and matches nothing; a passive one rests', () => {
    const rec = recorder();
    const e = new MatchingEngine(TXF, rec);
    e.add(e.nextOrderId(), -1, 2_000_100, 3, 'GTC', false);
    e.add(e.nextOrderId(), 1, 2_000_000, 3, 'GTC', false);
    assert.equal(e.wouldCross(1, 2_000_100), true);
    assert.equal(e.wouldCross(1, 2_000_000), false);
    assert.equal(e.wouldCross(-1, 2_000_000), true);
    assert.equal(e.add(e.nextOrderId(), 1, 2_000_200, 2, 'POST_ONLY', true), 0);
    assert.deepEqual(rec.matches, []);
    assert.equal(e.bestAskQty(), 3);
    assert.equal(e.add(e.nextOrderId(), 1, 2_000_000, 2, 'POST_ONLY', true), 2);
    assert.equal(e.bestBidQty(), 5);
  });
});
