import type { Settings } from '../config/schema.ts';
import type { Clock, Nanos } from '../core/clock.ts';
import { NS_PER_S } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { Scheduler, TaskSource } from '../core/scheduler.ts';

export const GUARD_STATES = ['NORMAL', 'WARM', 'STORM', 'HALT'] as const;
export type GuardStateName = (typeof GUARD_STATES)[number];
/** 0 NORMAL, 1 WARM, 2 STORM, 3 HALT. */
export type GuardLevel = 0 | 1 | 2 | 3;
const NORMAL = 0;
const WARM = 1;
const STORM = 2;
const HALT = 3;

/** Thresholds (0 turns one off) and hysteresis. */
export interface GuardThresholds {
  drawdownWarmBps: number;
  drawdownStormBps: number;
  /** HALT on drawdown latches (a daily-loss stop) until a manual reset. */
  drawdownHaltBps: number;
  rejectRateWarm: number;
  rejectRateStorm: number;
  feedGapStormS: number;
  latencyWarmUs: number;
  latencyStormUs: number;
  /** A strategy callback threw since the last evaluation -> WARM. */
  strategyErrorsWarm: boolean;
  /** Consecutive calmer evaluations before stepping down one level. */
  deEscalateAfter: number;
  /** Minimum time in WARM, STORM, HALT before leaving it (ns; index = level). */
  cooldownNs: readonly [number, number, number, number];
  /** STORM (and HALT) make the risk engine reduce-only. */
  stormReduceOnly: boolean;
  cancelOnHalt: boolean;
}

/** One evaluation's measurements; NaN = not measurable now (ignored). */
export interface GuardInputs {
  /** Loss from the session's equity peak, bps of capital (>= 0). */
  drawdownBps: number;
  /** Venue rejects / orders sent over the window (NaN below the minimum sample). */
  rejectRate: number;
  /** Seconds since market data last arrived (0 before the feed started). */
  feedGapS: number;
  /** How late the guard's own timer fired, us (event-loop / scheduler lag). */
  latencyUs: number;
  /** Strategy callback errors since the previous evaluation. */
  strategyErrors: number;
}

export interface GuardTransition {
  ts: Nanos;
  from: GuardStateName;
  to: GuardStateName;
  reason: string;
  inputs: GuardInputs;
}

/** What StormGuard acts on. */
export interface GuardTargets {
  /** Kill switches held set while HALT (the risk engine's and the order adapter's). */
  gates: { halted: boolean }[];
  /** Made reduce-only in STORM and HALT when stormReduceOnly (the risk engine). */
  reducer: { reduceOnly: boolean };
  /** Cancels every working order; returns how many cancels went out. */
  cancelAll(): number;
}

/** Produces the inputs of one evaluation (see GuardSampler). */
export interface GuardInputSource {
  sample(now: Nanos, lagNs: number): GuardInputs;
  /** After a manual reset: measure drawdown from here. */
  rebase(): void;
  /** True when the inputs cannot change until other work runs (nothing moved for a whole window). */
  idle?(): boolean;
}

const HISTORY = 1000;

/**
 * StormGuard: the safety state machine NORMAL -> WARM -> STORM -> HALT. Each evaluation maps
 * the inputs to a target state (drawdown, reject rate, feed gap, latency, strategy errors);
 * other planes raise reasons directly (`raise`, e.g. the supervisor's loop lag) and
 * an operator latches HALT (`halt`), and safety conditions hold it while they are true
 * (`hold`: the recorder's disk, a reconciliation mismatch). Escalation is immediate;
 * de-escalation goes one level at a time after `deEscalateAfter` consecutive calmer evaluations
 * and the state's cooldown, and never out of HALT while a latch or condition holds. HALT blocks
 * every new order at once and cancels working ones; STORM is reduce-only. `resume` is the
 * manual reset, refused while a condition still holds. Every transition is logged, kept in
 * `history` and passed to `onTransition` listeners.
 */
export class StormGuard implements TaskSource {
  /** Time of the next evaluation on the scheduler (Infinity: not running). */
  nextTs = Number.POSITIVE_INFINITY;
  private state: GuardLevel = NORMAL;
  private enteredAt: Nanos;
  private calm = 0;
  /** HALT latches (drawdown, manual, raised HALTs) and the reason that set each: a manual reset lifts them. */
  private readonly latches = new Map<string, string>();
  /**
   * Drawdown of the last evaluation that latched HALT: the 'drawdown' latch holds DRAWDOWN_LATCH
   * and its text is formatted from this when read (a losing backtest re-latches on every one of
   * tens of thousands of evaluations; the text is read on a transition or by `reasons`).
   */
  private latchDrawdownBps = 0;
  /** Conditions holding HALT while they are true, by name: only their owner lifts them (release). */
  private readonly conditions = new Map<string, string>();
  /** Levels raised from outside, by reason. */
  private readonly external = new Map<string, GuardLevel>();
  private inputLevel: GuardLevel = NORMAL;
  private inputCause: Cause = Cause.None;
  private readonly listeners: ((t: GuardTransition) => void)[] = [];
  readonly history: GuardTransition[] = [];
  readonly lastInputs: GuardInputs = {
    drawdownBps: 0,
    rejectRate: Number.NaN,
    feedGapS: 0,
    latencyUs: 0,
    strategyErrors: 0,
  };
  transitions = 0;
  evaluations = 0;
  /** Cancels sent on entering HALT. */
  haltCancels = 0;
  private source: GuardInputSource | null = null;
  private running = false;
  private scheduler: Scheduler | null = null;
  private intervalNs = 0;

  constructor(
    private readonly th: GuardThresholds,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly targets: GuardTargets,
  ) {
    this.enteredAt = clock.nowNs();
  }

  get level(): GuardLevel {
    return this.state;
  }

  get stateName(): GuardStateName {
    return GUARD_STATES[this.state];
  }

  /** New orders are blocked: all of them in HALT, position-increasing ones in STORM. */
  get blocking(): boolean {
    return this.state >= STORM;
  }

  /** What holds the current state: latches, raised reasons, and the inputs' reason. */
  get reasons(): readonly string[] {
    const r = [...this.conditions.values()];
    for (const v of this.latches.values()) r.push(this.latchText(v));
    r.push(...this.external.keys());
    if (this.inputCause !== Cause.None) r.push(this.inputReason());
    return r;
  }

  onTransition(fn: (t: GuardTransition) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Evaluates `source` every `intervalNs` on the scheduler (simulated or real time), as a scheduler
   * source rather than a task per evaluation (a simulated day holds ~200k of them).
   */
  start(scheduler: Scheduler, intervalNs: number, source: GuardInputSource): void {
    this.source = source;
    this.intervalNs = intervalNs;
    if (this.scheduler !== scheduler) {
      if (this.scheduler !== null) throw new Error('StormGuard: started on a second scheduler');
      this.scheduler = scheduler;
      scheduler.addSource(this, true);
    }
    this.running = true;
    this.nextTs = scheduler.clock.nowNs() + intervalNs;
  }

  stop(): void {
    this.running = false;
    this.nextTs = Number.POSITIVE_INFINITY;
  }

  /** One timed evaluation (the scheduler calls it when `nextTs` is due). */
  run(): void {
    const sched = this.scheduler!;
    const now = sched.clock.nowNs();
    const due = this.nextTs;
    this.update(this.source!.sample(now, Math.max(0, now - due)));
    let next = due + this.intervalNs;
    if (next <= now) next = now + this.intervalNs; // fell behind: skip, do not burst
    // Simulated time with nothing to do until the next work item (two recorded sessions months
    // apart): settled on idle inputs, the evaluations in between would change nothing, so the
    // guard resumes on its grid at that item (exact; a day of data no longer costs a year of
    // evaluations). Not with a feed-gap threshold: there the gap itself is an input.
    if (
      sched.clock.simulated &&
      this.state === this.inputLevel &&
      this.th.feedGapStormS === 0 &&
      this.source!.idle?.() === true
    ) {
      const work = sched.nextWorkTs();
      if (work > next)
        next =
          work === Number.POSITIVE_INFINITY
            ? work
            : due + Math.ceil((work - due) / this.intervalNs) * this.intervalNs;
    }
    // A transition's listener may have stopped the guard.
    if (this.running) this.nextTs = next;
  }

  /** One evaluation of measured inputs. */
  update(inp: GuardInputs): void {
    this.evaluations++;
    const last = this.lastInputs;
    last.drawdownBps = inp.drawdownBps;
    last.rejectRate = inp.rejectRate;
    last.feedGapS = inp.feedGapS;
    last.latencyUs = inp.latencyUs;
    last.strategyErrors = inp.strategyErrors;
    const th = this.th;
    const dd = inp.drawdownBps;
    // The cause is kept as a code; its text is formatted only when someone reads it (a
    // transition, `reasons`), since evaluations run ~190k times per simulated day.
    let target: GuardLevel = NORMAL;
    let cause: Cause = Cause.None;
    if (over(dd, th.drawdownHaltBps)) {
      target = HALT;
      cause = Cause.DrawdownHalt;
      this.latchDrawdownBps = dd;
      this.latches.set('drawdown', DRAWDOWN_LATCH);
    } else if (over(dd, th.drawdownStormBps)) {
      target = STORM;
      cause = Cause.DrawdownStorm;
    } else if (over(inp.feedGapS, th.feedGapStormS)) {
      target = STORM;
      cause = Cause.FeedGap;
    } else if (over(inp.latencyUs, th.latencyStormUs)) {
      target = STORM;
      cause = Cause.LatencyStorm;
    } else if (over(inp.rejectRate, th.rejectRateStorm)) {
      target = STORM;
      cause = Cause.RejectStorm;
    } else if (over(dd, th.drawdownWarmBps)) {
      target = WARM;
      cause = Cause.DrawdownWarm;
    } else if (over(inp.latencyUs, th.latencyWarmUs)) {
      target = WARM;
      cause = Cause.LatencyWarm;
    } else if (over(inp.rejectRate, th.rejectRateWarm)) {
      target = WARM;
      cause = Cause.RejectWarm;
    } else if (th.strategyErrorsWarm && inp.strategyErrors > 0) {
      target = WARM;
      cause = Cause.StrategyErrors;
    }
    this.inputLevel = target;
    this.inputCause = cause;
    this.step();
  }

  /** Raises the state to at least `level` for `reason` until `clear(reason)` (e.g. supervisor loop lag). */
  raise(level: GuardLevel, reason: string): void {
    this.external.set(reason, level);
    if (level === HALT) this.latches.set(`raised:${reason}`, reason);
    if (level > this.state) this.transition(level, reason);
  }

  /** Withdraws a raised reason; the state falls back through the usual hysteresis. */
  clear(reason: string): void {
    this.external.delete(reason);
  }

  /** HALT now, held by `latch` until `release(latch)` or a manual reset. */
  halt(reason: string, latch = 'manual'): void {
    this.latches.set(latch, reason);
    if (this.state !== HALT) this.transition(HALT, reason);
  }

  /**
   * HALT while `condition` holds (e.g. 'disk', 'recon'); a later call updates its reason. Unlike a
   * latch, a manual reset does not lift it: only `release(condition)`, from its owner, once the
   * condition no longer holds.
   */
  hold(condition: string, reason: string): void {
    this.conditions.set(condition, reason);
    if (this.state !== HALT) this.transition(HALT, reason);
  }

  /** Lifts one condition or latch (e.g. reconciliation is clean again); HALT then de-escalates by hysteresis. */
  release(name: string): void {
    this.conditions.delete(name);
    this.latches.delete(name);
  }

  /**
   * Manual reset: clears every latch and raised reason and returns to NORMAL. Refused (nothing
   * changes) while a condition still holds: returns the reasons that hold HALT, empty when it resumed.
   */
  resume(reason = 'manual reset'): readonly string[] {
    if (this.conditions.size > 0) {
      const held = [...this.conditions.values()];
      this.log.warn({ held }, 'StormGuard resume refused: HALT is held by conditions that still hold');
      return held;
    }
    this.latches.clear();
    this.external.clear();
    this.inputLevel = NORMAL;
    this.inputCause = Cause.None;
    this.source?.rebase();
    if (this.state !== NORMAL) this.transition(NORMAL, reason);
    return [];
  }

  /**
   * Periodic call from the supervisor: re-asserts the gates, and when the guard's own timer is
   * not running (storm_guard.enabled false) takes the hysteresis step on the last inputs, so
   * raised reasons still fall back once cleared.
   */
  evaluate(_nowMs?: number): void {
    if (!this.running) this.step();
    this.applyGates();
  }

  /** The hysteresis step towards the last inputs' level, raised reasons and latches. */
  private step(): void {
    let target = this.inputLevel;
    let why: string | null = null;
    if (this.external.size > 0) {
      for (const [r, l] of this.external) {
        if (l > target) {
          target = l;
          why = r;
        }
      }
    }
    const held = this.latches.size > 0 || this.conditions.size > 0;
    if (held) target = HALT;
    if (target > this.state) {
      // The reason is looked up (an iterator each) only for a transition: a latched HALT is
      // re-stepped on every evaluation.
      if (held)
        why =
          this.conditions.size > 0
            ? this.conditions.values().next().value!
            : this.latchText(this.latches.values().next().value!);
      this.transition(target, why ?? this.inputReason());
      return;
    }
    if (target === this.state) {
      this.calm = 0;
      return;
    }
    this.calm++;
    const now = this.clock.nowNs();
    if (this.calm < this.th.deEscalateAfter || now - this.enteredAt < this.th.cooldownNs[this.state]) return;
    const to = (this.state - 1) as GuardLevel;
    const still = this.inputCause === Cause.None ? 'all clear' : `still: ${this.inputReason()}`;
    this.transition(to, `calmer for ${this.calm} evaluations (${still})`);
  }

  /** The reason a latch holds (the drawdown latch's formatted from its last drawdown). */
  private latchText(v: string): string {
    if (v !== DRAWDOWN_LATCH) return v;
    return `drawdown ${this.latchDrawdownBps.toFixed(1)} bps >= ${this.th.drawdownHaltBps}`;
  }

  /** Text of the last evaluation's cause ('' when the inputs were calm). */
  private inputReason(): string {
    return describe(this.inputCause, this.lastInputs, this.th);
  }

  private transition(to: GuardLevel, reason: string): void {
    const from = this.state;
    this.state = to;
    this.enteredAt = this.clock.nowNs();
    this.calm = 0;
    this.transitions++;
    this.applyGates();
    const t: GuardTransition = {
      ts: this.enteredAt,
      from: GUARD_STATES[from],
      to: GUARD_STATES[to],
      reason,
      inputs: { ...this.lastInputs },
    };
    this.history.push(t);
    if (this.history.length > HISTORY) this.history.shift();
    const msg = `StormGuard ${t.from} -> ${t.to}`;
    if (to > from) this.log.warn({ reason, inputs: t.inputs }, msg);
    else this.log.info({ reason }, msg);
    if (to === HALT && this.th.cancelOnHalt) this.haltCancels += this.targets.cancelAll();
    for (const fn of this.listeners) fn(t);
  }

  private applyGates(): void {
    const halted = this.state === HALT;
    for (const g of this.targets.gates) g.halted = halted;
    this.targets.reducer.reduceOnly = this.th.stormReduceOnly && this.state >= STORM;
  }
}

/** The `storm_guard` settings in engine units. */
export function guardThresholds(g: Settings['storm_guard']): GuardThresholds {
  return {
    drawdownWarmBps: g.drawdown_warm_bps,
    drawdownStormBps: g.drawdown_storm_bps,
    drawdownHaltBps: g.drawdown_halt_bps,
    rejectRateWarm: g.reject_rate_warm,
    rejectRateStorm: g.reject_rate_storm,
    feedGapStormS: g.feed_gap_storm_s,
    latencyWarmUs: g.latency_warm_us,
    latencyStormUs: g.latency_storm_us,
    strategyErrorsWarm: g.strategy_errors_warm,
    deEscalateAfter: g.de_escalate_after,
    cooldownNs: [
      0,
      g.cooldown_warm_s * NS_PER_S,
      g.cooldown_storm_s * NS_PER_S,
      g.cooldown_halt_s * NS_PER_S,
    ],
    stormReduceOnly: g.storm_reduce_only,
    cancelOnHalt: g.cancel_on_halt,
  };
}

/** Which input set the last evaluation's level. */
const Cause = {
  None: 0,
  DrawdownHalt: 1,
  DrawdownStorm: 2,
  FeedGap: 3,
  LatencyStorm: 4,
  RejectStorm: 5,
  DrawdownWarm: 6,
  LatencyWarm: 7,
  RejectWarm: 8,
  StrategyErrors: 9,
} as const;
type Cause = (typeof Cause)[keyof typeof Cause];

/** What the 'drawdown' latch holds: its text is formatted when read (StormGuard.latchText). */
const DRAWDOWN_LATCH = '\u0000drawdown latch';

function describe(cause: Cause, inp: GuardInputs, th: GuardThresholds): string {
  switch (cause) {
    case Cause.None:
      return '';
    case Cause.DrawdownHalt:
      return `drawdown ${inp.drawdownBps.toFixed(1)} bps >= ${th.drawdownHaltBps}`;
    case Cause.DrawdownStorm:
      return `drawdown ${inp.drawdownBps.toFixed(1)} bps >= ${th.drawdownStormBps}`;
    case Cause.FeedGap:
      return `feed_gap ${inp.feedGapS.toFixed(2)} s >= ${th.feedGapStormS}`;
    case Cause.LatencyStorm:
      return `latency ${Math.round(inp.latencyUs)} us >= ${th.latencyStormUs}`;
    case Cause.RejectStorm:
      return `reject_rate ${inp.rejectRate.toFixed(2)} >= ${th.rejectRateStorm}`;
    case Cause.DrawdownWarm:
      return `drawdown ${inp.drawdownBps.toFixed(1)} bps >= ${th.drawdownWarmBps}`;
    case Cause.LatencyWarm:
      return `latency ${Math.round(inp.latencyUs)} us >= ${th.latencyWarmUs}`;
    case Cause.RejectWarm:
      return `reject_rate ${inp.rejectRate.toFixed(2)} >= ${th.rejectRateWarm}`;
    case Cause.StrategyErrors:
      return `strategy_errors ${inp.strategyErrors} since the last evaluation`;
  }
}

/** A threshold of 0 is unarmed. Module-level so evaluations create no closure. */
function over(v: number, limit: number): boolean {
  return limit > 0 && v >= limit;
}
