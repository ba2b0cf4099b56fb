import type { Side } from '../contracts/market.ts';
import type { RejectReason, TimeInForce } from '../contracts/orders.ts';
import type { Nanos } from '../core/clock.ts';

/** What an intent asks the gateway to do (the original's NEW 0, AMEND 1, CANCEL 2, FORCE_FLAT 3). */
export type IntentKind = 'NEW' | 'AMEND' | 'CANCEL' | 'FORCE_FLAT';
export const INTENT_KINDS: readonly IntentKind[] = ['NEW', 'AMEND', 'CANCEL', 'FORCE_FLAT'];

/**
 * One order intent as a strategy runner hands it to the gateway (in-process, or as a JetStream
 * message). Prices are scaled integers. `idempotencyKey` '' = no dedup; `ttlNs` 0 = no TTL.
 */
export interface IntentEnvelope {
  intentId: number;
  strategyId: string;
  /** Symbol code (ids are per process; codes are what runners and the gateway share). */
  symbol: string;
  kind: IntentKind;
  side: Side;
  price: number;
  qty: number;
  tif: TimeInForce;
  /** AMEND/CANCEL: client order id of the order acted on (0 otherwise). */
  targetOrderId: number;
  /** When the strategy formed the intent (ns since the epoch of `epochMs`). */
  ts: Nanos;
  /** Market-data time that triggered it (ns), 0 when unknown. */
  sourceTs: Nanos;
  idempotencyKey: string;
  ttlNs: number;
  /** Reference price at decision time (scaled), for slippage; 0 when unknown. */
  decisionPrice: number;
  /**
   * Client order id the order gets at the venue, derived from the intent (runner id and the
   * runner's order number), so a venue can drop a repeated submission too. 0 = the gateway assigns one.
   */
  clientOrderId: number;
  /** Runner that sent it: decisions and execution reports go back there. */
  runner: string;
}

/** Reasons the gateway itself gives (the original's), beyond the risk and adapter reasons. */
export type GatewayReason = Extract<
  RejectReason,
  | 'DEDUP_IN_FLIGHT'
  | 'TTL_EXPIRED'
  | 'STARTUP_HOLDOFF'
  | 'HALT'
  | 'DEGRADE'
  | 'GLOBAL_EXPOSURE_LIMIT'
  | 'STRATEGY_EXPOSURE_LIMIT'
  | 'EXPOSURE_SYMBOL_LIMIT'
  | 'NOT_LEADER'
  | 'ORDER_QUEUE_FULL'
>;

/** Why an approved intent passed the policy: 'OK' in NORMAL, else the rule that let it through. */
export type ApproveReason =
  | 'OK'
  | 'HALT_REDUCE_ONLY'
  | 'HALT_EXEMPT'
  | 'DEGRADE_REDUCE_ONLY'
  | 'DEGRADE_EXEMPT';

/** The gateway's answer to one intent; the first committed decision for a key is final. */
export interface Decision {
  key: string;
  intentId: number;
  approved: boolean;
  /** Why: an ApproveReason when approved, else a RejectReason. */
  reason: ApproveReason | RejectReason;
  /** Client order id of the order sent (0 when rejected, or a CANCEL). */
  orderId: number;
  /** Lease revision of the gateway that decided (0 in-process). */
  lease: number;
}

/** A wire envelope that is not one: a clear message for the sender, never a crash of the gateway. */
export class EnvelopeError extends Error {}

const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

const RUNNER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A module function, not a closure per call (an intent is parsed per message over NATS). */
function need(e: Record<string, unknown>, k: string, ok: boolean): void {
  if (!ok) throw new EnvelopeError(`envelope: bad ${k}: ${JSON.stringify(e[k])}`);
}

/** Checks a decoded JSON envelope (from the network); throws EnvelopeError naming the first bad field. */
export function parseEnvelope(raw: unknown): IntentEnvelope {
  if (typeof raw !== 'object' || raw === null) throw new EnvelopeError('envelope: not an object');
  const e = raw as Record<string, unknown>;
  need(e, 'intentId', int(e.intentId) && (e.intentId as number) >= 0);
  need(e, 'strategyId', typeof e.strategyId === 'string' && e.strategyId !== '');
  need(e, 'symbol', typeof e.symbol === 'string' && e.symbol !== '');
  need(e, 'kind', INTENT_KINDS.includes(e.kind as IntentKind));
  need(e, 'side', e.side === 1 || e.side === -1);
  need(e, 'price', int(e.price) && (e.price as number) >= 0);
  need(e, 'qty', int(e.qty) && (e.qty as number) >= 0);
  need(e, 'tif', e.tif === 'GTC' || e.tif === 'IOC' || e.tif === 'POST_ONLY');
  need(e, 'targetOrderId', int(e.targetOrderId) && (e.targetOrderId as number) >= 0);
  need(e, 'ts', typeof e.ts === 'number' && Number.isFinite(e.ts));
  need(e, 'sourceTs', typeof e.sourceTs === 'number' && Number.isFinite(e.sourceTs));
  need(e, 'idempotencyKey', typeof e.idempotencyKey === 'string' && e.idempotencyKey.length <= 256);
  need(e, 'ttlNs', typeof e.ttlNs === 'number' && (e.ttlNs as number) >= 0);
  need(e, 'decisionPrice', int(e.decisionPrice));
  need(e, 'clientOrderId', int(e.clientOrderId) && (e.clientOrderId as number) >= 0);
  need(e, 'runner', typeof e.runner === 'string' && RUNNER_NAME.test(e.runner));
  return {
    intentId: e.intentId as number,
    strategyId: e.strategyId as string,
    symbol: e.symbol as string,
    kind: e.kind as IntentKind,
    side: e.side as Side,
    price: e.price as number,
    qty: e.qty as number,
    tif: e.tif as TimeInForce,
    targetOrderId: e.targetOrderId as number,
    ts: e.ts as number,
    sourceTs: e.sourceTs as number,
    idempotencyKey: e.idempotencyKey as string,
    ttlNs: e.ttlNs as number,
    decisionPrice: e.decisionPrice as number,
    clientOrderId: e.clientOrderId as number,
    runner: e.runner as string,
  };
}

/**
 * Client order id of a runner's order: the runner number in the high bits, the runner's own
 * order number in the low 32, so two runners never collide and a retried intent maps to the
 * same id (at most 2^20 runners: the result stays a safe integer).
 */
export function clientOrderId(runnerNo: number, localOrderId: number): number {
  if (!Number.isInteger(runnerNo) || runnerNo < 0 || runnerNo >= 2 ** 20)
    throw new RangeError(`runner number ${runnerNo} outside 0..${2 ** 20 - 1}`);
  if (!Number.isInteger(localOrderId) || localOrderId <= 0 || localOrderId >= 2 ** 32)
    throw new RangeError(`local order id ${localOrderId} outside 1..2^32-1`);
  return runnerNo * 2 ** 32 + localOrderId;
}
