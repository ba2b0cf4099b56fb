import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { drainPending, Session } from 'chdb';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { CURRENT_FEATURES, type Features, type SqlRunner } from './features.ts';
import { applySchema, SCHEMA_VERSION, schemaVersion } from './schema.ts';
import type { WireType } from './topics.ts';
import * as io from './wal/disk-io.ts';

export type Columns = readonly (readonly [string, WireType])[];

/** A ClickHouse sink (embedded chdb or a server): DDL and queries as SQL text, inserts as RowBinary. */
export interface Store extends SqlRunner {
  readonly kind: 'chdb' | 'server';
  /** The data directory or the server URL. */
  readonly location: string;
  /** What the engine supports (detected when the schema was applied). */
  readonly features: Features;
  /** Runs a query and returns its output in a ClickHouse output format (e.g. 'JSONEachRow', 'TSV'). */
  query(sql: string, format?: string): Promise<string>;
  /**
   * Inserts RowBinary rows into `table` (e.g. 'hft.orders'). `token` makes a retry of the same batch a no-op
   * where the engine deduplicates inserts (see Features.dedup). `source` (embedded store only) reads the
   * payload in another layout and converts it with a SELECT list, or as a Native block. `payload` may be a
   * function producing it when the insert runs, as one buffer or as pieces to write one after the other
   * (inserts run one at a time: a payload built in a reused buffer stays valid until it is written).
   */
  insert(
    table: string,
    columns: Columns,
    payload: Payload,
    token: string | null,
    source?: InsertSource,
  ): Promise<void>;
  /** True when `err` (from this store) means the sink is unreachable rather than the insert being refused. */
  isOutage(err: unknown): boolean;
  close(): Promise<void>;
}

/**
 * A payload layout other than the table's RowBinary: another RowBinary structure and the SELECT list that
 * converts it, or a Native block (`columns` in its order).
 */
export type InsertSource = { structure: string; select: string } | { native: true };

/** An insert's bytes, or a function building them when the insert runs (see Store.insert). */
export type Payload = Uint8Array | (() => Uint8Array | readonly Uint8Array[]);

/** Who holds a data directory, written next to the data while a store is open. */
export interface OwnerInfo {
  pid: number;
  startedAt: string;
}

const OWNER_FILE = '.owner.json';

/** The INSERT for RowBinary rows of `columns`, with deduplication settings when a token is given. */
export function insertSql(table: string, columns: Columns, source: string, token: string | null): string {
  const dedup =
    token === null
      ? ''
      : ` SETTINGS insert_deduplication_token = '${token}', deduplicate_blocks_in_dependent_materialized_views = 1`;
  return `INSERT INTO ${table} (${columns.map((c) => c[0]).join(', ')}) ${source}${dedup}`;
}

/** tmpfs when there is one: the staging file of an embedded insert then never touches the disk. */
const STAGING_DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
let stagingSeq = 0;

class EmbeddedStore implements Store {
  readonly kind = 'chdb' as const;
  features: Features = CURRENT_FEATURES;
  private closed = false;
  private readonly stagingName = `hft-insert-${process.pid}-${++stagingSeq}.bin`;
  private staging = join(STAGING_DIR, this.stagingName);
  /** Inserts share the staging file, so they run one at a time. */
  private inserting: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: Session,
    readonly location: string,
    private readonly ownsMarker: boolean,
  ) {}

  async exec(sql: string): Promise<void> {
    await this.session.queryAsync(sql, { format: 'TSV' });
  }

  async query(sql: string, format = 'PrettyCompactMonoBlock'): Promise<string> {
    return (await this.session.queryAsync(sql, { format })).text();
  }

  /**
   * chdb's raw insert takes text formats only; RowBinary and Native go through the file() table function
   * (RowBinary is read about six times faster than TSV, a Native block about three times as fast again).
   */
  insert(
    table: string,
    columns: Columns,
    payload: Payload,
    token: string | null,
    source?: InsertSource,
  ): Promise<void> {
    const run = this.inserting.then(async () => {
      this.stage(typeof payload === 'function' ? payload() : payload);
      let from: string;
      if (source !== undefined && 'native' in source)
        from = `SELECT * FROM file('${this.staging}', 'Native')`;
      else {
        const structure = source?.structure ?? columns.map(([n, t]) => `${n} ${t}`).join(', ');
        from = `SELECT ${source?.select ?? '*'} FROM file('${this.staging}', 'RowBinary', '${structure}')`;
      }
      await this.exec(insertSql(table, columns, from, this.features.dedup ? token : null));
    });
    this.inserting = run.catch(() => {});
    return run;
  }

  isOutage(): boolean {
    return false;
  }

  /**
   * Writes the payload file; a full tmpfs (containers often have 64 MiB) moves staging to the temp dir.
   * A failure throws: the insert fails like any other (the batch goes to the WAL, or is held).
   */
  private stage(payload: Uint8Array | readonly Uint8Array[]): void {
    const pieces = payload instanceof Uint8Array ? [payload] : payload;
    try {
      this.writeStaging(pieces);
    } catch (err) {
      this.dropStaging();
      if (this.staging.startsWith(tmpdir())) throw err;
      this.staging = join(tmpdir(), this.stagingName);
      this.writeStaging(pieces);
    }
  }

  /**
   * Writes the staging file anew. (Overwriting it in place, to keep its pages allocated, let the engine read
   * a stale hft.runs row in test/services/run-record.test.ts: not used until understood.)
   */
  private writeStaging(pieces: readonly Uint8Array[]): void {
    io.writeFile(this.staging, pieces.length === 1 ? pieces[0] : Buffer.concat(pieces));
  }

  /** Removes the staging file (the next insert creates it again). */
  private dropStaging(): void {
    removeQuietly(this.staging);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.inserting;
    this.dropStaging();
    this.session.close();
    // The engine binds one directory per process: wait until it is really released.
    await drainPending();
    if (this.ownsMarker) removeQuietly(join(this.location, OWNER_FILE));
  }
}

/**
 * How a store is opened. `write` (recorders, WAL loaders) creates it if needed and applies the schema,
 * detecting the engine's features. `read` (`hft db`, `store:` sources) opens an existing store as it is:
 * one query checks the schema version, and the schema is applied only when the store is behind this build.
 */
export type StoreAccess = 'write' | 'read';

/**
 * Engine arguments for every session: dropped tables are removed at once instead of after 8 minutes.
 * A short-lived session never reaches that delay, so every drop (schema probes, rebuilt views) stayed in
 * metadata_dropped/ and the next open loaded it again: about 1 ms per leftover table per open.
 */
const SESSION_ARGS = ['--database_atomic_delay_before_drop_table_sec=0'];

/**
 * Opens the embedded ClickHouse store in `dataDir` (see StoreAccess; `read` refuses a directory that holds
 * no store). Throws a UserError when another process holds the directory.
 */
export async function openEmbeddedStore(
  dataDir: string,
  logger?: Logger,
  access: StoreAccess = 'write',
): Promise<Store> {
  const dir = resolve(dataDir);
  if (access === 'read') {
    if (!existsSync(dir)) throw new UserError(`store ${dir}: no such directory (nothing recorded there yet)`);
    // Opening a directory creates a store in it: only read what already is one.
    if (!existsSync(join(dir, 'metadata')))
      throw new UserError(`store ${dir}: not a ClickHouse store (no metadata/)`);
  } else io.mkdirp(dir);
  let session: Session;
  try {
    session = new Session(dir, { connectionArgs: SESSION_ARGS });
  } catch (err) {
    throw lockedError(dir, err) ?? unopenable(dir, err) ?? err;
  }
  const store = new EmbeddedStore(session, dir, claimOwnerMarker(dir));
  try {
    await prepareSchema(store, access, logger);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Applies the schema for writing; for reading only when the store is behind this build. */
export async function prepareSchema(
  store: Store & { features: Features },
  access: StoreAccess,
  logger?: Logger,
): Promise<void> {
  if (access === 'read') {
    const version = await schemaVersion(store);
    if (version >= SCHEMA_VERSION) return;
    logger?.info({ from: version, to: SCHEMA_VERSION }, 'store schema is behind this build: migrating');
  }
  store.features = (await applySchema(store, logger)).features;
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
  io.writeFile(join(dir, OWNER_FILE), `${JSON.stringify(info)}\n`);
  return true;
}

/** Removes a file of ours that only costs space if left (a failing disk must not fail a close). */
function removeQuietly(path: string): void {
  try {
    io.remove(path);
  } catch {
    // left behind
  }
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
    `data directory ${dir} is locked: ${who} owns it, e.g. a running \`hft run\` (the engine's own ` +
      '"Cannot lock file" line above says the same). Stop that process, query it through its API ' +
      'instead of opening the directory (a second `hft run` beside it: --no-record).',
  );
}

/**
 * A store the engine cannot load (a damaged or hand-edited metadata/ file, a newer engine's store): the
 * engine prints its reason to stderr itself, and the connection error escaped as a stack trace.
 */
function unopenable(dir: string, err: unknown): UserError | null {
  if ((err as { code?: string }).code !== 'CHDB_CONNECTION') return null;
  return new UserError(
    `store ${dir}: ClickHouse cannot open it (the engine's reason is printed above: a damaged store, or not one of ours)`,
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
