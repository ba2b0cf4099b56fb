import path from 'node:path';
import { type Command, Option } from 'commander';
import { duration, grouped, guardLine, money, refusedLine } from '../backtest/format.ts';
import {
  DEFAULT_SCORED,
  formatQueueScore,
  parseScoredModel,
  type QueueScoreResult,
  queueScore,
} from '../backtest/queue-score.ts';
import { writeReport } from '../backtest/report-files.ts';
import {
  type BacktestConfig,
  DEFAULT_MODELS,
  loadBacktestData,
  type ModelOptions,
  runBacktest,
} from '../backtest/runner.ts';
import { type BacktestSummary, MIN_RATIO_BUCKETS } from '../backtest/summary.ts';
import {
  defaultWorkers,
  expandGrid,
  parseGrid,
  runSweep,
  type SweepReply,
  type SweepTask,
  tabulate,
} from '../backtest/sweep.ts';
import { parseScalar } from '../config/loader.ts';
import { UserError } from '../core/errors.ts';
import { createLogger, flushLogRepeats, statusLine } from '../core/logger.ts';
import type { WorkResult } from '../gateway/work-queue.ts';
import { prepareStrategy } from '../services/strategy-registry.ts';
import { GUARD_MODES, type GuardMode } from '../services/trading-system.ts';
import { createQueueModel, QUEUE_FUNCS, type QueueFunc } from '../venues/sim/queue-model.ts';
import {
  type ConfigFlags,
  checkInputFile,
  checkOutputDir,
  type DataFlags,
  dataOptions,
  dataOverrides,
  loadAll,
} from './context.ts';
import { natsUrlFlag, nonNegativeFlag, positiveFlag, workQueueFlag } from './flag-values.ts';
import { cliPath, collect } from './options.ts';

interface ModelFlags extends ConfigFlags, DataFlags {
  strategy: string;
  data: string[];
  out: string;
  exchange: 'l2' | 'l3';
  // No commander defaults: a queue flag given where it does not apply is an error (unusedQueueFlags).
  queue?: 'risk_averse' | 'prob';
  queueFunc?: string;
  queueN?: string;
  latencyOrderUs?: string;
  latencyResponseUs?: string;
  latencyFile?: string;
  feedLatencyUs?: string;
  guard: GuardMode;
}

interface RunFlags extends ModelFlags {
  param?: string[];
}

interface SweepFlags extends ModelFlags {
  grid: string[];
  workers?: string;
  nats?: string;
  workQueue: string;
}

/** Flags shared by `run` and `sweep`: config layers, data, exchange models. */
function common(cmd: Command): Command {
  return dataOptions(cmd)
    .requiredOption('--strategy <id>', 'strategy id from the strategies file')
    .requiredOption(
      '--data <path...>',
      'recorded data: taifex-*.parquet, binance-*.gz, *.dbn[.zst], LOBSTER *_message_<N>.csv, or store:<dir>[?...]',
    )
    .requiredOption('--out <dir>', 'report folder (created)')
    .addOption(
      new Option(
        '--guard <mode>',
        'StormGuard: observe (evaluate the live config and report, gate nothing), on (apply it), off',
      )
        .choices(GUARD_MODES)
        .default('observe'),
    )
    .addOption(
      new Option(
        '--exchange <model>',
        'exchange model: l2 (queue position estimated by --queue) or l3 (exact FIFO position from the order ids of L3 data: DBN MBO, LOBSTER)',
      )
        .choices(['l2', 'l3'])
        .default('l2'),
    )
    .addOption(
      new Option(
        '--queue <model>',
        'queue-position model of resting orders (--exchange l2; default risk_averse)',
      ).choices(['risk_averse', 'prob']),
    )
    .addOption(
      new Option(
        '--queue-func <f>',
        'prob model: P(a decrease is behind you) family (default power)',
      ).choices(Object.keys(QUEUE_FUNCS)),
    )
    .option('--queue-n <n>', 'prob model: exponent of the power families (default 3)')
    .option('--latency-order-us <us>', 'order (and cancel) latency to the exchange (sim.latency.order_us)')
    .option('--latency-response-us <us>', 'ack/fill latency back (sim.latency.response_us)')
    .option(
      '--latency-file <csv>',
      'recorded latencies: ts,order_latency_ns,response_latency_ns (interpolated by time)',
    )
    .option('--feed-latency-us <us>', 'market-data latency for data without receive times (feed.latency_us)')
    .option('--env <name>', 'config environment: config/env/<name>.yaml (default HFT_ENV or dev)')
    .option('--config <file>', 'settings file layered over base and env')
    .option('--set <key=value>', 'override any config key (repeatable)', collect);
}

/** Loads config with the model flags as overrides; returns it and the model options. */
function load(flags: ModelFlags, extra: { key: string; value: unknown; label: string }[] = []) {
  // Paths first: a run must not compute for minutes and then fail to read or write one.
  checkOutputDir('--out', flags.out);
  if (flags.latencyFile !== undefined) checkInputFile('--latency-file', flags.latencyFile);
  const over = [...extra, ...dataOverrides(flags)];
  if (flags.latencyOrderUs !== undefined)
    over.push({
      key: 'sim.latency.order_us',
      value: nonNegativeFlag('--latency-order-us', flags.latencyOrderUs),
      label: 'CLI flag --latency-order-us',
    });
  if (flags.latencyResponseUs !== undefined)
    over.push({
      key: 'sim.latency.response_us',
      value: nonNegativeFlag('--latency-response-us', flags.latencyResponseUs),
      label: 'CLI flag --latency-response-us',
    });
  if (flags.feedLatencyUs !== undefined)
    over.push({
      key: 'feed.latency_us',
      value: nonNegativeFlag('--feed-latency-us', flags.feedLatencyUs),
      label: 'CLI flag --feed-latency-us',
    });
  const cfg: BacktestConfig = loadAll(flags, over);
  const n = flags.queueN === undefined ? DEFAULT_MODELS.queueN : Number(flags.queueN);
  if (!(n > 0 && Number.isFinite(n)))
    throw new UserError(`--queue-n expects a positive number, got '${flags.queueN}'`);
  const models: ModelOptions = {
    ...DEFAULT_MODELS,
    exchange: flags.exchange,
    queue: flags.queue ?? DEFAULT_MODELS.queue,
    queueFunc: (flags.queueFunc as QueueFunc | undefined) ?? DEFAULT_MODELS.queueFunc,
    queueN: n,
    latencyFile: flags.latencyFile === undefined ? undefined : cliPath(flags.latencyFile),
  };
  return { cfg, models };
}

/** Checks model choices that came from a sweep grid (the flags are checked by commander). */
function checkModels(m: ModelOptions): ModelOptions {
  if (m.exchange !== undefined && m.exchange !== 'l2' && m.exchange !== 'l3') {
    throw new UserError(`exchange: expected l2 or l3, got '${String(m.exchange)}'`);
  }
  if (m.queue !== 'risk_averse' && m.queue !== 'prob') {
    throw new UserError(`queue: expected risk_averse or prob, got '${m.queue}'`);
  }
  try {
    createQueueModel(m.queue, m.queueFunc, m.queueN);
  } catch (e) {
    throw new UserError(`queue model: ${(e as Error).message}`);
  }
  return m;
}

/**
 * The queue flags shape the L2 exchange's queue model (--queue-func and --queue-n its prob
 * family only): given where no run uses them they were silently ignored.
 */
function unusedQueueFlags(flags: ModelFlags, models: readonly ModelOptions[]): void {
  const l2 = models.filter((m) => m.exchange !== 'l3');
  if (flags.queue !== undefined && l2.length === 0)
    throw new UserError('--queue applies to --exchange l2 (l3 takes the queue position from the order ids)');
  for (const [flag, v] of [
    ['--queue-func', flags.queueFunc],
    ['--queue-n', flags.queueN],
  ] as const)
    if (v !== undefined && !l2.some((m) => m.queue === 'prob'))
      throw new UserError(`${flag} applies to the prob queue model (--queue prob, --exchange l2)`);
}

/** A guard mode that came from a sweep grid (the flag is checked by commander). */
function checkGuard(g: unknown): GuardMode {
  if (!GUARD_MODES.includes(g as GuardMode))
    throw new UserError(`guard: expected ${GUARD_MODES.join(', ')}, got '${String(g)}'`);
  return g as GuardMode;
}

/** Parses --param key=value flags (YAML scalars). */
function params(flags: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of flags) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UserError(`--param expects key=value, got '${kv}'`);
    const key = kv.slice(0, i).trim();
    if (!Object.hasOwn(out, key) && key in out) throw new UserError(`--param: '${key}' is not a parameter`);
    out[key] = parseScalar(kv.slice(i + 1));
  }
  return out;
}

/** A progress bar on stderr, only when stderr is a terminal; log lines are written above it. */
function progressBar(): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (done, total) => {
    const f = total > 0 ? done / total : 1;
    const w = 30;
    const fill = Math.round(f * w);
    statusLine.set(
      `[${'#'.repeat(fill)}${'-'.repeat(w - fill)}] ${(f * 100).toFixed(0).padStart(3)}%  ${done}/${total} events`,
    );
    if (done >= total) statusLine.done();
  };
}

function formatResult(s: BacktestSummary, out: string, currency: string): string {
  const r = s.run;
  const mo = s.markout.map((m) => `${m.horizon_s} s ${m.avg_ticks.toFixed(2)}`).join('  ');
  const h = s.holding;
  return [
    `backtest ${s.strategy.id} on ${s.symbols.join(', ')}: ${grouped(r.events, 0)} events, ${duration(s.period.data_s)} of data in ${s.sessions.length} session${s.sessions.length === 1 ? '' : 's'}`,
    `  net PnL ${money(s.pnl.net, currency)} (realized ${grouped(s.pnl.realized)}, unrealized ${grouped(s.pnl.unrealized)}, fees ${grouped(s.pnl.fees)}, taxes ${grouped(s.pnl.taxes)})`,
    `  Sharpe ${s.sharpe.toFixed(2)}  Sortino ${s.sortino.toFixed(2)}${
      s.ratio_buckets < MIN_RATIO_BUCKETS
        ? ` (over ${s.ratio_buckets} bucket${s.ratio_buckets === 1 ? '' : 's'} of ${s.ratio_bucket_s} s: too few to mean much)`
        : ''
    }  max drawdown ${grouped(s.max_drawdown)}`,
    `  orders ${grouped(s.orders, 0)}  fills ${grouped(s.trades, 0)}  fill ratio ${(s.fill_ratio * 100).toFixed(1)}%  maker ${(s.maker_share * 100).toFixed(1)}%  turnover ${grouped(s.turnover, 0)}`,
    `  markout per fill vs mid (ticks): ${mo}   holding time: median ${duration(h.median_s)}, mean ${duration(h.avg_s)} (${grouped(h.closed_qty, 0)} closed)`,
    `  ${guardLine(s.guard)}`,
    `  refused before the venue: ${refusedLine(s.refused)}`,
    ...auctionLine(s),
    ...dataLine(s),
    `report written to ${out} (run ${s.run_id})`,
  ].join('\n');
}

/** Records the readers refused and sequence gaps, when any: the run replayed less than the file holds. */
function dataLine(s: BacktestSummary): string[] {
  const r = s.run.feed.replay;
  if (r === null || r.data_rejected + r.data_gaps === 0) return [];
  return [
    `  data: the readers refused ${grouped(r.data_rejected, 0)} records and found ${grouped(r.data_gaps, 0)} sequence gaps (each clears the book until it is rebuilt); hft data inspect shows them`,
  ];
}

/** The call-auction prints the exchange model did not fill on (feed.exclude_preopen), when any. */
function auctionLine(s: BacktestSummary): string[] {
  const r = s.run.feed.replay;
  if (r === null || r.indicative_trades === 0) return [];
  return [
    `  call auctions: ${grouped(r.indicative_trades, 0)} pre-open prints set the book but filled no order (--include-preopen to let them)`,
  ];
}

/** `hft backtest run|sweep`: tick-level backtests over recorded data (see docs/backtesting.md). */
export function registerBacktest(bt: Command): void {
  common(
    bt
      .command('run')
      .description(
        'replay data through the trading system against the L2 (or --exchange l3) exchange model; write a report folder',
      ),
  )
    .option('--param <key=value>', 'override a strategy parameter (repeatable)', collect)
    .action(async (flags: RunFlags) => {
      const { cfg, models } = load(flags);
      unusedQueueFlags(flags, [models]);
      // The runtime's info logs (state changes) would bury the result: warnings unless asked.
      const log = createLogger(process.env.HFT_LOG_LEVEL ?? 'warn');
      const r = await runBacktest(cfg, {
        strategyId: flags.strategy,
        data: flags.data.map(cliPath),
        models,
        params: params(flags.param),
        log,
        onProgress: progressBar(),
        guard: flags.guard,
        spillDir: flags.out,
      });
      flushLogRepeats();
      writeReport(flags.out, r);
      process.stdout.write(`${formatResult(r.summary, flags.out, r.symbols[0]?.currency ?? '')}\n`);
    });

  common(
    bt.command('sweep').description('run a parameter grid across worker threads and tabulate the results'),
  )
    .requiredOption(
      '--grid <key=v1,v2,...>',
      'a parameter and its values (repeatable): strategy param, dotted config key, or exchange/queue/queue_func/queue_n/latency_file/guard',
      collect,
    )
    .option('--workers <n>', 'worker threads (default: both cores)')
    .option(
      '--nats <url>',
      'distribute the points over a NATS JetStream work queue to hft worker processes (any host) instead of threads',
    )
    .option('--work-queue <name>', 'work queue of --nats (hft worker --work-queue)', 'research')
    .action(async (flags: SweepFlags) => {
      if (flags.nats !== undefined) {
        natsUrlFlag('--nats', flags.nats);
        // The queue's name before the points are checked and the server reached (a bad one was
        // reported only by a reachable server).
        workQueueFlag(flags.workQueue);
      }
      const workers = flags.workers === undefined ? defaultWorkers() : Number(flags.workers);
      if (!Number.isInteger(workers) || workers < 1)
        throw new UserError(`--workers expects a positive integer, got '${flags.workers}'`);
      const data = flags.data.map(cliPath);
      const axes = parseGrid(flags.grid, parseScalar);
      const points = expandGrid(axes);
      const tasks: SweepTask[] = [];
      for (const p of points) {
        const { cfg, models } = load(
          flags,
          p.settings.map((s) => ({ ...s, label: `--grid ${s.key}` })),
        );
        const sc = cfg.strategies.find((s) => s.id === flags.strategy);
        if (sc === undefined) throw new UserError(`unknown strategy '${flags.strategy}'`);
        // Fail on a bad parameter before starting any worker.
        await prepareStrategy(sc, cfg.root, {}, p.params);
        // A grid's latency file, as the flag's: checked before any point runs (each point failed
        // on its worker) and made absolute (a worker of --nats has another working folder).
        const lf = p.models.latencyFile;
        const gridModels =
          lf === undefined
            ? p.models
            : { ...p.models, latencyFile: checkInputFile('--grid latency_file', String(lf)) };
        tasks.push({
          index: p.index,
          cfg,
          strategyId: flags.strategy,
          data,
          models: checkModels({ ...models, ...gridModels }),
          params: p.params,
          guard: checkGuard(p.guard ?? flags.guard),
          out: path.join(flags.out, `point-${String(p.index).padStart(3, '0')}`),
        });
      }
      unusedQueueFlags(
        flags,
        tasks.map((t) => t.models),
      );
      const progress = (r: SweepReply, done: number, where = '') => {
        const what =
          'error' in r
            ? `failed: ${r.error}`
            : `net PnL ${grouped(r.summary.pnl.net)} in ${r.wallS.toFixed(1)} s; ${guardLine(r.summary.guard)}`;
        process.stderr.write(`  [${done}/${tasks.length}] point ${r.index}${where}: ${what}\n`);
      };
      let results: SweepReply[];
      if (flags.nats !== undefined) {
        process.stderr.write(
          `sweep: ${tasks.length} points to the work queue '${flags.workQueue}' on ${flags.nats} (start hft worker --nats ${flags.nats} --work-queue ${flags.workQueue} on any host)\n`,
        );
        results = await distributeSweep(flags.nats, flags.workQueue, tasks, progress);
      } else {
        // A missing file would fail every point on its thread: say it once, before any starts
        // (checked after the parameters; workers of --nats may read the data on other hosts).
        for (const d of data) if (!d.startsWith('store:')) checkInputFile('--data', d);
        process.stderr.write(
          `sweep: ${tasks.length} points on ${Math.min(workers, tasks.length)} worker threads\n`,
        );
        results = await runSweep(tasks, workers, progress);
      }
      process.stdout.write(`${tabulate(flags.out, axes, points, results)}\n`);
      process.stdout.write(
        'guard: observe = the live StormGuard evaluated, not applied (the state it would have reached, and when, Taipei time); on = applied; refused: orders stopped before the venue (risk limits, rate limiter, guard)\n',
      );
      process.stdout.write(`results written to ${path.join(flags.out, 'results.csv')}\n`);
      if (results.some((r) => 'error' in r)) process.exitCode = 1;
    });

  dataOptions(
    bt
      .command('queue-score')
      .description(
        'score the L2 queue models against the L3 truth: probes at the touch through the L3 exchange and each L2 model',
      ),
  )
    .requiredOption(
      '--data <path...>',
      'order-level data: *.dbn[.zst] (Databento MBO), LOBSTER *_message_<N>.csv',
    )
    .option('--every <n>', 'a probe pair (best bid, best ask) every n messages of the two-sided book', '200')
    .option('--lots <n>', 'probe size in lots', '1')
    .option('--horizon-s <s>', 'a probe not filled within this much data time counts as not filled', '60')
    .option('--ages <s,...>', 'probe ages (s) at which queue positions are compared', '1,10,30')
    .option('--latency-order-us <us>', 'order latency to the exchange (the same for truth and models)', '0')
    .option(
      '--models <m,...>',
      `L2 queue models: risk_averse, prob:<func>[:<n>] (default ${DEFAULT_SCORED.join(',')})`,
    )
    .option('--json', 'print the results as JSON')
    .option('--env <name>', 'config environment: config/env/<name>.yaml (default HFT_ENV or dev)')
    .option('--config <file>', 'settings file layered over base and env')
    .option('--set <key=value>', 'override any config key (repeatable)', collect)
    .action(async (flags: QueueScoreFlags) => {
      const every = positiveFlag('--every', flags.every, true);
      const lots = positiveFlag('--lots', flags.lots, true);
      const horizon = positiveFlag('--horizon-s', flags.horizonS, false);
      const ages = flags.ages.split(',').map((a) => positiveFlag('--ages', a.trim(), false));
      const latency = nonNegativeFlag('--latency-order-us', flags.latencyOrderUs);
      const models = (flags.models?.split(',') ?? DEFAULT_SCORED).map((m) => parseScoredModel(m.trim()));
      const data = flags.data.map(cliPath);
      for (const d of data) checkInputFile('--data', d);
      const cfg: BacktestConfig = loadAll(flags, dataOverrides(flags));
      const replay = await loadBacktestData(cfg, data);
      const results: QueueScoreResult[] = [];
      replay.streams.forEach((st, i) => {
        results.push(
          queueScore(replay.sources[i].source, st.columns, replay.symbols[st.symbolId], {
            every,
            lots,
            horizonNs: horizon * 1e9,
            orderLatencyNs: latency * 1e3,
            checkpointsNs: ages.map((a) => a * 1e9),
            models,
          }),
        );
      });
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(results, null, 2)}\n`
          : `${results.map(formatQueueScore).join('\n\n')}\n`,
      );
    });
}

interface QueueScoreFlags extends ConfigFlags, DataFlags {
  data: string[];
  every: string;
  lots: string;
  horizonS: string;
  ages: string;
  latencyOrderUs: string;
  models?: string;
  json?: boolean;
}

/** The sweep over `hft worker` processes: one work item per point, results in point order. */
async function distributeSweep(
  url: string,
  queue: string,
  tasks: SweepTask[],
  progress: (r: SweepReply, done: number, where: string) => void,
): Promise<SweepReply[]> {
  const { distribute } = await import('../gateway/work-queue.ts');
  // Items are numbered 0..n-1 in the queue; the point keeps its own index.
  const toReply = (r: WorkResult<BacktestSummary>): SweepReply =>
    'error' in r
      ? { index: tasks[r.index].index, error: r.error }
      : { index: tasks[r.index].index, summary: r.value, wallS: r.wallS };
  const rs = await distribute<SweepTask, BacktestSummary>(url, queue, 'backtest', tasks, (r, done) =>
    progress(toReply(r), done, ` on ${r.worker}`),
  ).catch((err: Error) => {
    throw new UserError(`sweep over ${url}: ${err.message}`);
  });
  return rs.map(toReply);
}
