import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/symbols.ts';

const exec = promisify(execFile);

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `hft <args>` (the repo's bin/hft.mjs) from `cwd`, as a user in that folder would. */
export async function hftIn(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const r = await exec(process.execPath, [path.join(repoRoot, 'bin/hft.mjs'), ...args], {
      cwd,
      env: { ...process.env, HFT_LOG_LEVEL: 'warn', ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The order count of a `hft backtest run` result on stdout. */
export function ordersOf(stdout: string): number {
  return Number(/ orders ([\d,]+) /.exec(stdout)?.[1]?.replaceAll(',', '') ?? Number.NaN);
}
