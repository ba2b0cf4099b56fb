import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The nats-server binary, or null when absent (tests skip visibly; under CI=true they fail). */
export function natsServerBinary(): string | null {
  for (const p of [process.env.NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server']) {
    if (p && spawnSync(p, ['--version']).status === 0) return p;
  }
  return null;
}

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway nats-server with JetStream on a random loopback port (`-p -1`; the port is
 * read from its log) and a temp store dir. `port` reuses a port (a restart of the same server);
 * `env` is added to the server's environment (e.g. GOMAXPROCS).
 */
export async function startNatsServer(
  opts: { port?: number; storeDir?: string; env?: Record<string, string> } = {},
): Promise<NatsServer> {
  const bin = natsServerBinary();
  if (bin === null) throw new Error('nats-server not installed (apt-get install nats-server)');
  const storeDir = opts.storeDir ?? mkdtempSync(path.join(os.tmpdir(), 'hft-nats-'));
  const proc = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(opts.port ?? -1), '-sd', storeDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`nats-server did not start in 30 s:\n${log}`)), 30_000);
    const onData = (b: Buffer) => {
      log += b.toString();
      const m = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
      if (m !== null && /Server is ready/.test(log)) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (${code}):\n${log}`));
    });
  });
  const ownDir = opts.storeDir === undefined;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    proc,
    stop: async () => {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await done;
      }
      if (ownDir) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
