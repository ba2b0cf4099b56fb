import type { Logger } from '../core/logger.ts';

/** Minimal SQL surface the schema code needs, so any sink (embedded or server) can be migrated. */
export interface SqlRunner {
  exec(sql: string): Promise<void>;
  query(sql: string, format: string): Promise<string>;
}

/**
 * What the ClickHouse engine accepts. Current releases (and chdb) support everything; Debian's 18.16 server
 * has no LowCardinality (without an experimental flag), no codecs, no TTL, no deduplication of
 * non-replicated inserts and no ADD COLUMN IF NOT EXISTS. The DDL is written once and degraded per flag.
 */
export interface Features {
  version: string;
  lowCardinality: boolean;
  codecs: boolean;
  ttl: boolean;
  /** MergeTree setting non_replicated_deduplication_window plus the insert_deduplication_token setting. */
  dedup: boolean;
  addColumnIfNotExists: boolean;
  /** One line per missing feature: what the DDL does instead. */
  degraded: string[];
}

/** Assumed before detection: a current release. */
export const CURRENT_FEATURES: Features = {
  version: 'current',
  lowCardinality: true,
  codecs: true,
  ttl: true,
  dedup: true,
  addColumnIfNotExists: true,
  degraded: [],
};

let probeSeq = 0;

/** Tries each construct on a throwaway table (try-and-degrade) and logs what will be degraded. */
export async function detectFeatures(db: SqlRunner, logger?: Logger): Promise<Features> {
  const version = (await db.query('SELECT version()', 'TSV')).trim();
  const probe = async (ddl: (name: string) => string, after?: (name: string) => string): Promise<boolean> => {
    const name = `hft.__probe_${process.pid}_${++probeSeq}`;
    try {
      await db.exec(ddl(name));
      if (after) await db.exec(after(name));
      return true;
    } catch {
      return false;
    } finally {
      // SYNC: an Atomic database otherwise keeps a dropped table's metadata for 8 minutes (old servers
      // have no SYNC and drop at once).
      await db
        .exec(`DROP TABLE IF EXISTS ${name} SYNC`)
        .catch(() => db.exec(`DROP TABLE IF EXISTS ${name}`))
        .catch(() => {});
    }
  };
  const mt =
    (cols: string, tail = '') =>
    (n: string) =>
      `CREATE TABLE ${n} (${cols}) ENGINE = MergeTree ORDER BY x${tail}`;
  const hasToken =
    (
      await db.query("SELECT count() FROM system.settings WHERE name = 'insert_deduplication_token'", 'TSV')
    ).trim() === '1';
  const f: Features = {
    version,
    lowCardinality: await probe((n) => `CREATE TABLE ${n} (x LowCardinality(String)) ENGINE = Memory`),
    codecs: await probe(mt('x Int64 CODEC(DoubleDelta, LZ4)')),
    ttl: await probe(mt('x Int64', ' TTL toDateTime(intDiv(x, 1000000000)) + INTERVAL 1 DAY')),
    dedup: hasToken && (await probe(mt('x Int64', ' SETTINGS non_replicated_deduplication_window = 10'))),
    addColumnIfNotExists: await probe(
      mt('x Int64'),
      (n) => `ALTER TABLE ${n} ADD COLUMN IF NOT EXISTS y Int64`,
    ),
    degraded: [],
  };
  const say = (ok: boolean, what: string, instead: string) => {
    if (!ok) f.degraded.push(`${what}: ${instead}`);
  };
  say(f.lowCardinality, 'LowCardinality', 'plain String columns');
  say(f.codecs, 'column codecs', 'default compression');
  say(f.ttl, 'TTL', 'no automatic expiry of latency spans');
  say(f.dedup, 'insert deduplication tokens', 'replays are deduplicated by record-id lookup only');
  say(f.addColumnIfNotExists, 'ADD COLUMN IF NOT EXISTS', 'columns are checked in system.columns first');
  for (const line of f.degraded)
    logger?.warn({ clickhouse: version }, `schema degraded for ClickHouse ${version}: ${line}`);
  return f;
}

/** DDL fragments per feature set. */
export class Ddl {
  constructor(readonly f: Features) {}

  lc(type = 'String'): string {
    return this.f.lowCardinality ? `LowCardinality(${type})` : type;
  }

  codec(spec: string): string {
    return this.f.codecs ? ` CODEC(${spec})` : '';
  }

  ttl(expr: string): string {
    return this.f.ttl ? ` TTL ${expr}` : '';
  }

  /** Table settings that let a retried insert with the same token be dropped (needed on MV targets too). */
  dedup(): string {
    return this.f.dedup ? ' SETTINGS non_replicated_deduplication_window = 1000' : '';
  }

  addColumn(table: string, column: string, type: string): string {
    return `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column} ${type}`;
  }
}
