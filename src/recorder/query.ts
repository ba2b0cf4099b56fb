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

/**
 * Runs one SQL statement against the embedded store or the configured server and returns its output text
 * (`hft db query`). Bad SQL, an unreachable server and a directory held by a running process are UserErrors.
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
