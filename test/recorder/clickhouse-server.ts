import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A throwaway clickhouse-server for tests: its own temp directory, minimal config, a free loopback port.
 * Works with Debian's 18.16 and current releases (both read the <yandex> config root).
 */
export class ClickHouseServer {
  private proc: ChildProcess | null = null;

  private constructor(
    readonly binary: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Writes the config and starts the server; resolves once /ping answers. */
  static async start(binary: string): Promise<ClickHouseServer> {
    const dir = mkdtempSync(join(tmpdir(), 'hft-clickhouse-'));
    const server = new ClickHouseServer(binary, dir, await freePort());
    for (const sub of ['data', 'tmp', 'user_files', 'format_schemas', 'log']) mkdirSync(join(dir, sub));
    writeFileSync(
      join(dir, 'config.xml'),
      `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/error.log</errorlog><console>0</console></logger>
  <http_port>${server.port}</http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709120</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
`,
    );
    writeFileSync(
      join(dir, 'users.xml'),
      `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`,
    );
    await server.restart();
    return server;
  }

  /** Starts the server (again) on the same directory and port. */
  async restart(): Promise<void> {
    if (this.proc !== null) throw new Error('clickhouse-server is already running');
    const proc = spawn(this.binary, [`--config-file=${join(this.dir, 'config.xml')}`], {
      cwd: this.dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-4000);
    });
    this.proc = proc;
    const exited = once(proc, 'exit');
    for (let i = 0; i < 600; i++) {
      if (proc.exitCode !== null) break;
      try {
        const r = await fetch(`${this.url}/ping`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      await Promise.race([sleep(50), exited]);
    }
    this.proc = null;
    proc.kill('SIGKILL');
    let log = '';
    try {
      log = readFileSync(join(this.dir, 'log', 'error.log'), 'utf8').slice(-2000);
    } catch {}
    throw new Error(`clickhouse-server did not answer /ping on ${this.url}\n${stderr}\n${log}`);
  }

  /** Kills the server (SIGKILL by default) and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    if (proc === null) return;
    this.proc = null;
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = once(proc, 'exit');
      proc.kill(signal);
      await exited;
    }
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Path of clickhouse-server on PATH (Debian installs it in /usr/sbin), or null. */
export function findClickHouseServer(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  for (const d of dirs) {
    const p = join(d, 'clickhouse-server');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

/**
 * Why server tests skip (the binary is absent, with a visible notice), or false when they can run. Under
 * CI=true a missing binary throws instead: CI installs it (.ci/run).
 */
export function serverSkip(): string | false {
  if (findClickHouseServer() !== null) return false;
  if (process.env.CI === 'true')
    throw new Error('clickhouse-server not found under CI=true (apt-get install clickhouse-server)');
  const why = 'clickhouse-server not installed (apt-get install clickhouse-server)';
  process.stderr.write(`NOTICE: ${why}: ClickHouse server tests are skipped\n`);
  return why;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
    });
  });
}
