import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/symbols.ts';
import { dataFile } from '../venues/replay/data-dir.ts';

const exec = promisify(execFile);

/** The TAIEX option recording: small (67k events), so CLI runs over it stay quick. */
export const TXO = dataFile('taifex-txo35000q6-20260417.parquet');
export const TXF = dataFile('taifex-txf-20260408.parquet');

/** Runs `hft <args>` from the repo root; returns exit code and output. */
export async function hft(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [path.join(repoRoot, 'bin/hft.mjs'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, HFT_LOG_LEVEL: 'warn' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary folder, removed when the test process exits. */
export function tmpDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** A strategies file with one market maker on the TXO recording's option; returns its path. */
export function txoStrategies(dir: string): string {
  const file = path.join(dir, 'strategies.yaml');
  writeFileSync(
    file,
    `strategies:
  - id: mm-txo
    class: market_maker
    symbols: [TXO35000Q6]
    params: { order_qty: 1, half_spread_ticks: 0.5, max_inventory: 3, skew_ticks_per_unit: 0.5, requote_ticks: 1 }
    risk: { max_order_qty: 2, max_position: 5 }
`,
  );
  return file;
}

/** Parses a CSV with a header line (no quoted fields) into records. */
export function readCsv(file: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\n');
  const cols = head.split(',');
  return rows.map((r) => {
    const cells = r.split(',');
    return Object.fromEntries(cols.map((c, i) => [c, cells[i]]));
  });
}
