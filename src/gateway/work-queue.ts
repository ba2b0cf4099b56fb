import { randomBytes } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/** Streams and subjects of one work queue (research items for `hft worker` processes). */
export function workNames(queue: string) {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(queue))
    throw new Error(`work queue ${JSON.stringify(queue)}: use letters, digits, _ and -`);
  return {
    tasks: `HFT_WORK_${queue}`,
    task: `hft.work.${queue}.task`,
    results: `HFT_WORK_${queue}_RESULTS`,
    result: (job: string) => `hft.work.${queue}.result.${job}`,
    consumer: 'workers',
  };
}

/** One work item on the wire: a job's item `index`, of a kind a worker knows. */
export interface WorkItem<T = unknown> {
  job: string;
  index: number;
  kind: string;
  task: T;
}

/** A worker's answer for one item: its value, or the error that item raised. */
export type WorkResult<R = unknown> =
  | { job: string; index: number; worker: string; wallS: number; value: R }
  | { job: string; index: number; worker: string; wallS: number; error: string };

/** How long a worker may hold an item without a sign of life before it goes to another worker. */
export const ACK_WAIT_MS = 30_000;

/** The queue's streams and consumer (idempotent); `ackWaitMs` applies when this call creates the consumer. */
async function ensureQueue(nc: NatsConnection, queue: string, ackWaitMs = ACK_WAIT_MS) {
  const n = workNames(queue);
  const jsm = await jetstreamManager(nc);
  const add = async (cfg: Parameters<typeof jsm.streams.add>[0]) => {
    try {
      await jsm.streams.info(cfg.name!);
    } catch {
      await jsm.streams.add(cfg);
    }
  };
  // Tasks: a work queue (an item is removed once a worker acks it); results: kept an hour, their
  // message id (job + index) drops a second answer for the same item within the duplicate window.
  await add({ name: n.tasks, subjects: [n.task], retention: RetentionPolicy.Workqueue });
  await add({ name: n.results, subjects: [n.result('*')], max_age: 3600e9, duplicate_window: 600e9 });
  try {
    await jsm.consumers.info(n.tasks, n.consumer);
  } catch {
    await jsm.consumers.add(n.tasks, {
      durable_name: n.consumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: ackWaitMs * 1e6,
      max_ack_pending: 10_000,
    });
  }
  return { names: n, js: jetstream(nc), jsm };
}

/**
 * A connection to a queue that sends jobs (`run`) one after another: the connection and the queue's
 * streams are set up once, so a caller with many small jobs (a search's batches) pays that once.
 */
export class WorkQueueClient {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly q: Awaited<ReturnType<typeof ensureQueue>>,
  ) {}

  static async open(url: string, queue: string, ackWaitMs = ACK_WAIT_MS): Promise<WorkQueueClient> {
    const nc = await connect({ servers: url, name: 'hft-work-client', maxReconnectAttempts: -1 });
    try {
      return new WorkQueueClient(nc, await ensureQueue(nc, queue, ackWaitMs));
    } catch (e) {
      await nc.close().catch(() => {});
      throw e;
    }
  }

  /**
   * Sends a job's items to the queue and collects one result per item, in item order. Delivery to
   * workers is at least once (a worker that dies mid-item leaves it to another after the ack wait,
   * and may have answered already): the first result of each item counts, later ones are dropped,
   * so the results are exactly once. `onResult` sees each counted result as it arrives.
   */
  async run<T, R>(
    kind: string,
    tasks: readonly T[],
    onResult?: (r: WorkResult<R>, done: number) => void,
  ): Promise<WorkResult<R>[]> {
    const { names, js, jsm } = this.q;
    const job = randomBytes(6).toString('hex');
    const results: WorkResult<R>[] = new Array(tasks.length);
    if (tasks.length === 0) return results;
    let done = 0;
    // The results consumer exists before the first item goes: a fast worker's answer cannot
    // arrive before it (the ordered consumer does not replay what came before it here).
    // A consumer of this job's results (one filter subject: a list needs nats-server 2.10, Debian
    // 12 ships 2.9), removed by the server after 10 minutes without use.
    const ci = await jsm.consumers.add(names.results, {
      filter_subject: names.result(job),
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.None,
      inactive_threshold: 600e9,
    });
    const c = await js.consumers.get(names.results, ci.name);
    const msgs = await c.consume();
    const all = new Promise<void>((resolve, reject) => {
      void (async () => {
        for await (const m of msgs) {
          const r = m.json() as WorkResult<R>;
          if (r.index >= 0 && r.index < tasks.length && results[r.index] === undefined) {
            results[r.index] = r;
            done++;
            onResult?.(r, done);
            if (done === tasks.length) {
              // Not awaited: close() waits for this loop to end.
              void msgs.close();
              break;
            }
          }
        }
        resolve();
      })().catch(reject);
    });
    // Awaited after the items are published; a failure before that is not unhandled.
    all.catch(() => {});
    // Published without waiting for each ack in turn (one connection keeps their order).
    await Promise.all(
      tasks.map((task, i) => {
        const item: WorkItem<T> = { job, index: i, kind, task };
        return js.publish(names.task, JSON.stringify(item), { msgID: `${job}-${i}` });
      }),
    );
    await all;
    // The job's results consumer is not needed any more (the server would drop it after 10 minutes).
    await jsm.consumers.delete(names.results, ci.name).catch(() => {});
    return results;
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => {});
  }
}

/** One job on its own connection (WorkQueueClient.run). */
export async function distribute<T, R>(
  url: string,
  queue: string,
  kind: string,
  tasks: readonly T[],
  onResult?: (r: WorkResult<R>, done: number) => void,
  ackWaitMs = ACK_WAIT_MS,
): Promise<WorkResult<R>[]> {
  const c = await WorkQueueClient.open(url, queue, ackWaitMs);
  try {
    return await c.run(kind, tasks, onResult);
  } finally {
    await c.close();
  }
}

export interface WorkerOptions {
  url: string;
  queue: string;
  name: string;
  /** Stop after this many items (0 = never). */
  maxItems?: number;
  /** Stop after this long without an item, ms (0 = never). */
  idleExitMs?: number;
  onItem?: (item: WorkItem, r: WorkResult) => void;
  /** The queue's ack wait when this worker creates it (default ACK_WAIT_MS). */
  ackWaitMs?: number;
}

/**
 * Serves a queue: pulls one item at a time, runs `handlers[item.kind]`, publishes the result
 * (message id = job + index) and only then acks the item. Returns the number of items done
 * when it stops (maxItems, idleExitMs, or `signal` aborted).
 */
export async function serveWork(
  o: WorkerOptions,
  handlers: Readonly<Record<string, (task: unknown) => Promise<unknown>>>,
  signal?: AbortSignal,
): Promise<number> {
  const nc = await connect({ servers: o.url, name: `hft-worker-${o.name}`, maxReconnectAttempts: -1 });
  let n = 0;
  try {
    const ackWaitMs = o.ackWaitMs ?? ACK_WAIT_MS;
    const { names, js } = await ensureQueue(nc, o.queue, ackWaitMs);
    const consumer = await js.consumers.get(names.tasks, names.consumer);
    let idleSince = Date.now();
    while (!signal?.aborted && (o.maxItems === undefined || o.maxItems === 0 || n < o.maxItems)) {
      const m = await consumer.next({ expires: 1000 }).catch(() => null);
      if (m === null) {
        if (o.idleExitMs && Date.now() - idleSince >= o.idleExitMs) break;
        continue;
      }
      const item = m.json() as WorkItem;
      const t0 = performance.now();
      const alive = setInterval(() => m.working(), ackWaitMs / 3);
      let r: WorkResult;
      try {
        const h = handlers[item.kind];
        if (h === undefined) throw new Error(`this worker cannot run items of kind '${item.kind}'`);
        const value = await h(item.task);
        r = {
          job: item.job,
          index: item.index,
          worker: o.name,
          wallS: (performance.now() - t0) / 1000,
          value,
        };
      } catch (err) {
        r = {
          job: item.job,
          index: item.index,
          worker: o.name,
          wallS: (performance.now() - t0) / 1000,
          error: (err as Error).message,
        };
      } finally {
        clearInterval(alive);
      }
      await publishResult(js, names.result(item.job), r);
      m.ack();
      n++;
      o.onItem?.(item, r);
      idleSince = Date.now();
    }
    return n;
  } finally {
    await nc.drain().catch(() => {});
  }
}

async function publishResult(js: JetStreamClient, subject: string, r: WorkResult): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await js.publish(subject, JSON.stringify(r), { msgID: `${r.job}-${r.index}` });
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((res) => setTimeout(res, Math.min(2000, 50 * 2 ** attempt)));
    }
  }
}

/** A calibration item: burns the CPU for `ms` (the bench's measure of the queue's own cost). */
export async function spin(task: unknown): Promise<number> {
  const ms = (task as { ms: number }).ms;
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x++;
  return x;
}
