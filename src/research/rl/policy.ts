import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../../core/errors.ts';

/**
 * A linear policy over a declared observation, saved as JSON (format `hft-linear-policy@1`, the
 * documented weights format an RL alpha loads). Observation: the named features of one bar sample
 * (BarSampler), each standardised by the training data's mean and std and clipped to ±5, then the
 * time of day (fraction of 24 h, Taipei). Action: s = w·obs + b; +1 (long max) when s > 1, −1
 * (short max) when s < −1, else 0 (flat). Deterministic.
 */
export const policySchema = z.strictObject({
  format: z.literal('hft-linear-policy@1'),
  feature_set: z.string(),
  features: z.array(z.string()).min(1),
  bar_ms: z.number().int().positive(),
  max_position: z.number().int().positive(),
  mean: z.array(z.number()),
  std: z.array(z.number()),
  weights: z.array(z.number()),
  bias: z.number(),
  /** Where it came from: trainer, seed, data, scores (free form). */
  meta: z.record(z.string(), z.unknown()).default({}),
});
export type PolicySpec = z.output<typeof policySchema>;

/** Observation width: the features and the time of day. */
export const obsWidth = (p: Pick<PolicySpec, 'features'>): number => p.features.length + 1;

const NS_PER_DAY = 86_400e9;
const TAIPEI_NS = 8 * 3600e9;

export class LinearPolicy {
  readonly obs: Float64Array;

  constructor(readonly spec: PolicySpec) {
    const n = obsWidth(spec);
    if (
      spec.weights.length !== n ||
      spec.mean.length !== spec.features.length ||
      spec.std.length !== spec.features.length
    )
      throw new UserError(
        `policy: ${spec.features.length} features need ${n} weights and ${spec.features.length} means and stds`,
      );
    this.obs = new Float64Array(n);
  }

  /**
   * Fills `obs` from one sample (`values` in `index` order: the position of each declared feature in
   * the sample, -1 for ret_1 which comes as `ret1`) of the bar starting at `tsNs` (ns from a UTC
   * midnight: a run's epoch is one) and returns the action (−1, 0, +1).
   */
  act(values: ArrayLike<number>, index: readonly number[], ret1: number, tsNs: number): number {
    const s = this.spec;
    const o = this.obs;
    for (let k = 0; k < s.features.length; k++) {
      const raw = index[k] < 0 ? ret1 : values[index[k]];
      const sd = s.std[k] > 0 ? s.std[k] : 1;
      const z = (raw - s.mean[k]) / sd;
      o[k] = Number.isFinite(z) ? Math.max(-5, Math.min(5, z)) : 0;
    }
    o[s.features.length] = ((((tsNs + TAIPEI_NS) % NS_PER_DAY) + NS_PER_DAY) % NS_PER_DAY) / NS_PER_DAY;
    let v = s.bias;
    for (let k = 0; k < o.length; k++) v += s.weights[k] * o[k];
    return v > 1 ? 1 : v < -1 ? -1 : 0;
  }
}

export function savePolicy(file: string, spec: PolicySpec): void {
  writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`);
}

export function loadPolicy(file: string): PolicySpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`policy ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UserError(`policy ${file}: not JSON`);
  }
  const r = policySchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UserError(`policy ${file}: ${i.path.join('.') || 'file'}: ${i.message}`);
  }
  new LinearPolicy(r.data); // checks the widths
  return r.data;
}
