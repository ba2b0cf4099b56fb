import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { tmpDir } from '../backtest/helpers.ts';
import { repoRoot } from '../helpers/symbols.ts';

const exec = promisify(execFile);

/**
 * Builds the package as `npm run build` does, into a temporary folder laid out like an installed
 * package (bin/, dist/, config/, examples/, package.json; node_modules linked, no src/), so `bin/hft.mjs`
 * there can only run the built JavaScript. Returns that folder.
 */
export async function buildPackage(): Promise<string> {
  const pkg = tmpDir('hft-built-');
  await exec(process.execPath, [path.join(repoRoot, 'scripts/build.mjs'), '--out', path.join(pkg, 'dist')], {
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const f of ['package.json', 'tsconfig.json']) copyFileSync(path.join(repoRoot, f), path.join(pkg, f));
  for (const d of ['bin', 'config', 'examples'])
    cpSync(path.join(repoRoot, d), path.join(pkg, d), { recursive: true });
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
  return pkg;
}

/** A resolve hook that appends every module URL the process resolves to a file (node --import). */
function moduleLogImport(logFile: string): string {
  const hook = `import { appendFileSync } from 'node:fs';
let log;
export function initialize(file) { log = file; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(log, r.url + '\\n');
  return r;
}`;
  const register = `import { register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)}, { data: ${JSON.stringify(logFile)} });`;
  return `data:text/javascript,${encodeURIComponent(register)}`;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** URLs of the modules the main thread loaded. */
  modules: string[];
}

/** Runs `<bin> <args>` with plain node from `cwd`, logging the modules it loads. */
export async function runLogged(bin: string, args: string[], cwd: string): Promise<CliRun> {
  const log = path.join(tmpDir('hft-modules-'), 'modules.txt');
  const argv = ['--import', moduleLogImport(log), bin, ...args];
  const env = { ...process.env, HFT_LOG_LEVEL: 'warn' };
  let r: { code: number; stdout: string; stderr: string };
  try {
    const ok = await exec(process.execPath, argv, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    r = { code: 0, stdout: ok.stdout, stderr: ok.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    r = { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
  let modules: string[] = [];
  try {
    modules = readFileSync(log, 'utf8').trim().split('\n');
  } catch {
    // nothing was resolved
  }
  return { ...r, modules };
}
