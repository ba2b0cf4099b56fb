import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Epoch } from '../../../src/core/clock.ts';
import {
  eventCode,
  futuresCode,
  isContinuous,
  parseFuturesCode,
  resolveContract,
} from '../../../src/venues/shioaji/contracts.ts';
import { QuoteDecoder, taipeiDateTime } from '../../../src/venues/shioaji/quotes.ts';
import { ShioajiLimits, SlidingWindow } from '../../../src/venues/shioaji/rate-limit.ts';
import { SseParser } from '../../../src/venues/shioaji/sse.ts';

test('SSE: both field spellings, CRLF, comments, multi-line data, chunks split anywhere (UTF-8 too)', () => {
  const text =
    ': comment\r\nevent: tick_fop\r\ndata: {"a":1}\r\n\r\nevent:heartbeat\ndata:{"b":"操作"}\n\nevent: x\ndata: l1\ndata: l2\n\n';
  const bytes = new TextEncoder().encode(text);
  for (const step of [1, 2, 3, 7, bytes.length]) {
    const got: [string, string][] = [];
    const p = new SseParser((e, d) => got.push([e, d]));
    for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
    assert.deepEqual(
      got,
      [
        ['tick_fop', '{"a":1}'],
        ['heartbeat', '{"b":"操作"}'],
        ['x', 'l1\nl2'],
      ],
      `chunk size ${step}`,
    );
  }
});

test('SSE: a partial message is dropped by reset (the connection it came from is gone)', () => {
  const got: string[] = [];
  const p = new SseParser((e) => got.push(e));
  p.push(new TextEncoder().encode('event: a\ndata: 1\n'));
  p.reset();
  p.push(new TextEncoder().encode('event: b\ndata: 2\n\n'));
  assert.deepEqual(got, ['b']);
});

test('futures codes: month letters both ways, continuous aliases, deal codes', () => {
  assert.equal(futuresCode('TXF', '202604'), 'TXFD6');
  assert.equal(futuresCode('TXF', '202606'), 'TXFF6');
  assert.equal(futuresCode('MXF', '202612'), 'MXFL6');
  assert.deepEqual(parseFuturesCode('TXFD6'), { root: 'TXF', month: 4, yearDigit: 6 });
  assert.equal(parseFuturesCode('2330'), null);
  assert.ok(isContinuous('TXFR1') && isContinuous('TMFR2') && !isContinuous('TXFD6'));
  assert.equal(eventCode({ code: 'TXF', full_code: 'TXFL5' }), 'TXFL5');
  assert.equal(eventCode({ code: 'TXF', delivery_month: '202604' }), 'TXFD6');
  assert.equal(eventCode({ code: '2330' }), '2330');
  assert.throws(() => futuresCode('TXF', '202613'));
});

test('a continuous alias resolves to its target; a target other than the configured month is refused', () => {
  const req = {
    symbolId: 0,
    code: 'TXFD6',
    venueCode: 'TXFR1',
    targetCode: null,
    securityType: 'FUT' as const,
    exchange: 'TAIFEX' as const,
    lot: 1,
  };
  const c = resolveContract(req, {
    security_type: 'FUT',
    exchange: 'TAIFEX',
    code: 'TXFR1',
    target_code: 'TXFD6',
  });
  assert.equal(c.concreteCode, 'TXFD6');
  assert.equal(c.targetCode, 'TXFD6');
  assert.throws(
    () =>
      resolveContract(req, { security_type: 'FUT', exchange: 'TAIFEX', code: 'TXFR1', target_code: 'TXFE6' }),
    /TXFR1 is TXFE6 today/,
  );
  assert.throws(
    () => resolveContract(req, { security_type: 'FUT', exchange: 'TAIFEX', code: 'TXFR1' }),
    /no target_code/,
  );
});

test('quotes: Taipei date/time to exchange ns exactly, decimal strings, stock lots to shares, simtrade skipped', () => {
  const epoch = Epoch.midnightBeforeMs(Date.UTC(2026, 3, 8));
  const d = new QuoteDecoder(epoch);
  d.add('TXFD6', 'TXFD6', 1);
  d.add('2330', '2330', 1000);
  const abs = BigInt(Date.UTC(2026, 3, 8, 1, 2, 3)) * 1_000_000n + 456_789_000n;
  const { date, time } = taipeiDateTime(abs);
  assert.deepEqual({ date, time }, { date: '2026-04-08', time: '09:02:03.456789' });
  const q = d.bidask({
    code: 'TXFD6',
    date,
    time,
    bid_price: ['33438', '33437'],
    bid_volume: [3, 4],
    ask_price: ['33439', '33440'],
    ask_volume: [1, 2],
  });
  assert.ok(q !== null);
  assert.equal(epoch.toAbs(q.ts), abs);
  assert.deepEqual(q.bidPrice, [33438, 33437, 0, 0, 0]);
  assert.deepEqual(q.askVolume, [1, 2, 0, 0, 0]);
  const t = d.tick({ code: '2330', date, time, close: '1085.5', volume: 2, vol_sum: 10, tick_type: 2 });
  assert.ok(t !== null);
  assert.equal(t.close, 1085.5);
  assert.equal(t.volume, 2000, 'board lots become shares');
  assert.equal(t.tickType, 2);
  const odd = d.tick({
    code: '2330',
    date,
    time,
    close: '1085',
    volume: 37,
    tick_type: 1,
    intraday_odd: true,
  });
  assert.equal(odd?.volume, 37, 'odd-lot volumes are shares');
  assert.equal(QuoteDecoder.totalVolume({ vol_sum: 10 }), 10);
  assert.equal(QuoteDecoder.totalVolume({ total_volume: 11 }), 11);
  assert.equal(d.tick({ code: 'TXFD6', date, time, close: '1', volume: 1, simtrade: true }), null);
  assert.equal(d.tick({ code: 'MXFD6', date, time, close: '1', volume: 1 }), null);
  assert.equal(d.tick({ code: 'TXFD6', date: 'x', time, close: '1', volume: 1 }), null);
  assert.deepEqual(d.counters, { bidask: 1, tick: 2, simtrade: 1, unknownCode: 1, malformed: 1 });
});

test('sliding window: never more than the budget in any window; waits say when the next slot frees', () => {
  const w = new SlidingWindow(3, 1000);
  assert.ok(w.tryTake(0) && w.tryTake(10) && w.tryTake(20));
  assert.equal(w.tryTake(500), false);
  assert.equal(w.waitMs(500), 500);
  assert.equal(w.tryTake(999), false);
  assert.equal(w.tryTake(1000), true);
  assert.equal(w.tryTake(1009), false);
  assert.equal(w.tryTake(1010), true);
  assert.equal(w.inWindow(1010), 3);
  assert.equal(w.refused, 3);
});

test('limits: 90% of each broker budget by default; a ban refuses every category for a minute', () => {
  const l = new ShioajiLimits();
  assert.equal(l.windows.orders.budget, 225);
  assert.equal(l.windows.data.budget, 45);
  assert.equal(l.windows.portfolio.budget, 22);
  l.ban(1000);
  assert.equal(l.tryTake('portfolio', 30_000), false);
  assert.equal(l.waitMs('orders', 31_000), 30_000);
  assert.equal(l.tryTake('orders', 61_000), true);
});
