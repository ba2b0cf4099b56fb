import type { BacktestConfig, ModelOptions } from '../backtest/runner.ts';
import type { Settings } from '../config/schema.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Logger } from '../core/logger.ts';
import type { EventColumns } from '../venues/replay/event-columns.ts';
import type { LoadedReplay } from '../venues/replay/replay-sources.ts';
import { type DataContent, dataContent } from './fields.ts';
import { type AlphaEntry, buildAlpha } from './registry.ts';
import type { Alpha } from './sdk.ts';
import { computeSignals, type SignalSeries } from './signal-path.ts';

/** How an alpha is validated: the mapping, the split, the pass rule (alpha.validation.* and flags). */
export interface ValidationConfig {
  isOosSplit: number;
  signalThreshold: number;
  maxPosition: number;
  holdMs: number;
  execution: 'taker' | 'maker';
  minIntervalMs: number;
  minSharpeOos: number;
  maxAbsDrawdown: number;
  minTurnover: number;
  minDsr: number;
  /** Currency units; 0 = the notional of maxPosition at the data's first mid. */
  capital: number;
  barS: number;
  /** Forward-return horizons (s) of the IC decay; the first is the scorecard's IC. */
  icHorizonsS: number[];
  lookaheadCuts: number;
  seed: number;
  skipGateBTests: boolean;
  testTimeoutS: number;
  /** The alpha's parameters (over its schema's defaults). */
  alphaParams: Record<string, unknown>;
  models: ModelOptions;
}

/** The defaults from settings (alpha.validation). */
export function validationDefaults(s: Settings, models: ModelOptions): ValidationConfig {
  const v = s.alpha.validation;
  return {
    isOosSplit: v.is_oos_split,
    signalThreshold: v.signal_threshold,
    maxPosition: v.max_position,
    holdMs: v.hold_ms,
    execution: v.execution,
    minIntervalMs: v.min_interval_ms,
    minSharpeOos: v.min_sharpe_oos,
    maxAbsDrawdown: v.max_abs_drawdown,
    minTurnover: v.min_turnover,
    minDsr: v.min_dsr,
    capital: v.capital,
    barS: v.bar_s,
    icHorizonsS: [...v.ic_horizons_s],
    lookaheadCuts: v.lookahead_cuts,
    seed: v.seed,
    skipGateBTests: false,
    testTimeoutS: v.test_timeout_s,
    alphaParams: {},
    models,
  };
}

/**
 * Everything the gates of one validation share: the alpha, the data (read once), the project's
 * configuration, and the research signals (computed once, on first use).
 */
export class ValidationContext {
  readonly content: DataContent;
  readonly columns: EventColumns;
  readonly symbol: SymbolSpec;
  private research: SignalSeries | null = null;

  constructor(
    readonly root: string,
    readonly entry: AlphaEntry,
    /** The data paths as given. */
    readonly data: string[],
    readonly replay: LoadedReplay,
    readonly config: ValidationConfig,
    readonly backtest: BacktestConfig,
    readonly log: Logger,
  ) {
    this.columns = joinStreams(replay.streams.map((st) => st.columns));
    this.symbol = replay.symbols[replay.streams[0].symbolId];
    this.content = dataContent(this.columns);
  }

  /** A new instance of the alpha with the validation's parameters. */
  newAlpha(): Alpha {
    return buildAlpha(this.entry, this.config.alphaParams);
  }

  /** The alpha's signals over the whole data on the research path (computed once). */
  signals(): SignalSeries {
    this.research ??= computeSignals([this.newAlpha()], this.columns, this.symbol)[0];
    return this.research;
  }
}

/** The streams of one symbol (several days' files) as one, in time order (they do not overlap). */
export function joinStreams(streams: EventColumns[]): EventColumns {
  if (streams.length === 1) return streams[0];
  const order = [...streams].sort((a, b) => a.exchTs[0] - b.exchTs[0]);
  const n = order.reduce((k, c) => k + c.n, 0);
  const join = <T extends Uint8Array | Int8Array | Float64Array>(
    make: (n: number) => T,
    pick: (c: EventColumns) => T,
  ): T => {
    const out = make(n);
    let at = 0;
    for (const c of order) {
      out.set(pick(c).subarray(0, c.n), at);
      at += c.n;
    }
    return out;
  };
  return {
    n,
    epoch: order[0].epoch,
    kind: join(
      (k) => new Uint8Array(k),
      (c) => c.kind,
    ),
    side: join(
      (k) => new Int8Array(k),
      (c) => c.side,
    ),
    exchTs: join(
      (k) => new Float64Array(k),
      (c) => c.exchTs,
    ),
    localTs: join(
      (k) => new Float64Array(k),
      (c) => c.localTs,
    ),
    price: join(
      (k) => new Float64Array(k),
      (c) => c.price,
    ),
    qty: join(
      (k) => new Float64Array(k),
      (c) => c.qty,
    ),
    flags: join(
      (k) => new Uint8Array(k),
      (c) => c.flags,
    ),
    repairCrossed: order[0].repairCrossed,
  };
}
