import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { openEmbeddedStore, type Store } from './store.ts';

/** Passed as workerData. */
export interface StoreWorkerData {
  dataDir: string;
}

/** Messages the recorder sends to the store worker. */
export type ToStoreWorker =
  | { op: 'insert'; id: number; table: string; columns: readonly string[]; payload: string }
  | { op: 'close' };

/** Messages the store worker sends back. `error` is the failure text, `rows` what the engine wrote. */
export type FromStoreWorker =
  | { op: 'ready' }
  | { op: 'failed'; name: string; message: string }
  | { op: 'ack'; id: number; rows: number; error: string | null }
  | { op: 'closed'; error: string | null };

if (parentPort === null) throw new Error('store-worker must run in a worker thread');
const port: MessagePort = parentPort;
const { dataDir } = workerData as StoreWorkerData;
const send = (msg: FromStoreWorker) => port.postMessage(msg);

/** Runs inserts one at a time, in arrival order, so a batch never overtakes an earlier one. */
function serve(store: Store): void {
  let chain: Promise<unknown> = Promise.resolve();
  port.on('message', (msg: ToStoreWorker) => {
    chain = chain.then(async () => {
      if (msg.op === 'insert') {
        try {
          const rows = await store.insert(msg.table, msg.columns, msg.payload);
          send({ op: 'ack', id: msg.id, rows, error: null });
        } catch (err) {
          send({ op: 'ack', id: msg.id, rows: 0, error: (err as Error).message });
        }
      } else {
        let error: string | null = null;
        try {
          await store.close();
        } catch (err) {
          error = (err as Error).message;
        }
        send({ op: 'closed', error });
        port.close();
      }
    });
  });
}

try {
  const store = await openEmbeddedStore(dataDir);
  serve(store);
  send({ op: 'ready' });
} catch (err) {
  const e = err as Error;
  send({ op: 'failed', name: e.name, message: e.message });
  port.close();
}
