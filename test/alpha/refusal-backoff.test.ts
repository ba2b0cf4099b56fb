/**
 * An alpha strategy whose order risk keeps refusing does not ask again every min_interval_ms all
 * day: the wait doubles per refusal of the same order up to MAX_RETRY_MS, and a changed target or
 * an accepted order brings it back to min_interval_ms.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AlphaStrategy, alphaStrategyFor, MAX_RETRY_MS } from '../../src/alpha/alpha-strategy.ts';
import { Alpha, type AlphaEvent } from '../../src/alpha/sdk.ts';
import { SYNTHETIC_SYMBOL } from '../../src/alpha/testing.ts';
import type { SymbolSpec } from '../../src/contracts/symbols.ts';
import { NS_PER_MS } from '../../src/core/clock.ts';
import type { OrderBook } from '../../src/lob/order-book.ts';
import type { StrategyClass } from '../../src/strategy/sdk.ts';
import { build, FakeContext, T0 } from '../strategies/fake-context.ts';

/** The signal the test sets. */
let signal = 1;
class Constant extends Alpha {
  static override readonly manifest = { alpha_id: 'constant', hypothesis: 'test', formula: 'a constant' };
  update(_ev: Readonly<AlphaEvent>): number {
    return signal;
  }
  reset(): void {}
}

class Ctx extends FakeContext {
  override book(_symbolId: number): OrderBook {
    return {} as OrderBook;
  }
}

test('refused orders are retried with a doubling wait; a new target or an accepted order resets it', () => {
  const cls = alphaStrategyFor({ id: 'constant', cls: Constant }) as StrategyClass &
    (new (
      id: string,
      s: readonly SymbolSpec[],
      p: never,
    ) => AlphaStrategy);
  const s = build(cls, 'a', [SYNTHETIC_SYMBOL], { max_position: 2, min_interval_ms: 250 });
  const ctx = new Ctx([SYNTHETIC_SYMBOL]);
  s.onStart(ctx);
  ctx.refuse = true;
  signal = 1;
  const places = () => ctx.actions.filter((a) => a.startsWith('place')).length;
  const tick = (ms: number) => {
    ctx.t = T0 + ms * NS_PER_MS;
    s.onBook(ctx, ctx.setBook(0, 10_000, 10_100));
  };
  // One book change every 10 ms for 10 minutes of a refusing risk limit.
  const sendTimes: number[] = [];
  for (let ms = 0; ms <= 600_000; ms += 10) {
    const before = places();
    tick(ms);
    if (places() > before) sendTimes.push(ms);
  }
  // Every 250 ms would be 2,401 orders; doubling from 250 ms up to 60 s: 250, 500, ... then every 60 s.
  const gaps = sendTimes.slice(1).map((t, i) => t - sendTimes[i]);
  assert.deepEqual(gaps.slice(0, 8), [500, 1000, 2000, 4000, 8000, 16000, 32000, 60000]);
  assert.ok(gaps.every((g) => g <= MAX_RETRY_MS));
  assert.ok(sendTimes.length < 20, `${sendTimes.length} orders`);
  assert.equal(s.monitor.refused, sendTimes.length);
  assert.equal(s.monitor.intents, sendTimes.length);

  // The target flips: asked at once (after min_interval_ms), not after the long wait.
  const last = sendTimes[sendTimes.length - 1];
  signal = -1;
  const t1 = last + 300;
  tick(t1);
  assert.equal(places(), sendTimes.length + 1);
  assert.match(ctx.actions[ctx.actions.length - 1], /^place sell 2@10000 IOC$/);

  // Risk accepts again: the next refusal waits min_interval_ms again, not the grown wait.
  ctx.refuse = false;
  tick(t1 + 500);
  assert.equal(places(), sendTimes.length + 2, 'the second sell waits 500 ms (second refusal), then goes');
  const id = [...ctx.orders.keys()].pop()!;
  ctx.orders.get(id)!.status = 'canceled';
  ctx.refuse = true;
  tick(t1 + 800);
  assert.equal(places(), sendTimes.length + 3);
  tick(t1 + 1100);
  assert.equal(places(), sendTimes.length + 3, 'refused once: waits 500 ms');
  tick(t1 + 1300);
  assert.equal(places(), sendTimes.length + 4);
});
