import { UserError } from '../core/errors.ts';

/**
 * One feature of a set: a kernel kind and its parameters. Prices are in the symbol's scaled
 * units, quantities scaled likewise; time windows are in ns of event (exchange) time.
 */
export type FeatureSpec =
  /** (best bid + best ask) / 2. */
  | { id: string; kind: 'mid' }
  /** Imbalance-weighted mid: (ask·q_bid + bid·q_ask) / (q_bid + q_ask). */
  | { id: string; kind: 'microprice' }
  /** (best ask − best bid) / tick, the tick of the symbol's ladder at the best bid. */
  | { id: string; kind: 'spread_ticks' }
  /** (q_bid − q_ask) / (q_bid + q_ask) at the best level. */
  | { id: string; kind: 'l1_imbalance' }
  /** Same over the best `levels` levels of each side. */
  | { id: string; kind: 'depth_imbalance'; levels: number }
  /**
   * Multi-level order-flow imbalance (Cont, Kukanov & Stoikov 2014, per level as in Xu, Gould &
   * Howison 2019), summed over the events of the last `windowNs`; level i weighs exp(−decay·i).
   */
  | { id: string; kind: 'ofi'; levels: number; windowNs: number; decay?: number }
  /** (buy − sell) / (buy + sell) aggressor volume over the last `windowNs` (unknown sides ignored). */
  | { id: string; kind: 'trade_imbalance'; windowNs: number }
  /** sqrt(Σ r²) of mid log-returns over the last `windowNs` (not annualized). */
  | { id: string; kind: 'realized_vol'; windowNs: number }
  /** EWMA (α = 2 / (span + 1)) of mid log-returns, one per book update; starts at the first return. */
  | { id: string; kind: 'ewma_return'; span: number }
  /** Shannon entropy (bits) of the quantity shares of the best `levels` levels of both sides pooled. */
  | { id: string; kind: 'book_entropy'; levels: number };

export type FeatureKind = FeatureSpec['kind'];

/**
 * A versioned feature set. Bump `version` whenever its output changes (a kernel, a parameter,
 * the list): the golden test in test/features/golden/ enforces it.
 */
export interface FeatureSetSpec {
  id: string;
  version: number;
  features: readonly FeatureSpec[];
}

/** Fixed warm-up of a feature: its value is NaN until both hold, counted from the symbol's (re)start. */
export interface Warmup {
  /** Book updates seen. */
  books: number;
  /** Event time elapsed since the first event (ns). */
  ns: number;
}

/** The warm-up a feature kind needs (part of the set's definition: changing it changes the output). */
export function warmupOf(f: FeatureSpec): Warmup {
  switch (f.kind) {
    case 'ofi':
      // The first book only sets the reference state; the window must then be fully observed.
      return { books: 1, ns: f.windowNs };
    case 'trade_imbalance':
      return { books: 0, ns: f.windowNs };
    case 'realized_vol':
      return { books: 2, ns: f.windowNs };
    case 'ewma_return':
      return { books: f.span + 1, ns: 0 };
    default:
      return { books: 1, ns: 0 };
  }
}

/** Checks a set definition; throws a UserError naming the bad feature. */
export function validateFeatureSet(set: FeatureSetSpec): void {
  const where = `feature set ${set.id}@${set.version}`;
  if (!/^[a-z][a-z0-9_]*$/.test(set.id)) throw new UserError(`${where}: id must be snake_case`);
  if (!Number.isInteger(set.version) || set.version < 1)
    throw new UserError(`${where}: version must be an integer >= 1`);
  if (set.features.length === 0) throw new UserError(`${where}: no features`);
  const seen = new Set<string>();
  for (const f of set.features) {
    if (!/^[a-z][a-z0-9_]*$/.test(f.id))
      throw new UserError(`${where}: feature id '${f.id}' must be snake_case`);
    if (seen.has(f.id)) throw new UserError(`${where}: duplicate feature id '${f.id}'`);
    seen.add(f.id);
    const bad = (what: string) => new UserError(`${where}: feature ${f.id}: ${what}`);
    if ('levels' in f && (!Number.isInteger(f.levels) || f.levels < 1))
      throw bad('levels must be an integer >= 1');
    if ('windowNs' in f && !(f.windowNs > 0)) throw bad('windowNs must be > 0');
    if ('span' in f && !(f.span >= 1)) throw bad('span must be >= 1');
    if (f.kind === 'ofi' && f.decay !== undefined && !(f.decay >= 0)) throw bad('decay must be >= 0');
  }
}
