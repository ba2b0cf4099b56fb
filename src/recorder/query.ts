import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import type { ServerOptions } from './server-store.ts';
import { openEmbeddedStore, type Store, type StoreAccess } from './store.ts';

/** The embedded store's directory, or a server (which then wins). */
export type QueryTarget = string | { server: ServerOptions | null; dataDir: string };

/**
 * Opens the store a target names: for writing (applying the schema) or for reading (see StoreAccess).
 * The server client is loaded only for a server (it is a third of the embedded engine's load time).
 */
export async function openTarget(target: QueryTarget, access: StoreAccess = 'write'): Promise<Store> {
  if (typeof target === 'string') return openEmbeddedStore(target, undefined, access);
  if (target.server === null) return openEmbeddedStore(target.dataDir, undefined, access);
  const { openServerStore } = await import('./server-store.ts');
  return openServerStore(target.server, undefined, access);
}

/** File by which a running process that owns an embedded store advertises its ops API (mode 0600: it holds the read token). */
const API_FILE = '.api.json';

/** How to reach a running process that owns a store: its ops URL and its per-process read token. */
export interface StoreApi {
  pid: number;
  url: string;
  token: string;
}

/**
 * Advertises `url` and the read `token` as the way into the store at `dataDir` while this process
 * owns it; returns an undo. Written readable by this OS user only (created 0600, then renamed over
 * any earlier file), so only the same user's `hft db query` can use it.
 */
export function advertiseStoreApi(dataDir: string, url: string, token: string): () => void {
  const file = join(dataDir, API_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify({ pid: process.pid, url, token } satisfies StoreApi)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return () => rmSync(file, { force: true });
}

/** The live process advertising an API for `dataDir`, or null. */
function storeApi(dataDir: string): StoreApi | null {
  const file = join(dataDir, API_FILE);
  if (!existsSync(file)) return null;
  let api: StoreApi;
  try {
    api = JSON.parse(readFileSync(file, 'utf8')) as StoreApi;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES')
      throw new UserError(`${file} is not readable: the process that owns this store runs as another user`);
    return null;
  }
  try {
    process.kill(api.pid, 0);
  } catch (err) {
    // EPERM: alive, as another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  return api;
}

/** Read access to a store: its own connection, or a running process's API. */
export interface SqlReader {
  query(sql: string, format: string): Promise<string>;
}

/**
 * Runs `body` with read access to the target's store: through the API of a running process that owns the
 * embedded store (read statements, with its read token), else opened for reading (see StoreAccess) and closed afterwards.
 * `via` names the process that answered. Bad SQL is a UserError.
 */
export async function withReader<T>(
  target: QueryTarget,
  body: (db: SqlReader) => Promise<T>,
): Promise<{ result: T; via: { pid: number; url: string } | null }> {
  const dataDir = typeof target === 'string' ? target : target.server ? null : target.dataDir;
  const api = dataDir === null ? null : storeApi(dataDir);
  if (api !== null) {
    const db: SqlReader = { query: (sql, format) => queryApi(api, sql, format) };
    try {
      return { result: await body(db), via: { pid: api.pid, url: api.url } };
    } catch (err) {
      if (!(err instanceof ApiGone)) throw err;
    }
  }
  const store = await openTarget(target, 'read');
  try {
    const db: SqlReader = {
      query: (sql, format) =>
        store.query(sql, format).catch((err: Error) => {
          throw queryFailure(err);
        }),
    };
    return { result: await body(db), via: null };
  } finally {
    await store.close();
  }
}

/** Where a query was answered: the store itself, or a running process that owns it. */
export interface QueryResult {
  text: string;
  via: { pid: number; url: string } | null;
}

/**
 * Runs one SQL statement against the embedded store or the configured server (`hft db query`).
 * When a running process owns the embedded store, the query goes through that process's API
 * (read statements, with its read token), and `via` says so. Bad SQL, a refused statement and
 * an unreachable server are UserErrors.
 */
export async function queryStore(target: QueryTarget, sql: string, format: string): Promise<QueryResult> {
  const { result, via } = await withReader(target, (db) => db.query(sql, format));
  return { text: result, via };
}

/**
 * The advertised API did not answer. Its file outlives a killed process, and a new process with the
 * same pid passes the liveness check: the store was then unreadable ("did not answer: fetch failed")
 * though nothing held it. The directory is opened instead; a process that does hold it is named there.
 */
class ApiGone extends UserError {}

async function queryApi(api: StoreApi, sql: string, format: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(new URL('api/query', api.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token ?? ''}` },
      body: JSON.stringify({ sql, format }),
    });
  } catch (err) {
    throw new ApiGone(`the running process at ${api.url} did not answer: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (res.ok) return text;
  let error = text.trim();
  try {
    error = (JSON.parse(text) as { error: string }).error;
  } catch {}
  throw new UserError(
    res.status === 400 || res.status === 401
      ? `query refused by running process ${api.pid}: ${error}`
      : `query failed in running process ${api.pid}: ${error}`,
  );
}

/**
 * A failed query as the user's error. A result over V8's limit on one string (512 MiB) was "query
 * failed: Cannot create a string longer than 0x1fffffe8 characters": the query ran, its output is
 * what cannot be held, and the way out is a smaller result or a file.
 */
export function queryFailure(err: unknown): UserError {
  const message = (err as Error).message;
  if (/^Cannot create a string longer than/.test(message))
    return new UserError(
      'query result is over 512 MiB of text, more than can be printed at once: add a LIMIT or ' +
        "aggregate, or write it to a file with INTO OUTFILE '<file>'",
    );
  return new UserError(`query failed: ${message}`);
}

/**
 * Runs one SQL statement against the embedded store or the configured server and returns its output text.
 * Bad SQL, an unreachable server and a directory held by a running process are UserErrors.
 */
export async function runQuery(
  target: QueryTarget,
  sql: string,
  format = 'PrettyCompactMonoBlock',
): Promise<string> {
  const store = await openTarget(target, 'read');
  try {
    return await store.query(sql, format);
  } catch (err) {
    throw queryFailure(err);
  } finally {
    await store.close();
  }
}
