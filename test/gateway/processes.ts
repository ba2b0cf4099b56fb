import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A child process whose output is kept, with a way to wait for a line of it. */
export interface Proc {
  name: string;
  proc: ChildProcess;
  out(): string;
  /** Resolves when the output matches (hang guard: `timeoutMs`, generous). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** Starts `node <args>` in the repository (logging at warn); `tsx` adds the TypeScript loader. */
export function startNode(name: string, args: string[], env: Record<string, string> = {}, tsx = true): Proc {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HFT_LOG_LEVEL: 'warn', ...env };
  // A child under a test runner would report to it instead of running.
  delete childEnv.NODE_TEST_CONTEXT;
  const proc = spawn(process.execPath, [...(tsx ? ['--import', 'tsx'] : []), ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (b: Buffer) => {
    out += b.toString();
    for (const w of [...waiters]) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | string>((r) =>
    proc.once('exit', (code, sig) => {
      r(code ?? sig ?? -1);
      for (const w of [...waiters]) w();
    }),
  );
  return {
    name,
    proc,
    out: () => out,
    exited,
    waitFor: (re, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m !== null) {
            done();
            resolve(m);
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            done();
            reject(new Error(`${name} exited before ${re}:\n${out.slice(-3000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name}: no ${re} in ${timeoutMs / 1000} s:\n${out.slice(-3000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}

/** `hft <args>` as a user runs it (bin/hft.mjs: the build when current, else the sources). */
export function hft(name: string, args: string[], env: Record<string, string> = {}): Proc {
  return startNode(name, [path.join(ROOT, 'bin/hft.mjs'), ...args], env, false);
}

/** Stops a process (SIGTERM, then SIGKILL after `graceMs`) and waits for it. */
export async function stopProc(p: Proc, graceMs = 30_000): Promise<number | string> {
  if (p.proc.exitCode === null && p.proc.signalCode === null) {
    p.proc.kill('SIGCONT');
    p.proc.kill('SIGTERM');
    const t = setTimeout(() => p.proc.kill('SIGKILL'), graceMs);
    const code = await p.exited;
    clearTimeout(t);
    return code;
  }
  return p.exited;
}
