import {
  type BacktestConfig,
  DEFAULT_MODELS,
  type ModelOptions,
  runBacktest,
} from '../../backtest/runner.ts';
import type { StrategyConfig } from '../../config/strategies.ts';
import type { LobStats, TradeEvent } from '../../contracts/market.ts';
import type { ExecReport } from '../../contracts/orders.ts';
import type { SymbolSpec } from '../../contracts/symbols.ts';
import { NS_PER_MS } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { MONEY_SCALE, notional } from '../../core/money.ts';
import { Rng } from '../../core/rng.ts';
import { Strategy, type StrategyClass, type StrategyContext } from '../../strategy/sdk.ts';
import type { LoadedReplay } from '../../venues/replay/replay-sources.ts';
import type { PolicySpec } from './policy.ts';
import { PolicyDriver } from './policy-driver.ts';

/**
 * The trading environment over our backtester (Gym-style semantics, driven by the policy as a
 * callback: one episode = one run of the tick simulation over a data day or window, with its
 * latency, queue position, fees and taxes; deterministic, randomness only from a seeded Rng).
 *
 * - step: one bar sample of the policy's feature set (PolicyDriver); observation = the declared
 *   features (standardised) and the time of day; action ∈ {−1, 0, +1} = target position −max, flat,
 *   +max lots, worked by IOC orders at the far touch (one at a time, min_interval_ms apart).
 * - reward of step t = equity change from step t to t + 1 (cash from fills net of fees and taxes,
 *   the position marked at the mid) − inventory_penalty × |position at step t| (currency per lot
 *   per step). The last step runs to the end of the data.
 *
 * So Σ rewards + Σ penalties = the episode's net PnL, which equals the backtester's own PnL for the
 * same run (test/research/rl/env.test.ts).
 */
export interface EnvOptions {
  cfg: BacktestConfig;
  /** The data of the episode (one day or window of one symbol) and, read once, its replay. */
  data: string[];
  replay?: LoadedReplay;
  models?: ModelOptions;
  /** Currency per lot held per step. */
  inventoryPenalty?: number;
  minIntervalMs?: number;
  log: Logger;
}

export interface EpisodeResult {
  steps: number;
  /** Action and reward (currency) of each step; the bar (data time / bar) it was taken at. */
  actions: number[];
  rewards: number[];
  bars: number[];
  reward_total: number;
  penalty_total: number;
  /** Net PnL by the environment's own accounting and by the backtester's tracker (currency). */
  pnl_net: number;
  backtest_pnl_net: number;
  fees: number;
  trades: number;
  /** Sharpe of the per-step rewards (per step, not annualised). */
  reward_sharpe: number;
}

/** Overrides the policy's action (baselines): the step number and the policy's own action in, the action out. */
export type ActionOverride = (step: number, policyAction: number) => number;

/** A random baseline: uniform in {−1, 0, +1} from a seeded generator. */
export function randomActions(seed: number): ActionOverride {
  const r = new Rng(seed);
  return () => Math.floor(r.next() * 3) - 1;
}

/** The flat baseline: never holds a position. */
export const flatActions: ActionOverride = () => 0;

const ENV_CLASS = 'rl-env';

export class TradingEnv {
  constructor(readonly o: EnvOptions) {}

  /** Runs one episode of `spec` (or of `override`'s actions on its observations) over the data. */
  async episode(spec: PolicySpec, override: ActionOverride | null = null): Promise<EpisodeResult> {
    const { cfg } = this.o;
    const state: { s: EnvStrategy | null } = { s: null };
    const opts = this.o;
    class Bound extends EnvStrategy {
      constructor(id: string, symbols: readonly SymbolSpec[], params: unknown) {
        super(id, symbols, params, spec, override, opts.inventoryPenalty ?? 0, opts.minIntervalMs ?? 250);
        state.s = this;
      }
    }
    const symbol = this.o.replay?.symbols[this.o.replay.streams[0].symbolId]?.code;
    const symbols = symbol !== undefined ? [symbol] : (cfg.strategies[0]?.symbols.slice(0, 1) ?? []);
    const max = spec.max_position;
    const sc: StrategyConfig = {
      id: 'rl-env',
      class: ENV_CLASS,
      enabled: true,
      symbols,
      params: {},
      // A flip from long to short is one order of twice the position.
      risk: {
        max_position: Math.max(cfg.settings.risk.max_position, 2 * max),
        max_order_qty: Math.max(cfg.settings.risk.max_order_qty, 2 * max),
        max_notional: 0,
      },
    } as StrategyConfig;
    const result = await runBacktest(
      { ...cfg, strategies: [...cfg.strategies.filter((x) => x.id !== sc.id), sc] },
      {
        strategyId: sc.id,
        data: this.o.data,
        models: this.o.models ?? DEFAULT_MODELS,
        log: this.o.log,
        replay: this.o.replay,
        strategyClasses: { [ENV_CLASS]: Bound as unknown as StrategyClass },
      },
    );
    const s = state.s;
    if (s === null) throw new Error('rl env: the strategy was not built');
    const rewards = s.rewards.map((r) => r / MONEY_SCALE);
    const n = rewards.length;
    let mean = 0;
    for (const r of rewards) mean += r / Math.max(1, n);
    let v = 0;
    for (const r of rewards) v += (r - mean) ** 2 / Math.max(1, n);
    return {
      steps: n,
      actions: s.actions,
      rewards,
      bars: s.bars,
      reward_total: rewards.reduce((a, b) => a + b, 0),
      penalty_total: s.penalty / MONEY_SCALE,
      pnl_net: s.finalEquity / MONEY_SCALE,
      backtest_pnl_net: result.summary.pnl.net,
      fees: s.fees / MONEY_SCALE,
      trades: s.trades,
      reward_sharpe: v > 0 ? mean / Math.sqrt(v) : 0,
    };
  }
}

/** The environment's side inside the backtest: observations, actions, orders, accounting. */
class EnvStrategy extends Strategy<unknown> {
  readonly actions: number[] = [];
  readonly rewards: number[] = [];
  readonly bars: number[] = [];
  penalty = 0;
  fees = 0;
  trades = 0;
  finalEquity = 0;
  private readonly driver: PolicyDriver;
  private readonly sym: SymbolSpec;
  private values: Float64Array = new Float64Array(0);
  /** Cash from fills net of fees and taxes (money units). */
  private cash = 0;
  private target = 0;
  private lastEquity = 0;
  private lastPos = 0;
  private lastSend = Number.NEGATIVE_INFINITY;
  private ctx: StrategyContext | null = null;

  constructor(
    id: string,
    symbols: readonly SymbolSpec[],
    params: unknown,
    readonly spec: PolicySpec,
    private readonly override: ActionOverride | null,
    /** Currency per lot per step. */
    private readonly inventoryPenalty: number,
    private readonly minIntervalMs: number,
  ) {
    super(id, symbols, params);
    this.sym = symbols[0];
    (this as { featureSet: string | null }).featureSet = spec.feature_set;
    this.driver = new PolicyDriver(spec, (bar, action) => this.step(bar, action));
  }

  override onStart(ctx: StrategyContext): void {
    this.ctx = ctx;
    this.values = new Float64Array(this.driver.width);
  }

  override onBook(ctx: StrategyContext, st: LobStats): void {
    this.observe(ctx, st.exchTs);
    this.work(ctx, st);
  }

  override onTrade(ctx: StrategyContext, t: TradeEvent): void {
    this.observe(ctx, t.exchTs);
    this.work(ctx, ctx.stats(t.symbolId));
  }

  override onFill(_ctx: StrategyContext, r: ExecReport): void {
    const n = notional(r.lastPx, r.lastQty, this.sym.multiplier, this.sym.priceScale);
    this.cash -= r.side * n + r.fee + r.tax;
    this.fees += r.fee + r.tax;
    this.trades++;
  }

  override onStop(ctx: StrategyContext): void {
    // The last step's reward runs to the end of the data.
    const eq = this.equity(ctx);
    if (this.rewards.length > 0) {
      const pen = this.penaltyOf(this.lastPos);
      this.rewards[this.rewards.length - 1] += eq - this.lastEquity - pen;
      this.penalty += pen;
    }
    this.finalEquity = eq;
  }

  private observe(ctx: StrategyContext, ts: number): void {
    const f = ctx.features(this.sym.id);
    const v = this.values;
    for (let k = 0; k < v.length; k++) v[k] = f.at(k);
    this.driver.onEvent(ts, v);
  }

  private equity(ctx: StrategyContext): number {
    const pos = ctx.position(this.sym.id);
    const mid = ctx.stats(this.sym.id).mid;
    return (
      this.cash + (pos !== 0 && mid > 0 ? notional(mid, pos, this.sym.multiplier, this.sym.priceScale) : 0)
    );
  }

  private penaltyOf(pos: number): number {
    return Math.round(this.inventoryPenalty * MONEY_SCALE * Math.abs(pos / this.sym.lotSize));
  }

  /** A bar sample: the previous step's reward is settled, the new action taken. */
  private step(bar: number, policyAction: number): void {
    const ctx = this.ctx!;
    const eq = this.equity(ctx);
    const pen = this.penaltyOf(this.lastPos);
    if (this.rewards.length > 0) {
      this.rewards[this.rewards.length - 1] += eq - this.lastEquity - pen;
      this.penalty += pen;
    }
    this.lastEquity = eq;
    this.lastPos = ctx.position(this.sym.id);
    const a = this.override === null ? policyAction : this.override(this.actions.length, policyAction);
    this.actions.push(a);
    this.bars.push(bar);
    this.rewards.push(0);
    this.target = a * this.spec.max_position * this.sym.lotSize;
  }

  private work(ctx: StrategyContext, st: LobStats): void {
    if (st.bestBid === 0 || st.bestAsk === 0) return;
    const id = this.sym.id;
    const diff = this.target - ctx.position(id);
    if (diff === 0 || ctx.openOrders().size > 0) return;
    const now = ctx.now();
    if (now - this.lastSend < this.minIntervalMs * NS_PER_MS) return;
    if (ctx.reduceOnly() && Math.abs(ctx.position(id) + diff) > Math.abs(ctx.position(id))) return;
    this.lastSend = now;
    const side = diff > 0 ? 1 : -1;
    ctx.place(id, side, side === 1 ? st.bestAsk : st.bestBid, Math.abs(diff), 'IOC');
  }
}
