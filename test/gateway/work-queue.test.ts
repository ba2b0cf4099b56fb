import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { distribute, serveWork, type WorkItem, workNames } from '../../src/gateway/work-queue.ts';
import { type NatsServer, natsServerBinary, startNatsServer } from '../helpers/nats-server.ts';

const bin = natsServerBinary();
const skip =
  bin === null && process.env.CI !== 'true'
    ? 'nats-server not installed (apt-get install nats-server)'
    : false;
if (skip) process.stdout.write(`# SKIP work queue tests: ${skip}\n`);

let server: NatsServer;
before(async () => {
  if (!skip) server = await startNatsServer();
});
after(async () => {
  await server?.stop();
});

const square = async (t: unknown) => (t as { x: number }).x ** 2;

test('work queue: items spread over two workers, one result per item in item order', {
  skip,
  timeout: 120_000,
}, async () => {
  const stop = new AbortController();
  const by: Record<string, number> = {};
  const workers = ['w1', 'w2'].map((name) =>
    serveWork(
      { url: server.url, queue: 'q1', name, onItem: (_i, r) => (by[r.worker] = (by[r.worker] ?? 0) + 1) },
      {
        square: async (t) => {
          // Long enough that one worker cannot take every item before the other pulls.
          await new Promise((r) => setTimeout(r, 30));
          return square(t);
        },
      },
      stop.signal,
    ),
  );
  const tasks = Array.from({ length: 20 }, (_, x) => ({ x }));
  const seen: number[] = [];
  const rs = await distribute<{ x: number }, number>(server.url, 'q1', 'square', tasks, (r) =>
    seen.push(r.index),
  );
  // Without a progress callback too (the count of results must not depend on it).
  const one = await distribute<{ x: number }, number>(server.url, 'q1', 'square', [{ x: 3 }]);
  assert.deepEqual(
    one.map((r) => ('value' in r ? r.value : r.error)),
    [9],
  );
  stop.abort();
  const done = await Promise.all(workers);
  assert.deepEqual(
    rs.map((r) => ('value' in r ? r.value : r.error)),
    tasks.map((t) => t.x ** 2),
  );
  assert.equal(seen.length, 20);
  assert.equal(done[0] + done[1], 21, 'each item run once');
  assert.ok(by.w1 > 0 && by.w2 > 0, `both workers took items: ${JSON.stringify(by)}`);
});

test('work queue: an item whose worker died is run again elsewhere, and counted once', {
  skip,
  timeout: 120_000,
}, async () => {
  const ackWaitMs = 1000;
  const names = workNames('q2');
  const tasks = Array.from({ length: 6 }, (_, x) => ({ x }));
  const counted: number[] = [];
  const pending = distribute<{ x: number }, number>(
    server.url,
    'q2',
    'square',
    tasks,
    (r) => counted.push(r.index),
    ackWaitMs,
  );
  // Two workers that die: one before answering, one after answering but before its ack.
  const nc = await connect({ servers: server.url });
  const js = jetstream(nc);
  let consumer: Awaited<ReturnType<typeof js.consumers.get>> | null = null;
  for (let i = 0; i < 200 && consumer === null; i++) {
    consumer = await js.consumers.get(names.tasks, names.consumer).catch(() => null);
    if (consumer === null) await new Promise((r) => setTimeout(r, 25));
  }
  const a = await consumer!.next({ expires: 20_000 });
  const b = await consumer!.next({ expires: 20_000 });
  assert.ok(a !== null && b !== null);
  const ib = b.json() as WorkItem<{ x: number }>;
  await js.publish(
    names.result(ib.job),
    JSON.stringify({ job: ib.job, index: ib.index, worker: 'dead', wallS: 0, value: ib.task.x ** 2 }),
    { msgID: `${ib.job}-${ib.index}` },
  );
  await nc.close();
  const stop = new AbortController();
  const runs: number[] = [];
  const worker = serveWork(
    { url: server.url, queue: 'q2', name: 'w', ackWaitMs, onItem: (i) => runs.push(i.index) },
    { square },
    stop.signal,
  );
  const rs = await pending;
  stop.abort();
  await worker;
  assert.deepEqual(
    rs.map((r) => ('value' in r ? r.value : r.error)),
    tasks.map((t) => t.x ** 2),
  );
  assert.deepEqual(
    [...counted].sort((x, y) => x - y),
    [0, 1, 2, 3, 4, 5],
    'each item counted once',
  );
  const ia = (a.json() as WorkItem).index;
  assert.ok(runs.includes(ia), 'the item of the worker that died before answering ran again');
  // The item answered before its worker died is redelivered too: its second result is dropped.
  assert.equal(rs[ib.index].worker === 'dead' || runs.includes(ib.index), true);
});
