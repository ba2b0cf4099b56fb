import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { CanaryRuntime } from '../alpha/canary-runtime.ts';
import { UserError } from '../core/errors.ts';
import { createLogger, flushLogRepeats, type Logger } from '../core/logger.ts';
import { sinkTarget } from '../recorder/config.ts';
import { advertiseStoreApi } from '../recorder/query.ts';
import { LiveSession } from '../services/live-session.ts';
import { bindOps, type OpsListener, startOps } from '../services/ops-server.ts';
import { formatSummary } from '../services/summary.ts';
import { type SystemOptions, TradingSystem } from '../services/trading-system.ts';
import {
  type ConfigFlags,
  checkOutputFile,
  type DataFlags,
  dataOptions,
  dataOverrides,
  loadAll,
} from './context.ts';
import { natsUrlFlag, nonNegativeFlag } from './flag-values.ts';
import { cliPath, configOptions } from './options.ts';

export interface RunFlags extends ConfigFlags, DataFlags {
  duration?: string;
  summaryJson?: string;
  seed?: string;
  clock?: string;
  record?: boolean;
  feed?: string;
  data?: string[];
  speed?: string;
  gateway?: string;
}

/**
 * What a command adds around the trading system: `hft gateway run` serves the NATS gateway over
 * it, a runner with gateway.mode nats sends its orders to one (src/cli/gateway.ts).
 */
export interface SystemHooks {
  wrapVenue?: SystemOptions['wrapVenue'];
  /** Called once the system is built; the function returned runs after the system stopped. */
  attach?: (sys: TradingSystem) => Promise<() => Promise<void>>;
  /** Releases what the hooks opened when the run fails before it starts (after `attach` too). */
  abort?: () => Promise<void>;
}

/** --gateway nats://...: this run's strategies send their intents to that NATS gateway. */
export function gatewayFlag(url: string | undefined): { key: string; value: unknown; label: string }[] {
  if (url === undefined) return [];
  natsUrlFlag('--gateway', url);
  return [
    { key: 'gateway.mode', value: 'nats', label: 'CLI flag --gateway' },
    { key: 'gateway.nats.url', value: url, label: 'CLI flag --gateway' },
  ];
}

/**
 * Overrides from --feed, --data and --speed. --data implies --feed replay; --speed max runs in
 * simulated time and --speed <x> paces against the wall clock, so each sets run.clock unless
 * --clock says otherwise (a contradiction is an error).
 */
function replayFlags(flags: RunFlags): { key: string; value: unknown; label: string }[] {
  const out: { key: string; value: unknown; label: string }[] = [];
  if (flags.data !== undefined) {
    if (flags.feed === 'sim')
      throw new UserError('--data replays recorded data: it cannot be used with --feed sim');
    out.push({ key: 'feed.data', value: flags.data.map(cliPath), label: 'CLI flag --data' });
  }
  const feed = flags.feed ?? (flags.data !== undefined ? 'replay' : undefined);
  if (feed !== undefined) out.push({ key: 'feed.kind', value: feed, label: 'CLI flag --feed' });
  if (flags.speed !== undefined) {
    const max = flags.speed === 'max';
    const speed = max ? 'max' : Number(flags.speed);
    if (!max && !(Number.isFinite(speed) && (speed as number) > 0))
      throw new UserError(`--speed expects a positive number or 'max', got '${flags.speed}'`);
    const clock = max ? 'sim' : 'real';
    if (flags.clock !== undefined && flags.clock !== clock) {
      throw new UserError(
        max
          ? '--speed max runs in simulated time: drop --clock real'
          : '--speed <x> paces against the wall clock: drop --clock sim (or use --speed max)',
      );
    }
    out.push({ key: 'feed.speed', value: speed, label: 'CLI flag --speed' });
    out.push({ key: 'run.clock', value: clock, label: 'CLI flag --speed' });
  }
  return out;
}

/** `hft run ...`: the trading system. */
export function registerRun(run: Command): void {
  const sim = configOptions(
    run
      .command('sim')
      .description(
        'every plane on the simulated exchange (order-flow market generator + matching engine), or on recorded data (--data)',
      )
      .option('--duration <seconds>', 'stop after this many seconds (0 = until Ctrl+C)')
      .option('--summary-json <file>', 'also write the exit summary as JSON')
      .option('--seed <n>', 'random seed of the market generator')
      .addOption(
        new Option(
          '--clock <kind>',
          'real: wall-clock pacing; sim: simulated time, as fast as possible',
        ).choices(['real', 'sim']),
      )
      .option('--no-record', 'do not record to the store')
      .addOption(
        new Option('--feed <kind>', 'sim: the simulated exchange; replay: recorded data (--data)').choices([
          'sim',
          'replay',
        ]),
      )
      .option(
        '--data <path...>',
        'replay these recordings (data files, or store:<dir>[?symbols=A,B&from=<iso>&to=<iso>]); implies --feed replay',
      )
      .option(
        '--speed <x|max>',
        'replay pacing: x times real time, or max (simulated time, as fast as possible)',
      )
      .option(
        '--gateway <url>',
        "send the strategies' intents to the NATS gateway at nats://host:port (gateway.mode nats; hft gateway run)",
      ),
  );
  dataOptions(sim).action(runSim);
  configOptions(
    liveOptions(
      run
        .command('live')
        .description('live trading on a venue of the registry (docs/live.md)')
        .option('--no-record', 'do not record to the store'),
    ),
  ).action((flags: LiveFlags) => runLive(flags, 'live'));
}

/** `hft record --venue ... --symbols ...`: live market data into the store, no strategy. */
export function registerRecord(cmd: Command): void {
  configOptions(liveOptions(cmd)).action((flags: LiveFlags) => runLive(flags, 'record'));
}

export interface LiveFlags extends ConfigFlags {
  venue?: string;
  paper?: boolean;
  production?: boolean;
  endpoint?: string;
  symbols?: string;
  duration?: string;
  summaryJson?: string;
  record?: boolean;
}

function liveOptions(cmd: Command): Command {
  return cmd
    .option('--venue <name>', 'live venue (live.venue): binance-usdm, binance-spot, ...')
    .option('--paper', "the venue's testnet / simulation endpoint (live.paper true, the default)")
    .option('--production', "the venue's production endpoint: real orders, real money (live.paper false)")
    .option('--endpoint <url>', "base URL instead of the venue's, e.g. a fake server (live.endpoint)")
    .option('--symbols <codes>', 'comma-separated symbol codes of config/symbols.yaml (live.symbols)')
    .option('--duration <seconds>', 'stop after this many seconds (0 = until Ctrl+C)')
    .option('--summary-json <file>', 'also write the exit summary as JSON');
}

/** `hft run live` and `hft record`: the trading system on a live venue (record: no strategy). */
export async function runLive(flags: LiveFlags, kind: 'live' | 'record'): Promise<void> {
  const extra: { key: string; value: unknown; label: string }[] = [
    { key: 'feed.kind', value: 'live', label: `hft ${kind === 'live' ? 'run live' : 'record'}` },
    { key: 'run.clock', value: 'real', label: 'live trading runs on the wall clock' },
  ];
  if (flags.venue !== undefined)
    extra.push({ key: 'live.venue', value: flags.venue, label: 'CLI flag --venue' });
  if (flags.paper && flags.production) throw new UserError('--paper and --production: choose one');
  if (flags.paper) extra.push({ key: 'live.paper', value: true, label: 'CLI flag --paper' });
  if (flags.production) extra.push({ key: 'live.paper', value: false, label: 'CLI flag --production' });
  if (flags.endpoint !== undefined) {
    if (!/^https?:\/\/[^\s]+$/.test(flags.endpoint))
      throw new UserError(`--endpoint expects an http(s) URL, got '${flags.endpoint}'`);
    extra.push({ key: 'live.endpoint', value: flags.endpoint, label: 'CLI flag --endpoint' });
  }
  if (flags.symbols !== undefined)
    extra.push({
      key: 'live.symbols',
      value: flags.symbols.split(',').filter((x) => x !== ''),
      label: 'CLI flag --symbols',
    });
  if (flags.duration !== undefined)
    extra.push({
      key: 'run.duration_s',
      value: nonNegativeFlag('--duration', flags.duration),
      label: 'CLI flag --duration',
    });
  return runSystem(flags, extra, kind);
}

/** `hft run sim`: the whole trading system on the simulated exchange (or a replay of recorded data). */
export function runSim(flags: RunFlags): Promise<void> {
  const extra = [];
  if (flags.duration !== undefined)
    extra.push({
      key: 'run.duration_s',
      value: nonNegativeFlag('--duration', flags.duration),
      label: 'CLI flag --duration',
    });
  if (flags.seed !== undefined)
    extra.push({ key: 'sim.seed', value: nonNegativeFlag('--seed', flags.seed), label: 'CLI flag --seed' });
  if (flags.clock !== undefined)
    extra.push({ key: 'run.clock', value: flags.clock, label: 'CLI flag --clock' });
  extra.push(...replayFlags(flags), ...dataOverrides(flags), ...gatewayFlag(flags.gateway));
  return runSystem(flags, extra, 'sim');
}

export async function runSystem(
  flags: ConfigFlags & { summaryJson?: string; record?: boolean },
  extra: { key: string; value: unknown; label: string }[],
  mode: 'sim' | 'live' | 'record' | 'gateway',
  hooks: SystemHooks = {},
): Promise<void> {
  const summaryJson =
    flags.summaryJson === undefined ? undefined : checkOutputFile('--summary-json', flags.summaryJson);
  const loaded = loadAll(flags, extra);
  // `hft record` captures market data: no strategy, always recorded; a gateway runs none either.
  if (mode === 'record' || mode === 'gateway') loaded.strategies = [];
  const log = createLogger(process.env.HFT_LOG_LEVEL ?? loaded.settings.log_level);
  if (mode !== 'gateway' && loaded.settings.gateway.mode === 'nats') {
    if (mode !== 'sim')
      throw new UserError(
        `gateway.mode nats: hft ${mode === 'live' ? 'run live' : 'record'} cannot send through a NATS gateway yet ` +
          '(run the live venue in hft gateway run and the strategies with hft run sim --gateway)',
      );
    hooks = await (await import('./gateway.ts')).runnerHooks(loaded.settings.gateway.nats, log);
    // This process's venue is not the account's: the gateway's process reconciles the account.
    loaded.settings = {
      ...loaded.settings,
      reconciliation: { ...loaded.settings.reconciliation, enabled: false },
    };
  }
  // What the hooks opened (a NATS connection) would keep the process alive after a failed start.
  const { sys, detach, session, ops, dur } = await startRun(loaded, flags, mode, hooks, log).catch(
    async (err) => {
      await hooks.abort?.().catch(() => {});
      throw err;
    },
  );
  if (ops.url !== null) {
    process.stdout.write(`dashboard: ${ops.url}\n`);
    if (ops.metricsUrl !== null) process.stdout.write(`metrics:   ${ops.metricsUrl}\n`);
    process.stdout.write(
      `control token (HALT, resume, cancel all): ${ops.tokenGenerated ? ops.token : 'as configured in ops.token'}\n`,
    );
  }
  // While this process holds the embedded store's lock, `hft db query` reaches the store through the ops API.
  const target = sinkTarget(loaded.settings, loaded.root);
  const unadvertise =
    ops.url !== null && ops.readToken !== null && target.server === null
      ? advertiseStoreApi(target.dataDir, ops.url, ops.readToken)
      : () => {};
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) {
      log.error('second signal: exiting without a clean shutdown');
      process.exit(130);
    }
    log.info(
      { signal: sig },
      sys.ordersOutliveRun
        ? `stopping: cancelling working orders (live.on_stop), closing the venue, flushing the recorder (${sig} again exits at once)`
        : `stopping: flushing the recorder and closing the store (${sig} again exits at once)`,
    );
    sys.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const summary = await sys.run(dur);
  await detach?.();
  session?.stop();
  await sys.live?.close();
  unadvertise();
  await ops.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  flushLogRepeats();
  process.stdout.write(`${formatSummary(summary)}\n`);
  if (summaryJson) {
    writeFileSync(summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(`summary written to ${flags.summaryJson}\n`);
  }
}

/** Opens the ops port, builds the system, attaches the hooks, starts a live session and the ops server. */
async function startRun(
  loaded: ReturnType<typeof loadAll>,
  flags: ConfigFlags & { record?: boolean },
  mode: 'sim' | 'live' | 'record' | 'gateway',
  hooks: SystemHooks,
  log: Logger,
) {
  // The ops port before anything else: a taken port must not cost an opened store.
  const o = loaded.settings.ops;
  const listener = o.enabled ? await bindOps(o.host, o.port, o.port_fallback) : null;
  if (listener?.fellBack) reportFallback(listener, log);
  let sys: TradingSystem | null = null;
  try {
    // Promoted alphas (config/strategy_promotions) trade at their canary weight, guardrails live.
    const canaries = mode === 'record' ? null : await CanaryRuntime.load(loaded.root, loaded.settings, log);
    sys = await TradingSystem.create({
      ...loaded,
      strategies: [...loaded.strategies, ...(canaries?.strategies ?? [])],
      strategyClasses: canaries?.classes,
      log,
      record: mode === 'record' ? true : flags.record === false ? false : undefined,
      runKind: mode === 'sim' ? undefined : mode,
      wrapVenue: hooks.wrapVenue,
    });
    const detach = hooks.attach ? await hooks.attach(sys) : null;
    canaries?.attach(sys.recorder);
    const dur = loaded.settings.run.duration_s;
    log.info(
      {
        symbols: sys.symbols.map((s) => s.code),
        strategies: sys.runner.strategies.map((s) => s.id),
        clock: sys.clock.simulated ? 'sim' : 'real',
        feed: loaded.settings.feed.kind,
        duration_s:
          dur || (loaded.settings.feed.kind === 'replay' ? 'until the end of the data' : 'until Ctrl+C'),
        store: sys.recorder ? path.resolve(loaded.settings.store.path) : 'off',
      },
      mode === 'sim'
        ? 'hft run sim started'
        : mode === 'gateway'
          ? 'hft gateway run started'
          : `hft ${mode === 'live' ? 'run live' : 'record'} starting`,
    );
    let session: LiveSession | null = null;
    if (sys.live !== null) {
      session = new LiveSession(sys, sys.live, loaded.settings.live);
      try {
        await session.start();
      } catch (err) {
        await sys.live.close();
        throw err;
      }
    }
    const ops = await startOps(sys, loaded.settings, log, { listener });
    return { sys, detach, session, ops, dur };
  } catch (err) {
    // An open port or store would keep the process alive after the error.
    await sys?.recorder?.close();
    listener?.server.close();
    throw err;
  }
}

/** Says where the dashboard went when ops.port was taken, and which key chooses the port. */
function reportFallback(l: OpsListener, log: ReturnType<typeof createLogger>): void {
  log.warn({ requested: l.requested, port: l.port }, 'ops port in use: serving on a free port instead');
  process.stdout.write(
    `ops port ${l.requested} is in use: the dashboard and /metrics are on port ${l.port} instead ` +
      '(ops.port sets it, e.g. --set ops.port=9470; ops.port_fallback=false refuses to start instead)\n',
  );
}
