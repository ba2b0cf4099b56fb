import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BusSlot } from '../../src/bus/event-bus.ts';
import { type DepthEvent, type LobStats, MdKind } from '../../src/contracts/market.ts';
import { LatencyHistogram } from '../../src/core/histogram.ts';
import { createLogger } from '../../src/core/logger.ts';
import { buildPipeline } from '../../src/gateway/build.ts';
import { LobEngine } from '../../src/lob/lob-engine.ts';
import { RiskEngine } from '../../src/risk/risk-engine.ts';
import { StrategyRunner } from '../../src/strategy/runner.ts';
import { Strategy, type StrategyContext } from '../../src/strategy/sdk.ts';
import { harness } from '../execution/harness.ts';
import { GATEWAY_DEFAULTS } from '../gateway/harness.ts';

const LIMITS = {
  maxOrderQty: 5,
  maxPosition: 10,
  priceBandTicks: 50,
  maxNotional: 0,
  maxOpenOrders: 0,
  maxOrdersPerS: 0,
  selfTradePrevention: true,
  duplicateWindowNs: 0,
};

function setup(maxErrors = 3) {
  const h = harness({ globalPerS: 0, symbolPerS: 0 });
  const lob = new LobEngine(h.symbols.length);
  const risk = new RiskEngine(h.symbols, LIMITS, {
    position: (s, sym) => h.positions.get(s, sym).qty,
    openQty: (s, sym, side) => h.orders.openQty(s, sym, side),
    openCount: (s, sym) => h.orders.openCountOf(s, sym),
    ownBest: (sym, side) => h.orders.ownBest(sym, side),
    reference: () => 33_000_50,
    order: (id) => {
      const o = h.orders.get(id);
      return o !== undefined && (o.status === 'working' || o.status === 'pending_new') ? o : undefined;
    },
  });
  const runner = new StrategyRunner({
    scheduler: h.scheduler,
    symbols: h.symbols,
    lob,
    risk,
    orders: h.orders,
    gateway: buildPipeline(GATEWAY_DEFAULTS, h.symbols, h.clock, risk, h.orders, h.positions),
    positions: h.positions,
    log: createLogger('silent'),
    intentLatency: new LatencyHistogram(),
    maxErrors,
  });
  h.router.listen((r) => runner.onReport(r));
  const ev = { kind: MdKind.Depth, symbolId: 0 } as DepthEvent;
  const stats = { symbolId: 0, bestBid: 33_000_00, bestAsk: 33_001_00, mid: 33_000_50 } as LobStats;
  const slot: BusSlot = { event: ev, stats };
  let started = false;
  const book = () => {
    if (!started) runner.start();
    started = true;
    runner.onSlot(slot);
  };
  return { h, risk, runner, book, slot };
}

/** Places a bid on its first book update, then throws on every one after. */
class Thrower extends Strategy {
  books = 0;
  override onBook(ctx: StrategyContext): void {
    if (this.books++ === 0) ctx.place(0, 1, 33_000_00, 1);
    else throw new Error('bug in strategy');
  }
}

class Counter extends Strategy {
  books = 0;
  override onBook(): void {
    this.books++;
  }
}

test('a strategy that throws is isolated: counted, disabled after strategy.max_errors, its orders cancelled', () => {
  const { h, runner, book } = setup(3);
  const bad = new Thrower('bad', [h.symbols[0]], {});
  const good = new Counter('good', [h.symbols[0]], {});
  runner.add(bad);
  runner.add(good);
  for (let i = 0; i < 10; i++) book();
  assert.equal(bad.books, 4, 'called until the 3rd error disabled it');
  assert.equal(good.books, 10, 'the others keep going');
  assert.equal(runner.counters.errors, 3);
  assert.equal(runner.isEnabled('bad'), false);
  assert.deepEqual(h.venue.cancels, [1], "the disabled strategy's bid is cancelled");
  assert.deepEqual(runner.status(), [
    { id: 'bad', enabled: false, errors: 3 },
    { id: 'good', enabled: true, errors: 0 },
  ]);
  h.exec({ type: 'canceled', orderId: 1 });
  assert.equal(h.orders.openCount, 0);
});

test('no market data reaches a strategy before start() (a live account is still being read) or after stop()', () => {
  const { h, runner, slot } = setup();
  const c = new Counter('c', [h.symbols[0]], {});
  runner.add(c);
  runner.onSlot(slot);
  assert.equal(c.books, 0, 'before start');
  runner.start();
  runner.onSlot(slot);
  assert.equal(c.books, 1);
  runner.stop();
  runner.onSlot(slot);
  assert.equal(c.books, 1, 'after stop');
});

test('place, replace and cancel through the context go through risk and the order adapter', () => {
  const { h, risk, runner } = setup();
  let ctx!: StrategyContext;
  const s = new (class extends Strategy {
    override onStart(c: StrategyContext): void {
      ctx = c;
    }
  })('s', [h.symbols[0]], {});
  runner.add(s);
  runner.start();
  const id = ctx.place(0, 1, 33_000_00, 1);
  assert.equal(id, 1);
  h.exec({ type: 'ack', orderId: id, leavesQty: 1 });
  const moved = ctx.replace(id, 32_999_00, 2);
  assert.equal(moved, 2);
  assert.equal(h.orders.get(id)?.status, 'pending_cancel');
  assert.deepEqual(
    h.venue.submits.map((c) => [c.orderId, c.intent.price, c.intent.qty]),
    [
      [1, 33_000_00, 1],
      [2, 32_999_00, 2],
    ],
  );
  assert.equal(ctx.replace(id, 32_998_00, 1), 0, 'the old order is being cancelled');
  assert.equal(ctx.replace(99, 32_998_00, 1), 0);
  assert.equal(risk.counters.byReason.UNKNOWN_ORDER, 2);
  assert.equal(ctx.place(0, -1, 32_999_00, 1), 0, 'would cross our own bid');
  assert.equal(risk.counters.byReason.SELF_TRADE, 1);
  assert.equal(ctx.place(0, 1, 33_000_00, 6), 0);
  assert.equal(ctx.cancel(moved), true);
  assert.equal(ctx.cancel(moved), false, 'already pending');
  h.orders.halted = true;
  risk.halted = false;
  assert.equal(ctx.place(0, 1, 32_990_00, 1), 0);
  assert.equal(runner.counters.adapterRejected, 1);
  assert.equal(runner.counters.intents, 7);
  assert.equal(runner.counters.rejected, 4);
});
