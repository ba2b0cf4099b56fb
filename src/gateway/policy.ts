import type { Nanos } from '../core/clock.ts';
import type { ApproveReason, GatewayReason, IntentKind } from './envelope.ts';

/** Gateway modes (gauge values as in the original): NORMAL 0, DEGRADE 1, HALT 2. */
export const PolicyMode = { NORMAL: 0, DEGRADE: 1, HALT: 2 } as const;
export type PolicyModeValue = (typeof PolicyMode)[keyof typeof PolicyMode];
export const POLICY_MODE_NAMES = ['NORMAL', 'DEGRADE', 'HALT'] as const;

export interface PolicyOptions {
  /** NEW/AMEND are refused STARTUP_HOLDOFF for this long after start (ns; 0 = off). */
  startupHoldoffNs: number;
  /** StormGuard at STORM or above moves NORMAL to DEGRADE, and back when it calms. */
  degradeOnStorm: boolean;
  /** In HALT, cancels still pass. */
  haltCancel: boolean;
  /** Strategies whose orders pass HALT and DEGRADE (HALT_EXEMPT / DEGRADE_EXEMPT). */
  exempt: ReadonlySet<string>;
}

/** Account position provider for the reduce-only rule: net quantity of a symbol over every strategy. */
export type AccountPosition = (symbolId: number) => number;

/**
 * The original's policy gate (gateway/policy.py). HALT is set by the operator only; DEGRADE by
 * the operator or, with degradeOnStorm, by StormGuard at STORM or above. A NEW/AMEND that
 * reduces the account's position (|pos + signed qty| < |pos|) or comes from an exempt strategy
 * passes with the rule's name as reason; CANCEL passes DEGRADE (HALT only with haltCancel);
 * FORCE_FLAT always passes. `check` returns null (rejected: reason in `lastReject`) or why it passed.
 */
export class GatewayPolicy {
  /** Set by the operator (setHalt/setDegrade/setNormal). */
  private operatorMode: PolicyModeValue = PolicyMode.NORMAL;
  /** Latest StormGuard level (0 NORMAL .. 3 HALT). */
  guardLevel = 0;
  private holdoffUntil = 0;
  lastReject: GatewayReason = 'HALT';

  constructor(
    private readonly opts: PolicyOptions,
    private readonly position: AccountPosition,
  ) {}

  /** Starts the startup hold-off at `now`. */
  start(now: Nanos): void {
    this.holdoffUntil = now + this.opts.startupHoldoffNs;
  }

  get mode(): PolicyModeValue {
    if (this.operatorMode === PolicyMode.HALT) return PolicyMode.HALT;
    if (this.operatorMode === PolicyMode.DEGRADE) return PolicyMode.DEGRADE;
    return this.opts.degradeOnStorm && this.guardLevel >= 2 ? PolicyMode.DEGRADE : PolicyMode.NORMAL;
  }

  setHalt(): void {
    this.operatorMode = PolicyMode.HALT;
  }
  setDegrade(): void {
    this.operatorMode = PolicyMode.DEGRADE;
  }
  setNormal(): void {
    this.operatorMode = PolicyMode.NORMAL;
  }

  check(
    kind: IntentKind,
    strategyId: string,
    symbolId: number,
    side: number,
    qty: number,
    now: Nanos,
  ): ApproveReason | null {
    if (kind === 'FORCE_FLAT') return 'OK';
    const mode = this.mode;
    if (kind === 'CANCEL') {
      if (mode === PolicyMode.HALT && !this.opts.haltCancel) return this.reject('HALT');
      return 'OK';
    }
    if (now < this.holdoffUntil) return this.reject('STARTUP_HOLDOFF');
    if (mode === PolicyMode.NORMAL) return 'OK';
    const halt = mode === PolicyMode.HALT;
    const pos = this.position(symbolId);
    if (Math.abs(pos + side * qty) < Math.abs(pos)) return halt ? 'HALT_REDUCE_ONLY' : 'DEGRADE_REDUCE_ONLY';
    if (this.opts.exempt.has(strategyId)) return halt ? 'HALT_EXEMPT' : 'DEGRADE_EXEMPT';
    return this.reject(halt ? 'HALT' : 'DEGRADE');
  }

  private reject(r: GatewayReason): null {
    this.lastReject = r;
    return null;
  }
}
