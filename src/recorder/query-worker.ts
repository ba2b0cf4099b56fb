import { parentPort, workerData } from 'node:worker_threads';
import { drainPending, Session } from 'chdb';
import { IO_FUNCTIONS, refusal } from './query-policy.ts';

/** Engine limits of the read-only session (passed as workerData with the directory). */
export interface QueryLimits {
  maxExecutionS: number;
  maxResultRows: number;
  maxResultBytes: number;
  maxMemoryBytes: number;
  maxThreads: number;
}

export interface QueryWorkerData {
  dataDir: string;
  limits: QueryLimits;
}

export type ToQueryWorker = { op: 'query'; id: number; sql: string; format: string } | { op: 'close' };

/** `refused`: the statement breaks the policy (a user error); `failed`: the engine refused or stopped it. */
export type FromQueryWorker =
  | { op: 'ready' }
  | { op: 'failed-start'; message: string }
  | { op: 'result'; id: number; body: Uint8Array }
  | { op: 'refused'; id: number; reason: string }
  | { op: 'failed'; id: number; message: string }
  | { op: 'closed' };

/**
 * The engine settings of the session. readonly=1 comes last on the command line and freezes every
 * setting: a statement can change none of them (`SETTINGS max_execution_time = 0` is refused).
 */
export function sessionArgs(l: QueryLimits): string[] {
  return [
    `--max_execution_time=${l.maxExecutionS}`,
    '--timeout_overflow_mode=throw',
    `--max_result_rows=${l.maxResultRows}`,
    `--max_result_bytes=${Math.floor(l.maxResultBytes)}`,
    '--result_overflow_mode=throw',
    `--max_memory_usage=${Math.floor(l.maxMemoryBytes)}`,
    `--max_threads=${l.maxThreads}`,
    '--readonly=1',
  ];
}

if (parentPort === null) throw new Error('query-worker must run in a worker thread');
const port = parentPort;
const data = workerData as QueryWorkerData;
const send = (msg: FromQueryWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

/** The first line of an engine error (the rest is a stack of the engine's internals). */
const firstLine = (err: unknown) => String((err as Error).message ?? err).split('\n')[0];

// Sessions on the directory the recorder's worker holds: same engine, settings of their own. The
// statement runs in `runner`; the engine's parse of it is read in `parser`, which never runs one:
// after a statement fails mid-result, chdb hands its partial output to the session's next query
// (measured, chdb 3.4), which must never be the tree a decision is made on.
let runner: Session;
let parser: Session;
let forbidden: Set<string>;
try {
  runner = new Session(data.dataDir, { connectionArgs: sessionArgs(data.limits) });
  parser = new Session(data.dataDir, {
    connectionArgs: [`--max_execution_time=${data.limits.maxExecutionS}`, '--readonly=1'],
  });
  const applied = runner.query("SELECT getSetting('readonly'), getSetting('max_execution_time')", 'TSV');
  if (applied.trim() !== `1\t${data.limits.maxExecutionS}`)
    throw new Error(`the engine did not apply the read-only profile (got ${JSON.stringify(applied)})`);
  const names = parser.query(
    'SELECT lower(name) FROM system.table_functions WHERE NOT allow_readonly AND name NOT IN (SELECT name FROM system.functions)',
    'TSVRaw',
  );
  forbidden = new Set([
    ...names.split('\n').filter((n) => n !== ''),
    ...IO_FUNCTIONS.map((f) => f.toLowerCase()),
  ]);
  send({ op: 'ready' });
} catch (err) {
  send({ op: 'failed-start', message: firstLine(err) });
  port.close();
}

/** Runs `fn` on `s`; after a failure, one throwaway query takes whatever partial output it left. */
async function guarded<T>(s: Session, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    await s.queryAsync('SELECT 1', { format: 'TSV' }).catch(() => {});
    throw err;
  }
}

/** Parses with the engine, checks the tree, runs exactly the text that was checked. */
async function answer(id: number, sql: string, format: string): Promise<void> {
  let text: string;
  try {
    const r = await guarded(parser, () =>
      parser.queryBindAsync(
        'SELECT formatQuerySingleLine({sql:String}) AS q',
        { sql },
        { format: 'JSONEachRow' },
      ),
    );
    text = (JSON.parse(r.text()) as { q: string }).q;
  } catch (err) {
    const msg = firstLine(err);
    if (/Multi-statements are not allowed/.test(msg))
      send({ op: 'refused', id, reason: 'exactly one statement per query (the engine parsed more)' });
    else send({ op: 'failed', id, message: msg });
    return;
  }
  try {
    const ast = (
      await guarded(parser, () => parser.queryAsync(`EXPLAIN AST ${text}`, { format: 'TSVRaw' }))
    ).text();
    const why = refusal(ast, forbidden);
    if (why !== null) {
      send({ op: 'refused', id, reason: why });
      return;
    }
    const bytes = (await guarded(runner, () => runner.queryAsync(text, { format }))).bytes();
    // Copied into a buffer of its own so it can be handed over without another copy.
    const body = new Uint8Array(bytes.byteLength);
    body.set(bytes);
    send({ op: 'result', id, body }, [body.buffer as ArrayBuffer]);
  } catch (err) {
    send({ op: 'failed', id, message: firstLine(err) });
  }
}

/** One statement at a time (the engine's limits are per statement; the queue is bounded by the caller). */
let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: ToQueryWorker) => {
  if (msg.op === 'query') {
    chain = chain.then(() => answer(msg.id, msg.sql, msg.format));
    return;
  }
  chain = chain.then(async () => {
    runner?.close();
    parser?.close();
    await drainPending();
    send({ op: 'closed' });
    port.close();
  });
});
