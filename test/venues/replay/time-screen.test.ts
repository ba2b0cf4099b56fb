import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MdKind } from '../../../src/contracts/market.ts';
import { UserError } from '../../../src/core/errors.ts';
import { EventColumnsBuilder } from '../../../src/venues/replay/event-columns.ts';
import { Rejects } from '../../../src/venues/replay/replay-data.ts';
import { screenTimes } from '../../../src/venues/replay/time-screen.ts';

const T0 = Date.UTC(2026, 3, 8, 1) * 1e6;
const MS = 1e6;
const YEAR = 365 * 86_400e9;

/** One Trade message per time (ns); receive = exchange time unless `local` gives it. */
function cols(times: number[], local?: number[]) {
  const b = new EventColumnsBuilder(times.length);
  times.forEach((t, i) => {
    b.push(MdKind.Trade, 1, t, local?.[i] ?? t, 100, 1);
    b.endMessage();
  });
  return b.finish();
}

/** Every 10 ms from T0. */
const steady = (n: number) => Array.from({ length: n }, (_, i) => T0 + i * 10 * MS);

describe('time screen', () => {
  test('a receive time of 0 is dropped and counted, the rest kept', () => {
    const t = steady(100);
    const local = [...t];
    local[40] = 0;
    const rejects = new Rejects();
    const { columns, report } = screenTimes(cols(t, local), 'f.gz', rejects);
    assert.equal(columns.n, 99);
    assert.equal(report.dropped, 1);
    assert.deepEqual(rejects.byReason, { 'receive time outlier': 1 });
    assert.match(rejects.examples[0], /^event 40 \(1970-01-01T00:00:00\.000Z\): receive time outlier$/);
    assert.ok(!columns.localTs.includes(0));
  });

  test('an excursion years ahead (a flipped high byte) and back is dropped: isolated or a short run', () => {
    for (const run of [1, 3, 64]) {
      const t = steady(300);
      for (let k = 0; k < run; k++) t[100 + k] += 4 * YEAR;
      const { columns, report } = screenTimes(cols(t), 'x.parquet', new Rejects());
      assert.equal(report.dropped, run, `run of ${run}`);
      assert.equal(columns.n, 300 - run);
      assert.ok(Math.max(...columns.exchTs) < T0 + 3 * 1e9 + 1, `run of ${run}`);
    }
  });

  test('an excursion minutes back (a flipped middle byte) is dropped too; steps under a second are kept', () => {
    const t = steady(200);
    t[50] -= 18 * 60e9;
    t[120] -= 150 * MS; // interleaved streams step back a little: kept, reported
    const { columns, report } = screenTimes(cols(t), 'x', new Rejects());
    assert.equal(report.dropped, 1);
    assert.equal(columns.n, 199);
    assert.equal(report.backSteps, 1);
    assert.ok(Math.abs(report.maxBackStepNs - 140 * MS) <= 512, `${report.maxBackStepNs}`); // float64 ns: 256 ns steps
  });

  test('a session gap is kept, however long: time does not come back', () => {
    const day = steady(500);
    const night = steady(500).map((x) => x + 6.25 * 3600e9);
    const months = steady(100).map((x) => x + 240 * 86_400e9);
    const { columns, report } = screenTimes(cols([...day, ...night, ...months]), 'x', new Rejects());
    assert.equal(columns.n, 1100);
    assert.equal(report.dropped, 0);
    assert.equal(report.longGaps, 2);
  });

  test('sparse quiet data (minutes between events) is kept', () => {
    const t = [0, 8.4, 13.6, 30.2, 32.4, 38.5, 42.8, 43, 43.1].map((m) => T0 + m * 60e9);
    assert.equal(screenTimes(cols(t), 'x', new Rejects()).report.dropped, 0);
  });

  test('a lone first or last event a year away is dropped (nothing to come back to)', () => {
    const t = steady(200);
    t[0] -= YEAR;
    t[199] += YEAR;
    const { columns, report } = screenTimes(cols(t), 'x', new Rejects());
    assert.equal(report.dropped, 2);
    assert.equal(columns.exchTs[0], T0 + 10 * MS);
    assert.equal(columns.exchTs[columns.n - 1], T0 + 198 * 10 * MS);
  });

  test('a first event in the future (time then goes back and stays) is dropped', () => {
    const t = steady(200);
    t[0] += 2 * 3600e9;
    const { columns, report } = screenTimes(cols(t), 'x', new Rejects());
    assert.equal(report.dropped, 1);
    assert.equal(columns.exchTs[0], T0 + 10 * MS);
  });

  test('time that goes back far and stays is refused, naming the source and event', () => {
    const t = [...steady(200), ...steady(200).map((x) => x - 3600e9)];
    assert.throws(
      () => screenTimes(cols(t), 'two-days.parquet', new Rejects()),
      (e: unknown) =>
        e instanceof UserError &&
        /^two-days\.parquet: receive time goes back 1\.0 h at event 200 \(2026-04-08T00:00:00\.000Z after 2026-04-08T01:00:01\.990Z\) and stays there/.test(
          e.message,
        ),
    );
  });

  test('message ends survive: a dropped last event passes the flag to the event before it', () => {
    const b = new EventColumnsBuilder(8);
    for (let i = 0; i < 100; i++) {
      b.push(MdKind.Level, 1, T0 + i * MS, T0 + i * MS, 100, 1);
      b.push(MdKind.Level, 1, T0 + i * MS, i === 50 ? 0 : T0 + i * MS, 101, 1);
      b.endMessage();
    }
    const { columns } = screenTimes(b.finish(), 'x', new Rejects());
    assert.equal(columns.n, 199);
    let ends = 0;
    for (let i = 0; i < columns.n; i++) ends += columns.flags[i] & 1;
    assert.equal(ends, 100);
  });
});
