import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { checkOutputFile } from '../../src/cli/context.ts';
import { initProject } from '../../src/cli/init.ts';
import { loadSettings } from '../../src/config/loader.ts';
import { ConfigError, UserError } from '../../src/core/errors.ts';
import { pseudoFs } from '../../src/core/pseudo-fs.ts';
import { repoRoot } from '../helpers/symbols.ts';

// As root every access check passes under /proc, and mkdir -p there loops forever: refused first.
test('output under /proc is refused before any work: flags, config dirs, hft init', {
  skip: process.platform !== 'linux',
}, () => {
  assert.equal(pseudoFs('/proc'), 'proc');
  assert.equal(pseudoFs(os.tmpdir()), null);
  assert.throws(
    () => checkOutputFile('--summary-json', '/proc/version'),
    (e: Error) => e instanceof UserError && /kernel's proc filesystem/.test(e.message),
  );
  assert.throws(
    () =>
      loadSettings({
        root: repoRoot,
        envVars: {},
        overrides: [{ key: 'store.path', value: '/proc/x', label: '--set' }],
      }),
    (e: Error) => e instanceof ConfigError && /\/proc\/x is on the kernel's proc filesystem/.test(e.message),
  );
  assert.throws(
    () => initProject('/proc/x'),
    (e: Error) => e instanceof UserError && /kernel's proc filesystem/.test(e.message),
  );
});

test('hft init under a regular file says so instead of an ENOTDIR stack', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-init-file-'));
  try {
    const file = path.join(dir, 'afile');
    writeFileSync(file, 'x');
    assert.throws(
      () => initProject(path.join(file, 'proj')),
      (e: Error) => e instanceof UserError && e.message.endsWith(`${file} is not a directory`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
