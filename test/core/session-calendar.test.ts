import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasSessions, sessionAt } from '../../src/core/session-calendar.ts';

const tpe = (iso: string) => Date.parse(`${iso}+08:00`);

test('TAIFEX day and night sessions, TWSE hours, weekends closed, Binance always open', () => {
  // 2026-04-15 is a Wednesday.
  assert.equal(sessionAt('TAIFEX', tpe('2026-04-15T08:44:59'))?.name, undefined);
  assert.equal(sessionAt('TAIFEX', tpe('2026-04-15T08:45:00'))?.name, 'day');
  assert.equal(sessionAt('TAIFEX', tpe('2026-04-15T13:45:00')), null, 'end is exclusive');
  assert.equal(sessionAt('TAIFEX', tpe('2026-04-15T15:00:00'))?.name, 'night');
  const night = sessionAt('TAIFEX', tpe('2026-04-16T04:59:00'));
  assert.equal(night?.name, 'night', 'the night session runs past midnight');
  assert.equal(night?.endMs, tpe('2026-04-16T05:00:00'));
  assert.equal(sessionAt('TAIFEX', tpe('2026-04-18T04:00:00'))?.name, 'night', 'Friday night ends Saturday');
  assert.equal(sessionAt('TAIFEX', tpe('2026-04-18T10:00:00')), null, 'Saturday');
  assert.equal(sessionAt('TAIFEX', tpe('2026-04-19T16:00:00')), null, 'Sunday night');
  assert.equal(sessionAt('TAIFEX', tpe('2026-04-20T04:00:00')), null, 'Monday before dawn');
  assert.equal(sessionAt('TWSE', tpe('2026-04-15T13:29:59'))?.name, 'day');
  assert.equal(sessionAt('TWSE', tpe('2026-04-15T13:30:00')), null);
  assert.equal(hasSessions('BINANCE'), false);
  assert.equal(sessionAt('BINANCE', tpe('2026-04-18T10:00:00'))?.name, 'continuous');
});
