import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { ExperimentLedger, LEDGER_METRICS, sortedJson, writeJson } from '../alpha/ledger.ts';
import { alignPool, correlationPayload, loadPoolSeries } from '../alpha/pool.ts';
import { poolHeatmap } from '../alpha/pool-html.ts';
import { discoverAlphas } from '../alpha/registry.ts';
import { writeAlphaReport } from '../alpha/report-html.ts';
import { normalizeComplexity, scaffoldAlpha } from '../alpha/scaffold.ts';
import { validateAlpha } from '../alpha/validation.ts';
import { type ValidationConfig, validationDefaults } from '../alpha/validation-context.ts';
import { DEFAULT_MODELS } from '../backtest/runner.ts';
import { parseScalar } from '../config/loader.ts';
import { findProjectRoot } from '../config/project.ts';
import { UserError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { sinkTarget } from '../recorder/config.ts';
import type { QueueFunc } from '../venues/sim/queue-model.ts';
import { registerAlphaPool } from './alpha-pool.ts';
import { registerAlphaPromo } from './alpha-promo.ts';
import { registerAlphaRl } from './alpha-rl.ts';
import { registerAlphaSearch } from './alpha-search.ts';
import { checkOutputDir, checkOutputFile, loadAll } from './context.ts';
import { optionalNumberFlag, positiveFlag, unitFlag } from './flag-values.ts';
import { cliPath, collect, configOptions } from './options.ts';

/** Prints one JSON document (sorted keys, indent 2), and writes it to `out` (--out) too when given. */
export function emit(value: unknown, out?: string): void {
  process.stdout.write(`${sortedJson(value, 2)}\n`);
  if (out !== undefined) writeOut(`--out ${out}`, () => writeJson(path.resolve(out), value));
}

/** Writes an output file; a failure is one line naming it (`what`), not a stack. */
function writeOut(what: string, write: () => void): void {
  try {
    write();
  } catch (e) {
    throw new UserError(
      `${what}: not written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/** An alpha id as scaffold writes it (normalizeAlphaId's output): a-z, 0-9 and _ inside. */
const ALPHA_ID = /^[a-z0-9](?:[a-z0-9_]*[a-z0-9])?$/;

export function ledgerOf(flags: {
  baseDir?: string;
  env?: string;
  config?: string;
  set?: string[];
}): ExperimentLedger {
  if (flags.baseDir !== undefined) return new ExperimentLedger(path.resolve(flags.baseDir));
  const { settings, root } = loadAll(flags);
  return new ExperimentLedger(path.resolve(root, settings.alpha.experiments_dir));
}

interface ValidateFlags {
  data: string[];
  isOosSplit?: string;
  signalThreshold?: string;
  maxPosition?: string;
  holdMs?: string;
  execution?: 'taker' | 'maker';
  minIntervalMs?: string;
  minSharpeOos?: string;
  maxAbsDrawdown?: string;
  minTurnover?: string;
  minDsr?: string;
  capital?: string;
  barS?: string;
  icHorizons?: string;
  skipGateBTests?: boolean;
  testTimeout?: string;
  param?: string[];
  queue: 'risk_averse' | 'prob';
  queueFunc: string;
  queueN: string;
  experimentsDir?: string;
  noStore?: boolean;
  store?: boolean;
  out?: string;
  env?: string;
  config?: string;
  set?: string[];
}

/** `hft alpha ...`: alpha research (docs/research.md). */
export function registerAlpha(alpha: Command): void {
  alpha
    .command('scaffold <alpha_id>')
    .description('create research/alphas/<id>/: an alpha class, README, CHANGELOG and two tests')
    .option('--paper <ref>', 'paper reference (repeatable)', collect)
    .option('--complexity <c>', 'O1 or ON', 'O1')
    .option('--force', 'rewrite the files of an existing alpha folder')
    .action((id: string, flags: { paper?: string[]; complexity: string; force?: boolean }) => {
      if (!ALPHA_ID.test(id))
        throw new UserError(
          `alpha id '${id}': use lowercase letters, digits and _, starting and ending with a letter or digit`,
        );
      if (!['O(1)', 'O(N)'].includes(normalizeComplexity(flags.complexity)))
        throw new UserError(`--complexity expects O1 or ON, got '${flags.complexity}'`);
      const r = scaffoldAlpha({
        root: findProjectRoot(process.cwd()),
        id,
        papers: flags.paper,
        complexity: flags.complexity,
        force: flags.force,
      });
      emit({ ...r, files: r.files.map((f) => path.relative(process.cwd(), f)) });
    });

  alpha
    .command('list')
    .description('every alpha of the project with its status and tier; broken ones as warnings')
    .action(async () => {
      const root = findProjectRoot(process.cwd());
      const reg = await discoverAlphas(root);
      if (reg.alphas.size === 0) process.stdout.write('No alpha artifacts discovered.\n');
      for (const e of [...reg.alphas.values()].sort((a, b) => a.id.localeCompare(b.id)))
        process.stdout.write(`${e.id}\tstatus=${e.manifest.status}\ttier=${e.manifest.tier ?? '-'}\n`);
      if (reg.warnings.length > 0) {
        process.stdout.write('Discovery warnings:\n');
        for (const w of reg.warnings) process.stdout.write(`- ${w}\n`);
      }
    });

  configOptions(
    alpha
      .command('validate <alpha_id>')
      .description('Gates A-C on recorded data; one JSON result, exit 2 when not passed')
      .requiredOption('--data <path...>', 'recordings of one symbol (as hft backtest run --data)')
      .option('--is-oos-split <f>', 'share of the data in sample (alpha.validation.is_oos_split)')
      .option('--signal-threshold <x>', '|signal| beyond which the position is taken')
      .option('--max-position <n>', 'lots at full conviction')
      .option('--hold-ms <ms>', 'flatten after this long inside the threshold (0: hold)')
      .addOption(
        new Option(
          '--execution <how>',
          'taker (IOC at the far touch) or maker (join the near touch)',
        ).choices(['taker', 'maker']),
      )
      .option('--min-interval-ms <ms>', 'no new order sooner than this after the previous one')
      .option('--min-sharpe-oos <x>', 'Gate C: minimum out-of-sample Sharpe')
      .option('--max-abs-drawdown <f>', 'Gate C: largest drawdown, fraction of capital')
      .option('--min-turnover <x>', 'Gate C: minimum turnover (capital traded per day)')
      .option('--min-dsr <p>', 'Gate C: minimum Deflated Sharpe Ratio')
      .option('--capital <x>', 'currency units (0: notional of max position at the first mid)')
      .option('--bar-s <s>', 'bar of the Sharpe ratios, seconds of data time')
      .option('--ic-horizons <s,s,...>', 'forward-return horizons of the IC decay (s); the first is the IC')
      .option('--skip-gate-b-tests', "Gate B: do not run the alpha's own tests")
      .option('--test-timeout <s>', "Gate B: time limit of the alpha's tests")
      .option('--param <key=value>', "the alpha's parameter (repeatable)", collect)
      .addOption(
        new Option('--queue <model>', 'queue-position model')
          .choices(['risk_averse', 'prob'])
          .default('risk_averse'),
      )
      .option('--queue-func <f>', 'prob model: power, power2, power3, log, log2', 'power')
      .option('--queue-n <n>', 'prob model: exponent of the power families', '3')
      .option('--experiments-dir <dir>', 'the experiment ledger (alpha.experiments_dir)')
      .option('--no-store', 'do not write the audit rows to the store')
      .option('--out <file>', 'write the JSON result here too'),
  ).action(async (id: string, flags: ValidateFlags) => {
    // The output paths before anything runs: a validation must not fail to write once it has run.
    if (flags.out !== undefined) checkOutputFile('--out', flags.out);
    if (flags.experimentsDir !== undefined) checkOutputDir('--experiments-dir', flags.experimentsDir);
    const cfg = loadAll(flags);
    const { settings, root } = cfg;
    const n = Number(flags.queueN);
    if (!(n > 0)) throw new UserError(`--queue-n expects a positive number, got '${flags.queueN}'`);
    const config: ValidationConfig = validationDefaults(settings, {
      ...DEFAULT_MODELS,
      queue: flags.queue,
      queueFunc: flags.queueFunc as QueueFunc,
      queueN: n,
    });
    const set = <K extends keyof ValidationConfig>(k: K, v: ValidationConfig[K] | undefined) => {
      if (v !== undefined) config[k] = v;
    };
    set('isOosSplit', optionalNumberFlag('--is-oos-split', flags.isOosSplit));
    set('signalThreshold', optionalNumberFlag('--signal-threshold', flags.signalThreshold));
    set('maxPosition', optionalNumberFlag('--max-position', flags.maxPosition));
    set('holdMs', optionalNumberFlag('--hold-ms', flags.holdMs));
    set('execution', flags.execution);
    set('minIntervalMs', optionalNumberFlag('--min-interval-ms', flags.minIntervalMs));
    set('minSharpeOos', optionalNumberFlag('--min-sharpe-oos', flags.minSharpeOos));
    set('maxAbsDrawdown', optionalNumberFlag('--max-abs-drawdown', flags.maxAbsDrawdown));
    set('minTurnover', optionalNumberFlag('--min-turnover', flags.minTurnover));
    set('minDsr', flags.minDsr === undefined ? undefined : unitFlag('--min-dsr', flags.minDsr, false));
    set('capital', optionalNumberFlag('--capital', flags.capital));
    set('barS', flags.barS === undefined ? undefined : positiveFlag('--bar-s', flags.barS, false));
    set(
      'testTimeoutS',
      flags.testTimeout === undefined ? undefined : positiveFlag('--test-timeout', flags.testTimeout, false),
    );
    if (flags.icHorizons !== undefined)
      config.icHorizonsS = flags.icHorizons
        .split(',')
        .map((h) => positiveFlag('--ic-horizons', h.trim(), false));
    config.skipGateBTests = flags.skipGateBTests === true;
    if (!(config.isOosSplit > 0 && config.isOosSplit < 1))
      throw new UserError('--is-oos-split expects a number in (0, 1)');
    if (!(Number.isInteger(config.maxPosition) && config.maxPosition > 0))
      throw new UserError('--max-position expects a positive integer');
    for (const kv of flags.param ?? []) {
      const i = kv.indexOf('=');
      if (i <= 0) throw new UserError(`--param expects key=value, got '${kv}'`);
      config.alphaParams[kv.slice(0, i).trim()] = parseScalar(kv.slice(i + 1));
    }
    const experimentsDir =
      flags.experimentsDir === undefined
        ? path.resolve(root, settings.alpha.experiments_dir)
        : path.resolve(flags.experimentsDir);
    const r = await validateAlpha({
      root,
      alphaId: id,
      data: flags.data.map(cliPath),
      config,
      backtest: cfg,
      log: createLogger(process.env.HFT_LOG_LEVEL ?? 'warn'),
      experimentsDir,
      store: flags.store === false ? null : sinkTarget(settings, root),
    });
    emit(r, flags.out);
    const sc = (r.gate_c.details as { scorecard?: Record<string, unknown> }).scorecard;
    const line = (k: string) => `${k} ${sc?.[k] ?? '-'}`;
    process.stderr.write(
      `hft: ${r.alpha_id}: ${r.passed ? 'PASSED' : 'NOT PASSED'} (A ${ok(r.gate_a)}, B ${ok(r.gate_b)}, C ${ok(r.gate_c)}) ` +
        `run ${r.run_id} in ${r.elapsed_s.total} s` +
        (sc === undefined
          ? '\n'
          : `; ${['sharpe_oos', 'ic_mean', 'turnover', 'max_drawdown', 'dsr'].map(line).join(', ')}\n`),
    );
    if ((r.gate_a.details as { hypothesis_ok?: boolean }).hypothesis_ok === false)
      process.stderr.write(
        `hft: ${r.alpha_id}: Gate A: its manifest's hypothesis is still the scaffold's TODO: say why the signal should predict\n`,
      );
    if (r.store !== null && !r.store.written)
      process.stderr.write(
        `hft: store ${r.store.location} not written (${r.store.reason}); rows kept in ${r.store.pending}\n`,
      );
    if (!r.passed) process.exitCode = 2;
  });

  configOptions(
    alpha
      .command('report <alpha_id>')
      .description("one offline HTML page of the alpha's newest validation (or --run)")
      .option('--run <run_id>', 'this experiment run instead of the newest')
      .option('--out <file>', 'output file (default research/alphas/<id>/report.html)')
      .option('--base-dir <dir>', 'the experiment ledger (alpha.experiments_dir)'),
  ).action(
    async (
      id: string,
      flags: { run?: string; out?: string; baseDir?: string; env?: string; config?: string; set?: string[] },
    ) => {
      const root = findProjectRoot(process.cwd());
      const given = flags.out === undefined ? undefined : checkOutputFile('--out', flags.out);
      const ledger = ledgerOf(flags);
      const run = flags.run !== undefined ? ledger.get(flags.run) : ledger.list(id)[0];
      if (run === undefined)
        throw new UserError(
          `no experiment run of alpha ${id} in ${ledger.runsDir} (run hft alpha validate first)`,
        );
      if (run.alpha_id !== id)
        throw new UserError(`run ${run.run_id} is of alpha ${run.alpha_id}, not ${id}`);
      const out = given ?? path.join(root, 'research', 'alphas', id, 'report.html');
      const html = writeAlphaReport(run, poolSection(ledger, id));
      writeOut(flags.out === undefined ? out : `--out ${flags.out}`, () => writeFileSync(out, html));
      process.stdout.write(`${path.relative(process.cwd(), out)}\n`);
    },
  );

  registerAlphaSearch(alpha);
  registerAlphaRl(alpha);

  const experiments = alpha.command('experiments').description('the experiment ledger');
  configOptions(
    experiments
      .command('list')
      .description('experiment runs, newest first')
      .option('--alpha-id <id>', 'runs of this alpha only')
      .option('--base-dir <dir>', 'the experiment ledger (alpha.experiments_dir)')
      .option('--out <file>', 'write the JSON here too'),
  ).action((flags: { alphaId?: string; baseDir?: string; out?: string }) => {
    const runs = ledgerOf(flags).list(flags.alphaId);
    emit({ runs, count: runs.length }, flags.out);
  });
  configOptions(
    experiments
      .command('compare <run_id...>')
      .description('metrics of runs side by side, in the order given')
      .option('--base-dir <dir>', 'the experiment ledger (alpha.experiments_dir)')
      .option('--out <file>', 'write the JSON here too'),
  ).action((ids: string[], flags: { baseDir?: string; out?: string }) => {
    const ledger = ledgerOf(flags);
    const runs = ids.map((rid) => {
      const m = ledger.get(rid);
      return {
        run_id: m.run_id,
        alpha_id: m.alpha_id,
        config_hash: m.config_hash,
        timestamp: m.timestamp,
        passed: m.passed,
        ...m.metrics,
      };
    });
    emit({ runs, count: runs.length }, flags.out);
  });
  configOptions(
    experiments
      .command('best')
      .description('the runs with the highest value of a metric')
      .addOption(
        new Option('--metric <name>', 'metric of meta.json')
          .choices([...LEDGER_METRICS])
          .default('sharpe_oos'),
      )
      .option('--top <n>', 'how many', '10')
      .option('--alpha-id <id>', 'runs of this alpha only')
      .option('--base-dir <dir>', 'the experiment ledger (alpha.experiments_dir)')
      .option('--out <file>', 'write the JSON here too'),
  ).action((flags: { metric: string; top: string; alphaId?: string; baseDir?: string; out?: string }) => {
    const top = Math.max(1, Math.floor(Number(flags.top)) || 1);
    const runs = ledgerOf(flags)
      .list(flags.alphaId)
      .map((m) => ({
        run_id: m.run_id,
        alpha_id: m.alpha_id,
        metric: flags.metric,
        value: m.metrics?.[flags.metric],
        timestamp: m.timestamp,
        config_hash: m.config_hash,
      }))
      .filter(
        (r): r is typeof r & { value: number } => typeof r.value === 'number' && Number.isFinite(r.value),
      )
      .sort((a, b) => b.value - a.value)
      .slice(0, top);
    emit({ metric: flags.metric, runs, count: runs.length }, flags.out);
  });
  registerAlphaPool(alpha);
  registerAlphaPromo(alpha);
}

/** The report's pool heatmap: the newest signals of every alpha in the ledger (none with fewer than 2). */
function poolSection(ledger: ExperimentLedger, id: string): string[] {
  const pool = alignPool(loadPoolSeries(ledger));
  return pool.alphaIds.length < 2 ? [] : [poolHeatmap(correlationPayload(pool), id)];
}

function ok(g: { passed: boolean; skipped?: boolean }): string {
  return g.skipped ? 'skipped' : g.passed ? 'passed' : 'failed';
}
