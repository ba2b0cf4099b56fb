import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Logger } from '../core/logger.ts';
import { Persister, type PersisterConfig, type PersisterEvent } from './persister.ts';
import { SharedStats } from './shared-stats.ts';

/** Passed as workerData. */
export interface RecorderWorkerData {
  config: PersisterConfig;
  /** One ring per topic, in TOPICS order. */
  rings: SharedArrayBuffer[];
  stats: SharedArrayBuffer;
  logLevel: string;
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

const persister = new Persister(data.config, data.rings, new SharedStats(data.stats), logger, send);
try {
  await persister.start();
  send({ op: 'ready' });
} catch (err) {
  const e = err as Error;
  send({ op: 'failed', name: e.name, message: e.message });
  port.close();
}

/** Requests run one at a time, in arrival order, so 'closed' comes after every earlier 'synced'. */
let chain: Promise<unknown> = Promise.resolve();
port.on('message', (msg: ToRecorderWorker) => {
  if (msg.op === 'flush') {
    persister.flushNow();
    return;
  }
  chain = chain.then(async () => {
    if (msg.op === 'sync') {
      await persister.sync();
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
