import { openEmbeddedStore } from './store.ts';

/**
 * Runs one SQL statement against the embedded store in `dataDir` and returns its output text
 * (`hft db query`). Throws the store's UserError when a running process holds the directory.
 */
export async function runQuery(
  dataDir: string,
  sql: string,
  format = 'PrettyCompactMonoBlock',
): Promise<string> {
  const store = await openEmbeddedStore(dataDir);
  try {
    return await store.query(sql, format);
  } finally {
    await store.close();
  }
}
