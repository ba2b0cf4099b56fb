import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/core/errors.ts';
import { runQuery } from '../../src/recorder/query.ts';
import { Recorder } from '../../src/recorder/recorder.ts';
import { openEmbeddedStore, readOwner } from '../../src/recorder/store.ts';
import { captureLogger, tempDataDir } from './helpers.ts';

const HOLDER = fileURLToPath(new URL('./fixtures/hold-store.ts', import.meta.url));

/** Starts a child process that owns the store in `dir`; resolves once it has opened it. */
async function holdStore(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`holder exited early (code ${code})`)));
  });
  return child;
}

function isLockError(dir: string, pid: number) {
  return (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${err}`);
    assert.ok(err.message.includes(dir), `message names the directory: ${err.message}`);
    assert.ok(err.message.includes(`process ${pid}`), `message names the owner pid: ${err.message}`);
    assert.match(err.message, /hft run/);
    assert.match(err.message, /Cannot lock file" line above/, "it explains the engine's own line");
    return true;
  };
}

test('a directory held by another process gives a UserError naming the directory and the owner', async () => {
  const dir = tempDataDir();
  const child = await holdStore(dir);
  try {
    assert.equal(readOwner(dir)?.pid, child.pid);
    await assert.rejects(openEmbeddedStore(dir), isLockError(dir, child.pid!));
    await assert.rejects(runQuery(dir, 'SELECT 1'), isLockError(dir, child.pid!));
    await assert.rejects(
      Recorder.open({ dataDir: dir, logger: captureLogger().logger }),
      isLockError(dir, child.pid!),
    );
  } finally {
    child.stdin!.end();
    await once(child, 'exit');
  }
  assert.equal(existsSync(join(dir, '.owner.json')), false, 'the owner marker is removed on close');

  // Released: the directory opens again and answers queries.
  assert.equal((await runQuery(dir, 'SELECT count() FROM hft.orders', 'TSV')).trim(), '0');
  await assert.rejects(
    runQuery(dir, 'SELEC 1'),
    (err) => err instanceof UserError && /query failed/.test(err.message),
  );
});
