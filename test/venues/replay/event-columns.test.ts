import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MdKind } from '../../../src/contracts/market.ts';
import { BookChecksBuilder } from '../../../src/venues/replay/book-checks.ts';
import { EV_LAST, EV_SNAPSHOT, EventColumnsBuilder } from '../../../src/venues/replay/event-columns.ts';
import { ReferenceBook, verifyTruth } from '../../../src/venues/replay/reference-book.ts';

test('builder grows past its capacity and keeps every value', () => {
  const b = new EventColumnsBuilder(16);
  for (let i = 0; i < 1000; i++) b.push(MdKind.Level, i % 2 ? 1 : -1, i * 10, i * 10 + 5, 100 + i, i, 0);
  const c = b.finish();
  assert.equal(c.n, 1000);
  assert.equal(c.price.length, 1000);
  assert.equal(c.exchTs[999], 9990);
  assert.equal(c.localTs[999], 9995);
  assert.equal(c.side[998], -1);
  assert.equal(c.qty[500], 500);
});

test('endMessage flags the last event of each message once and skips empty messages', () => {
  const b = new EventColumnsBuilder();
  b.push(MdKind.Clear, 0, 1, 1, 0, 0, EV_SNAPSHOT);
  b.push(MdKind.Level, 1, 1, 1, 100, 5, EV_SNAPSHOT);
  b.endMessage();
  b.endMessage(); // nothing new: must not flag event 1 again or event 0
  b.push(MdKind.Trade, -1, 2, 2, 100, 1);
  const c = b.finish(); // closes the trailing message
  assert.deepEqual([...c.flags], [EV_SNAPSHOT, EV_SNAPSHOT | EV_LAST, EV_LAST]);
});

test('reference book checks truth rows and reports the first difference', () => {
  const b = new EventColumnsBuilder();
  b.push(MdKind.Level, 1, 0, 0, 99, 3);
  b.push(MdKind.Level, 1, 0, 0, 98, 4);
  b.push(MdKind.Level, -1, 0, 0, 101, 2);
  b.push(MdKind.Trade, 1, 0, 0, 101, 1); // trades do not touch the book
  b.push(MdKind.Level, 1, 0, 0, 99, 0); // removes 99
  const c = b.finish();
  const truth = new BookChecksBuilder(2);
  truth.push(2, 0, [99, 98], [3, 4], [101, 0], [2, 0]);
  truth.push(4, 0, [98, 0], [4, 0], [101, 0], [2, 0]);
  truth.push(4, 0, [98, 0], [5, 0], [101, 0], [2, 0]); // wrong on purpose
  const bad = verifyTruth(c, truth.finish());
  assert.deepEqual(bad, [{ row: 2, reason: 'bid level 0: book 4@98, truth 5@98' }]);

  const book = new ReferenceBook();
  for (let i = 0; i < c.n; i++) book.apply(c, i);
  assert.equal(book.best(1), 98);
  assert.equal(book.best(-1), 101);
  assert.deepEqual(book.top(1, 5), [[98, 4]]);
});
