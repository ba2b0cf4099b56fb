import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refusal } from '../../src/recorder/query-policy.ts';

// Trees as `EXPLAIN AST` prints them (ClickHouse 26.7 via chdb 3.4), including names with line
// breaks, which the engine prints raw.
const FORBIDDEN = new Set(['file', 'url', 's3', 'remote']);

const select1 = `SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 1)
    Literal UInt64_1
`;

test('reads pass: SELECT, SHOW, DESCRIBE, EXISTS, EXPLAIN of a read, FORMAT clause', () => {
  assert.equal(refusal(select1, FORBIDDEN), null);
  assert.equal(refusal('ShowTables (children 1)\n Identifier hft\n', FORBIDDEN), null);
  assert.equal(refusal(`${select1} Identifier JSON\n`, FORBIDDEN), null, 'FORMAT is an Identifier child');
  assert.equal(
    refusal('ExistsTableQuery hft trades (children 2)\n Identifier hft\n Identifier trades\n', FORBIDDEN),
    null,
  );
  assert.equal(
    refusal(`Explain EXPLAIN (children 2)\n Set\n${select1.replace(/^/gm, ' ').trimEnd()}\n`, FORBIDDEN),
    null,
  );
});

test('writes, KILL and EXPLAIN of a write are refused by their root', () => {
  assert.match(
    refusal('DropQuery  hft trades (children 1)\n Identifier hft\n', FORBIDDEN)!,
    /not a read statement/,
  );
  assert.match(
    refusal('KillQueryQuery Literal_UInt64_1 ASYNC (children 1)\n Literal UInt64_1\n', FORBIDDEN)!,
    /not a read/,
  );
  assert.match(
    refusal('Explain EXPLAIN (children 1)\n InsertQuery (children 1)\n', FORBIDDEN)!,
    /EXPLAIN of InsertQuery/,
  );
  assert.match(refusal('', FORBIDDEN)!, /no syntax tree/);
});

test('INTO OUTFILE is refused, even behind names with line breaks', () => {
  assert.match(refusal(`${select1} Literal 'out.txt'\n`, FORBIDDEN)!, /INTO OUTFILE/);
  // SELECT 1 AS `a\nEvil (children 1)` INTO OUTFILE 'x': the alias adds a root-looking line.
  const injected = `SelectWithUnionQuery (children 2)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 1)
    Literal UInt64_1 (alias a
Evil (children 1))
 Literal 'x'
`;
  assert.match(refusal(injected, FORBIDDEN)!, /INTO OUTFILE/);
});

test('file and network functions are refused wherever they are, in any case', () => {
  const fn = (name: string, depth: number) => `${select1}${' '.repeat(depth)}Function ${name} (children 1)\n`;
  assert.match(refusal(fn('file', 4), FORBIDDEN)!, /function file\(\)/);
  assert.match(refusal(fn('FILE', 9), FORBIDDEN)!, /function FILE\(\)/);
  assert.match(refusal(fn('url (alias u)', 6), FORBIDDEN)!, /function url\(\)/);
  assert.equal(refusal(fn('format', 4), FORBIDDEN), null, 'format() the string function');
});
