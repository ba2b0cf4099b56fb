import path from 'node:path';
import type { Command } from 'commander';
import { type PromotionConfig, promoteAlpha, promotionDefaults } from '../alpha/promotion.ts';
import { UserError } from '../core/errors.ts';
import { sinkTarget } from '../recorder/config.ts';
import { emit, ledgerOf, num } from './alpha.ts';
import { loadAll } from './context.ts';
import { configOptions } from './options.ts';

interface PromoteFlags {
  owner: string;
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

/** `hft alpha promote` and `hft alpha canary status|evaluate` (docs/research.md). */
export function registerAlphaPromo(alpha: Command): void {
  const promote = alpha
    .command('promote <alpha_id>')
    .description(
      'Gates D-E on measured evidence (scorecard, pool, shadow sessions in the store); approved: the promotion file and a canary weight; exit 2 when not approved',
    )
    .requiredOption('--owner <name>', 'who owns the promotion')
    .option('--run <run_id>', 'the validated run to promote (default: the newest of the alpha)')
    .option('--force', 'promote even when a gate fails (recorded as forced in the audit log)')
    .option('--canary-weight <w>', "canary weight instead of the scorecard's tier")
    .option('--base-dir <dir>', 'the experiment ledger (alpha.experiments_dir)')
    .option('--promotions-dir <dir>', 'promotion files (alpha.promotion.promotions_dir)')
    .option('--out <file>', 'write the JSON result here too');
  for (const [flag, key] of THRESHOLD_FLAGS) promote.option(flag, `alpha.promotion.${key}`);
  configOptions(promote).action(async (id: string, flags: PromoteFlags) => {
    const cfg = loadAll(flags);
    const { settings, root } = cfg;
    const config = promotionDefaults(settings);
    for (const [flag, key] of THRESHOLD_FLAGS) {
      const v = num(flag.split(' ')[0], flags[camel(flag)] as string | undefined);
      if (v !== undefined) (config as unknown as Record<string, number>)[key] = v;
    }
    const owner = flags.owner.trim();
    if (owner === '') throw new UserError('--owner expects a name');
    const r = await promoteAlpha({
      root,
      alphaId: id,
      owner,
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
      canaryWeight: num('--canary-weight', flags.canaryWeight),
    });
    emit(r, flags.out);
    process.stderr.write(
      `hft: ${id}: ${r.approved ? (r.forced ? 'APPROVED (forced)' : 'APPROVED') : 'NOT APPROVED'} (D ${r.gate_d_passed ? 'passed' : 'failed'}, E ${r.gate_e_passed ? 'passed' : 'failed'})` +
        (r.promotion_config_path === null
          ? '\n'
          : ` weight ${r.canary_weight}: ${path.relative(process.cwd(), r.promotion_config_path)}\n`),
    );
    if (!r.approved) process.exitCode = 2;
  });
}
