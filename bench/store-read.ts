/**
 * `hft db query` and the other read paths of the embedded store (called from bench/run.ts, or run alone:
 * `node --import tsx bench/store-read.ts`), on a store holding a recorded 5-minute simulated session:
 *   - in process: open for reading + one simple query + close (what `hft db query` does), against the
 *     former path (schema applied on every open, dropped tables kept for 8 minutes), on a store where that
 *     former path had left 400 dropped probe tables behind (100 earlier opens)
 *   - end to end: the `hft db query` command, and `hft --help` for the CLI's own start-up
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drainPending, Session } from 'chdb';
import { loadProject } from '../src/config/project.ts';
import { createLogger } from '../src/core/logger.ts';
import { applySchema } from '../src/recorder/schema.ts';
import { openEmbeddedStore } from '../src/recorder/store.ts';
import { TradingSystem } from '../src/services/trading-system.ts';

type Row = (name: string, value: string) => void;
const SQL = 'SELECT count() FROM hft.market_data';
const ROUNDS = 7;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (v: number) => Math.round(v);

/** The former read path: a session without engine arguments, the whole schema applied, then the query. */
async function formerOpenQuery(dir: string): Promise<number> {
  const t0 = performance.now();
  const s = new Session(dir);
  const db = {
    exec: async (sql: string) => {
      await s.queryAsync(sql, { format: 'TSV' });
    },
    query: async (sql: string, format: string) => (await s.queryAsync(sql, { format })).text(),
  };
  await applySchema(db);
  await db.query(SQL, 'TSV');
  s.close();
  await drainPending();
  return performance.now() - t0;
}

async function readOpenQuery(dir: string): Promise<number> {
  const t0 = performance.now();
  const store = await openEmbeddedStore(dir, undefined, 'read');
  await store.query(SQL, 'TSV');
  await store.close();
  return performance.now() - t0;
}

/** Leaves `n` dropped tables in the store, as n/4 opens of the former path did. */
async function leaveDropped(dir: string, n: number): Promise<void> {
  const s = new Session(dir);
  for (let i = 0; i < n; i++) {
    await s.queryAsync(`CREATE TABLE hft.__left_${i} (x Int64) ENGINE = MergeTree ORDER BY x`, {
      format: 'TSV',
    });
    await s.queryAsync(`DROP TABLE hft.__left_${i}`, { format: 'TSV' });
  }
  s.close();
  await drainPending();
}

function cli(root: string, args: string[]): number {
  const t0 = performance.now();
  execFileSync(process.execPath, [path.join(root, 'bin/hft.mjs'), ...args], {
    cwd: root,
    env: { ...process.env, HFT_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  return performance.now() - t0;
}

export interface StoreReadResult {
  market_data_rows: number;
  dropped_tables_left: number;
  former_open_query_ms: number;
  former_open_query_last_ms: number;
  read_open_query_first_ms: number;
  read_open_query_ms: number;
  cli_db_query_ms: number;
  cli_help_ms: number;
}

export async function benchStoreRead(root: string, row: Row): Promise<StoreReadResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hft-bench-read-'));
  try {
    const { settings, symbols, strategies } = loadProject({
      root,
      env: 'test',
      envVars: {},
      overrides: [
        { key: 'store.path', value: dir, label: 'bench' },
        { key: 'run.clock', value: 'sim', label: 'bench' },
      ],
    });
    const sys = await TradingSystem.create({
      settings,
      root,
      symbols,
      strategies,
      log: createLogger('silent'),
      record: true,
    });
    const s = await sys.run(300);
    const dropped = 400;
    await leaveDropped(dir, dropped);
    const former: number[] = [];
    for (let i = 0; i < ROUNDS; i++) former.push(await formerOpenQuery(dir));
    const first = await readOpenQuery(dir);
    const read: number[] = [];
    for (let i = 0; i < ROUNDS; i++) read.push(await readOpenQuery(dir));
    const store = ['--set', `store.path=${dir}`];
    const dbq: number[] = [];
    const help: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      dbq.push(cli(root, ['db', 'query', SQL, ...store]));
      help.push(cli(root, ['--help']));
    }
    const r: StoreReadResult = {
      market_data_rows: s.recorded_rows.market_data,
      dropped_tables_left: dropped,
      former_open_query_ms: ms(median(former)),
      former_open_query_last_ms: ms(former[former.length - 1]),
      read_open_query_first_ms: ms(first),
      read_open_query_ms: ms(median(read)),
      cli_db_query_ms: ms(median(dbq)),
      cli_help_ms: ms(median(help)),
    };
    row(
      `store read: open + query + close (${r.market_data_rows} md rows)`,
      `${r.read_open_query_ms} ms (median of ${ROUNDS}; first open, dropping ${dropped} leftover tables: ${r.read_open_query_first_ms} ms)`,
    );
    row(
      'store read, former path (schema on every open)',
      `${r.former_open_query_ms} ms median, ${r.former_open_query_last_ms} ms at the ${ROUNDS}th open (+4 leftover tables per open)`,
    );
    row(
      'hft db query end to end (CLI start-up included)',
      `${r.cli_db_query_ms} ms median; hft --help alone ${r.cli_help_ms} ms`,
    );
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const r = await benchStoreRead(root, (name, value) =>
    process.stdout.write(`${name.padEnd(48)} ${value}\n`),
  );
  process.stdout.write(`BENCH_JSON ${JSON.stringify({ store_read: r })}\n`);
}
