import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ProbQueue,
  QUEUE_FUNCS,
  type QueuePos,
  RiskAverseQueue,
} from '../../../src/venues/sim/queue-model.ts';

const pos = (): QueuePos => ({ ahead: 0, traded: 0 });

test('probability functions: the further back the order, the likelier a decrease is ahead of it', () => {
  for (const [name, make] of Object.entries(QUEUE_FUNCS)) {
    const p = make(2);
    const nearFront = p(1, 9);
    const nearBack = p(9, 1);
    assert.ok(nearFront > nearBack, `${name}: p(behind) front ${nearFront} vs back ${nearBack}`);
    assert.ok(nearFront <= 1 && nearBack >= 0, name);
  }
  assert.equal(QUEUE_FUNCS.power(3)(5, 4), 64 / 189);
  assert.equal(QUEUE_FUNCS.power3(2)(1, 1), 0.75);
});

test('risk-averse: only trades advance; decreases clamp to the level', () => {
  const m = new RiskAverseQueue();
  const q = pos();
  m.join(q, 10);
  m.depth(q, 10, 6);
  assert.equal(q.ahead, 6);
  m.depth(q, 6, 20);
  m.depth(q, 20, 12);
  assert.equal(q.ahead, 6);
  m.trade(q, 8);
  assert.equal(q.ahead, -2);
});

test('prob: an increase is behind the order; a decrease is split by the function', () => {
  const m = new ProbQueue('power2', 1);
  const q = pos();
  m.join(q, 4);
  m.depth(q, 4, 8); // 4 join behind
  assert.equal(q.ahead, 4);
  m.depth(q, 8, 6); // p(behind) = back / (back + front) = 1/2
  assert.equal(q.ahead, 3);
  m.depth(q, 6, 1); // front 3, back 3: half of the 5 is ahead
  assert.equal(q.ahead, 0.5);
  m.depth(q, 1, 0); // the level empties: front of the queue, not filled
  assert.equal(q.ahead, 0);
  assert.throws(() => new ProbQueue('cubic' as never), /unknown queue function 'cubic'/);
});
