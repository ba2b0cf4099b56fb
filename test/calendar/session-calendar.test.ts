import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auctionWindows, calendarFor, phaseAt, TAIFEX, TWSE } from '../../src/calendar/session-calendar.ts';

/** ms of a Taipei local time (UTC+8). 2026-04-08 is a Wednesday, 04-10 a Friday. */
const taipei = (iso: string) => Date.parse(`${iso}+08:00`);
const phase = (cal: typeof TAIFEX, iso: string) => phaseAt(cal, taipei(iso)).phase;

test('TAIFEX: regular session with its pre-open, after-hours session past midnight with its pre-open', () => {
  const cases: [string, string][] = [
    ['2026-04-08T08:29:59', 'closed'],
    ['2026-04-08T08:30:00', 'pre_open'],
    ['2026-04-08T08:44:59.999', 'pre_open'],
    ['2026-04-08T08:45:00', 'open'],
    ['2026-04-08T13:44:59', 'open'],
    ['2026-04-08T13:45:00', 'closed'],
    ['2026-04-08T14:49:59', 'closed'],
    ['2026-04-08T14:50:00', 'pre_open'],
    ['2026-04-08T15:00:00', 'open'],
    ['2026-04-08T23:59:59', 'open'],
    ['2026-04-09T04:59:59', 'open'],
    ['2026-04-09T05:00:00', 'closed'],
  ];
  for (const [t, want] of cases) assert.equal(phase(TAIFEX, t), want, t);
  assert.equal(phaseAt(TAIFEX, taipei('2026-04-09T02:00:00')).session?.name, 'after-hours');
});

test('TAIFEX week: Friday night runs into Saturday; nothing starts on Saturday or Sunday', () => {
  assert.equal(phase(TAIFEX, '2026-04-11T02:00:00'), 'open'); // Saturday, Friday's after-hours
  assert.equal(phase(TAIFEX, '2026-04-11T08:50:00'), 'closed'); // Saturday
  assert.equal(phase(TAIFEX, '2026-04-11T15:30:00'), 'closed');
  assert.equal(phase(TAIFEX, '2026-04-13T02:00:00'), 'closed'); // Monday: no Sunday session
  assert.equal(phase(TAIFEX, '2026-04-13T08:35:00'), 'pre_open');
});

test('TWSE: pre-open 08:30, continuous 09:00, closing call 13:25-13:30', () => {
  assert.equal(phase(TWSE, '2026-04-08T08:30:00'), 'pre_open');
  assert.equal(phase(TWSE, '2026-04-08T09:00:00'), 'open');
  assert.equal(phase(TWSE, '2026-04-08T13:24:59'), 'open');
  assert.equal(phase(TWSE, '2026-04-08T13:25:00'), 'closing_call');
  assert.equal(phase(TWSE, '2026-04-08T13:30:00'), 'closed');
  assert.equal(phase(TWSE, '2026-04-08T15:00:00'), 'closed');
});

test('calendars by exchange, and their auction windows in words', () => {
  assert.equal(calendarFor('TAIFEX'), TAIFEX);
  assert.equal(calendarFor('TPEX')?.market, 'TPEX');
  assert.equal(calendarFor('BINANCE'), null);
  assert.equal(calendarFor('CME'), null);
  assert.equal(auctionWindows(TAIFEX), '08:30-08:45, 14:50-15:00 Asia/Taipei');
  assert.equal(auctionWindows(TWSE), '08:30-09:00, 13:25-13:30 Asia/Taipei');
});
