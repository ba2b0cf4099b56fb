/**
 * Alpha validation wall time: `hft alpha validate ofi_mc --data <one TAIFEX day> --no-store` in a
 * fresh project (the shipped config and alpha), as a user runs it: process start, reading the day,
 * Gates A–C (the alpha's own tests in a child process, look-ahead and determinism checks, the tick
 * backtest) and the ledger. The store write is left out (--no-store): its cost is the store's.
 * Target: under 5 s.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface AlphaBench {
  alpha: string;
  file: string;
  wall_s: number;
  /** The command's own split (elapsed_s of its result). */
  steps_s: Record<string, number>;
}

export async function benchAlphaValidate(
  root: string,
  dataDir: string,
  alpha = 'ofi_mc',
): Promise<AlphaBench> {
  const file = 'taifex-txf-20260408.parquet';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bench-alpha-'));
  try {
    cpSync(path.join(root, 'config'), path.join(dir, 'config'), { recursive: true });
    cpSync(path.join(root, 'research/alphas', alpha), path.join(dir, 'research/alphas', alpha), {
      recursive: true,
      filter: (f) => !/_report\.json$|scorecard\.json$|report\.html$/.test(f),
    });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    const args = [
      path.join(root, 'bin/hft.mjs'),
      'alpha',
      'validate',
      alpha,
      '--data',
      path.join(dataDir, file),
      '--no-store',
    ];
    const t0 = performance.now();
    let stdout: string;
    try {
      stdout = (await exec(process.execPath, args, { cwd: dir, maxBuffer: 64 << 20 })).stdout;
    } catch (err) {
      // Exit 2: validated, not passed (a result, not a failure of the command).
      const e = err as { code?: number; stdout?: string };
      if (e.code !== 2 || e.stdout === undefined) throw err;
      stdout = e.stdout;
    }
    const wall = (performance.now() - t0) / 1000;
    const r = JSON.parse(stdout) as { elapsed_s: Record<string, number> };
    return { alpha, file, wall_s: Math.round(wall * 1000) / 1000, steps_s: r.elapsed_s };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
