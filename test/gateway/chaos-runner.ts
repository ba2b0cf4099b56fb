/**
 * A strategy runner of the chaos test, as its own process: streams `count` intents to the NATS
 * gateway of `account` (NEW orders resting under the market or crossing it, and cancels of its own
 * earlier orders), a few at a time, each until its final decision, retrying through leader
 * deaths and a NATS restart; then sends every intent again and checks the answer is the same.
 * Writes one JSON line per decision and per execution report to `out`.
 *
 *   node --import tsx test/gateway/chaos-runner.ts <url> <account> <runner> <count> <out> <seed>
 */
import { openSync, writeSync } from 'node:fs';
import { clientOrderId, type Decision, type IntentEnvelope } from '../../src/gateway/envelope.ts';
import { IntentSender } from '../../src/gateway/nats-client.ts';

const [url, account, runner, countArg, out, seedArg] = process.argv.slice(2);
const count = Number(countArg);
let seed = Number(seedArg) >>> 0 || 1;
/** Seeded xorshift: the same intents every run. */
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};

const fd = openSync(out, 'w');
const line = (o: object) => writeSync(fd, `${JSON.stringify({ t: Date.now(), ...o })}\n`);

const sender = await IntentSender.open({ url, account, runner, leaseTtlMs: 1000 });
const runnerNo = await sender.claimRunnerNo();
sender.onExec = (x) => line({ exec: x.type, order: x.orderId, qty: x.lastQty, leaves: x.leavesQty });
line({ runnerNo });

const envs: IntentEnvelope[] = [];
const approvedNew: number[] = [];
/** An intent's final decision, submitting again after a timeout (NATS down, no leader yet). */
async function decide(e: IntentEnvelope): Promise<Decision> {
  for (;;) {
    try {
      return await sender.decide(e, 15_000);
    } catch (err) {
      line({ retry: e.idempotencyKey, err: (err as Error).message });
    }
  }
}

let next = 0;
async function worker(): Promise<void> {
  while (next < count) {
    const i = ++next;
    const cancel = approvedNew.length > 0 && rand() < 0.4;
    const side = rand() < 0.5 ? 1 : -1;
    // GTC resting 20 points away from 33000, or IOC crossing it by 5 (fills when the market is near 33000).
    const resting = rand() < 0.5;
    const away = resting ? 20_00 : -5_00;
    const e: IntentEnvelope = {
      intentId: i,
      strategyId: runner,
      symbol: 'TXFD6',
      kind: cancel ? 'CANCEL' : 'NEW',
      side: side as 1 | -1,
      price: 33_000_00 - side * away,
      qty: 1,
      tif: resting ? 'GTC' : 'IOC',
      targetOrderId: cancel ? approvedNew.shift()! : 0,
      ts: 0,
      sourceTs: 0,
      idempotencyKey: `${runner}-${runnerNo}-${i}`,
      ttlNs: 0,
      decisionPrice: 0,
      clientOrderId: cancel ? 0 : clientOrderId(runnerNo, i),
      runner,
    };
    envs.push(e);
    const d = await decide(e);
    line({ key: e.idempotencyKey, kind: e.kind, decision: d });
    if (!cancel && resting && d.approved) approvedNew.push(d.orderId);
    // Paced (four workers: about 25 intents a second), so the faults land while intents flow.
    await new Promise((r) => setTimeout(r, 160));
  }
}
await Promise.all([worker(), worker(), worker(), worker()]);
// Every intent again: JetStream drops the repeated message id, the ledger answers the first decision.
for (const e of envs) line({ repeat: e.idempotencyKey, decision: await decide({ ...e }) });
line({ done: envs.length });
await sender.close();
