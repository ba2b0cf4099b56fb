import { type Command, Option } from 'commander';
import { sinkTarget } from '../recorder/config.ts';
import { queryStore } from '../recorder/query.ts';
import { loadAll } from './context.ts';
import { configOptions } from './options.ts';

/** `hft db ...`: the ClickHouse store. */
export function registerDb(db: Command): void {
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
}
