import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from '../core/logger.ts';
import {
  SAFETY_LEVELS,
  type SafetyLevel,
  type SafetyTransition,
  type SafetyView,
  type ServiceStatus,
  type SupervisionView,
} from '../observability/ops-view.ts';
import type { ReduceOrder } from '../strategy/runner.ts';

/** Liveness of a service: alive, and when it last showed progress (wall ms). */
export interface ServiceHealth {
  alive: boolean;
  lastBeatMs: number;
  detail?: string;
}

/** The lifecycle every supervised service shares, so the supervisor treats them alike. */
export interface Service {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
  health(): ServiceHealth;
}

/** What the supervisor does with a dead service: restart it up to `restarts` times, then escalate (or only log). */
export interface ServicePolicy {
  restarts: number;
  escalate: boolean;
}

/** The safety state machine the supervisor and the ops controls drive (the risk plane's StormGuard). */
export interface SafetyGuard {
  readonly level: SafetyLevel;
  /** True when new orders are blocked. */
  readonly blocking: boolean;
  readonly reasons: readonly string[];
  raise(level: SafetyLevel, reason: string): void;
  clear(reason: string): void;
  halt(reason: string): void;
  resume(): void;
  /** Periodic re-assertion of the gates for the current state. */
  evaluate(nowMs: number): void;
  /** Every transition, whoever caused it (its own inputs, a raise, a halt). */
  onTransition(fn: (t: { from: string; to: string; reason: string }) => void): void;
}

/** True when `x` implements SafetyGuard. */
export function isSafetyGuard(x: unknown): x is SafetyGuard {
  if (typeof x !== 'object' || x === null) return false;
  const g = x as Record<string, unknown>;
  return (
    typeof g.level === 'number' &&
    typeof g.blocking === 'boolean' &&
    ['raise', 'clear', 'halt', 'resume', 'evaluate', 'onTransition'].every((m) => typeof g[m] === 'function')
  );
}

/** What the controls act on (TradingSystem satisfies it). */
export interface ControlTarget {
  readonly runner: {
    readonly strategies: readonly { readonly id: string }[];
    /** Operator switch of one strategy; returns the cancels accepted, null for an unknown id. */
    setEnabled(strategyId: string, enabled: boolean): number | null;
    /** Sends orders against the strategy's positions through risk; null for an unknown id. */
    reduce(strategyId: string): ReduceOrder[] | null;
  };
  readonly orders: {
    /** `cancelsAccepted` counts every cancel, whoever asked for it: what a control reports. */
    readonly counters: { sent: number; cancelsAccepted: number };
    openOrders(strategyId: string): ReadonlySet<{ readonly orderId: number }>;
    cancel(orderId: number): boolean;
  };
}

/** A per-strategy control: 'flatten' also disables the strategy. */
export type StrategyAction = 'enable' | 'disable' | 'flatten';

/** What a strategy control did. `orders` (flatten): one per symbol with a position. */
export interface StrategyControlResult {
  strategy: string;
  action: StrategyAction;
  enabled: boolean;
  cancels: number;
  /** Cancels not confirmed by the venue when the reducing orders had to go anyway. */
  unconfirmedCancels: number;
  orders: ReduceOrder[];
}

const HISTORY = 200;
const levelOf = (name: string) => Math.max(0, SAFETY_LEVELS.indexOf(name as never)) as SafetyLevel;

/**
 * HALT, resume, cancel-all and escalations in one place, shared by the supervisor and the
 * dashboard controls. Records every state transition and checks that no order leaves while
 * HALT is in force.
 */
export class TradingControl implements SafetyView {
  readonly history: SafetyTransition[] = [];
  transitions = 0;
  haltViolations = 0;
  readonly requests: Record<string, number> = {};
  private sentAtHalt = -1;
  /** Who is acting through the control right now (a transition the guard reports during it is theirs). */
  private actor: string | null = null;
  /** Called for every strategy control that took effect (the trading system records it). */
  onStrategyControl: ((r: StrategyControlResult, source: string) => void) | null = null;

  constructor(
    private readonly target: ControlTarget,
    readonly guard: SafetyGuard,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    guard.onTransition((t) =>
      this.record(levelOf(t.from), levelOf(t.to), t.reason, this.actor ?? 'stormguard'),
    );
  }

  get level(): SafetyLevel {
    return this.guard.level;
  }
  get halted(): boolean {
    return this.guard.blocking;
  }
  get reasons(): readonly string[] {
    return this.guard.reasons;
  }

  /**
   * Blocks every new order and cancels every working one; returns the cancels accepted, counted
   * where cancels happen (the guard's own cancel-on-HALT goes first and leaves this loop nothing).
   */
  halt(reason: string, source: string): number {
    const before = this.target.orders.counters.cancelsAccepted;
    this.act(source, () => this.guard.halt(reason));
    this.sentAtHalt = this.target.orders.counters.sent;
    this.cancelAll(source);
    return this.target.orders.counters.cancelsAccepted - before;
  }

  /** Clears HALT and every raised reason (the supervisor re-raises what still holds). */
  resume(source: string): void {
    this.act(source, () => this.guard.resume());
    this.sentAtHalt = -1;
  }

  /** Cancels every working order of every strategy; returns the cancels accepted. */
  cancelAll(source: string): number {
    const before = this.target.orders.counters.cancelsAccepted;
    for (const s of this.target.runner.strategies) {
      for (const o of [...this.target.orders.openOrders(s.id)]) this.target.orders.cancel(o.orderId);
    }
    const n = this.target.orders.counters.cancelsAccepted - before;
    this.log.warn({ source, cancels: n }, 'cancel all');
    return n;
  }

  /**
   * Enables or disables one strategy, or flattens it: disables it, cancels its working orders,
   * waits (at most `waitMs`) until the venue confirmed the cancels (our own resting orders would
   * otherwise make the reducing orders self-trades), then sends one IOC order per position
   * through risk (see StrategyRunner.reduce). Null for an unknown strategy. Logged and recorded.
   */
  async strategy(
    id: string,
    action: StrategyAction,
    source: string,
    waitMs = 5000,
  ): Promise<StrategyControlResult | null> {
    const { runner, orders } = this.target;
    const cancels = runner.setEnabled(id, action === 'enable');
    if (cancels === null) return null;
    const r: StrategyControlResult = {
      strategy: id,
      action,
      enabled: action === 'enable',
      cancels,
      unconfirmedCancels: 0,
      orders: [],
    };
    if (action === 'flatten') {
      const end = Date.now() + waitMs;
      while (orders.openOrders(id).size > 0 && Date.now() < end) await new Promise((w) => setTimeout(w, 5));
      r.unconfirmedCancels = orders.openOrders(id).size;
      r.orders = runner.reduce(id) ?? [];
    }
    this.count(`strategy-${action}`, 'accepted');
    this.log.warn({ source, ...r }, `strategy ${action}`);
    this.onStrategyControl?.(r, source);
    return r;
  }

  raise(level: SafetyLevel, reason: string, source = 'supervisor'): void {
    this.act(source, () => this.guard.raise(level, reason));
    if (this.guard.level === 3 && this.sentAtHalt < 0) this.sentAtHalt = this.target.orders.counters.sent;
  }

  clear(reason: string, source = 'supervisor'): void {
    if (this.guard.reasons.includes(reason)) this.act(source, () => this.guard.clear(reason));
  }

  /** Periodic: lets the guard re-assert its gates, and checks that HALT really stopped orders. */
  enforce(nowMs: number): void {
    this.act('supervisor', () => this.guard.evaluate(nowMs));
    if (this.guard.level !== 3) {
      this.sentAtHalt = -1;
      return;
    }
    const sent = this.target.orders.counters.sent;
    if (this.sentAtHalt >= 0 && sent > this.sentAtHalt) {
      this.haltViolations += sent - this.sentAtHalt;
      this.log.error({ orders: sent - this.sentAtHalt }, 'orders left while HALT was in force: cancelling');
      this.cancelAll('halt-enforcement');
    }
    this.sentAtHalt = sent;
  }

  /** Counts a control request by action and result (e.g. 'halt:refused'). */
  count(action: string, result: 'accepted' | 'refused'): void {
    const k = `${action}:${result}`;
    this.requests[k] = (this.requests[k] ?? 0) + 1;
  }

  /** Runs `fn` on the guard on behalf of `source` (the transitions it causes are attributed to it). */
  private act(source: string, fn: () => void): void {
    this.actor = source;
    try {
      fn();
    } finally {
      this.actor = null;
    }
  }

  private record(from: SafetyLevel, to: SafetyLevel, reason: string, source: string): void {
    this.transitions++;
    this.history.push({ at: this.now(), from, to, reason, source });
    if (this.history.length > HISTORY) this.history.shift();
  }
}

/** Heartbeats from a counter that grows while a service works: each poll that sees it move is a beat. */
export class ProgressBeat {
  private last = Number.NaN;
  lastBeatMs: number;

  constructor(
    private readonly read: () => number,
    now: number,
  ) {
    this.lastBeatMs = now;
  }

  poll(now: number): number {
    const v = this.read();
    if (v !== this.last) {
      this.last = v;
      this.lastBeatMs = now;
    }
    return this.lastBeatMs;
  }
}

/** Event-loop delay source (perf_hooks histogram in ns); injectable for tests. */
export interface LoopDelay {
  percentile(p: number): number;
  readonly max: number;
  reset(): void;
  enable(): void;
  disable(): void;
}

export interface SupervisorOptions {
  control: TradingControl;
  log: Logger;
  intervalMs: number;
  loopLagWarnMs: number;
  loopLagStormMs: number;
  /** Consecutive intervals over a threshold before STORM (loop lag, full queues). */
  sustain: number;
  /** Escalate on loop lag (off in simulated-time runs, which keep the loop busy by design). */
  watchLoopLag: boolean;
  /** Loop lag is not judged for this long after start() (run.startup_grace_s; default 0). */
  graceMs?: number;
  queueHighRatio: number;
  heartbeatTimeoutMs: number;
  now?: () => number;
  loopDelay?: LoopDelay;
}

/** Sampling period of the event-loop delay monitor (ms). */
const LOOP_RESOLUTION_MS = 1;

interface Supervised {
  svc: Service;
  policy: ServicePolicy;
  up: boolean;
  restarts: number;
  restarting: boolean;
  lastBeatMs: number;
  detail: string;
}

interface WatchedQueue {
  name: string;
  read: () => { depth: number; capacity: number };
  over: number;
}

/**
 * The system supervisor: every interval it measures event-loop lag, queue fill and each
 * service's heartbeat; a dead service is restarted or escalated per its policy; sustained
 * lag, a saturated queue or an escalated service raise the safety state (StormGuard). It
 * also has the control check that HALT stopped every order.
 */
export class Supervisor implements SupervisionView {
  private readonly watched: Supervised[] = [];
  private readonly queues: WatchedQueue[] = [];
  private readonly now: () => number;
  private readonly loop: LoopDelay;
  private timer: NodeJS.Timeout | null = null;
  private lagOver = 0;
  /** The first interval after start holds start-up work (module loading, JIT): not judged. */
  private warmedUp = false;
  /** When start() ran (`now`), for the start-up grace. */
  private startedMs = Number.NaN;
  loopLagP90Ms = 0;
  loopLagP99Ms = 0;
  loopLagMaxMs = 0;
  readonly escalations: Record<string, number> = {};

  constructor(private readonly o: SupervisorOptions) {
    this.now = o.now ?? (() => performance.timeOrigin + performance.now());
    this.loop = o.loopDelay ?? monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  }

  add(svc: Service, policy: ServicePolicy): void {
    if (this.watched.some((s) => s.svc.name === svc.name)) throw new Error(`duplicate service ${svc.name}`);
    this.watched.push({
      svc,
      policy,
      up: true,
      restarts: 0,
      restarting: false,
      lastBeatMs: this.now(),
      detail: '',
    });
  }

  /** Watches a critical bounded queue: STORM when it stays above queueHighRatio. */
  watchQueue(name: string, read: () => { depth: number; capacity: number }): void {
    this.queues.push({ name, read, over: 0 });
  }

  start(): void {
    if (this.timer !== null) return;
    this.loop.enable();
    this.startedMs = this.now();
    this.timer = setInterval(() => this.check(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.loop.disable();
  }

  /** One supervision pass (the timer calls it; tests call it directly). */
  check(): void {
    const now = this.now();
    this.checkLoop();
    this.checkQueues();
    for (const s of this.watched) this.checkService(s, now);
    this.o.control.enforce(now);
  }

  services(): ServiceStatus[] {
    const now = this.now();
    return this.watched.map((s) => ({
      name: s.svc.name,
      up: s.up,
      restarts: s.restarts,
      heartbeatAgeMs: Math.max(0, now - s.lastBeatMs),
      detail: s.detail,
    }));
  }

  get feedAgeMs(): number {
    const md = this.watched.find((s) => s.svc.name === 'market-data');
    return md ? Math.max(0, this.now() - md.lastBeatMs) : 0;
  }

  private checkLoop(): void {
    // The histogram holds the intervals between timer wake-ups: lag is what exceeds the resolution.
    const base = this.o.loopDelay ? 0 : LOOP_RESOLUTION_MS;
    this.loopLagP90Ms = Math.max(0, this.loop.percentile(90) / 1e6 - base);
    this.loopLagP99Ms = Math.max(0, this.loop.percentile(99) / 1e6 - base);
    this.loopLagMaxMs = Math.max(0, this.loop.max / 1e6 - base);
    this.loop.reset();
    const inGrace = this.now() - this.startedMs < (this.o.graceMs ?? 0);
    const judged = this.warmedUp && !inGrace;
    this.warmedUp = true;
    if (!this.o.watchLoopLag || !judged) return;
    // STORM on the p90: a busy machine delays the tail of the wake-ups (p99 of 20-130 ms on a
    // 2-core box at load 18, p90 mostly under 20), a stalled loop delays most of them. The tail
    // still warns.
    this.lagOver = this.loopLagP90Ms >= this.o.loopLagStormMs ? this.lagOver + 1 : 0;
    if (this.lagOver >= this.o.sustain) this.escalate(2, 'loop_lag');
    else if (this.loopLagP99Ms >= this.o.loopLagWarnMs) this.escalate(1, 'loop_lag');
    else this.o.control.clear('loop_lag');
  }

  private checkQueues(): void {
    for (const q of this.queues) {
      const { depth, capacity } = q.read();
      q.over = capacity > 0 && depth / capacity >= this.o.queueHighRatio ? q.over + 1 : 0;
      const reason = `queue_full:${q.name}`;
      if (q.over >= this.o.sustain) this.escalate(2, reason);
      else if (q.over === 0) this.o.control.clear(reason);
    }
  }

  private checkService(s: Supervised, now: number): void {
    if (s.restarting) return;
    let h: ServiceHealth;
    try {
      h = s.svc.health();
    } catch (err) {
      h = { alive: false, lastBeatMs: s.lastBeatMs, detail: `health check threw: ${String(err)}` };
    }
    s.lastBeatMs = h.lastBeatMs;
    const stale = now - h.lastBeatMs > this.o.heartbeatTimeoutMs;
    const up = h.alive && !stale;
    const why = up ? '' : stale ? `no heartbeat for ${Math.round(now - h.lastBeatMs)} ms` : 'not alive';
    s.detail = [why, h.detail ?? ''].filter((x) => x !== '').join('; ');
    const reason = `service_down:${s.svc.name}`;
    if (up) {
      if (!s.up) this.o.log.info({ service: s.svc.name }, 'service is back');
      s.up = true;
      this.o.control.clear(reason);
      return;
    }
    if (s.up) this.o.log.error({ service: s.svc.name, detail: s.detail }, 'service is down');
    s.up = false;
    if (s.restarts < s.policy.restarts) this.restart(s);
    else if (s.policy.escalate) this.escalate(2, reason);
  }

  private restart(s: Supervised): void {
    s.restarting = true;
    s.restarts++;
    this.o.log.warn({ service: s.svc.name, attempt: s.restarts }, 'restarting service');
    const run = async () => {
      await s.svc.stop();
      await s.svc.start();
    };
    run()
      .catch((err) => this.o.log.error({ service: s.svc.name, err }, 'service restart failed'))
      .finally(() => {
        s.restarting = false;
      });
  }

  private escalate(level: SafetyLevel, reason: string): void {
    const before = this.o.control.reasons.includes(reason);
    this.o.control.raise(level, reason);
    if (!before) this.escalations[reason] = (this.escalations[reason] ?? 0) + 1;
  }
}

/** The recorder as the supervisor sees it: progress while it has work, idle is healthy, a dead worker is down. */
interface RecorderLike {
  stats(): {
    written: Record<string, number>;
    /** Rows kept in the write-ahead log while the sink is down (progress too). */
    wal_rows?: Record<string, number>;
    pending: number;
    /** Rows stored nowhere. */
    failed_rows: number;
    /** Rows nothing takes, waiting in the worker's memory. */
    held_rows?: number;
    /** The worker thread ('up', 'restarting', 'dead', 'closed'). */
    worker?: { state: string; restarts: number };
    lastError?: string | null;
  };
}

/** What the default services are built from (TradingSystem satisfies it). */
export interface SupervisedSystem {
  readonly marketData: { readonly events: number };
  /**
   * False while no market data is due (a live run with every symbol's exchange between sessions):
   * silence then is not a dead feed. Absent: always due.
   */
  feedExpected?(wallMs: number): boolean;
  readonly runner: {
    readonly strategies: readonly { readonly id: string }[];
    isEnabled(id: string): boolean;
  };
  readonly recorder: RecorderLike | null;
}

/** Default policies: trading planes cannot be restarted in place, so a dead one escalates. */
export const DEFAULT_POLICIES: Readonly<Record<string, ServicePolicy>> = {
  'market-data': { restarts: 0, escalate: true },
  'strategy-runner': { restarts: 0, escalate: true },
  recorder: { restarts: 0, escalate: true },
  'ops-server': { restarts: 3, escalate: false },
};

const noop = () => {};

/** Heartbeat adapters for the trading planes of one system (their lifecycle is the run loop's). */
export function systemServices(sys: SupervisedSystem, now: () => number): Service[] {
  const md = new ProgressBeat(() => sys.marketData.events, now());
  const out: Service[] = [
    {
      name: 'market-data',
      start: noop,
      stop: noop,
      health: () => {
        const t = now();
        if (sys.feedExpected?.(t) === false) md.lastBeatMs = t;
        return { alive: true, lastBeatMs: md.poll(t) };
      },
    },
  ];
  if (sys.runner.strategies.length > 0) {
    out.push({
      name: 'strategy-runner',
      start: noop,
      stop: noop,
      health: () => {
        const alive = sys.runner.strategies.some((s) => sys.runner.isEnabled(s.id));
        return { alive, lastBeatMs: now(), detail: alive ? '' : 'every strategy is disabled' };
      },
    });
  }
  const rec = sys.recorder;
  if (rec !== null) {
    const sum = (c: Record<string, number> | undefined) => Object.values(c ?? {}).reduce((a, b) => a + b, 0);
    let stored = -1;
    let failed = 0;
    let beat = now();
    out.push({
      name: 'recorder',
      start: noop,
      stop: noop,
      health: () => {
        const st = rec.stats();
        const rows = sum(st.written) + sum(st.wal_rows);
        const t = now();
        const held = st.held_rows ?? 0;
        // Rows reaching the store or the WAL are progress; nothing pending, held or lost is idle, not dead.
        // A dead worker's counters stand still too: its state says it is down, whatever they show.
        if (rows !== stored || (st.pending === 0 && held === 0 && st.failed_rows === failed)) beat = t;
        stored = rows;
        failed = st.failed_rows;
        const state = st.worker?.state ?? 'up';
        const detail = [
          state === 'up' || state === 'closed'
            ? ''
            : `worker ${state}${st.lastError ? `: ${st.lastError}` : ''}`,
          held > 0 ? `${held} rows held (nothing takes them)` : '',
          st.failed_rows > 0 ? `${st.failed_rows} rows lost` : '',
        ].filter((x) => x !== '');
        return { alive: state === 'up' || state === 'closed', lastBeatMs: beat, detail: detail.join('; ') };
      },
    });
  }
  return out;
}
