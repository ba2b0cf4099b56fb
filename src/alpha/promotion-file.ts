import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/** Where promotions live, relative to the project root (the original's config/strategy_promotions). */
export const PROMOTIONS_DIR = path.join('config', 'strategy_promotions');

/** A promotion file: config/strategy_promotions/<YYYYMMDD>/<alpha_id>.yaml (the original's keys first). */
export interface PromotionDoc {
  alpha_id: string;
  enabled: boolean;
  weight: number;
  owner: string;
  /** ISO date (UTC): the promotion trades until the end of that day, then not without a new review. */
  expiry_review_date: string;
  forced: boolean;
  source_commit: string;
  scorecard_snapshot: Record<string, number | null>;
  thresholds: Record<string, number>;
  guardrails: {
    max_live_slippage_bps: number;
    max_live_drawdown_contribution: number;
    max_execution_error_rate: number;
    /** Ours: the error rate is judged from this many orders on. */
    min_orders: number;
  };
  rollback?: {
    trigger: {
      live_slippage_bps_gt: number;
      live_drawdown_contribution_gt: number;
      execution_error_rate_gt: number;
    };
    action: { set_weight_to_zero: boolean; open_incident: boolean };
  };
  /** Ours: what the runtime trades — the validated run, its symbol and the strategy parameters. */
  run_id: string;
  config_hash: string;
  promoted_at: string;
  strategy: { id: string; symbols: string[]; params: Record<string, unknown> };
  /** Ours: every weight change (escalate, rollback, graduate) with its time and reason. */
  history: { ts: string; action: string; old_weight: number; new_weight: number; reason: string }[];
}

export interface PromotionEntry {
  file: string;
  doc: PromotionDoc;
}

/** Writes a promotion atomically (a temporary file renamed over it). */
export function writePromotion(file: string, doc: PromotionDoc): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, YAML.stringify(doc, { sortMapEntries: false }));
  renameSync(tmp, file);
}

export function readPromotion(file: string): PromotionDoc {
  return YAML.parse(readFileSync(file, 'utf8')) as PromotionDoc;
}

/** Every promotion file under `dir` (recursive), sorted by path; unreadable ones in `warnings`. */
export function listPromotions(dir: string): { entries: PromotionEntry[]; warnings: string[] } {
  const entries: PromotionEntry[] = [];
  const warnings: string[] = [];
  if (!existsSync(dir)) return { entries, warnings };
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const f = path.join(d, name);
      if (statSync(f).isDirectory()) walk(f);
      else if (name.endsWith('.yaml') || name.endsWith('.yml')) {
        try {
          const doc = readPromotion(f);
          if (doc === null || typeof doc !== 'object' || typeof doc.alpha_id !== 'string')
            warnings.push(`${f}: not a promotion (no alpha_id)`);
          else entries.push({ file: f, doc });
        } catch (err) {
          warnings.push(`${f}: ${String((err as Error).message).split('\n')[0]}`);
        }
      }
    }
  };
  walk(dir);
  return { entries, warnings };
}

/** True while the promotion's review date has not passed (the whole date, UTC). */
export function notExpired(doc: PromotionDoc, nowMs: number): boolean {
  const end = Date.parse(`${doc.expiry_review_date}T00:00:00Z`) + 86_400_000;
  return Number.isFinite(end) && nowMs < end;
}

/**
 * The active promotion of each alpha: enabled and not expired; of an alpha promoted more than
 * once, the newest (a later date folder) wins — the original took the oldest.
 */
export function activePromotions(dir: string, nowMs: number): PromotionEntry[] {
  const byAlpha = new Map<string, PromotionEntry>();
  for (const e of listPromotions(dir).entries) {
    if (e.doc.enabled !== true || !notExpired(e.doc, nowMs)) continue;
    const prev = byAlpha.get(e.doc.alpha_id);
    if (prev === undefined || e.doc.promoted_at >= prev.doc.promoted_at) byAlpha.set(e.doc.alpha_id, e);
  }
  return [...byAlpha.values()].sort((a, b) => a.doc.alpha_id.localeCompare(b.doc.alpha_id));
}

/** The newest promotion file of an alpha (enabled or not), or null. */
export function latestPromotion(dir: string, alphaId: string): PromotionEntry | null {
  let best: PromotionEntry | null = null;
  for (const e of listPromotions(dir).entries)
    if (e.doc.alpha_id === alphaId && (best === null || e.doc.promoted_at >= best.doc.promoted_at)) best = e;
  return best;
}
