import { marketToRowBinary } from './market-layout.ts';
import { marketToNative, NativeScratch } from './market-native.ts';
import type { Store } from './store.ts';
import type { TopicSpec } from './topics.ts';

const scratch = new NativeScratch();

/**
 * Inserts one batch of a topic's rows as recorded (ring and WAL format) into its table. Market data is in
 * its float64 layout: the embedded engine gets a Native block, a server RowBinary. `legacy` rows were
 * recorded before run ids (they end at `rid`): their `run` stays empty.
 */
export function insertBatch(
  store: Store,
  topic: TopicSpec,
  payload: Buffer,
  rows: number,
  token: string | null,
  legacy = false,
): Promise<void> {
  const columns = legacy ? topic.legacyColumns : topic.columns;
  if (topic.name !== 'market_data') return store.insert(topic.table, columns, payload, token);
  if (store.kind === 'chdb') {
    // Columns the engine reads without casts (see market-native.ts), built when the insert runs into this
    // thread's reused scratch. The block always carries `run` (empty for legacy rows).
    return store.insert(
      topic.table,
      topic.columns,
      () => marketToNative(payload, rows, scratch, legacy),
      token,
      {
        native: true,
      },
    );
  }
  return store.insert(topic.table, columns, marketToRowBinary(payload, rows, legacy), token);
}
