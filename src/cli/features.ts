import { type Command, Option } from 'commander';
import { REPLAY_FORMATS } from '../contracts/market.ts';
import { NS_PER_US } from '../core/clock.ts';
import { statOrNull } from '../core/dir-check.ts';
import { UserError } from '../core/errors.ts';
import { computeFeatureFile } from '../features/compute-file.ts';
import { FEATURE_SETS, LOB_CORE } from '../features/sets.ts';
import { parseFormat } from '../venues/replay/read-any.ts';
import { LOBSTER_FILE, lobsterPair } from '../venues/replay/read-lobster.ts';
import { checkOutputFile, loadAll } from './context.ts';
import { cliPath, collect } from './options.ts';

const lobsterFiles = (f: string) => {
  const p = lobsterPair(f);
  return [p.msgPath, p.bookPath];
};

/**
 * Refuses an --out that is one of the input files (or a LOBSTER input's other half): the output is
 * created before the input is read, so the recording was overwritten by its own features.
 */
function refuseInputAsOutput(given: string, out: string, data: readonly string[]): void {
  const o = statOrNull(out);
  if (o === null) return;
  for (const d of data) {
    if (d.startsWith('store:')) continue;
    // A LOBSTER sample is two files (a name its reader would refuse is refused here the same way).
    const pair = LOBSTER_FILE.test(d) ? lobsterFiles(d) : [d];
    for (const f of pair) {
      const s = statOrNull(f);
      if (s !== null && s.dev === o.dev && s.ino === o.ino)
        throw new UserError(`--out ${given}: is the input file ${f}; writing it would destroy the recording`);
    }
  }
}

/** `hft features ...`: the feature plane for research. */
export function registerFeatures(features: Command): void {
  features
    .command('compute')
    .description('run a recording through the LOB and a feature set; write the feature time series')
    .requiredOption(
      '--data <path>',
      'recording of one symbol (taifex-*.parquet, binance-*.gz, *.dbn[.zst], LOBSTER *_message_<N>.csv, ' +
        'store:<dir>?symbols=X); repeat for consecutive Binance files',
      collect,
    )
    .requiredOption('--out <file>', 'output: .csv or .parquet')
    .option('--feature-set <id>', `feature set (${Object.keys(FEATURE_SETS).join(', ')})`, LOB_CORE.id)
    // Its old name: elsewhere --set is a config key=value.
    .addOption(new Option('--set <id>').hideHelp())
    .option(
      '--feed-latency-us <us>',
      'receive time = exchange time + this, for data without receive times (TAIFEX, LOBSTER); default feed.latency_us',
    )
    .option('--env <name>', 'config environment (symbol table, feed.symbols); default HFT_ENV or dev')
    .option('--config <file>', 'settings file layered over base and env')
    .option(
      '--format <format>',
      `format of the --data files: auto (default: from the content) or ${REPLAY_FORMATS.join(', ')}`,
    )
    .action(
      async (flags: {
        data: string[];
        out: string;
        featureSet: string;
        set?: string;
        feedLatencyUs?: string;
        env?: string;
        config?: string;
        format?: string;
      }) => {
        const t0 = performance.now();
        const out = checkOutputFile('--out', flags.out);
        const latency =
          flags.feedLatencyUs === undefined
            ? []
            : [
                {
                  key: 'feed.latency_us',
                  value: Number(flags.feedLatencyUs),
                  label: 'CLI flag --feed-latency-us',
                },
              ];
        const data = flags.data.map(cliPath);
        refuseInputAsOutput(flags.out, out, data);
        const { settings, root, symbols } = loadAll({ env: flags.env, config: flags.config }, latency);
        const r = await computeFeatureFile({
          data,
          out,
          setId: flags.set ?? flags.featureSet,
          format:
            parseFormat(flags.format) ?? (settings.feed.format === 'auto' ? undefined : settings.feed.format),
          symbols,
          symbolMap: settings.feed.symbols,
          root,
          feedLatencyNs: settings.feed.latency_us * NS_PER_US,
        });
        for (const note of r.notes) process.stderr.write(`hft: note: ${note}\n`);
        process.stdout.write(
          `${r.symbol}: ${r.rows} rows (${r.books} book updates, ${r.trades} trades, ${r.resets} book resets) ` +
            `x ${r.features.length} features of ${r.set} -> ${flags.out} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
        );
      },
    );
}
