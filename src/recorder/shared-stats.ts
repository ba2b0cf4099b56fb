import { TOPICS } from './topics.ts';

/** Per-topic counters kept by the recorder worker. */
export const TOPIC_STATS = [
  'written',
  'wal_rows',
  'replayed',
  'shed',
  'diverted',
  'lost',
  'batches',
  /** Rows taken from the ring into the worker's memory. */
  'drained',
  /** Rows whose first destination is decided: inserted, appended to the WAL, shed or lost. */
  'settled',
] as const;
/** Worker-wide values. */
export const GLOBAL_STATS = [
  'failed_batches',
  'pending_batches',
  'pending_bytes',
  'disk_level',
  'disk_free_bytes',
  'wal_bytes',
  'wal_files',
  'found',
  /** Rows of never-shed tables waiting in the worker's memory because neither WAL nor sink takes them. */
  'held_rows',
] as const;

export type TopicStat = (typeof TOPIC_STATS)[number];
export type GlobalStat = (typeof GLOBAL_STATS)[number];

const SIZE = TOPICS.length * TOPIC_STATS.length + GLOBAL_STATS.length;

/**
 * Counters in shared memory: the worker writes them, the trading thread reads them for stats() without a
 * message round trip. Single writer; a reader may see a value one update old, never a torn one.
 */
export class SharedStats {
  readonly memory: SharedArrayBuffer;
  private readonly v: Float64Array;

  constructor(memory = new SharedArrayBuffer(SIZE * 8)) {
    this.memory = memory;
    this.v = new Float64Array(memory);
  }

  add(topicId: number, stat: TopicStat, n: number): void {
    this.v[topicId * TOPIC_STATS.length + TOPIC_STATS.indexOf(stat)] += n;
  }

  get(topicId: number, stat: TopicStat): number {
    return this.v[topicId * TOPIC_STATS.length + TOPIC_STATS.indexOf(stat)];
  }

  set(stat: GlobalStat, n: number): void {
    this.v[TOPICS.length * TOPIC_STATS.length + GLOBAL_STATS.indexOf(stat)] = n;
  }

  global(stat: GlobalStat): number {
    return this.v[TOPICS.length * TOPIC_STATS.length + GLOBAL_STATS.indexOf(stat)];
  }

  /** Per-topic values of one counter, by topic name. */
  byTopic(stat: TopicStat): Record<string, number> {
    return Object.fromEntries(TOPICS.map((t) => [t.name, this.get(t.id, stat)]));
  }
}
