import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../src/core/errors.ts';
import { parseLatencyCsv } from '../../../src/venues/sim/latency-model.ts';

const CSV = `ts,order_latency_ns,response_latency_ns
1000,100,1000
2000,300,1000

3000,300,4000
`;

test('empirical latency interpolates linearly by time and holds flat outside the recording', () => {
  const m = parseLatencyCsv(CSV, 'lat.csv');
  assert.equal(m.orderLatencyNs(0), 100);
  assert.equal(m.orderLatencyNs(1000), 100);
  assert.equal(m.orderLatencyNs(1500), 200);
  assert.equal(m.orderLatencyNs(2500), 300);
  assert.equal(m.responseLatencyNs(2750), 3250);
  // Going back in time (the cursor moves both ways).
  assert.equal(m.orderLatencyNs(1250), 150);
  assert.equal(m.responseLatencyNs(9999), 4000);
});

test('a bad latency file is a clear error naming the file and line', () => {
  assert.throws(
    () => parseLatencyCsv('1,2\n', 'a.csv'),
    (e: Error) => e instanceof UserError && /a\.csv:1:/.test(e.message),
  );
  assert.throws(() => parseLatencyCsv('1,2,x\n', 'b.csv'), /b\.csv:1: expected/);
  assert.throws(() => parseLatencyCsv('ts,o,r\n', 'c.csv'), /c\.csv: no latency rows/);
  assert.throws(() => parseLatencyCsv('2,1,1\n1,1,1\n', 'd.csv'), /d\.csv: .*increasing/);
  assert.throws(() => parseLatencyCsv('1,-5,1\n', 'e.csv'), /e\.csv: .*>= 0/);
});
