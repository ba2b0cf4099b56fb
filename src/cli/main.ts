import { Command, Option } from 'commander';
import { ConfigError, UserError } from '../core/errors.ts';
import { sinkTarget } from '../recorder/config.ts';
import { queryStore } from '../recorder/query.ts';
import { registerBacktest } from './backtest.ts';
import { loadAll } from './context.ts';
import { registerData } from './data.ts';
import { registerFeatures } from './features.ts';
import { registerRecorder } from './recorder.ts';
import { runSim } from './run.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function configOptions(cmd: Command): Command {
  return cmd
    .option('--env <name>', 'config environment: config/env/<name>.yaml (default HFT_ENV or dev)')
    .option('--config <file>', 'settings file layered over base and env')
    .option(
      '--set <key=value>',
      'override any config key, e.g. --set risk.max_position=5 (repeatable)',
      collect,
    );
}

const program = new Command('hft')
  .description('hft-platform: one codebase from research to live trading')
  .showHelpAfterError();

const run = program.command('run').description('run the trading system');
configOptions(
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
    ),
).action(runSim);
run
  .command('live')
  .description('live trading against a broker')
  .action(() => {
    throw new UserError(
      'hft run live: no live broker adapter is configured in this build; use `hft run sim`',
    );
  });

const db = program.command('db').description('the ClickHouse store');
configOptions(
  db
    .command('query <sql>')
    .description('run a SQL query against the configured store and print the rows')
    .addOption(new Option('--format <fmt>', 'ClickHouse output format').default('PrettyCompactMonoBlock')),
).action(async (sql: string, flags: { format: string; env?: string; config?: string; set?: string[] }) => {
  const { settings, root } = loadAll(flags);
  const { text: out, via } = await queryStore(sinkTarget(settings, root), sql, flags.format);
  if (via !== null) {
    process.stderr.write(
      `hft: the store is owned by running process ${via.pid}; answered through its API at ${via.url}\n`,
    );
  }
  process.stdout.write(out.endsWith('\n') || out === '' ? out : `${out}\n`);
});

registerFeatures(program);
registerData(program);
registerBacktest(program);
registerRecorder(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof UserError || err instanceof ConfigError) {
    process.stderr.write(`hft: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    throw err;
  }
}
