import { Worker } from 'node:worker_threads';
// Keeps the native engine loaded in this thread (see recorder.ts: unloading it with a worker crashes).
import 'chdb';
import { workerUrl } from '../core/worker-url.ts';
import type { FromQueryWorker, QueryLimits, QueryWorkerData, ToQueryWorker } from './query-worker.ts';

export type { QueryLimits } from './query-worker.ts';

/** Why a query got no rows: `refused` by the policy, `failed` in the engine (limits included), `busy`, `closed`. */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly kind: 'refused' | 'failed' | 'busy' | 'closed',
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

/** Statements waiting or running at once; more are answered `busy`. */
const MAX_WAITING = 4;

interface Pending {
  resolve: (body: Uint8Array) => void;
  reject: (err: QueryError) => void;
  timer: NodeJS.Timeout;
}

/**
 * Read-only SQL on the embedded store this process records into, for other processes
 * (`hft db query` through /api/query). Statements run in a worker thread of their own, on a
 * second engine session with readonly=1 and the limits given (time, result rows and bytes,
 * memory, threads), so a heavy statement never waits for, or holds up, the recorder's inserts.
 */
export class QueryService {
  readonly counts = { ok: 0, refused: 0, failed: 0, busy: 0 };
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closing: Promise<void> | null = null;
  private gone = false;

  private constructor(
    private readonly worker: Worker,
    private readonly limits: QueryLimits,
  ) {
    worker.on('message', (msg: FromQueryWorker) => this.onMessage(msg));
    worker.on('error', (err) => this.fail(`query worker crashed: ${err.message}`));
    worker.on('exit', (code) => this.fail(`query worker exited (code ${code})`));
  }

  /** Opens the read-only session on `dataDir` (which a recorder of this process already holds). */
  static async open(dataDir: string, limits: QueryLimits): Promise<QueryService> {
    const data: QueryWorkerData = { dataDir, limits };
    const worker = new Worker(workerUrl('query-worker', import.meta.url), { workerData: data });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: FromQueryWorker) => {
        if (msg.op === 'ready') done(null);
        else if (msg.op === 'failed-start') done(new Error(`read-only query session: ${msg.message}`));
      };
      const onExit = (code: number) => done(new Error(`query worker exited (code ${code}) before opening`));
      const done = (err: Error | null) => {
        worker.off('message', onMessage);
        worker.off('error', done);
        worker.off('exit', onExit);
        if (err === null) resolve();
        else reject(err);
      };
      worker.on('message', onMessage);
      worker.on('error', done);
      worker.on('exit', onExit);
    }).catch(async (err) => {
      await worker.terminate();
      throw err;
    });
    return new QueryService(worker, limits);
  }

  /** Runs one statement; resolves with its output in `format`, rejects with a QueryError. */
  query(sql: string, format: string): Promise<Uint8Array> {
    if (this.gone || this.closing !== null)
      return Promise.reject(new QueryError('the query session is closed', 'closed'));
    if (this.pending.size >= MAX_WAITING) {
      this.counts.busy++;
      return Promise.reject(new QueryError(`${MAX_WAITING} queries are already running or waiting`, 'busy'));
    }
    const id = ++this.nextId;
    // The engine stops a statement at max_execution_time; this only catches a worker that stopped answering.
    const backstopMs = (this.limits.maxExecutionS * 2 + 10) * 1000 * MAX_WAITING;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.counts.failed++;
        reject(new QueryError(`no answer from the query session after ${backstopMs / 1000} s`, 'failed'));
      }, backstopMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      this.post({ op: 'query', id, sql, format });
    });
  }

  /** Waits for the statement in progress (bounded by its time limit), then closes the session. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (!this.gone) {
      await new Promise<void>((resolve) => {
        const onMessage = (msg: FromQueryWorker) => {
          if (msg.op === 'closed') resolve();
        };
        this.worker.on('message', onMessage);
        this.worker.once('exit', () => resolve());
        this.post({ op: 'close' });
      });
    }
    this.gone = true;
    await this.worker.terminate();
  }

  private post(msg: ToQueryWorker): void {
    this.worker.postMessage(msg);
  }

  private onMessage(msg: FromQueryWorker): void {
    if (msg.op !== 'result' && msg.op !== 'refused' && msg.op !== 'failed') return;
    const p = this.pending.get(msg.id);
    if (p === undefined) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.op === 'result') {
      this.counts.ok++;
      p.resolve(msg.body);
    } else if (msg.op === 'refused') {
      this.counts.refused++;
      p.reject(new QueryError(msg.reason, 'refused'));
    } else {
      this.counts.failed++;
      p.reject(new QueryError(`${msg.message}${limitHint(msg.message)}`, 'failed'));
    }
  }

  private fail(reason: string): void {
    if (this.gone) return;
    this.gone = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new QueryError(reason, 'closed'));
    }
    this.pending.clear();
  }
}

/** Which setting stopped a statement, for the one-line error the caller sees. */
function limitHint(message: string): string {
  if (/TIMEOUT_EXCEEDED/.test(message)) return ' [limit: ops.query.max_execution_s of the running process]';
  if (/TOO_MANY_ROWS_OR_BYTES/.test(message))
    return ' [limit: ops.query.max_result_rows / max_result_mb of the running process]';
  if (/MEMORY_LIMIT_EXCEEDED/.test(message))
    return ' [limit: ops.query.max_memory_mb of the running process]';
  if (/\(READONLY\)/.test(message)) return ' [statements run read-only: no writes, no settings]';
  return '';
}
