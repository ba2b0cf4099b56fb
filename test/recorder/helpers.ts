import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Logger } from '../../src/core/logger.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty directory for one store, removed when the test file ends. */
export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hft-recorder-'));
  dirs.push(dir);
  return dir;
}

/** A logger whose JSON lines are kept in `lines` so tests can check what was logged. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug', base: undefined }, sink), lines };
}

/**
 * Polls `cond` until it holds. The bound (default 2 minutes) only catches a real hang: a loaded machine
 * may be slow, never wrong, so no test depends on how soon the condition comes.
 */
export async function until(cond: () => boolean, what = 'condition', timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not reached in ${timeoutMs / 1000} s`);
    await sleep(10);
  }
}

/** Parses JSONEachRow output. */
export function rows(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}
