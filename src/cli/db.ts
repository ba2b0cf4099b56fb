import { hostname } from 'node:os';
import { type Command, Option } from 'commander';
import { loadSettings } from '../config/loader.ts';
import { UserError } from '../core/errors.ts';
import { sinkTarget } from '../recorder/config.ts';
import { type QueryTarget, queryStore, withReader } from '../recorder/query.ts';
import { listRuns, type RunListing } from '../recorder/run-list.ts';
import { type ConfigFlags, setOverrides, writeResult } from './context.ts';
import { configOptions } from './options.ts';

/** The store the settings name (the embedded store's directory, or the server): settings only, so a
 * broken symbol or strategy file does not keep anyone from reading the store. */
function target(flags: ConfigFlags): QueryTarget {
  const root = process.cwd();
  const { settings } = loadSettings({
    root,
    env: flags.env,
    configFile: flags.config,
    overrides: setOverrides(flags.set),
  });
  return sinkTarget(settings, root);
}

function say(via: { pid: number; url: string } | null): void {
  if (via !== null) {
    process.stderr.write(
      `hft: the store is owned by running process ${via.pid}; answered through its API at ${via.url}\n`,
    );
  }
}

/** Whether a run's process is alive: known on this host only. */
function alive(host: string, pid: number): boolean | null {
  if (host !== hostname()) return null;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const TABLE_ABBR: [string, string][] = [
  ['market_data', 'md'],
  ['orders', 'ord'],
  ['trades', 'trd'],
];

/** Wall-clock start as "2026-04-08 01:30:00". */
const when = (iso: string | null) => (iso === null ? '-' : iso.slice(0, 19).replace('T', ' '));

function duration(r: RunListing): string {
  if (r.duration_s !== null) {
    const s = r.duration_s;
    return s < 120
      ? `${s.toFixed(1)} s`
      : s < 7200
        ? `${(s / 60).toFixed(1)} min`
        : `${(s / 3600).toFixed(1)} h`;
  }
  return r.status === 'running' ? 'running' : r.status === 'no end' ? 'no end' : '-';
}

/** What the run did: orders, fills and PnL from its summary. */
function outcome(r: RunListing): string {
  const s = r.summary as { orders?: number; fills?: number; pnl?: { total?: number } } | null;
  if (s === null) return r.status === 'no end' ? 'no summary (crashed or killed)' : '';
  return `orders ${s.orders ?? 0}  fills ${s.fills ?? 0}  PnL ${(s.pnl?.total ?? 0).toFixed(2)}`;
}

/** The `hft db runs` table, newest first. */
export function formatRuns(runs: readonly RunListing[]): string {
  if (runs.length === 0) return 'no runs recorded in this store';
  const head = ['run', 'kind', 'start (UTC)', 'duration', 'symbols', 'rows md/ord/trd/other', 'result'];
  const lines = runs.map((r) => {
    const main = TABLE_ABBR.map(([t]) => String(r.rows[t as keyof RunListing['rows']] ?? 0));
    const other = Object.entries(r.rows)
      .filter(([t]) => !TABLE_ABBR.some(([x]) => x === t))
      .reduce((a, [, n]) => a + (n ?? 0), 0);
    const symbols = r.symbols.length > 0 ? r.symbols : (r.market_data?.symbols ?? []);
    return [
      r.run === '' ? '(before run ids)' : r.run,
      r.kind || '-',
      when(r.start),
      duration(r),
      symbols.join(',') || '-',
      `${main.join('/')}/${other}`,
      outcome(r),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [fmt(head), ...lines.map(fmt)].join('\n');
}

/** `hft db query` and `hft db runs`: the ClickHouse store. */
export function registerDb(db: Command): void {
  configOptions(
    db
      .command('query <sql>')
      .description('run a SQL query against the configured store and print the rows')
      .addOption(new Option('--format <fmt>', 'ClickHouse output format').default('PrettyCompactMonoBlock')),
  ).action(async (sql: string, flags: ConfigFlags & { format: string }) => {
    if (sql.trim() === '')
      throw new UserError(
        'hft db query: the query is empty (e.g. hft db query "SELECT count() FROM hft.market_data")',
      );
    const { text: out, via } = await queryStore(target(flags), sql, flags.format);
    say(via);
    writeResult(out.endsWith('\n') || out === '' ? out : `${out}\n`);
  });
  configOptions(
    db
      .command('runs')
      .description('list the recorded runs, newest first: id, kind, start, duration, symbols, rows, result')
      .option('--limit <n>', 'at most this many runs (0 = all)', '20')
      .option('--json', 'print as JSON (with each run’s summary)'),
  ).action(async (flags: ConfigFlags & { limit: string; json?: boolean }) => {
    const limit = Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 0)
      throw new UserError(`--limit expects a whole number, got '${flags.limit}'`);
    const { result, via } = await withReader(target(flags), (r) => listRuns(r, limit, alive));
    say(via);
    writeResult(flags.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatRuns(result)}\n`);
  });
}
