import path from 'node:path';
import type { Command } from 'commander';
import { insertAudit } from '../alpha/audit-rows.ts';
import { applyCanary, canaryMetrics, canaryRules, canarySessions, decideCanary } from '../alpha/canary.ts';
import {
  type PromotionConfig,
  type PromotionResult,
  promoteAlpha,
  promotionDefaults,
} from '../alpha/promotion.ts';
import { activePromotions, latestPromotion, listPromotions, notExpired } from '../alpha/promotion-file.ts';
import { UserError } from '../core/errors.ts';
import { sinkTarget } from '../recorder/config.ts';
import { openTarget } from '../recorder/query.ts';
import type { Store } from '../recorder/store.ts';
import { emit, ledgerOf } from './alpha.ts';
import { checkOutputFile, loadAll } from './context.ts';
import { optionalNumberFlag, unitFlag } from './flag-values.ts';
import { configOptions } from './options.ts';

export interface PromoteFlags {
  owner?: string;
  run?: string;
  force?: boolean;
  canaryWeight?: string;
  baseDir?: string;
  promotionsDir?: string;
  out?: string;
  env?: string;
  config?: string;
  set?: string[];
  [k: string]: unknown;
}

/** Gate D/E thresholds that have a flag: flag -> config key of alpha.promotion. */
const THRESHOLD_FLAGS: [string, keyof PromotionConfig][] = [
  ['--min-sharpe-oos <x>', 'min_sharpe_oos'],
  ['--max-abs-drawdown <f>', 'max_abs_drawdown'],
  ['--max-turnover <x>', 'max_turnover'],
  ['--max-correlation <x>', 'max_correlation'],
  ['--min-uplift <x>', 'min_uplift'],
  ['--min-shadow-sessions <n>', 'min_shadow_sessions'],
  ['--max-drift-psi <x>', 'max_drift_psi'],
  ['--max-drift-alerts <n>', 'max_drift_alerts'],
  ['--max-execution-reject-rate <x>', 'max_execution_reject_rate'],
  ['--expiry-days <n>', 'expiry_days'],
  ['--max-live-slippage-bps <x>', 'max_live_slippage_bps'],
  ['--max-live-drawdown-contribution <x>', 'max_live_drawdown_contribution'],
  ['--max-execution-error-rate <x>', 'max_execution_error_rate'],
];

const camel = (flag: string) =>
  flag
    .split(' ')[0]
    .slice(2)
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The flags of Gates D-E and the promotion (thresholds, --force, --canary-weight, folders); `hft alpha rl promote` has them too. */
export function promotionOptions(c: Command): Command {
  c.option('--force', 'promote even when a gate fails (recorded as forced in the audit log)')
    .option('--canary-weight <w>', "canary weight instead of the scorecard's tier")
    .option('--promotions-dir <dir>', 'promotion files (alpha.promotion.promotions_dir)');
  for (const [flag, key] of THRESHOLD_FLAGS) c.option(flag, `alpha.promotion.${key}`);
  return c;
}

/**
 * The values of the promotion flags, each checked: a bad one is a UserError before any work (`hft
 * alpha rl promote` calls it before it scaffolds and validates).
 */
export function promotionFlagValues(flags: PromoteFlags): {
  thresholds: [keyof PromotionConfig, number][];
  owner: string | undefined;
  canaryWeight: number | undefined;
} {
  const thresholds: [keyof PromotionConfig, number][] = [];
  for (const [flag, key] of THRESHOLD_FLAGS) {
    const v = optionalNumberFlag(flag.split(' ')[0], flags[camel(flag)] as string | undefined);
    if (v !== undefined) thresholds.push([key, v]);
  }
  const owner = flags.owner?.trim();
  if (owner === '') throw new UserError('--owner expects a name');
  if (flags.out !== undefined) checkOutputFile('--out', flags.out);
  const w = flags.canaryWeight;
  return {
    thresholds,
    owner,
    canaryWeight: w === undefined ? undefined : unitFlag('--canary-weight', w, true),
  };
}

/**
 * Gates D-E of alpha `id` with the flags' thresholds; prints the JSON result and one line, and sets
 * exit code 2 when not approved.
 */
export async function promoteFromFlags(
  id: string,
  flags: PromoteFlags,
  cfg: ReturnType<typeof loadAll>,
): Promise<PromotionResult> {
  const v = promotionFlagValues(flags);
  if (v.owner === undefined) throw new UserError('--owner expects a name');
  const { settings, root } = cfg;
  const config = promotionDefaults(settings);
  for (const [key, x] of v.thresholds) (config as unknown as Record<string, number>)[key] = x;
  const r = await promoteAlpha({
    root,
    alphaId: id,
    owner: v.owner,
    runId: flags.run,
    ledger: ledgerOf(flags),
    promotionsDir: path.resolve(
      flags.promotionsDir === undefined
        ? path.join(root, settings.alpha.promotion.promotions_dir)
        : flags.promotionsDir,
    ),
    store: sinkTarget(settings, root),
    config,
    force: flags.force === true,
    canaryWeight: v.canaryWeight,
  });
  emit(r, flags.out);
  process.stderr.write(
    `hft: ${id}: ${r.approved ? (r.forced ? 'APPROVED (forced)' : 'APPROVED') : 'NOT APPROVED'} (D ${r.gate_d_passed ? 'passed' : 'failed'}, E ${r.gate_e_passed ? 'passed' : 'failed'})` +
      (r.promotion_config_path === null
        ? '\n'
        : ` weight ${r.canary_weight}: ${path.relative(process.cwd(), r.promotion_config_path)}\n`),
  );
  if (!r.approved) process.exitCode = 2;
  return r;
}

/** `hft alpha promote` and `hft alpha canary status|evaluate` (docs/research.md). */
export function registerAlphaPromo(alpha: Command): void {
  const promote = alpha
    .command('promote <alpha_id>')
    .description(
      'Gates D-E on measured evidence (scorecard, pool, shadow sessions in the store); approved: the promotion file and a canary weight; exit 2 when not approved',
    )
    .requiredOption('--owner <name>', 'who owns the promotion')
    .option('--run <run_id>', 'the validated run to promote (default: the newest of the alpha)')
    .option('--base-dir <dir>', 'the experiment ledger (alpha.experiments_dir)')
    .option('--out <file>', 'write the JSON result here too');
  promotionOptions(promote);
  configOptions(promote).action(async (id: string, flags: PromoteFlags) => {
    await promoteFromFlags(id, { ...flags, owner: flags.owner }, loadAll(flags));
  });

  const canary = alpha.command('canary').description('promoted alphas trading at a canary weight');
  configOptions(
    canary
      .command('status')
      .description('every promotion file: alpha, weight, enabled, expired, owner')
      .option('--promotions-dir <dir>', 'promotion files (alpha.promotion.promotions_dir)')
      .option('--out <file>', 'write the JSON here too'),
  ).action(
    (flags: { promotionsDir?: string; out?: string; env?: string; config?: string; set?: string[] }) => {
      const { settings, root } = loadAll(flags);
      const dir = promotionsDir(root, settings.alpha.promotion.promotions_dir, flags.promotionsDir);
      const now = Date.now();
      const active = new Set(activePromotions(dir, now).map((e) => e.file));
      const { entries, warnings } = listPromotions(dir);
      for (const w of warnings) process.stderr.write(`hft: skipped ${w}\n`);
      if (entries.length === 0) {
        process.stdout.write('No active canaries found.\n');
        return;
      }
      const canaries = entries.map((e) => ({
        alpha_id: e.doc.alpha_id,
        weight: e.doc.weight,
        enabled: e.doc.enabled,
        expired: !notExpired(e.doc, now),
        active: active.has(e.file),
        expiry_review_date: e.doc.expiry_review_date,
        owner: e.doc.owner,
        strategy_id: e.doc.strategy?.id ?? null,
        forced: e.doc.forced,
        path: path.relative(process.cwd(), e.file),
      }));
      emit({ canaries, count: canaries.length, active: active.size }, flags.out);
    },
  );
  configOptions(
    canary
      .command('evaluate <alpha_id>')
      .description(
        "the canary's live metrics from its recorded sessions; rollback, escalate (tiers), graduate or hold; --apply writes it",
      )
      .option('--apply', 'write the decision to the promotion file and audit.alpha_canary_log')
      .option('--promotions-dir <dir>', 'promotion files (alpha.promotion.promotions_dir)')
      .option('--out <file>', 'write the JSON here too'),
  ).action(
    async (
      id: string,
      flags: {
        apply?: boolean;
        promotionsDir?: string;
        out?: string;
        env?: string;
        config?: string;
        set?: string[];
      },
    ) => {
      const { settings, root } = loadAll(flags);
      const dir = promotionsDir(root, settings.alpha.promotion.promotions_dir, flags.promotionsDir);
      const now = Date.now();
      const entry = activePromotions(dir, now).find((e) => e.doc.alpha_id === id);
      if (entry === undefined) {
        const last = latestPromotion(dir, id);
        throw new UserError(
          last === null
            ? `no canary for alpha '${id}' in ${path.relative(process.cwd(), dir) || '.'}`
            : `no canary for alpha '${id}': ${last.doc.enabled ? 'promotion expired' : 'promotion disabled (rolled back)'} (${path.relative(process.cwd(), last.file)})`,
        );
      }
      const target = sinkTarget(settings, root);
      let store: Store;
      try {
        store = await openTarget(target.server ? target : target.dataDir);
      } catch (err) {
        throw new UserError(
          `store ${target.server?.url ?? target.dataDir} cannot be opened (${String((err as Error).message).split('\n')[0]}): the canary's sessions are read from it; stop the run that holds it`,
        );
      }
      try {
        const sessions = await canarySessions(store, entry);
        const d = decideCanary(entry, canaryMetrics(sessions), canaryRules(settings), id);
        let applied = false;
        if (flags.apply === true) {
          const row = applyCanary(entry, d, now);
          if (row !== null) {
            await insertAudit(store, { canary: [row] });
            applied = true;
          }
        }
        emit(
          { ...d, path: d.path === null ? null : path.relative(process.cwd(), d.path), applied },
          flags.out,
        );
      } finally {
        await store.close();
      }
    },
  );
}

function promotionsDir(root: string, configured: string, flag: string | undefined): string {
  return flag === undefined ? path.resolve(root, configured) : path.resolve(flag);
}
