import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/symbols.ts';

const exec = promisify(execFile);
export const hft = path.join(repoRoot, 'bin/hft.mjs');

/** A real `hft run sim` recording into an embedded store in a temp dir, as an attacker meets it. */
export interface RunningSystem {
  dir: string;
  store: string;
  child: ChildProcess;
  /** What the process advertises in <store>/.api.json (`token` is its read token). */
  api: { pid: number; url: string; token?: string };
  /** `--set` flags naming this store, for `hft db query`. */
  storeFlags: string[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `hft run sim` (real clock, until stopped) with `sets` as extra `--set` overrides. */
export async function startRunningSystem(sets: string[] = []): Promise<RunningSystem> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-sec-'));
  const store = path.join(dir, 'data');
  const storeFlags = ['--set', `store.path=${store}`];
  const args = [hft, 'run', 'sim', '--duration', '0', '--set', 'ops.port=0', ...storeFlags];
  for (const s of [
    // a loaded test machine must not trip StormGuard / the supervisor and stop the flow under test
    'storm_guard.latency_warm_us=1000000',
    'storm_guard.latency_storm_us=2000000',
    'storm_guard.feed_gap_storm_s=30',
    'supervisor.loop_lag_storm_ms=5000',
    ...sets,
  ])
    args.push('--set', s);
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, HFT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const apiFile = path.join(store, '.api.json');
  for (let i = 0; i < 1200 && !existsSync(apiFile) && child.exitCode === null; i++) await sleep(100);
  if (!existsSync(apiFile)) {
    child.kill('SIGKILL');
    throw new Error(`hft run sim did not advertise its API:\n${output}`);
  }
  const api = JSON.parse(readFileSync(apiFile, 'utf8'));
  return {
    dir,
    store,
    child,
    api,
    storeFlags,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      // A process stuck in a statement it cannot stop is killed rather than hang the suite.
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Runs `hft <args>` and returns its exit code and output. */
export async function runHft(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [hft, ...args], {
      cwd: repoRoot,
      env: { ...process.env, HFT_LOG_LEVEL: 'warn' },
      timeout: 120_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
