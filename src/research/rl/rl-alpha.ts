import { Alpha, type AlphaEvent } from '../../alpha/sdk.ts';
import type { PolicySpec } from './policy.ts';
import { PolicyDriver } from './policy-driver.ts';

/**
 * An alpha (tier RL) whose signal is a trained policy's action (−1, 0, +1) on the policy's bars:
 * subclasses set `static policy` (usually `loadPolicy(<the folder's policy.json>)`). The policy is
 * driven by the same PolicyDriver as in the training environment, so the same events give the same
 * actions in the environment's backtest and in a replay of the alpha (tested). Traded through the
 * standard mapping, +1 and −1 take the long and short position and 0 keeps it (the environment's 0
 * is flat: give the mapping a `hold_ms` to flatten).
 */
export abstract class RlPolicyAlpha extends Alpha {
  static readonly policy: PolicySpec;
  override readonly featureSet: string;
  private readonly driver: PolicyDriver;
  private values: Float64Array;

  constructor(params: unknown) {
    super(params);
    const spec = (this.constructor as typeof RlPolicyAlpha).policy;
    this.driver = new PolicyDriver(spec);
    this.featureSet = spec.feature_set;
    this.values = new Float64Array(this.driver.width);
  }

  update(ev: Readonly<AlphaEvent>): number {
    const f = ev.features;
    if (f === null) return 0;
    const v = this.values;
    for (let k = 0; k < v.length; k++) v[k] = f.at(k);
    return this.driver.onEvent(ev.exchTs, v);
  }

  reset(): void {
    this.driver.reset();
  }
}
