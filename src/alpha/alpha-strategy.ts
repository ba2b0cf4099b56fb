import { z } from 'zod';
import { SampleLog } from '../backtest/sample-log.ts';
import type { LobStats, TradeEvent } from '../contracts/market.ts';
import type { ExecReport } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { NS_PER_MS } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { Strategy, type StrategyClass, type StrategyContext } from '../strategy/sdk.ts';
import { AlphaFeed } from './alpha-feed.ts';
import { AlphaMonitor, type AlphaRunReport } from './alpha-monitor.ts';
import { SignalToPosition } from './position-map.ts';
import { type AlphaEntry, buildAlpha, findAlpha } from './registry.ts';
import type { Alpha } from './sdk.ts';

/** Parameters of an alpha traded as a strategy: the standard mapping and how orders are worked. */
export const alphaStrategyParams = z.strictObject({
  /** |signal| beyond which the position is taken (the original's signal_threshold). */
  threshold: z.number().min(0).default(0.3),
  /** Lots held at full conviction. */
  max_position: z.number().int().positive().default(5),
  /** Flatten once the signal has stayed inside the threshold this long (ms); 0 = hold until the opposite signal. */
  hold_ms: z.number().min(0).default(0),
  /** Scales max_position (a canary trades a fraction of it); the position is rounded down to whole lots. */
  weight: z.number().min(0).max(1).default(1),
  /** taker: IOC at the far touch; maker: a GTC order joining the near touch, moved with it. */
  execution: z.enum(['taker', 'maker']).default('taker'),
  /** No new order sooner than this after the previous one (ms): inside the broker's per-symbol rate. */
  min_interval_ms: z.number().min(0).default(250),
  /** Largest order in lots (0: none): a flip goes out as a close and an open, each inside the desk's per-order caps. */
  max_order_lots: z.number().int().min(0).default(0),
  /** The alpha's own parameters (its schema's defaults for the rest). */
  alpha_params: z.record(z.string(), z.unknown()).default({}),
  /**
   * trade: orders go to the venue; shadow: they pass the gateway, risk and the order adapter and
   * are answered by the shadow venue with the prices they would have got — none leaves (Gate E).
   */
  mode: z.enum(['trade', 'shadow']).default('trade'),
  /** Capital for the drawdown contribution (currency); 0 = notional of max_position at the first mid. */
  capital: z.number().min(0).default(0),
  /** Live guardrails (a canary): the first breach rolls the alpha back in the running process. */
  guardrails: z
    .strictObject({
      max_live_slippage_bps: z.number().min(0),
      max_live_drawdown_contribution: z.number().min(0),
      max_execution_error_rate: z.number().min(0),
      min_orders: z.number().int().min(1).default(20),
    })
    .nullable()
    .default(null),
});
export type AlphaStrategyParams = z.output<typeof alphaStrategyParams>;

/** Longest wait before an order refused again and again is asked for once more (ms). */
export const MAX_RETRY_MS = 60_000;

/** What a generated alpha strategy class may do beyond trading (validation records its signals). */
export interface AlphaStrategyOptions {
  /** Keep (exchTs, signal) of every event the alpha saw (for the research/runtime parity check). */
  recordSignals?: boolean;
  /** Called with each instance the runtime builds. */
  onCreate?: (s: AlphaStrategy) => void;
  /** A guardrail was breached and the alpha rolled back (weight 0, its orders cancelled): YAML, audit. */
  onRollback?: (s: AlphaStrategy, reason: string, report: AlphaRunReport) => void;
}

/**
 * An alpha running as a strategy on one symbol: every book change and trade goes through an
 * AlphaFeed (the research path's inputs, from the runtime's own LOB and feature plane) into the
 * alpha, its signal through the SignalToPosition mapping into a target position, and orders move
 * the position to the target (one order working at a time, spaced by min_interval_ms).
 */
export abstract class AlphaStrategy extends Strategy.withParams(alphaStrategyParams) {
  readonly alpha: Alpha;
  /** (exchTs, signal) per event when recording (see AlphaStrategyOptions). */
  readonly signals: SampleLog | null;
  private feed: AlphaFeed | null = null;
  private map: SignalToPosition;
  private readonly sym: SymbolSpec;
  private lastSend = Number.NEGATIVE_INFINITY;
  /** A cancel of the working maker order was asked for. */
  private canceling = 0;
  /** Refusals in a row (risk, gateway, adapter) of the same order, and what was refused. */
  private refusals = 0;
  private refusedTarget = 0;
  private refusedPos = 0;
  /** What the run measured of this alpha (its report in the run summary). */
  readonly monitor: AlphaMonitor;
  private readonly onRollback: AlphaStrategyOptions['onRollback'];

  constructor(
    id: string,
    symbols: readonly SymbolSpec[],
    params: AlphaStrategyParams,
    entry: Pick<AlphaEntry, 'id' | 'cls'>,
    opts: AlphaStrategyOptions,
  ) {
    super(id, symbols, params);
    if (symbols.length !== 1) throw new Error(`an alpha trades one symbol (given ${symbols.length})`);
    this.sym = symbols[0];
    this.alpha = buildAlpha(entry, params.alpha_params);
    (this as { featureSet: string | null }).featureSet = this.alpha.featureSet;
    const lots = Math.floor(params.max_position * params.weight);
    this.map = new SignalToPosition(params.threshold, lots * this.sym.lotSize, params.hold_ms * NS_PER_MS);
    this.signals = opts.recordSignals === true ? new SampleLog(2) : null;
    this.monitor = new AlphaMonitor(entry.id, this.sym, params.mode, params.weight, params.capital, lots);
    this.onRollback = opts.onRollback;
    opts.onCreate?.(this);
  }

  override onStart(ctx: StrategyContext): void {
    const id = this.sym.id;
    this.alpha.reset();
    this.alpha.lastSignal = 0;
    this.feed = new AlphaFeed(
      this.alpha,
      ctx.book(id),
      this.alpha.featureSet === null ? null : ctx.features(id),
    );
  }

  override onBook(ctx: StrategyContext, st: LobStats): void {
    const s = this.feed!.book(st);
    this.record(st.exchTs, s);
    this.monitor.onEvent(st.exchTs, s, st);
    if (this.params.guardrails !== null && this.monitor.rolledBack === null) this.guard(ctx);
    this.act(ctx, s, st);
  }

  override onTrade(ctx: StrategyContext, t: TradeEvent): void {
    const s = this.feed!.trade(t.exchTs, t.localTs, t.price, t.qty, t.aggressor);
    this.record(t.exchTs, s);
    const st = ctx.stats(t.symbolId);
    this.monitor.onEvent(t.exchTs, s, st);
    this.act(ctx, s, st);
  }

  override onOrderUpdate(ctx: StrategyContext, r: ExecReport): void {
    this.monitor.onReport(r);
    if (this.params.guardrails !== null && this.monitor.rolledBack === null) this.guard(ctx);
  }

  override report(): AlphaRunReport {
    return this.monitor.report();
  }

  /** The weight now (0 after a rollback). */
  get weight(): number {
    return this.monitor.weight;
  }

  /**
   * Rolls the alpha back at once: weight 0 (the mapping's target is flat from now on, so the
   * position is unwound through risk like any order), its working orders cancelled, an error line
   * (not StormGuard's: the rest of the system trades on), and the owner told (YAML, audit, metric).
   */
  rollback(ctx: StrategyContext, reason: string): void {
    if (this.monitor.rolledBack !== null) return;
    // Marked first: a cancel may report back synchronously.
    const rb = { reason, at: ctx.now(), cancelled: 0 };
    this.monitor.rolledBack = rb;
    this.monitor.weight = 0;
    this.map = new SignalToPosition(this.params.threshold, 0, this.params.hold_ms * NS_PER_MS);
    for (const o of [...ctx.openOrders()]) if (ctx.cancel(o.orderId)) rb.cancelled++;
    const cancelled = rb.cancelled;
    ctx.log.error(
      { alpha: this.monitor.alphaId, reason, cancelled, position: ctx.position(this.sym.id) },
      'canary rolled back: weight 0, orders cancelled',
    );
    this.onRollback?.(this, reason, this.monitor.report(false));
  }

  private guard(ctx: StrategyContext): void {
    const why = this.monitor.breach(this.params.guardrails!);
    if (why !== null) this.rollback(ctx, why);
  }

  private record(ts: number, s: number): void {
    const log = this.signals;
    if (log === null) return;
    const off = log.add();
    log.chunk[off] = ts;
    log.chunk[off + 1] = s;
  }

  private act(ctx: StrategyContext, s: number, st: LobStats): void {
    const now = ctx.now();
    const target = this.map.update(s, now);
    if (st.bestBid === 0 || st.bestAsk === 0) return;
    const id = this.sym.id;
    const diff = target - ctx.position(id);
    const open = ctx.openOrders();
    if (open.size > 0) {
      if (this.params.execution === 'maker') this.tend(ctx, open, diff, st);
      return;
    }
    this.canceling = 0;
    if (diff === 0 || now - this.lastSend < this.retryNs(target, ctx.position(id))) return;
    const side = diff > 0 ? 1 : -1;
    // Under reduce-only risk refuses what grows the position: do not ask.
    if (ctx.reduceOnly() && Math.abs(ctx.position(id) + diff) > Math.abs(ctx.position(id))) return;
    this.lastSend = now;
    const cap = this.params.max_order_lots * this.sym.lotSize;
    const qty = cap > 0 ? Math.min(cap, Math.abs(diff)) : Math.abs(diff);
    const oid =
      this.params.execution === 'taker'
        ? ctx.place(id, side, side === 1 ? st.bestAsk : st.bestBid, qty, 'IOC')
        : ctx.place(id, side, side === 1 ? st.bestBid : st.bestAsk, qty, 'GTC');
    this.monitor.onPlace(oid, st.mid);
    if (oid !== 0) this.refusals = 0;
    else {
      const pos = ctx.position(id);
      // Counted per order: another target or position is another order, asked for the first time.
      this.refusals =
        this.refusals > 0 && target === this.refusedTarget && pos === this.refusedPos ? this.refusals + 1 : 1;
      this.refusedTarget = target;
      this.refusedPos = pos;
    }
  }

  /**
   * Time before the next order may go (ns): min_interval_ms, and after refusals of the same order
   * (same target, same position) doubled per refusal up to MAX_RETRY_MS, so a limit that keeps
   * refusing is asked about rarely (not every 250 ms all day: log and metric noise, and an error
   * rate made of one refusal repeated); a new target or a changed position is asked at once.
   */
  private retryNs(target: number, pos: number): number {
    const base = this.params.min_interval_ms * NS_PER_MS;
    if (this.refusals === 0 || target !== this.refusedTarget || pos !== this.refusedPos) return base;
    return Math.min(MAX_RETRY_MS * NS_PER_MS, Math.max(base, NS_PER_MS) * 2 ** Math.min(this.refusals, 20));
  }

  /** The working maker order: cancel it when it no longer joins the near touch on the wanted side. */
  private tend(
    ctx: StrategyContext,
    open: ReturnType<StrategyContext['openOrders']>,
    diff: number,
    st: LobStats,
  ): void {
    for (const o of open) {
      if (this.canceling === o.orderId) return;
      const wanted = diff === 0 ? 0 : diff > 0 ? 1 : -1;
      const touch = o.side === 1 ? st.bestBid : st.bestAsk;
      if (o.side !== wanted || o.price !== touch || o.leavesQty > Math.abs(diff)) {
        if (ctx.cancel(o.orderId)) this.canceling = o.orderId;
      }
      return;
    }
  }
}

/**
 * The strategy class of alpha `entry`: an AlphaStrategy whose alpha is that class. `class: alpha:<id>`
 * in the strategies file names the alpha `<id>` of the project (research/alphas/<id>/).
 */
export function alphaStrategyFor(
  entry: Pick<AlphaEntry, 'id' | 'cls'>,
  opts: AlphaStrategyOptions = {},
): StrategyClass {
  class BoundAlphaStrategy extends AlphaStrategy {
    constructor(id: string, symbols: readonly SymbolSpec[], params: AlphaStrategyParams) {
      super(id, symbols, params, entry, opts);
    }
  }
  Object.defineProperty(BoundAlphaStrategy, 'name', { value: `AlphaStrategy(${entry.id})` });
  return BoundAlphaStrategy as unknown as StrategyClass;
}

/** Prefix of a strategy `class:` that names an alpha of the project. */
export const ALPHA_CLASS_PREFIX = 'alpha:';

/** Resolves `alpha:<id>` (strategies file) to its strategy class; a UserError when the alpha is unknown or broken. */
export async function alphaStrategyClass(ref: string, root: string): Promise<StrategyClass> {
  const id = ref.slice(ALPHA_CLASS_PREFIX.length);
  if (id === '') throw new UserError(`class ${ref}: name the alpha, e.g. alpha:ofi_mc`);
  return alphaStrategyFor(await findAlpha(root, id));
}

/** Signals recorded by an AlphaStrategy, as columns. */
export function recordedSignals(s: AlphaStrategy): { exchTs: number[]; signal: number[] } {
  const log = s.signals;
  return log === null ? { exchTs: [], signal: [] } : { exchTs: log.column(0), signal: log.column(1) };
}
