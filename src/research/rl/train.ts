import { moments } from '../../alpha/stats.ts';
import type { BacktestConfig, ModelOptions } from '../../backtest/runner.ts';
import { loadBacktestData } from '../../backtest/runner.ts';
import { UserError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { featureSet } from '../../features/sets.ts';
import { RET_1 } from '../search/bar-sampler.ts';
import { loadSearchData } from '../search/data.ts';
import { isRawPrice } from '../search/expr.ts';
import { deflatedOfTrial } from '../search/overfit.ts';
import { type CemIteration, cem, withParams } from './cem.ts';
import { type EpisodeResult, flatActions, randomActions, TradingEnv } from './env.ts';
import { obsWidth, type PolicySpec } from './policy.ts';

export interface RlSetup {
  cfg: BacktestConfig;
  features?: string[];
  featureSet?: string;
  barMs: number;
  maxPosition: number;
  inventoryPenalty: number;
  models?: ModelOptions;
  log: Logger;
}

/** The observation's default features: the set's, raw price levels left out, and ret_1. */
export function defaultFeatures(setId: string): string[] {
  return [
    ...featureSet(setId)
      .features.map((f) => f.id)
      .filter((f) => !isRawPrice(f)),
    RET_1,
  ];
}

/** A policy of zero weights over the features, standardised by the data's bar samples. */
export async function basePolicy(s: RlSetup, data: string[]): Promise<PolicySpec> {
  const setId = s.featureSet ?? 'lob_core';
  const features = s.features ?? defaultFeatures(setId);
  const d = await loadSearchData(s.cfg, data, { barMs: s.barMs, featureSet: setId });
  const mean: number[] = [];
  const std: number[] = [];
  for (const f of features) {
    const c = d.cols[f];
    if (c === undefined)
      throw new UserError(`--features: '${f}' is not a feature of ${setId} (${d.names.join(', ')})`);
    const m = moments(c);
    mean.push(Number(m.mean.toPrecision(8)));
    std.push(Number((m.sd > 0 ? m.sd : 1).toPrecision(8)));
  }
  const n = obsWidth({ features });
  return {
    format: 'hft-linear-policy@1',
    feature_set: setId,
    features,
    bar_ms: s.barMs,
    max_position: s.maxPosition,
    mean,
    std,
    weights: new Array<number>(n).fill(0),
    bias: 0,
    meta: {},
  };
}

/** An environment over one data set (read once). */
export async function envOver(s: RlSetup, data: string[]): Promise<TradingEnv> {
  const replay = await loadBacktestData(s.cfg, data);
  return new TradingEnv({
    cfg: s.cfg,
    data,
    replay,
    models: s.models,
    inventoryPenalty: s.inventoryPenalty,
    log: s.log,
  });
}

/** What an evaluation reports of one policy on one data set. */
export interface EpisodeSummary {
  reward_total: number;
  pnl_net: number;
  fees: number;
  trades: number;
  steps: number;
  reward_sharpe: number;
  penalty_total: number;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

export function summarize(e: EpisodeResult): EpisodeSummary {
  return {
    reward_total: r2(e.reward_total),
    pnl_net: r2(e.pnl_net),
    fees: r2(e.fees),
    trades: e.trades,
    steps: e.steps,
    reward_sharpe: Number(e.reward_sharpe.toPrecision(4)),
    penalty_total: r2(e.penalty_total),
  };
}

export interface Evaluation {
  policy: EpisodeSummary;
  flat: EpisodeSummary;
  random: EpisodeSummary;
  /** DSR of the policy's per-step reward Sharpe against its training's trials (null without them). */
  dsr: number | null;
  trials: number;
}

/** The policy against the flat and a seeded random policy on the same episode. */
export async function evaluatePolicy(env: TradingEnv, spec: PolicySpec, seed: number): Promise<Evaluation> {
  const p = await env.episode(spec);
  const flat = await env.episode(spec, flatActions);
  const rnd = await env.episode(spec, randomActions(seed));
  const trialSrs = (spec.meta.trial_sharpes as number[] | undefined) ?? [];
  let dsr: number | null = null;
  if (trialSrs.length > 0 && p.steps > 2) {
    const m = moments(p.rewards);
    dsr = Number(deflatedOfTrial(p.reward_sharpe, p.steps, m.skew, m.kurt, trialSrs).dsr.toPrecision(4));
  }
  return {
    policy: summarize(p),
    flat: summarize(flat),
    random: summarize(rnd),
    dsr,
    trials: trialSrs.length,
  };
}

export interface TrainResult {
  spec: PolicySpec;
  history: CemIteration[];
  evaluations: number;
  train: EpisodeSummary;
}

/** CEM over the linear policy on the training episode; every candidate's score and Sharpe kept in meta. */
export async function trainPolicy(
  base: PolicySpec,
  env: TradingEnv,
  o: {
    seed: number;
    iterations: number;
    population: number;
    elite: number;
    onIteration?: (it: CemIteration) => void;
  },
): Promise<TrainResult> {
  const sharpes: number[] = [];
  const dim = obsWidth(base) + 1;
  const res = await cem(
    dim,
    async (params) => {
      const e = await env.episode(withParams(base, params));
      sharpes.push(Number(e.reward_sharpe.toPrecision(6)));
      return e.reward_total;
    },
    {
      seed: o.seed,
      iterations: o.iterations,
      population: o.population,
      elite: o.elite,
      onIteration: o.onIteration,
    },
  );
  const spec = withParams(
    base,
    res.params.map((v) => Number(v.toPrecision(8))),
  );
  const train = summarize(await env.episode(spec));
  spec.meta = {
    trainer: 'cem',
    seed: o.seed,
    iterations: o.iterations,
    population: o.population,
    elite: o.elite,
    evaluations: res.evaluations,
    history: res.history,
    train,
    trial_sharpes: sharpes,
  };
  return { spec, history: res.history, evaluations: res.evaluations, train };
}
