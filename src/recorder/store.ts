import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { drainPending, Session } from 'chdb';
import { UserError } from '../core/errors.ts';
import { applySchema } from './schema.ts';

/** A ClickHouse sink: DDL/queries as SQL text, inserts as TSV payloads. */
export interface Store {
  readonly kind: 'chdb';
  exec(sql: string): Promise<void>;
  /** Runs a query and returns its output in a ClickHouse output format (e.g. 'JSONEachRow', 'TSV'). */
  query(sql: string, format?: string): Promise<string>;
  /** Inserts TSV rows (ClickHouse escaping) into `table` (e.g. 'hft.orders'); returns rows written. */
  insert(table: string, columns: readonly string[], tsvPayload: string | Buffer): Promise<number>;
  close(): Promise<void>;
}

/** Who holds a data directory, written next to the data while a store is open. */
export interface OwnerInfo {
  pid: number;
  startedAt: string;
}

const OWNER_FILE = '.owner.json';

class EmbeddedStore implements Store {
  readonly kind = 'chdb' as const;
  private closed = false;

  constructor(
    private readonly session: Session,
    private readonly dir: string,
    private readonly ownsMarker: boolean,
  ) {}

  async exec(sql: string): Promise<void> {
    await this.session.queryAsync(sql, { format: 'TSV' });
  }

  async query(sql: string, format = 'PrettyCompactMonoBlock'): Promise<string> {
    return (await this.session.queryAsync(sql, { format })).text();
  }

  async insert(table: string, columns: readonly string[], tsvPayload: string | Buffer): Promise<number> {
    if (tsvPayload.length === 0) return 0;
    const values = typeof tsvPayload === 'string' ? Buffer.from(tsvPayload) : tsvPayload;
    const summary = await this.session.insert({ table, values, format: 'TSV', columns });
    return summary.rowsWritten;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
    // The engine binds one directory per process: wait until it is really released.
    await drainPending();
    if (this.ownsMarker) rmSync(join(this.dir, OWNER_FILE), { force: true });
  }
}

/**
 * Opens (creating if needed) the embedded ClickHouse store in `dataDir` and applies the schema.
 * Throws a UserError when another process holds the directory.
 */
export async function openEmbeddedStore(dataDir: string): Promise<Store> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  let session: Session;
  try {
    session = new Session(dir);
  } catch (err) {
    throw lockedError(dir, err) ?? err;
  }
  const store = new EmbeddedStore(session, dir, claimOwnerMarker(dir));
  try {
    await applySchema(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** The owner recorded in `dataDir`, or null when none (or unreadable). */
export function readOwner(dataDir: string): OwnerInfo | null {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, OWNER_FILE), 'utf8')) as OwnerInfo;
    return typeof info.pid === 'number' ? info : null;
  } catch {
    return null;
  }
}

/** Same-path sessions in one process share the directory: only the first one writes and removes the marker. */
function claimOwnerMarker(dir: string): boolean {
  if (readOwner(dir)?.pid === process.pid) return false;
  const info: OwnerInfo = { pid: process.pid, startedAt: new Date().toISOString() };
  writeFileSync(join(dir, OWNER_FILE), `${JSON.stringify(info)}\n`);
  return true;
}

/**
 * chdb reports a held lock only as a failed connection (the "Cannot lock file .../status" text goes to
 * stderr). A running engine keeps `status` in its directory, so failure + `status` present means locked.
 */
function lockedError(dir: string, err: unknown): UserError | null {
  if ((err as { code?: string }).code !== 'CHDB_CONNECTION' || !existsSync(join(dir, 'status'))) return null;
  const owner = readOwner(dir);
  const who =
    owner && owner.pid !== process.pid && isAlive(owner.pid)
      ? `process ${owner.pid} (started ${owner.startedAt})`
      : 'another process';
  return new UserError(
    `data directory ${dir} is locked: ${who} owns it, e.g. a running \`hft run\`. ` +
      'Stop that process, or query it through its API instead of opening the directory.',
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
