import { RUN_ID, runIdStartMs } from '../core/run-id.ts';
import type { SqlReader } from './query.ts';
import { TOPICS, type TopicName } from './topics.ts';

/** One run as `hft db runs` shows it: its hft.runs row, what it recorded, and its summary. */
export interface RunListing {
  /** The run id; '' for rows recorded before run ids (no hft.runs row). */
  run: string;
  kind: string;
  /** ISO times (wall clock); end null while running or after a crash. */
  start: string | null;
  end: string | null;
  duration_s: number | null;
  /** ended; running (no end, its process is alive on this host); no end (crashed, or killed); unknown. */
  status: 'ended' | 'running' | 'no end' | 'unknown';
  host: string;
  pid: number;
  config_hash: string;
  code_version: string;
  /** The run's symbols (as configured). */
  symbols: string[];
  /** Market data it recorded: symbols and exchange-time range (null when none). */
  market_data: { symbols: string[]; from: string; to: string } | null;
  /** Rows per table (tables without rows of the run are left out). */
  rows: Partial<Record<TopicName, number>>;
  /** The summary written at its end (RunSummary as JSON), or null. */
  summary: Record<string, unknown> | null;
}

const num = (v: unknown) => Number(v);
const iso = (ms: number) => new Date(ms).toISOString();

/** Parses JSONEachRow output. */
function jsonRows(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * The runs in a store, newest first (run ids sort by start time), at most `limit` (0: all); rows recorded
 * before run ids are a last entry with run ''. `alive` says whether a run without an end still has its
 * process (null: cannot tell, e.g. another host). Plain SQL that Debian's clickhouse-server 18.16
 * runs too; each statement is one read-only SELECT, so it also works through a running process's API.
 */
export async function listRuns(
  db: SqlReader,
  limit = 0,
  alive: (host: string, pid: number) => boolean | null = () => null,
): Promise<RunListing[]> {
  const last = (col: string, as = col) => `argMax(${col}, revision) AS ${as}`;
  const runs = jsonRows(
    await db.query(
      `SELECT run, ${last('kind')}, ${last('intDiv(start_ts, 1000000)', 'start_ms')}, ` +
        `${last('intDiv(end_ts, 1000000)', 'end_ms')}, ${last('host')}, ${last('pid')}, ` +
        `${last('config_hash')}, ${last('code_version')}, ${last('symbols')}, ${last('summary')} ` +
        'FROM hft.runs GROUP BY run',
      'JSONEachRow',
    ),
  );
  const counts = new Map<string, Partial<Record<TopicName, number>>>();
  const tables = TOPICS.filter((t) => t.name !== 'runs');
  const union = tables
    .map((t) => `SELECT run, '${t.name}' AS t, count() AS n FROM ${t.table} GROUP BY run`)
    .join(' UNION ALL ');
  for (const r of jsonRows(await db.query(union, 'JSONEachRow'))) {
    const c = counts.get(r.run as string) ?? {};
    counts.set(r.run as string, c);
    c[r.t as TopicName] = num(r.n);
  }
  const market = new Map<string, RunListing['market_data']>();
  for (const r of jsonRows(
    await db.query(
      'SELECT run, groupUniqArray(symbol) AS symbols, intDiv(min(exch_ts), 1000000) AS from_ms, ' +
        'intDiv(max(exch_ts), 1000000) AS to_ms FROM hft.market_data GROUP BY run',
      'JSONEachRow',
    ),
  )) {
    market.set(r.run as string, {
      symbols: (r.symbols as string[]).sort(),
      from: iso(num(r.from_ms)),
      to: iso(num(r.to_ms)),
    });
  }

  const byId = new Map(runs.map((r) => [r.run as string, r]));
  // Runs known only by their rows (no hft.runs row: recorded before run ids, run '', or written by a
  // recorder used on its own) are listed too; ids sort by start time, '' last.
  let ids = [...new Set([...byId.keys(), ...counts.keys()])].sort((a, b) =>
    a === '' ? 1 : b === '' ? -1 : a < b ? 1 : a > b ? -1 : 0,
  );
  if (limit > 0) ids = ids.slice(0, limit);
  return ids.map((run) => {
    const r = byId.get(run);
    const recorded = { market_data: market.get(run) ?? null, rows: counts.get(run) ?? {} };
    if (r === undefined) {
      const ms = RUN_ID.test(run) ? runIdStartMs(run) : Number.NaN;
      return {
        run,
        kind: '',
        start: Number.isNaN(ms) ? null : iso(ms),
        end: null,
        duration_s: null,
        status: 'unknown',
        host: '',
        pid: 0,
        config_hash: '',
        code_version: '',
        symbols: [],
        ...recorded,
        summary: null,
      };
    }
    const start = num(r.start_ms);
    const end = num(r.end_ms);
    const host = r.host as string;
    const pid = num(r.pid);
    let summary: Record<string, unknown> | null = null;
    try {
      summary = r.summary === '' ? null : (JSON.parse(r.summary as string) as Record<string, unknown>);
    } catch {}
    const isAlive = end > 0 ? null : alive(host, pid);
    return {
      run,
      kind: r.kind as string,
      start: iso(start),
      end: end > 0 ? iso(end) : null,
      duration_s: end > 0 ? (end - start) / 1000 : null,
      status: end > 0 ? 'ended' : isAlive === true ? 'running' : isAlive === false ? 'no end' : 'unknown',
      host,
      pid,
      config_hash: r.config_hash as string,
      code_version: r.code_version as string,
      symbols: r.symbols as string[],
      ...recorded,
      summary,
    };
  });
}
