import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { runAlphaTests } from '../../src/alpha/gates/correctness.ts';
import { discoverAlphas } from '../../src/alpha/registry.ts';
import {
  alphaClassName,
  normalizeAlphaId,
  normalizeComplexity,
  scaffoldAlpha,
} from '../../src/alpha/scaffold.ts';
import { repoRoot } from '../helpers/symbols.ts';

const exec = promisify(execFile);

test('ids, complexity and class names are normalized as the original did', () => {
  assert.equal(normalizeAlphaId('  OFI-MC v2!! '), 'ofi_mc_v2');
  assert.equal(normalizeAlphaId('__a__b__'), 'a__b');
  assert.throws(() => normalizeAlphaId('---'), /empty/);
  assert.equal(normalizeComplexity('o1'), 'O(1)');
  assert.equal(normalizeComplexity(' O(N) '), 'O(N)');
  assert.equal(normalizeComplexity('O(N log N)'), 'O(N log N)');
  assert.equal(alphaClassName('ofi_mc_v2'), 'OfiMcV2Alpha');
});

test('a scaffolded alpha typechecks, is discovered, and its tests pass and can fail', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hft-scaffold-'));
  try {
    cpSync(path.join(repoRoot, 'config'), path.join(root, 'config'), { recursive: true });
    const r = scaffoldAlpha({ root, id: 'Book Lean', papers: ['018', 'arXiv:1011.6402'], complexity: 'O1' });
    assert.equal(r.alpha_id, 'book_lean');
    const readme = readFileSync(path.join(r.dir, 'README.md'), 'utf8');
    assert.match(readme, /paper_refs: 018, arXiv:1011\.6402/);
    assert.throws(() => scaffoldAlpha({ root, id: 'book_lean' }), /exists \(--force/);
    scaffoldAlpha({ root, id: 'book_lean', papers: ['018'], force: true });
    assert.match(readFileSync(path.join(r.dir, 'README.md'), 'utf8'), /paper_refs: 018\n/);

    // It compiles: tsc over the project's alpha (an ES module project, as hft init writes it) with
    // 'hft-platform' as the platform's sources.
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    writeFileSync(
      path.join(root, 'tsconfig.json'),
      JSON.stringify({
        extends: path.join(repoRoot, 'tsconfig.json'),
        compilerOptions: {
          baseUrl: '.',
          paths: { 'hft-platform': [path.join(repoRoot, 'src/index.ts')] },
          typeRoots: [path.join(repoRoot, 'node_modules/@types')],
        },
        include: ['research'],
      }),
    );
    const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
    await exec(process.execPath, [tsc, '--noEmit', '-p', path.join(root, 'tsconfig.json')], { cwd: root });

    const reg = await discoverAlphas(root);
    assert.deepEqual(reg.warnings, []);
    assert.equal(reg.alphas.get('book_lean')!.cls.name, 'BookLeanAlpha');

    const pass = await runAlphaTests(root, r.dir, 300);
    assert.equal(pass.passed, true, `${pass.stdout_tail}\n${pass.stderr_tail}`);

    // Break the logic (a signal outside [-1, 1]) and share state between instances: both tests fail.
    const impl = path.join(r.dir, 'impl.ts');
    writeFileSync(
      impl,
      readFileSync(impl, 'utf8')
        .replace('private ema = 0;', 'private ema = 0;\n  static calls = 0;')
        .replace('return this.ema;\n  }', 'return this.ema * 3 + BookLeanAlpha.calls++ * 1e-9;\n  }'),
    );
    const fail = await runAlphaTests(root, r.dir, 300);
    assert.equal(fail.passed, false);
    assert.notEqual(fail.returncode, 0);
    assert.deepEqual(fail.failed_tests, [
      'the signal follows the imbalance of the best level',
      'the signal at an event is the same whether or not later events exist',
      'two instances give the same signals',
    ]);
    assert.equal(fail.tests_passed, 1);

    // No test folder: Gate B's test step fails.
    rmSync(path.join(r.dir, 'tests'), { recursive: true });
    const none = await runAlphaTests(root, r.dir, 300);
    assert.equal(none.passed, false);
    assert.match(String(none.error), /no tests folder/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
