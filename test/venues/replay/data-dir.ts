import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** The shared real-data folder (HFT_DATA_DIR, else ../shared/data next to the repo). */
export const DATA_DIR = process.env.HFT_DATA_DIR ?? resolve(repoRoot, '../shared/data');
export const HAVE_DATA = existsSync(DATA_DIR);

/** Path of one data file. */
export function dataFile(name: string): string {
  return join(DATA_DIR, name);
}

/**
 * `skip` option for suites that need the data: a visible notice when the folder is absent,
 * and a failing test instead under CI=true.
 */
let ciFailureAdded = false;

export function requireData(): { skip: string | false } {
  if (HAVE_DATA) return { skip: false };
  if (process.env.CI === 'true' && !ciFailureAdded) {
    ciFailureAdded = true;
    test('real market data folder is present (CI=true)', () => assert.fail(`no data folder at ${DATA_DIR}`));
  }
  return { skip: `real market data not found at ${DATA_DIR} (set HFT_DATA_DIR)` };
}
