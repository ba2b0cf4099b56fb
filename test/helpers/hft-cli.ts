import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './symbols.ts';

const exec = promisify(execFile);

/** Hang guard of a CLI run that replays whole TAIFEX days (never reached on a working run). */
export const CLI_LIMIT_MS = 15 * 60_000;

/** Runs `hft <args>` (the repo's bin/hft.mjs) from `cwd` with this process's environment and `env`. */
export async function hftCli(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [path.join(repoRoot, 'bin/hft.mjs'), ...args], {
      cwd,
      timeout: CLI_LIMIT_MS,
      maxBuffer: 64 << 20,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

type CliRun = (args: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>;

/**
 * Runs each case through `run` (four processes at a time) and checks that it exits 2 with one
 * `hft:` line matching its pattern; with `quiet`, that it printed nothing on stdout.
 */
export async function refused(cases: [string[], RegExp][], run: CliRun, quiet = true): Promise<void> {
  const results: Awaited<ReturnType<CliRun>>[] = [];
  for (let i = 0; i < cases.length; i += 4)
    results.push(...(await Promise.all(cases.slice(i, i + 4).map(([a]) => run(a)))));
  cases.forEach(([args, want], i) => {
    const r = results[i];
    const label = `hft ${args.join(' ')}`;
    assert.equal(r.code, 2, `${label}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, /^hft: [^\n]*\n$/, `${label}: not one line:\n${r.stderr}`);
    assert.match(r.stderr.trim(), want, label);
    if (quiet) assert.equal(r.stdout, '', `${label}: printed something`);
  });
}
