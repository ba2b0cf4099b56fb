import { z } from 'zod';
import type { FeatureView } from '../features/feature-engine.ts';
import type { OrderBook } from '../lob/order-book.ts';
import type { ParamsSchema } from '../strategy/sdk.ts';

/** Life cycle of an alpha, from scaffold to production (the original's statuses). */
export const ALPHA_STATUSES = [
  'DRAFT',
  'GATE_A',
  'GATE_B',
  'GATE_C',
  'GATE_D',
  'GATE_E',
  'PRODUCTION',
  'DEPRECATED',
] as const;
export type AlphaStatus = (typeof ALPHA_STATUSES)[number];

export const ALPHA_TIERS = ['TIER_1', 'TIER_2', 'ENSEMBLE', 'RL'] as const;
export type AlphaTier = (typeof ALPHA_TIERS)[number];

/**
 * What an alpha is: the record the registry, the gates and the experiment ledger read. Keys are the
 * original's (snake_case), so manifests and reports keep its contract.
 */
export const manifestSchema = z.strictObject({
  /** Immutable id, snake_case; equals the alpha's folder name under research/alphas/. */
  alpha_id: z.string().regex(/^[a-z0-9][a-z0-9_]*$/, 'snake_case: lower-case letters, digits and _'),
  /** Why it should predict: the economic or microstructure story. */
  hypothesis: z.string().min(1),
  /** The signal, as text, LaTeX or pseudocode. */
  formula: z.string().min(1),
  /** References (paper ids, arXiv ids, DOIs). */
  paper_refs: z.array(z.string()).default([]),
  /**
   * The inputs it reads: event fields (`bid_px`, `trade_vol`, ... or the original's aliases) and
   * features as `<set>.<feature>` (`lob_core.ofi_5`). Gate A checks each against the data.
   */
  data_fields: z.array(z.string()).default([]),
  /** Cost per event: `O(1)` or `O(N)` (N: a window length). */
  complexity: z.string().default('O(1)'),
  status: z.enum(ALPHA_STATUSES).default('DRAFT'),
  tier: z.enum(ALPHA_TIERS).nullable().default(null),
});

export type AlphaManifest = z.output<typeof manifestSchema>;
export type AlphaManifestInput = z.input<typeof manifestSchema>;

/** What produced an event: a book change (end of an exchange message) or a trade print. */
export const EVENT_BOOK = 1;
export const EVENT_TRADE = 2;

/**
 * One market event as an alpha sees it: one object, reused and refilled for every event (copy what
 * you keep). The same AlphaFeed fills it in the research path and inside a running strategy, from
 * the same LOB and feature kernels, so a signal is the same in both. Prices are the symbol's scaled
 * integers; times are ns relative to the run's epoch.
 */
export interface AlphaEvent {
  /** EVENT_BOOK or EVENT_TRADE. */
  kind: number;
  exchTs: number;
  localTs: number;
  /** Best bid and ask (0: side empty) and their quantities. */
  bidPx: number;
  askPx: number;
  bidQty: number;
  askQty: number;
  /** (bid + ask) / 2, NaN while a side is empty. */
  mid: number;
  spread: number;
  /** (bidQty − askQty) / (bidQty + askQty). */
  imbalance: number;
  /** Quantity over the best 5 levels of each side. */
  bidDepth: number;
  askDepth: number;
  /** ln(mid / previous book event's mid); 0 on the first book and while the mid is undefined. */
  midReturn: number;
  /** The last trade (on EVENT_TRADE: this one): price (scaled), quantity, aggressor side (+1, −1, 0 unknown). */
  tradePx: number;
  tradeQty: number;
  tradeSide: number;
  /** The full book (read-only). */
  book: OrderBook;
  /** The declared feature set's current values (null when the alpha declares none). */
  features: FeatureView | null;
}

/**
 * An alpha: turns market events into a signal. Subclasses declare `static manifest` and implement
 * `update` (one event in, the current signal out) and `reset` (forget all state). Alphas with
 * parameters extend `Alpha.withParams(zodSchema)`; `featureSet` names the feature set they read.
 * The runtime and the research path call `update` for every book change and trade, in order, and
 * keep the returned value as `lastSignal`. No allocation or I/O per event: alphas run on the hot path.
 */
export abstract class Alpha<P = unknown> {
  /** The manifest (validated by the registry). */
  static readonly manifest: AlphaManifestInput;
  /** Parameter schema; none: the alpha takes no parameters. */
  static readonly params: ParamsSchema | undefined = undefined;

  /** A base class whose `params` are the schema's output: `class X extends Alpha.withParams(z.object({...}))`. */
  static withParams<S extends ParamsSchema>(schema: S) {
    abstract class WithParams extends Alpha<z.output<S>> {
      static override readonly params: S = schema;
    }
    return WithParams;
  }

  /** Registered feature set (src/features/sets.ts) delivered in `ev.features`; null: none. */
  readonly featureSet: string | null = null;
  /** The signal last returned by `update` (0 before the first event and after a reset); set by the caller. */
  lastSignal = 0;

  /** `params` are validated (and defaulted) by the schema before the alpha is built. */
  constructor(readonly params: P) {}

  /** Consumes one event and returns the current signal (NaN while warming up is allowed). */
  abstract update(ev: Readonly<AlphaEvent>): number;
  /** Forgets every state, as if newly built. */
  abstract reset(): void;

  /** The current signal. */
  signal(): number {
    return this.lastSignal;
  }

  /** The class's manifest, validated. */
  get manifest(): AlphaManifest {
    return manifestSchema.parse((this.constructor as AlphaClass).manifest);
  }
}

/** An alpha class as the registry sees it. */
export interface AlphaClass {
  new (params: never): Alpha;
  readonly manifest: AlphaManifestInput;
  readonly params: ParamsSchema | undefined;
  readonly name: string;
}
