import os from 'node:os';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { writeJson } from '../alpha/ledger.ts';
import { validateAlpha } from '../alpha/validation.ts';
import { validationDefaults } from '../alpha/validation-context.ts';
import { DEFAULT_MODELS } from '../backtest/runner.ts';
import { UserError } from '../core/errors.ts';
import { createLogger, statusLine } from '../core/logger.ts';
import { sinkTarget } from '../recorder/config.ts';
import { isFeatureFile, loadSearchData } from '../research/search/data.ts';
import { parseGrid } from '../research/search/generate.ts';
import { promoteResults } from '../research/search/promote.ts';
import { runSearch, SEARCH_MODES, type SearchMode, type SearchOutcome } from '../research/search/search.ts';
import { TrialLedger } from '../research/search/trial-ledger.ts';
import { checkOutputFile, loadAll } from './context.ts';
import { intFlag, natsUrlFlag, numberFlag, unitFlag, workQueueFlag } from './flag-values.ts';
import { cliPath, collect, configOptions } from './options.ts';

interface SearchFlags {
  data: string[];
  mode: SearchMode;
  seed: string;
  trials: string;
  template?: string[];
  grid?: string;
  population: string;
  generations: string;
  maxDepth: string;
  barMs: string;
  horizon: string;
  split: string;
  featureSet: string;
  pool?: string[];
  poolPenalty: string;
  maxCorr: string;
  minDsr: string;
  top: string;
  ledger?: string;
  saveResults?: string;
  promoteTop?: string;
  validate: boolean;
  store: boolean;
  progress: boolean;
  workers: string;
  nats?: string;
  workQueue: string;
  natsChunk: string;
  env?: string;
  config?: string;
  set?: string[];
}

/** A progress bar on stderr when it is a terminal. */
function progressBar(): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = -1;
  return (done, total) => {
    const f = total > 0 ? Math.min(1, done / total) : 1;
    const pct = Math.floor(f * 100);
    if (pct === last) return;
    last = pct;
    const w = 30;
    const fill = Math.round(f * w);
    statusLine.set(
      `[${'#'.repeat(fill)}${'-'.repeat(w - fill)}] ${String(pct).padStart(3)}%  ${done}/${total} trials`,
    );
  };
}

/** The results as a fixed-width table. */
export function resultsTable(o: SearchOutcome): string {
  const head = ['#', 'fitness', 'sh_train', 'sh_test', 'ic_test', 'corr', 'dsr', 'pass', 'expression'];
  const rows = o.results.map((r) => [
    String(r.rank),
    r.fitness.toFixed(2),
    r.sharpe_train.toFixed(2),
    r.sharpe_test.toFixed(2),
    r.ic_test.toFixed(4),
    r.corr_pool.toFixed(2),
    r.dsr.toFixed(3),
    r.passed ? 'yes' : 'no',
    r.expression,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : i === 0 ? c.padStart(widths[i]) : c.padStart(widths[i])))
      .join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** `hft alpha search`: formula search over recorded data (docs/research.md). */
export function registerAlphaSearch(alpha: Command): void {
  configOptions(
    alpha
      .command('search')
      .description('formula search (random, template, genetic) with a trial ledger, DSR and PBO')
      .requiredOption(
        '--data <path...>',
        'recordings of one symbol (as hft alpha validate --data), or one hft features compute .parquet',
      )
      .addOption(
        new Option('--mode <mode>', 'how formulas are drawn').choices([...SEARCH_MODES]).default('random'),
      )
      .option('--seed <n>', 'seed of every random draw', '42')
      .option('--trials <n>', 'random: distinct formulas to score', '100')
      .option(
        '--template <text>',
        'template: a formula with {f}, {g}, {w} placeholders (repeatable)',
        collect,
      )
      .option('--grid <k=v,..;..>', "template: the placeholders' values, e.g. 'w=5,20;f=ofi_5,ret_1'")
      .option('--population <n>', 'genetic: population size', '40')
      .option('--generations <n>', 'genetic: generations after the first', '10')
      .option('--max-depth <n>', 'depth limit of a formula (root 1)', '3')
      .option('--bar-ms <ms>', 'sample the features every this many ms of data time', '1000')
      .option('--horizon <bars>', 'forward-return horizon, in bars', '1')
      .option('--split <f>', 'share of the samples (by time) in the train part', '0.7')
      .option('--feature-set <id>', 'feature set to search over', 'lob_core')
      .option(
        '--pool <formula>',
        'a signal the fitness is penalised for correlating with (repeatable)',
        collect,
      )
      .option('--pool-penalty <x>', 'fitness = Sharpe_train − x · corr_pool · |Sharpe_train|', '0.5')
      .option('--max-corr <x>', 'a result passes only below this correlation to the pool', '0.7')
      .option('--min-dsr <p>', 'a result passes only with a Deflated Sharpe Ratio at least this', '0.5')
      .option('--top <n>', 'results listed', '10')
      .option('--workers <n>', 'worker threads scoring the formulas (the results do not depend on it)', '1')
      .option(
        '--nats <url>',
        'score the formulas on hft worker processes (any host, the same data files) through a NATS JetStream work queue instead of threads',
      )
      .option('--work-queue <name>', 'work queue of --nats (hft worker --work-queue)', 'research')
      .option('--nats-chunk <n>', 'formulas per work item of --nats', '8')
      .option('--ledger <file>', 'the trial ledger (default <alpha.experiments_dir>/search/trials.jsonl)')
      .option('--save-results <file>', 'write the whole outcome as JSON')
      .option(
        '--promote-top <n>',
        'scaffold the best n passing formulas as alphas and validate them (Gates A-C)',
      )
      .option('--no-validate', 'with --promote-top: scaffold only')
      .option(
        '--no-store',
        'with --promote-top: keep the validation audit rows pending instead of writing the store',
      )
      .option('--no-progress', 'no progress bar'),
  ).action(async (flags: SearchFlags) => {
    if (flags.nats !== undefined) {
      natsUrlFlag('--nats', flags.nats);
      workQueueFlag(flags.workQueue);
    }
    const natsChunk = intFlag('--nats-chunk', flags.natsChunk, 1);
    // Every number before the data is read.
    const seed = intFlag('--seed', flags.seed, 0);
    const top = intFlag('--top', flags.top, 1);
    const promote = flags.promoteTop === undefined ? 0 : intFlag('--promote-top', flags.promoteTop, 1);
    const barMs = intFlag('--bar-ms', flags.barMs, 1);
    const maxWorkers = 4 * os.availableParallelism();
    const workers = intFlag('--workers', flags.workers, 1);
    if (workers > maxWorkers)
      throw new UserError(
        `--workers expects an integer from 1 to ${maxWorkers} (4 per CPU), got '${flags.workers}'`,
      );
    const params = {
      trials: intFlag('--trials', flags.trials, 1),
      population: intFlag('--population', flags.population, 2),
      generations: intFlag('--generations', flags.generations, 0),
      maxDepth: intFlag('--max-depth', flags.maxDepth, 2),
      horizon: intFlag('--horizon', flags.horizon, 1),
      split: numberFlag('--split', flags.split),
      poolPenalty: numberFlag('--pool-penalty', flags.poolPenalty),
      maxCorr: unitFlag('--max-corr', flags.maxCorr, true),
      minDsr: unitFlag('--min-dsr', flags.minDsr, false),
      grid: parseGrid(flags.grid),
    };
    // Written at the end: the path is checked before the search runs.
    if (flags.saveResults !== undefined) checkOutputFile('--save-results', flags.saveResults);
    const cfg = loadAll(flags);
    const { settings, root } = cfg;
    const data = flags.data.map(cliPath);
    if (promote > 0 && data.some(isFeatureFile))
      throw new UserError('--promote-top validates on recordings: give the recordings, not a feature file');
    const search = await loadSearchData(cfg, data, {
      barMs,
      featureSet: flags.featureSet,
    });
    const ledgerFile =
      flags.ledger !== undefined
        ? path.resolve(flags.ledger)
        : path.resolve(root, settings.alpha.experiments_dir, 'search', 'trials.jsonl');
    const ledger = new TrialLedger(ledgerFile);
    if (flags.nats !== undefined)
      process.stderr.write(
        `search: formulas to the work queue '${flags.workQueue}' on ${flags.nats}, ${natsChunk} per item (start hft worker --nats ${flags.nats} --work-queue ${flags.workQueue} on hosts with the same data files)\n`,
      );
    const outcome = await runSearch({
      data: search,
      mode: flags.mode,
      seed,
      ledger,
      ...params,
      templates: flags.template,
      pool: flags.pool,
      top: Math.max(top, promote),
      workers,
      remote:
        flags.nats === undefined
          ? undefined
          : {
              url: flags.nats,
              queue: flags.workQueue,
              chunk: natsChunk,
              cfg,
              files: data,
              barMs,
              featureSet: flags.featureSet,
            },
      onProgress: flags.progress ? progressBar() : undefined,
    });
    statusLine.done();
    const shown = { ...outcome, results: outcome.results.slice(0, top) };
    process.stdout.write(
      `${outcome.search_id}: ${outcome.trials} trials (${outcome.trials_total} on this data in ${path.relative(process.cwd(), ledgerFile)}), ` +
        `${outcome.samples} samples of ${outcome.bar_ms} ms, ${outcome.trials_per_s} trials/s; ` +
        `PBO ${outcome.pbo === null ? '-' : outcome.pbo.pbo.toFixed(3)}, DSR benchmark SR0 ${outcome.sr0_test} per bar\n`,
    );
    process.stdout.write(`${resultsTable(shown)}\n`);
    let promoted: unknown[] = [];
    if (promote > 0) {
      const best = outcome.results.filter((r) => r.passed).slice(0, promote);
      if (best.length === 0) process.stdout.write('promote: no result passed; nothing promoted\n');
      const made = promoteResults(
        root,
        outcome,
        best,
        search.featureSet,
        search.sources.map((s) => s.file),
      );
      promoted = made;
      for (const p of made) {
        process.stdout.write(
          `promote: ${p.alpha_id} ${p.created ? 'scaffolded in' : 'exists in'} ${path.relative(process.cwd(), p.dir)} (${p.expression})\n`,
        );
        if (!flags.validate) continue;
        const config = validationDefaults(settings, { ...DEFAULT_MODELS });
        const r = await validateAlpha({
          root,
          alphaId: p.alpha_id,
          data,
          config,
          backtest: cfg,
          log: createLogger(process.env.HFT_LOG_LEVEL ?? 'warn'),
          experimentsDir: path.resolve(root, settings.alpha.experiments_dir),
          store: flags.store === false ? null : sinkTarget(settings, root),
        });
        const sc = (r.gate_c.details as { scorecard?: Record<string, unknown> }).scorecard;
        process.stdout.write(
          `promote: ${p.alpha_id} ${r.passed ? 'PASSED' : 'NOT PASSED'} gates A ${r.gate_a.passed}, B ${r.gate_b.passed}, C ${r.gate_c.passed}` +
            (sc === undefined
              ? ''
              : `; sharpe_oos ${sc.sharpe_oos}, turnover ${sc.turnover}, dsr ${sc.dsr}`) +
            ` (run ${r.run_id})\n`,
        );
        (p as unknown as Record<string, unknown>).validation = {
          passed: r.passed,
          run_id: r.run_id,
          gate_a: r.gate_a.passed,
          gate_b: r.gate_b.passed,
          gate_c: r.gate_c.passed,
          scorecard: sc ?? null,
        };
      }
    }
    if (flags.saveResults !== undefined)
      writeJson(path.resolve(flags.saveResults), { ...outcome, ledger: ledgerFile, promoted });
  });
}
