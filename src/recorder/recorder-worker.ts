import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Logger } from '../core/logger.ts';
import { Persister, type PersisterConfig, type PersisterEvent } from './persister.ts';
import { SharedStats } from './shared-stats.ts';
import { DiskFaults, useDiskFaults } from './wal/disk-io.ts';

/** Passed as workerData. */
export interface RecorderWorkerData {
  config: PersisterConfig;
  /** One ring per topic, in TOPICS order. */
  rings: SharedArrayBuffer[];
  stats: SharedArrayBuffer;
  logLevel: string;
  /** Injected disk faults (tests): the memory of a DiskFaults. */
  diskFaults: SharedArrayBuffer | null;
}

/** Messages the trading thread sends. */
export type ToRecorderWorker = { op: 'flush' } | { op: 'sync'; id: number } | { op: 'close' };

/** Messages the worker sends back; `log` carries one JSON log line for the trading thread's logger. */
export type FromRecorderWorker =
  | PersisterEvent
  | { op: 'ready' }
  | { op: 'failed'; name: string; message: string }
  | { op: 'synced'; id: number }
  | { op: 'log'; line: string }
  | { op: 'closed'; error: string | null };

if (parentPort === null) throw new Error('recorder-worker must run in a worker thread');
const port: MessagePort = parentPort;
const data = workerData as RecorderWorkerData;
const send = (msg: FromRecorderWorker) => port.postMessage(msg);
// Log lines go to the trading thread, which writes them through its own logger (one stream, testable).
const logger: Logger = pino(
  { level: data.logLevel, base: undefined },
  { write: (line: string) => send({ op: 'log', line }) },
);

if (data.diskFaults !== null) useDiskFaults(new DiskFaults(data.diskFaults));

/** Opens the sink; null (after telling the trading thread why) when it cannot. */
async function open(): Promise<Persister | null> {
  try {
    const p = new Persister(data.config, data.rings, new SharedStats(data.stats), logger, send);
    await p.start();
    send({ op: 'ready' });
    return p;
  } catch (err) {
    const e = err as Error;
    send({ op: 'failed', name: e.name, message: e.message });
    port.close();
    return null;
  }
}

/**
 * Requests run one at a time, in arrival order, so 'closed' comes after every earlier 'synced'. A request
 * that throws (a bug) is answered anyway, so the trading thread never waits forever.
 */
function serve(persister: Persister): void {
  let chain: Promise<unknown> = Promise.resolve();
  port.on('message', (msg: ToRecorderWorker) => {
    if (msg.op === 'flush') {
      persister.flushNow();
      return;
    }
    chain = chain.then(async () => {
      if (msg.op === 'sync') {
        try {
          await persister.sync();
        } catch (err) {
          logger.error({ err: (err as Error).stack }, 'recorder sync failed');
        }
        send({ op: 'synced', id: msg.id });
      } else {
        let error: string | null = null;
        try {
          error = await persister.close();
        } catch (err) {
          error = (err as Error).message;
        }
        send({ op: 'closed', error });
        port.close();
      }
    });
  });
}

const persister = await open();
if (persister !== null) serve(persister);
