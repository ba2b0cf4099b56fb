import {
  MARKET_LEGACY_SELECT,
  MARKET_LEGACY_STRUCTURE,
  MARKET_SELECT,
  MARKET_STRUCTURE,
  marketToRowBinary,
} from './market-layout.ts';
import type { Store } from './store.ts';
import type { TopicSpec } from './topics.ts';

/**
 * Inserts one batch of a topic's rows as recorded (ring and WAL format) into its table. Market data is in
 * its float64 layout: the embedded engine converts it in SQL, a server gets RowBinary. `legacy` rows were
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
    return store.insert(topic.table, columns, payload, token, {
      structure: legacy ? MARKET_LEGACY_STRUCTURE : MARKET_STRUCTURE,
      select: legacy ? MARKET_LEGACY_SELECT : MARKET_SELECT,
    });
  }
  return store.insert(topic.table, columns, marketToRowBinary(payload, rows, legacy), token);
}
