import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Command } from 'commander';
import { ExperimentLedger, writeJson } from '../alpha/ledger.ts';
import { ALPHAS_DIR } from '../alpha/registry.ts';
import { alphaClassName, lookaheadTest, normalizeAlphaId } from '../alpha/scaffold.ts';
import { validateAlpha } from '../alpha/validation.ts';
import { validationDefaults } from '../alpha/validation-context.ts';
import { DEFAULT_MODELS } from '../backtest/runner.ts';
import { UserError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { sinkTarget } from '../recorder/config.ts';
import { loadPolicy, type PolicySpec, savePolicy } from '../research/rl/policy.ts';
import {
  basePolicy,
  type Evaluation,
  envOver,
  evaluatePolicy,
  type RlSetup,
  trainPolicy,
} from '../research/rl/train.ts';
import { RET_1 } from '../research/search/bar-sampler.ts';
import { runIdentity } from '../services/run-identity.ts';
import { type PromoteFlags, promoteFromFlags, promotionFlagValues, promotionOptions } from './alpha-promo.ts';
import { checkOutputFile, loadAll } from './context.ts';
import { intFlag, nonNegativeFlag } from './flag-values.ts';
import { cliPath, configOptions } from './options.ts';

function evalTable(e: Evaluation): string {
  const rows = [
    ['policy', e.policy],
    ['flat', e.flat],
    ['random', e.random],
  ] as const;
  const head = `${'policy'.padEnd(8)}${'reward'.padStart(14)}${'pnl_net'.padStart(14)}${'fees'.padStart(12)}${'trades'.padStart(8)}${'sharpe/step'.padStart(13)}`;
  return [
    head,
    ...rows.map(
      ([n, s]) =>
        `${n.padEnd(8)}${s.reward_total.toFixed(0).padStart(14)}${s.pnl_net.toFixed(0).padStart(14)}${s.fees.toFixed(0).padStart(12)}${String(s.trades).padStart(8)}${s.reward_sharpe.toFixed(4).padStart(13)}`,
    ),
  ].join('\n');
}

/** Records an RL run in the experiment ledger (kind alpha, gate "RL"). */
function ledgerRun(
  dir: string,
  name: string,
  config: Record<string, unknown>,
  data: string[],
  metrics: Record<string, number | null>,
  report: unknown,
): string {
  const id = runIdentity('alpha', config);
  new ExperimentLedger(dir).write(
    {
      run_id: id.id,
      alpha_id: name,
      config_hash: id.configHash,
      timestamp: new Date(id.startMs).toISOString(),
      code_version: id.codeVersion,
      data_paths: data,
      config,
      metrics,
      gate_status: { RL: true },
      passed: true,
    },
    { scorecard: null, backtestReport: report, report, signals: null, equity: null, fills: null },
  );
  return id.id;
}

interface RlFlags {
  data: string[];
  evalData?: string[];
  out: string;
  name?: string;
  features?: string;
  barMs: string;
  maxPosition: string;
  inventoryPenalty: string;
  seed: string;
  iterations: string;
  population: string;
  elite: string;
  policy: string;
  id?: string;
  validate: boolean;
  store: boolean;
  env?: string;
  config?: string;
  set?: string[];
}

/** `hft alpha rl train|evaluate|promote` (docs/research.md). */
export function registerAlphaRl(alpha: Command): void {
  const rl = alpha
    .command('rl')
    .description('reinforcement learning over the tick backtester: train, evaluate, promote');
  const setup = (flags: RlFlags, cfg: ReturnType<typeof loadAll>): RlSetup => ({
    cfg,
    features: flags.features?.split(',').map((f) => f.trim()),
    barMs: intFlag('--bar-ms', flags.barMs, 1),
    maxPosition: intFlag('--max-position', flags.maxPosition, 1),
    inventoryPenalty: nonNegativeFlag('--inventory-penalty', flags.inventoryPenalty),
    models: DEFAULT_MODELS,
    log: createLogger(process.env.HFT_LOG_LEVEL ?? 'error'),
  });
  const common = (c: Command) =>
    configOptions(
      c
        .option('--bar-ms <ms>', 'decision bar (ms of data time)', '5000')
        .option('--max-position <lots>', 'position of action +1 / -1', '1')
        .option('--inventory-penalty <x>', 'reward penalty, currency per lot held per step', '0')
        .option('--seed <n>', 'seed (CEM draws, the random baseline)', '1'),
    );

  common(
    rl
      .command('train')
      .description('train a linear policy by the cross-entropy method in the tick simulation')
      .requiredOption('--data <path...>', 'training episode: recordings of one symbol')
      .option('--eval-data <path...>', 'out-of-sample episode, evaluated against flat and random')
      .requiredOption('--out <file>', 'the policy (JSON weights, hft-linear-policy@1)')
      .option('--name <id>', 'name of the runs in the experiment ledger (default: rl_<out file name>)')
      .option('--features <a,b,...>', 'observation features (default: the set without raw prices, and ret_1)')
      .option('--iterations <n>', 'CEM iterations', '5')
      .option('--population <n>', 'CEM candidates per iteration', '10')
      .option('--elite <n>', 'CEM elite kept per iteration', '3'),
  ).action(async (flags: RlFlags) => {
    const seed = intFlag('--seed', flags.seed, 0);
    const iterations = intFlag('--iterations', flags.iterations, 1);
    const population = intFlag('--population', flags.population, 2);
    const elite = intFlag('--elite', flags.elite, 1);
    if (elite >= population)
      throw new UserError(
        `--elite expects an integer below --population (${population}), got '${flags.elite}'`,
      );
    const out = checkOutputFile('--out', flags.out);
    const cfg = loadAll(flags);
    const s = setup(flags, cfg);
    const data = flags.data.map(cliPath);
    const name = normalizeAlphaId(flags.name ?? `rl_${path.basename(out).replace(/\.[^.]*$/, '')}`);
    const t0 = performance.now();
    const base = await basePolicy(s, data);
    const env = await envOver(s, data);
    const r = await trainPolicy(base, env, {
      seed,
      iterations,
      population,
      elite,
      onIteration: (it) =>
        process.stderr.write(
          `hft: cem iteration ${it.iteration}: best ${it.best_score.toFixed(0)}, elite mean ${it.elite_mean.toFixed(0)}, mean ${it.mean_score.toFixed(0)}\n`,
        ),
    });
    let evaluation: Evaluation | null = null;
    if (flags.evalData !== undefined) {
      const evalEnv = await envOver(s, flags.evalData.map(cliPath));
      evaluation = await evaluatePolicy(evalEnv, r.spec, seed);
      r.spec.meta.evaluation = evaluation;
    }
    savePolicy(out, r.spec);
    const runId = ledgerRun(
      path.resolve(cfg.root, cfg.settings.alpha.experiments_dir),
      name,
      { kind: 'rl', trainer: 'cem', policy: r.spec, data: data.map((d) => path.basename(d)) },
      data,
      {
        pnl_total: r.train.pnl_net,
        pnl_oos: evaluation?.policy.pnl_net ?? null,
        sharpe_oos_per_bar: evaluation?.policy.reward_sharpe ?? null,
        dsr: evaluation?.dsr ?? null,
      },
      { train: r.train, history: r.history, evaluation },
    );
    process.stdout.write(
      `${path.relative(process.cwd(), out)}: ${r.evaluations} episodes in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
        `train reward ${r.train.reward_total.toFixed(0)} (pnl ${r.train.pnl_net.toFixed(0)}, ${r.train.trades} trades); run ${runId}\n`,
    );
    if (evaluation !== null)
      process.stdout.write(
        `out of sample (DSR ${evaluation.dsr} over ${evaluation.trials} trials):\n${evalTable(evaluation)}\n`,
      );
  });

  common(
    rl
      .command('evaluate')
      .description('a policy against the flat and a random policy on an episode')
      .requiredOption('--policy <file>', 'the policy (JSON)')
      .requiredOption('--data <path...>', 'the episode: recordings of one symbol')
      .option('--out <file>', 'write the JSON result here too'),
  ).action(async (flags: RlFlags & { out?: string }) => {
    if (flags.out !== undefined) checkOutputFile('--out', flags.out);
    const cfg = loadAll(flags);
    const spec = loadPolicy(path.resolve(flags.policy));
    const s = setup({ ...flags, barMs: String(spec.bar_ms), maxPosition: String(spec.max_position) }, cfg);
    const env = await envOver(s, flags.data.map(cliPath));
    const e = await evaluatePolicy(env, spec, intFlag('--seed', flags.seed, 0));
    if (flags.out !== undefined) writeJson(path.resolve(flags.out), e);
    process.stdout.write(`DSR ${e.dsr} over ${e.trials} training trials\n${evalTable(e)}\n`);
  });

  configOptions(
    promotionOptions(rl.command('promote'))
      .description(
        'scaffold a policy as an alpha of tier RL (research/alphas/<id>/), validate it (Gates A-C, --data) and promote it (Gates D-E, --owner: exit 2 when not approved)',
      )
      .requiredOption('--policy <file>', 'the policy (JSON)')
      .requiredOption('--id <alpha_id>', 'the alpha id')
      .option('--data <path...>', 'validate on these recordings (Gates A-C)')
      .option(
        '--owner <name>',
        'then Gates D-E (hft alpha promote): pool correlation, marginal uplift, shadow sessions and drift from the store; approved: the canary promotion',
      )
      .option('--no-store', 'keep the validation audit rows pending instead of writing the store'),
  ).action(async (flags: RlFlags & PromoteFlags) => {
    promotionFlagValues(flags); // a bad promotion flag before the scaffold and the validation
    const cfg = loadAll(flags);
    const spec = loadPolicy(path.resolve(flags.policy));
    const id = normalizeAlphaId(flags.id ?? '');
    const dir = path.join(cfg.root, ALPHAS_DIR, id);
    if (flags.owner !== undefined && flags.store === false)
      throw new UserError(
        '--owner needs the store (Gate E reads the shadow sessions there): drop --no-store',
      );
    if (existsSync(dir)) {
      // The same policy again: its later steps (validation on more data, Gates D-E after shadow sessions).
      const file = path.join(dir, 'policy.json');
      if (!existsSync(file) || !isDeepStrictEqual(loadPolicy(file), spec))
        throw new UserError(`${path.relative(process.cwd(), dir)} exists (with another policy)`);
      process.stdout.write(`promote: ${id} exists with this policy\n`);
    } else scaffoldRl(dir, id, spec, flags.policy);
    if (flags.data !== undefined) await validateRl(cfg, id, spec, flags);
    if (flags.owner !== undefined) await promoteFromFlags(id, flags, cfg);
  });
}

/** research/alphas/<id>/: the policy, its alpha class, README, CHANGELOG and the alpha's own tests. */
function scaffoldRl(dir: string, id: string, spec: PolicySpec, from: string): void {
  mkdirSync(path.join(dir, 'tests'), { recursive: true });
  const cls = alphaClassName(id);
  savePolicy(path.join(dir, 'policy.json'), spec);
  writeFileSync(path.join(dir, 'impl.ts'), rlImpl(id, cls, spec));
  writeFileSync(
    path.join(dir, 'README.md'),
    `# ${id}\n\nA linear policy trained by \`hft alpha rl train\` (${String(spec.meta.trainer ?? 'unknown')}), ` +
      `weights in policy.json (format hft-linear-policy@1, docs/research.md). Action on ${spec.bar_ms} ms bars: ` +
      `+1 long, -1 short, 0 flat; as an alpha its signal is the action.\n\n` +
      `Training: ${JSON.stringify(spec.meta.train ?? {})}\n\nOut of sample: ${JSON.stringify(spec.meta.evaluation ?? {})}\n`,
  );
  writeFileSync(
    path.join(dir, 'CHANGELOG.md'),
    `# Changelog: ${id}\n\n## Unreleased\n\n- Promoted from ${from}.\n`,
  );
  writeFileSync(path.join(dir, 'tests/no-lookahead.test.ts'), lookaheadTest(cls, 20000));
  writeFileSync(path.join(dir, 'tests/logic.test.ts'), rlLogic(id, cls));
  process.stdout.write(`promote: ${id} scaffolded in ${path.relative(process.cwd(), dir)}\n`);
}

/** Gates A-C of the RL alpha on `flags.data` (the policy's action as the signal, +1/-1 beyond 0.5). */
async function validateRl(
  cfg: ReturnType<typeof loadAll>,
  id: string,
  spec: PolicySpec,
  flags: RlFlags,
): Promise<void> {
  const r = await validateAlpha({
    root: cfg.root,
    alphaId: id,
    data: (flags.data ?? []).map(cliPath),
    config: {
      ...validationDefaults(cfg.settings, { ...DEFAULT_MODELS }),
      signalThreshold: 0.5,
      maxPosition: spec.max_position,
    },
    backtest: cfg,
    log: createLogger(process.env.HFT_LOG_LEVEL ?? 'warn'),
    experimentsDir: path.resolve(cfg.root, cfg.settings.alpha.experiments_dir),
    store: flags.store === false ? null : sinkTarget(cfg.settings, cfg.root),
  });
  const sc = (r.gate_c.details as { scorecard?: Record<string, unknown> }).scorecard;
  process.stdout.write(
    `validate: ${id} ${r.passed ? 'PASSED' : 'NOT PASSED'} gates A ${r.gate_a.passed}, B ${r.gate_b.passed}, C ${r.gate_c.passed}` +
      (sc === undefined ? '' : `; sharpe_oos ${sc.sharpe_oos}, dsr ${sc.dsr}`) +
      ` (run ${r.run_id}); Gates D-E: hft alpha rl promote --policy <file> --id ${id} --owner <name> (after shadow sessions)\n`,
  );
}

function rlImpl(id: string, cls: string, spec: PolicySpec): string {
  const fields = [
    ...new Set(spec.features.map((f) => `${spec.feature_set}.${f === RET_1 ? 'mid' : f}`)),
  ].sort();
  return `import { fileURLToPath } from 'node:url';
import { type AlphaManifestInput, loadPolicy, RlPolicyAlpha } from 'hft-platform';

/** ${id}: a trained policy (policy.json) as an alpha; its signal is the action (-1, 0, +1). */
export class ${cls} extends RlPolicyAlpha {
  static override readonly policy = loadPolicy(fileURLToPath(new URL('./policy.json', import.meta.url)));
  static override readonly manifest: AlphaManifestInput = {
    alpha_id: ${JSON.stringify(id)},
    hypothesis: 'A linear policy trained in the tick simulation (reward: PnL net of fees, minus an inventory penalty) picks the position.',
    formula: ${JSON.stringify(`action_t = clip_dead(w . standardised(${spec.features.join(', ')}, time of day) + b) on ${spec.bar_ms} ms bars`)},
    paper_refs: [],
    data_fields: ${JSON.stringify(fields)},
    complexity: 'O(1)',
    status: 'DRAFT',
    tier: 'RL',
  };
}

export const ALPHA_CLASS = ${cls};
`;
}

function rlLogic(id: string, cls: string): string {
  return `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alphaSignals, createAlpha, syntheticMarket } from 'hft-platform';
import { ${cls} } from '../impl.ts';

test('the manifest names the alpha, tier RL', () => {
  const a = createAlpha(${cls});
  assert.equal(a.manifest.alpha_id, ${JSON.stringify(id)});
  assert.equal(a.manifest.tier, 'RL');
});

test('the signal is an action: -1, 0 or +1', () => {
  const signals = alphaSignals(createAlpha(${cls}), syntheticMarket({ seed: 3, messages: 20000 }));
  assert.ok(signals.length > 1000);
  assert.ok(signals.every((s) => s === -1 || s === 0 || s === 1));
});
`;
}
