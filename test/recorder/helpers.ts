import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Logger } from '../../src/core/logger.ts';

/** A fresh, empty directory for one store. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'hft-recorder-'));
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

/** Polls `cond` until it holds; fails after `tries` polls so a broken ack path cannot hang the suite. */
export async function until(cond: () => boolean, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return;
    await sleep(10);
  }
  throw new Error('condition not reached');
}

/** Parses JSONEachRow output. */
export function rows(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}
