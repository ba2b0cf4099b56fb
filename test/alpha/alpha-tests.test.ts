import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runAlphaTests } from '../../src/alpha/gates/correctness.ts';

// Gate B runs an alpha's test files in one node:test process: what it reports for files that pass,
// fail, do not load, define no test or end the process early, and when the validation stops.
let root: string;
const dir = (id: string) => path.join(root, 'research/alphas', id);
const alpha = (id: string, files: Record<string, string>) => {
  mkdirSync(path.join(dir(id), 'tests'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir(id), 'tests', name), text);
  return dir(id);
};
const HEAD = "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\n";

before(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'hft-alpha-tests-'));
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('every file runs in order in one process; failures and files that do not load are failed tests', async () => {
  const d = alpha('mixed', {
    // Files share the process: b sees what a left on globalThis.
    'a.test.mjs': `${HEAD}test('a passes', () => { globalThis.seen = 'a'; });\n`,
    'b.test.ts': `${HEAD}test('b sees a', () => assert.equal((globalThis as { seen?: string }).seen, 'a'));\ntest('b fails', () => assert.equal(1 + 1, 3));\n`,
    'c.test.ts': `${HEAD}const x: number = ;\n`,
    'd.test.mjs': `${HEAD}test('d after a broken file', () => {});\n`,
    'notes.md': 'not a test file',
  });
  const r = await runAlphaTests(root, d, 120);
  assert.equal(r.passed, false);
  assert.equal(r.returncode, 1);
  assert.deepEqual(
    r.files,
    ['a.test.mjs', 'b.test.ts', 'c.test.ts', 'd.test.mjs'].map((f) => `research/alphas/mixed/tests/${f}`),
  );
  assert.deepEqual(r.failed_tests, ['b fails', 'load research/alphas/mixed/tests/c.test.ts']);
  assert.equal(r.tests_passed, 3);
  assert.match(
    String(r.command),
    /^node .*--test-reporter=tap alpha-tests-main\.[jt]s research\/alphas\/mixed\/tests\/a\.test\.mjs /,
  );
});

test('passing files pass', async () => {
  const d = alpha('good', {
    'logic.test.mjs': `${HEAD}test('adds', () => assert.equal(1 + 1, 2));\ntest('not yet', { todo: 'later' }, () => assert.fail('todo'));\n`,
    'more.test.ts': `${HEAD}test('typed', () => { const n: number = 2; assert.equal(n * 2, 4); });\n`,
  });
  const r = await runAlphaTests(root, d, 120);
  assert.equal(r.passed, true, `${r.stdout_tail}\n${r.stderr_tail}`);
  assert.equal(r.tests_passed, 2);
  assert.deepEqual(r.failed_tests, []);
});

test('no test defined, or the process ending before its report, does not pass', async () => {
  const none = await runAlphaTests(root, alpha('empty', { 'a.test.mjs': 'export const x = 1;\n' }), 120);
  assert.equal(none.passed, false);
  assert.equal(none.returncode, 0);
  assert.match(String(none.error), /no test reported/);

  const exits = await runAlphaTests(
    root,
    alpha('exits', {
      'a.test.mjs': `${HEAD}test('one', () => {});\ntest('leaves', () => process.exit(0));\ntest('never runs', () => {});\n`,
    }),
    120,
  );
  assert.equal(exits.passed, false);
  assert.equal(exits.returncode, 0);
  assert.notEqual(exits.error, undefined);
});

test('a stopped validation kills the test process', async () => {
  const d = alpha('hangs', {
    'a.test.mjs': `${HEAD}test('waits', () => new Promise(() => setInterval(() => {}, 1000)));\n`,
  });
  const stop = new AbortController();
  const run = runAlphaTests(root, d, 600, stop.signal);
  stop.abort();
  const r = await run;
  assert.equal(r.passed, false);
  assert.equal(r.error, 'validation stopped');
  assert.equal(r.returncode, null);
});
