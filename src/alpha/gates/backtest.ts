import { runBacktest } from '../../backtest/runner.ts';
import type { StrategyConfig } from '../../config/strategies.ts';
import { MdKind } from '../../contracts/market.ts';
import { MONEY_SCALE } from '../../core/money.ts';
import { type AlphaStrategy, alphaStrategyFor, recordedSignals } from '../alpha-strategy.ts';
import { computeScorecard, type Scorecard } from '../scorecard.ts';
import type { SignalSeries } from '../signal-path.ts';
import type { ValidationContext } from '../validation-context.ts';
import type { Gate, GateResult } from './gate.ts';

const CLASS_NAME = 'alpha-validation';

/** What Gate C leaves for the ledger and the report besides its result. */
export interface BacktestArtifacts {
  scorecard: Scorecard;
  /** Equity samples (ns since the run epoch, currency). */
  equity: { ts: number[]; equity: number[]; position: number[] };
  fills: { exchTs: number; side: number; price: number; qty: number; taker: boolean; fee: number }[];
  summary: Record<string, unknown>;
}

/**
 * Gate C — backtest: the alpha runs as a strategy (the standard signal-to-position mapping, see
 * alpha-strategy.ts) in the tick backtester over the data: order and response latency, queue
 * position, fees, taxes, the symbol's multiplier and tick. The scorecard is computed from its PnL
 * (clock-based bars), its fills and the research signals (IC on the out-of-sample slice only); the
 * signals the strategy saw in the runtime must equal the research signals, event for event.
 * Passes when the out-of-sample Sharpe, the drawdown, the turnover and the Deflated Sharpe Ratio
 * all meet the configured minimums.
 */
export class BacktestGate implements Gate<ValidationContext> {
  readonly id = 'C';
  readonly name = 'Gate C';
  readonly reportFile = 'backtest_report.json';
  /** Filled by run(). */
  artifacts: BacktestArtifacts | null = null;

  /** `otherTrials`: per-bar OOS Sharpe of this alpha's other configurations in the ledger (Deflated Sharpe Ratio). */
  constructor(private readonly otherTrials: number[]) {}

  async run(ctx: ValidationContext): Promise<GateResult> {
    const cfg = ctx.config;
    const sym = ctx.symbol;
    const research = ctx.signals();
    const firstMid = research.mid.find((m) => m > 0) ?? 0;
    const capital =
      cfg.capital > 0
        ? cfg.capital
        : (cfg.maxPosition * firstMid * sym.multiplier) / sym.priceScale / sym.qtyScale;
    let strategy: AlphaStrategy | null = null;
    const sc: StrategyConfig = {
      id: `alpha-${ctx.entry.id}`,
      class: CLASS_NAME,
      enabled: true,
      symbols: [sym.code],
      params: {
        threshold: cfg.signalThreshold,
        max_position: cfg.maxPosition,
        hold_ms: cfg.holdMs,
        execution: cfg.execution,
        min_interval_ms: cfg.minIntervalMs,
        alpha_params: cfg.alphaParams,
      },
      // The mapping sizes the orders: a flip from long to short is one order of twice the position,
      // whatever the desk's per-order notional cap (config/strategy_limits.yaml: about 3 TXF lots)
      // would allow. Gate C measures the alpha, not the desk's limits.
      risk: {
        max_position: Math.max(ctx.backtest.settings.risk.max_position, 2 * cfg.maxPosition),
        max_order_qty: Math.max(ctx.backtest.settings.risk.max_order_qty, 2 * cfg.maxPosition),
        max_notional: 0,
      },
    };
    const result = await runBacktest(
      // The configured strategies stay (disabled by the runner): limits files name them.
      { ...ctx.backtest, strategies: [...ctx.backtest.strategies.filter((x) => x.id !== sc.id), sc] },
      {
        strategyId: sc.id,
        data: ctx.data,
        models: cfg.models,
        log: ctx.log,
        replay: ctx.replay,
        strategyClasses: {
          [CLASS_NAME]: alphaStrategyFor(ctx.entry, {
            recordSignals: true,
            onCreate: (s) => {
              strategy = s;
            },
          }),
        },
      },
    );
    const t = result.tracker;
    const parity = parityCheck(research, strategy === null ? null : recordedSignals(strategy));
    const money = (v: number) => v / MONEY_SCALE;
    const equity = {
      ts: t.equity.ts,
      equity: t.equity.equity.map(money),
      active: t.equity.active,
    };
    const c = ctx.columns;
    const marketTs: number[] = [];
    const marketQty: number[] = [];
    for (let i = 0; i < c.n; i++)
      if (c.kind[i] === MdKind.Trade) {
        marketTs.push(c.exchTs[i]);
        marketQty.push(c.qty[i]);
      }
    const scorecard = computeScorecard(
      equity,
      research,
      {
        fillTs: t.fills.map((f) => f.exchTs),
        fillQty: t.fills.map((f) => f.qty),
        orderedQty: t.orderedQty,
        filledQty: t.filledQty,
        takerQty: t.takerQty,
        tradedValue: money(t.turnover),
        marketTs,
        marketQty,
      },
      {
        isOosSplit: cfg.isOosSplit,
        barNs: cfg.barS * 1e9,
        capital,
        horizonsNs: cfg.icHorizonsS.map((h) => h * 1e9),
        maxPosition: cfg.maxPosition,
        otherTrials: this.otherTrials,
      },
      (ts) => c.epoch.toIso(ts).slice(0, 10),
    );
    // A run without a fill has a flat equity: its Sharpe (0) and Deflated Sharpe (0.5) are no
    // evidence of anything, so they cannot pass the Sharpe criteria (thresholds 0 and 0.5 would).
    const traded = t.fills.length > 0;
    const criteria = {
      min_sharpe_oos: {
        value: scorecard.sharpe_oos,
        min: cfg.minSharpeOos,
        pass: traded && scorecard.sharpe_oos >= cfg.minSharpeOos,
      },
      max_abs_drawdown: {
        value: scorecard.max_drawdown,
        min: -Math.abs(cfg.maxAbsDrawdown),
        pass: scorecard.max_drawdown >= -Math.abs(cfg.maxAbsDrawdown),
      },
      min_turnover: {
        value: scorecard.turnover,
        min: cfg.minTurnover,
        pass: scorecard.turnover >= cfg.minTurnover,
      },
      min_dsr: { value: scorecard.dsr, min: cfg.minDsr, pass: traded && scorecard.dsr >= cfg.minDsr },
      research_runtime_parity: { value: parity.mismatches, max: 0, pass: parity.passed },
    };
    const s = result.summary;
    this.artifacts = {
      scorecard,
      equity: { ts: t.equity.ts, equity: equity.equity, position: t.equity.position[sym.id] ?? [] },
      fills: t.fills.map((f) => ({
        exchTs: f.exchTs,
        side: f.side,
        price: f.price / sym.priceScale,
        qty: f.qty,
        taker: f.taker,
        fee: money(f.fee + f.tax),
      })),
      summary: s as unknown as Record<string, unknown>,
    };
    return {
      gate: this.name,
      passed: Object.values(criteria).every((x) => x.pass),
      details: {
        symbol: sym.code,
        mapping: sc.params,
        models: s.models,
        period: s.period,
        capital,
        pnl: s.pnl,
        trades: s.trades,
        orders: s.orders,
        // Intents risk refused (the summary's count by reason): the mapping did not trade as asked.
        refused: s.refused,
        split_ts: c.epoch.toIso(scorecard.split_ts),
        parity,
        criteria,
        scorecard,
      },
    };
  }
}

/** The signals the strategy saw in the runtime against the research signals, row by row. */
function parityCheck(
  research: SignalSeries,
  runtime: { exchTs: number[]; signal: number[] } | null,
): {
  passed: boolean;
  rows: number;
  runtime_rows: number;
  mismatches: number;
  first: Record<string, unknown> | null;
} {
  if (runtime === null)
    return { passed: false, rows: research.n, runtime_rows: 0, mismatches: research.n, first: null };
  let mismatches = Math.abs(runtime.signal.length - research.n);
  let first: Record<string, unknown> | null = null;
  const n = Math.min(runtime.signal.length, research.n);
  for (let i = 0; i < n; i++) {
    const a = research.signal[i];
    const b = runtime.signal[i];
    const same =
      research.exchTs[i] === runtime.exchTs[i] && (a === b || (Number.isNaN(a) && Number.isNaN(b)));
    if (same) continue;
    mismatches++;
    first ??= { row: i, exch_ts: research.epoch.toIso(research.exchTs[i]), research: a, runtime: b };
  }
  return {
    passed: mismatches === 0,
    rows: research.n,
    runtime_rows: runtime.signal.length,
    mismatches,
    first,
  };
}
