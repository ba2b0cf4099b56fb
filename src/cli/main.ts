import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError, UserError } from '../core/errors.ts';

/**
 * The commands, each defined by the register function of its module in src/cli/. Only the module
 * of the command being run is loaded: the others are listed by name and description, so `hft
 * --help` starts without loading the platform (ClickHouse's native addon, Parquet, the recorder).
 * A new command is one entry here and one module exporting `register(cmd)`.
 */
const COMMANDS: Record<string, { description: string; load: () => Promise<(cmd: Command) => void> }> = {
  init: {
    description: 'create a project folder of your own (config, a plugin strategy)',
    load: async () => (await import('./init.ts')).registerInit,
  },
  run: {
    description: 'run the trading system',
    load: async () => (await import('./run.ts')).registerRun,
  },
  record: {
    description: 'capture live market data into the store (no strategy)',
    load: async () => (await import('./run.ts')).registerRecord,
  },
  gateway: {
    description: "the account's order/risk gateway as a service over NATS JetStream",
    load: async () => (await import('./gateway.ts')).registerGateway,
  },
  worker: {
    description:
      'run research items (backtest sweep points, alpha search trials) from a NATS JetStream work queue',
    load: async () => (await import('./worker.ts')).registerWorker,
  },
  backtest: {
    description: 'tick-level backtests over recorded market data',
    load: async () => (await import('./backtest.ts')).registerBacktest,
  },
  data: {
    description: 'recorded market data files',
    load: async () => (await import('./data.ts')).registerData,
  },
  features: {
    description: 'feature sets computed over recorded market data',
    load: async () => (await import('./features.ts')).registerFeatures,
  },
  db: {
    description: 'the ClickHouse store',
    load: async () => (await import('./db.ts')).registerDb,
  },
  alpha: {
    description:
      'alpha research: scaffold, validate (gates A-C), search, RL, the pool, promotion (gates D-E), canaries',
    load: async () => (await import('./alpha.ts')).registerAlpha,
  },
  recorder: {
    description: 'the recorder write-ahead log',
    load: async () => (await import('./recorder.ts')).registerRecorder,
  },
};

/** The command named on the command line (`hft help <command>` included), if any. */
function invoked(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const program = new Command('hft')
  .description('hft-platform: one codebase from research to live trading')
  .version(pkg.version)
  .showHelpAfterError()
  // Commander's usage errors (an unknown flag or choice, a missing argument) throw instead of
  // exiting 1: they are the user's errors, exit 2 as ours are. Subcommands inherit this.
  .exitOverride();

try {
  const name = invoked(process.argv.slice(2));
  for (const [n, c] of Object.entries(COMMANDS)) {
    const cmd = program.command(n).description(c.description);
    if (n === name) (await c.load())(cmd);
  }
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Already printed by commander; help and --version end with their own code (0).
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof UserError || err instanceof ConfigError) {
    process.stderr.write(`hft: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    throw err;
  }
}
