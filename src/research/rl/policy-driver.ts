import { NS_PER_MS } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { featureSet } from '../../features/sets.ts';
import { BarSampler, RET_1 } from '../search/bar-sampler.ts';
import { LinearPolicy, type PolicySpec } from './policy.ts';

/**
 * Runs a policy on one symbol's events: the feature set is sampled on the policy's bars (the
 * search's BarSampler), and at each sample the policy picks the action that holds until the next.
 * The environment's strategy and the RL alpha both drive a policy through this class, so the same
 * events give the same actions in a backtest and in a replay.
 */
export class PolicyDriver {
  /** The action of the last sample (0 before the first). */
  action = 0;
  /** Samples seen (decisions taken). */
  steps = 0;
  readonly policy: LinearPolicy;
  readonly width: number;
  private readonly sampler: BarSampler;
  private readonly index: number[];

  constructor(
    readonly spec: PolicySpec,
    private readonly onStep: ((bar: number, action: number) => void) | null = null,
  ) {
    this.policy = new LinearPolicy(spec);
    const names = featureSet(spec.feature_set).features.map((f) => f.id);
    this.index = spec.features.map((f) => {
      if (f === RET_1) return -1;
      const k = names.indexOf(f);
      if (k < 0)
        throw new UserError(`policy: feature '${f}' is not in ${spec.feature_set} (${names.join(', ')})`);
      return k;
    });
    this.width = names.length;
    const barNs = spec.bar_ms * NS_PER_MS;
    this.sampler = new BarSampler(barNs, names.length, names.indexOf('mid'), (bar, v, _mid, r1) => {
      this.action = this.policy.act(v, this.index, r1, bar * barNs);
      this.steps++;
      this.onStep?.(bar, this.action);
    });
  }

  /** One event at exchange time `ts` (ns from the run's epoch), after which the features are `values`. */
  onEvent(ts: number, values: ArrayLike<number>): number {
    this.sampler.onEvent(ts, values);
    return this.action;
  }

  reset(): void {
    this.sampler.reset();
    this.action = 0;
    this.steps = 0;
  }
}
