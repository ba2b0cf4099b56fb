import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimClock } from '../../src/core/clock.ts';
import { LatencyStages, Stage } from '../../src/observability/latency-stages.ts';
import { timeMethod } from '../../src/observability/time-method.ts';

test('a timed method gets both of its arguments (the order adapter takes the client order id second)', () => {
  const target = {
    send(it: { id: number }, orderId = 0): number {
      return orderId !== 0 ? orderId : it.id;
    },
  };
  const stages = new LatencyStages(new SimClock(0), 1);
  timeMethod(target, 'send', stages, Stage.Order);
  // Before the fix the wrapper passed one argument: the gateway's client order id was dropped.
  assert.equal(target.send({ id: 7 }, 2 ** 32 + 1), 2 ** 32 + 1);
  assert.equal(target.send({ id: 7 }), 7);
});
