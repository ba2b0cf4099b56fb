/**
 * Alpha validation wall time: `hft alpha validate ofi_mc --data <one TAIFEX day> --no-store` in a
 * fresh project (the shipped config and alpha), as a user runs it: process start, loading the
 * alpha, reading the day, Gates A–C (the alpha's own tests in a child process, look-ahead and
 * determinism checks, the tick backtest) and the ledger. The store write is left out (--no-store):
 * its cost is the store's. Target: under 5 s.
 *
 * A user runs the build (`npm ci` builds dist/): when this checkout's dist/ is older than src/, the
 * bench builds the current sources into a temporary install and runs that. One more run from the
 * TypeScript sources through tsx is what a developer with edited sources waits for.
 *
 * The figures: the median wall time of `runs` runs, the CPU time of that run (the command and its
 * child processes, user + system, read from /proc on Linux), and the load average beside them: on
 * a shared 2-core machine the wall time follows the load, the CPU time much less.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface AlphaRun {
  wall_s: number;
  /** User + system CPU of the command and its children; null where /proc is absent. */
  cpu_s: number | null;
  /** The command's own split (elapsed_s of its result). */
  steps_s: Record<string, number>;
  /** Its CPU time per step (cpu_s of its result: the validating process, not the test process). */
  steps_cpu_s: Record<string, number>;
  /** Gate B's test process, start to end (it runs beside the steps). */
  tests_s: number | null;
  /** What the gates found (ofi_mc fails Gate C on one day: it never trades). */
  passed: { A: boolean; B: boolean; C: boolean };
  load_avg_1m: number;
}

export interface AlphaBench {
  alpha: string;
  file: string;
  /** 'dist' (this checkout's build), 'temp-build' (the sources built for the bench). */
  build: 'dist' | 'temp-build';
  /** Median run of the built command. */
  built: AlphaRun;
  runs: AlphaRun[];
  /** One run from the TypeScript sources (tsx). */
  sources: AlphaRun;
}

export async function benchAlphaValidate(
  root: string,
  dataDir: string,
  alpha = 'ofi_mc',
  runs = 3,
): Promise<AlphaBench> {
  const file = 'taifex-txf-20260408.parquet';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-bench-alpha-'));
  try {
    const project = path.join(dir, 'project');
    cpSync(path.join(root, 'config'), path.join(project, 'config'), { recursive: true });
    cpSync(path.join(root, 'research/alphas', alpha), path.join(project, 'research/alphas', alpha), {
      recursive: true,
      filter: (f) => !/_report\.json$|scorecard\.json$|report\.html$/.test(f),
    });
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    const args = [alpha, '--data', path.join(dataDir, file), '--no-store'];

    const current = builtIsCurrent(root);
    const bin = current ? path.join(root, 'bin/hft.mjs') : tempInstall(root, path.join(dir, 'install'));
    const built: AlphaRun[] = [];
    for (let i = 0; i < runs; i++)
      built.push(await validateOnce(project, [bin, 'alpha', 'validate', ...args]));
    const median = [...built].sort((a, b) => a.wall_s - b.wall_s)[Math.floor(runs / 2)];

    // The sources, as bin/hft.mjs runs them when src/ is newer than the build.
    const fromSources = path.join(dir, 'hft-sources.mjs');
    writeFileSync(
      fromSources,
      `const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});\n` +
        `register({ tsconfig: ${JSON.stringify(path.join(root, 'tsconfig.json'))} });\n` +
        `await import(${JSON.stringify(pathToFileURL(path.join(root, 'src/cli/main.ts')).href)});\n`,
    );
    const sources = await validateOnce(project, [fromSources, 'alpha', 'validate', ...args]);
    return { alpha, file, build: current ? 'dist' : 'temp-build', built: median, runs: built, sources };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function validateOnce(cwd: string, args: string[]): Promise<AlphaRun> {
  const cpu0 = childCpuS();
  const t0 = performance.now();
  let stdout: string;
  try {
    stdout = (await exec(process.execPath, args, { cwd, maxBuffer: 64 << 20 })).stdout;
  } catch (err) {
    // Exit 2: validated, not passed (a result, not a failure of the command).
    const e = err as { code?: number; stdout?: string };
    if (e.code !== 2 || e.stdout === undefined) throw err;
    stdout = e.stdout;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = childCpuS();
  const r = JSON.parse(stdout) as {
    elapsed_s: Record<string, number>;
    cpu_s: Record<string, number>;
    gate_a: { passed: boolean };
    gate_b: { passed: boolean; details: { tests?: { elapsed_s?: number } } };
    gate_c: { passed: boolean };
  };
  return {
    wall_s: round3(wall),
    cpu_s: cpu0 === null || cpu1 === null ? null : round3(cpu1 - cpu0),
    steps_s: r.elapsed_s,
    steps_cpu_s: r.cpu_s,
    tests_s: r.gate_b.details.tests?.elapsed_s ?? null,
    passed: { A: r.gate_a.passed, B: r.gate_b.passed, C: r.gate_c.passed },
    load_avg_1m: Math.round(os.loadavg()[0] * 10) / 10,
  };
}

/** CPU seconds of this process's waited-for children (and theirs), from /proc/self/stat. */
function childCpuS(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of proc(5): cutime, cstime (clock ticks); f[0] is field 3.
    return (Number(f[13]) + Number(f[14])) / clockTicks();
  } catch {
    return null;
  }
}

let ticks = 0;
function clockTicks(): number {
  if (ticks === 0) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** bin/hft.mjs's rule: the build is current when no file under src/ is newer than its stamp. */
function builtIsCurrent(root: string): boolean {
  const stamp = path.join(root, 'dist', '.build-stamp');
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  const src = path.join(root, 'src');
  return readdirSync(src, { recursive: true }).every(
    (f) => statSync(path.join(src, String(f))).mtimeMs <= built,
  );
}

/** The package as `npm ci` leaves it (bin, dist built now, config, tsconfig), in `dir`; its hft. */
function tempInstall(root: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--out', path.join(dir, 'dist')], {
    stdio: 'ignore',
  });
  for (const f of ['bin', 'config']) cpSync(path.join(root, f), path.join(dir, f), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json']) cpSync(path.join(root, f), path.join(dir, f));
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, 'bin/hft.mjs');
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
