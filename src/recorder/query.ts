import { UserError } from '../core/errors.ts';
import { openEmbeddedStore } from './store.ts';

/**
 * Runs one SQL statement against the embedded store in `dataDir` and returns its output text
 * (`hft db query`). Bad SQL and a directory held by a running process are UserErrors.
 */
export async function runQuery(
  dataDir: string,
  sql: string,
  format = 'PrettyCompactMonoBlock',
): Promise<string> {
  const store = await openEmbeddedStore(dataDir);
  try {
    return await store.query(sql, format);
  } catch (err) {
    throw new UserError(`query failed: ${(err as Error).message}`);
  } finally {
    await store.close();
  }
}
