import { NS_PER_S } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { FeatureSetSpec } from './feature-set.ts';

/** The shared microstructure features of one book (default set). */
export const LOB_CORE: FeatureSetSpec = {
  id: 'lob_core',
  version: 1,
  features: [
    { id: 'mid', kind: 'mid' },
    { id: 'microprice', kind: 'microprice' },
    { id: 'spread_ticks', kind: 'spread_ticks' },
    { id: 'imbalance_l1', kind: 'l1_imbalance' },
    { id: 'depth_imbalance_5', kind: 'depth_imbalance', levels: 5 },
    { id: 'ofi_1', kind: 'ofi', levels: 1, windowNs: NS_PER_S },
    { id: 'ofi_5', kind: 'ofi', levels: 5, windowNs: NS_PER_S },
    { id: 'trade_imbalance_5s', kind: 'trade_imbalance', windowNs: 5 * NS_PER_S },
    { id: 'rv_10s', kind: 'realized_vol', windowNs: 10 * NS_PER_S },
    { id: 'ewma_ret_50', kind: 'ewma_return', span: 50 },
    { id: 'entropy_5', kind: 'book_entropy', levels: 5 },
  ],
};

/** Feature sets that strategies and `hft features compute --set` can name. */
export const FEATURE_SETS: Readonly<Record<string, FeatureSetSpec>> = { [LOB_CORE.id]: LOB_CORE };

/** A registered feature set by id; a UserError listing the known ones otherwise. */
export function featureSet(id: string): FeatureSetSpec {
  const set = FEATURE_SETS[id];
  if (set === undefined) {
    throw new UserError(`unknown feature set '${id}' (known: ${Object.keys(FEATURE_SETS).join(', ')})`);
  }
  return set;
}
