import { MARKET_SELECT, MARKET_STRUCTURE, marketToRowBinary } from './market-layout.ts';
import type { Store } from './store.ts';
import type { TopicSpec } from './topics.ts';

/**
 * Inserts one batch of a topic's rows as recorded (ring and WAL format) into its table. Market data is in
 * its float64 layout: the embedded engine converts it in SQL, a server gets RowBinary.
 */
export function insertBatch(
  store: Store,
  topic: TopicSpec,
  payload: Buffer,
  rows: number,
  token: string | null,
): Promise<void> {
  if (topic.name !== 'market_data') return store.insert(topic.table, topic.columns, payload, token);
  if (store.kind === 'chdb') {
    return store.insert(topic.table, topic.columns, payload, token, {
      structure: MARKET_STRUCTURE,
      select: MARKET_SELECT,
    });
  }
  return store.insert(topic.table, topic.columns, marketToRowBinary(payload, rows), token);
}
