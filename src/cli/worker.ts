import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { SweepTask } from '../backtest/sweep.ts';
import { statOrNull } from '../core/dir-check.ts';
import { UserError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { natsUrlFlag, positiveFlag, workQueueFlag } from './flag-values.ts';

interface WorkerFlags {
  nats: string;
  workQueue: string;
  name?: string;
  maxItems?: string;
  idleExit?: string;
  dataDir?: string;
}

/** Sweep points as `hft backtest sweep --nats` sends them: one backtest and its report folder each. */
export function backtestHandler(): (task: unknown) => Promise<unknown> {
  let runPoint: ((t: SweepTask) => Promise<unknown>) | null = null;
  return async (task) => {
    if (runPoint === null) {
      // Loaded on the first item: `hft --help` and a search-only worker never load the backtester.
      const { sweepPointRunner } = await import('../backtest/sweep-point.ts');
      runPoint = sweepPointRunner(createLogger(process.env.HFT_LOG_LEVEL ?? 'warn'));
    }
    return runPoint(task as SweepTask);
  };
}

/** `hft worker`: runs research items (sweep points, alpha search formulas) from a NATS JetStream work queue. */
export function registerWorker(cmd: Command): void {
  cmd
    .requiredOption('--nats <url>', 'NATS server with JetStream, nats://host:port')
    .option('--work-queue <name>', 'work queue (hft backtest sweep / alpha search --work-queue)', 'research')
    .option('--name <name>', "this worker's name in the results (default hft-<host>-<pid>)")
    .option('--max-items <n>', 'stop after this many items (default: never)')
    .option('--idle-exit <seconds>', 'stop after this long without an item (default: never)')
    .option(
      '--data-dir <dir>',
      "alpha search items: look a data file up by its name here when the searcher's path is not on this host",
    )
    .action(async (flags: WorkerFlags) => {
      natsUrlFlag('--nats', flags.nats);
      // The queue's name before connecting: a bad one was reported only by a reachable server.
      workQueueFlag(flags.workQueue);
      // 0 is "never" inside (the defaults): given, 0 or 1.5 items would silently mean never or 2.
      const maxItems = flags.maxItems === undefined ? 0 : positiveFlag('--max-items', flags.maxItems, true);
      const idleExitMs =
        flags.idleExit === undefined ? 0 : positiveFlag('--idle-exit', flags.idleExit, false) * 1000;
      const name = flags.name ?? `hft-${os.hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_-]/g, '_');
      const { serveWork, spin } = await import('../gateway/work-queue.ts');
      const { searchHandler } = await import('../research/search/search-handler.ts');
      const { SEARCH_KIND } = await import('../research/search/remote-task.ts');
      const dataDir = flags.dataDir === undefined ? undefined : path.resolve(flags.dataDir);
      // A typo here showed only when a search item's file was missing on this host.
      if (dataDir !== undefined) {
        const st = statOrNull(dataDir);
        if (st === null) throw new UserError(`--data-dir ${flags.dataDir}: not found`);
        if (!st.isDirectory()) throw new UserError(`--data-dir ${flags.dataDir}: not a directory`);
      }
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      process.stdout.write(`worker ${name}: queue ${flags.workQueue} on ${flags.nats}\n`);
      const n = await serveWork(
        {
          url: flags.nats,
          queue: flags.workQueue,
          name,
          maxItems,
          idleExitMs,
          onItem: (item, r) =>
            process.stderr.write(
              `  ${item.kind} ${item.job}#${item.index}: ${'error' in r ? `failed: ${r.error}` : 'done'} in ${r.wallS.toFixed(2)} s\n`,
            ),
        },
        { backtest: backtestHandler(), [SEARCH_KIND]: searchHandler(dataDir), spin },
        stop.signal,
      ).catch((err: Error) => {
        throw new UserError(`worker on ${flags.nats}: ${err.message}`);
      });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stdout.write(`worker ${name}: ${n} items done\n`);
    });
}
