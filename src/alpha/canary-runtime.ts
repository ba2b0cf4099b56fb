import path from 'node:path';
import type { Settings } from '../config/schema.ts';
import type { StrategyConfig } from '../config/strategies.ts';
import type { Logger } from '../core/logger.ts';
import type { Recorder } from '../recorder/recorder.ts';
import type { StrategyClass } from '../strategy/sdk.ts';
import type { AlphaRunReport } from './alpha-monitor.ts';
import { type AlphaStrategy, alphaStrategyFor } from './alpha-strategy.ts';
import {
  activePromotions,
  listPromotions,
  notExpired,
  type PromotionEntry,
  readPromotion,
  writePromotion,
} from './promotion-file.ts';
import { findAlpha } from './registry.ts';

/** Prefix of the class name a canary strategy is registered under (SystemOptions.strategyClasses). */
export const CANARY_CLASS_PREFIX = 'canary:';

/** One rollback done in the running process (the test and the run's log see these). */
export interface RollbackEvent {
  alpha_id: string;
  strategy_id: string;
  file: string;
  reason: string;
  old_weight: number;
}

/**
 * The promoted alphas of a run: every enabled, unexpired promotion becomes a strategy that trades
 * the alpha through the standard alpha strategy at its canary weight, with the promotion's
 * guardrails measured live. A breach rolls it back in the running process; this object then writes
 * the promotion file (weight 0, disabled, a history entry) and an audit.alpha_canary_log row.
 */
export class CanaryRuntime {
  readonly strategies: StrategyConfig[] = [];
  readonly classes: Record<string, StrategyClass> = {};
  readonly rollbacks: RollbackEvent[] = [];
  /** Promotions that are enabled but past their review date: not traded. */
  readonly expired: string[] = [];
  private recorder: Recorder | null = null;
  private nowMs: () => number = Date.now;

  private constructor(private readonly log: Logger) {}

  /** Reads `<root>/<alpha.promotion.promotions_dir>` (or `dir`) for the promotions active at `nowMs`. */
  static async load(
    root: string,
    s: Settings,
    log: Logger,
    opts: { nowMs?: number; dir?: string } = {},
  ): Promise<CanaryRuntime> {
    const rt = new CanaryRuntime(log);
    const now = opts.nowMs ?? Date.now();
    const dir = opts.dir ?? path.resolve(root, s.alpha.promotion.promotions_dir);
    const { entries, warnings } = listPromotions(dir);
    for (const w of warnings) log.warn({ file: w }, 'promotion file skipped');
    for (const e of entries)
      if (e.doc.enabled === true && !notExpired(e.doc, now)) {
        rt.expired.push(e.doc.alpha_id);
        log.warn(
          { alpha: e.doc.alpha_id, expiry_review_date: e.doc.expiry_review_date, file: e.file },
          'promotion expired: the alpha does not trade until it is reviewed',
        );
      }
    for (const p of activePromotions(dir, now)) await rt.add(root, p);
    return rt;
  }

  private async add(root: string, p: PromotionEntry): Promise<void> {
    const d = p.doc;
    const entry = await findAlpha(root, d.alpha_id);
    const cls = `${CANARY_CLASS_PREFIX}${d.alpha_id}`;
    this.classes[cls] = alphaStrategyFor(entry, {
      onRollback: (s, reason, report) => this.onRollback(p.file, s, reason, report),
    });
    this.strategies.push({
      id: d.strategy.id,
      class: cls,
      enabled: true,
      symbols: d.strategy.symbols,
      // The usual risk limits: risk defaults and config/strategy_limits.yaml by this id.
      risk: {},
      params: {
        ...d.strategy.params,
        mode: 'trade',
        weight: d.weight,
        // Orders no larger than the canary's position: a flip is a close and an open.
        max_order_lots: Math.max(1, Math.floor(Number(d.strategy.params.max_position ?? 5) * d.weight)),
        guardrails: { ...d.guardrails },
      },
    });
    this.log.info(
      {
        alpha: d.alpha_id,
        strategy: d.strategy.id,
        weight: d.weight,
        symbols: d.strategy.symbols,
        file: p.file,
      },
      'canary: promoted alpha trades at its weight',
    );
    const maxPos = Number(d.strategy.params.max_position ?? 5);
    if (Math.floor(maxPos * d.weight) === 0)
      this.log.warn(
        { alpha: d.alpha_id, weight: d.weight, max_position: maxPos },
        'canary trades no lot: weight x max_position is under one lot (validate with the full allocation as --max-position)',
      );
  }

  /** The running system's recorder (for the audit row) and clock. */
  attach(recorder: Recorder | null, nowMs: () => number = Date.now): void {
    this.recorder = recorder;
    this.nowMs = nowMs;
  }

  private onRollback(file: string, s: AlphaStrategy, reason: string, report: AlphaRunReport): void {
    const doc = readPromotion(file);
    const old = doc.weight;
    const iso = new Date(this.nowMs()).toISOString();
    doc.weight = 0;
    doc.enabled = false;
    doc.history = [
      ...(doc.history ?? []),
      { ts: iso, action: 'rolled_back', old_weight: old, new_weight: 0, reason },
    ];
    try {
      writePromotion(file, doc);
    } catch (err) {
      this.log.error({ err, file }, 'canary rollback: the promotion file could not be written');
    }
    const checks = {
      slippage_bps: report.slippage_bps,
      drawdown_contribution: report.drawdown_contribution,
      execution_error_rate: report.error_rate,
      intents: report.intents,
      fills: report.fills,
      run: 'live',
    };
    this.recorder?.recordAudit('alpha_canary_log', {
      ts: Date.parse(iso) * 1e6,
      alpha_id: doc.alpha_id,
      action: 'rolled_back',
      old_weight: old,
      new_weight: 0,
      reason,
      checks: JSON.stringify(checks),
    });
    this.rollbacks.push({ alpha_id: doc.alpha_id, strategy_id: s.id, file, reason, old_weight: old });
  }
}
