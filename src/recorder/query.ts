import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { openServerStore, type ServerOptions } from './server-store.ts';
import { openEmbeddedStore, type Store } from './store.ts';

/** The embedded store's directory, or a server (which then wins). */
export type QueryTarget = string | { server: ServerOptions | null; dataDir: string };

/** Opens the store a target names (applying the schema). */
export function openTarget(target: QueryTarget): Promise<Store> {
  if (typeof target === 'string') return openEmbeddedStore(target);
  return target.server ? openServerStore(target.server) : openEmbeddedStore(target.dataDir);
}

export const READ_ONLY_HINT =
  'only one read-only statement (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN) can go through a running process';

/** True for a single read-only statement: what a running process answers for other processes. */
export function isReadOnlySql(sql: string): boolean {
  const body = sql
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
    .trim()
    .replace(/;\s*$/, '');
  return (
    body.length > 0 && !body.includes(';') && /^(select|with|show|describe|desc|exists|explain)\b/i.test(body)
  );
}

/** File by which a running process that owns an embedded store advertises its ops API. */
const API_FILE = '.api.json';

/** Advertises `url` as the way into the store at `dataDir` while this process owns it; returns an undo. */
export function advertiseStoreApi(dataDir: string, url: string): () => void {
  const file = join(dataDir, API_FILE);
  writeFileSync(file, `${JSON.stringify({ pid: process.pid, url })}\n`);
  return () => rmSync(file, { force: true });
}

/** The live process advertising an API for `dataDir`, or null. */
function storeApi(dataDir: string): { pid: number; url: string } | null {
  const file = join(dataDir, API_FILE);
  if (!existsSync(file)) return null;
  try {
    const api = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; url: string };
    process.kill(api.pid, 0);
    return api;
  } catch {
    return null;
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
 * (read-only statements), and `via` says so. Bad SQL and an unreachable server are UserErrors.
 */
export async function queryStore(target: QueryTarget, sql: string, format: string): Promise<QueryResult> {
  const dataDir = typeof target === 'string' ? target : target.server ? null : target.dataDir;
  const api = dataDir === null ? null : storeApi(dataDir);
  if (api !== null) return { text: await queryApi(api.url, sql, format), via: api };
  return { text: await runQuery(target, sql, format), via: null };
}

async function queryApi(url: string, sql: string, format: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(new URL('api/query', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql, format }),
    });
  } catch (err) {
    throw new UserError(`the running process at ${url} did not answer: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new UserError(`query failed: ${(JSON.parse(text) as { error: string }).error}`);
  return text;
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
  const store = await openTarget(target);
  try {
    return await store.query(sql, format);
  } catch (err) {
    throw new UserError(`query failed: ${(err as Error).message}`);
  } finally {
    await store.close();
  }
}
