import { basename } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../core/errors.ts';
import { formatInspect, type InspectSummary, inspectFile } from '../venues/replay/inspect.ts';

/** `hft data ...`: recorded market data files. */
export function registerData(data: Command): void {
  data
    .command('inspect <path...>')
    .description(
      'print what a recording holds: symbol, events by type, time span, depth, first and last book ' +
        '(taifex-*.parquet, binance-*.gz, *.dbn[.zst], LOBSTER *_message_<N>.csv)',
    )
    .option('--json', 'print the summaries as JSON')
    .action(async (paths: string[], flags: { json?: boolean }) => {
      const out: InspectSummary[] = [];
      for (const p of paths) {
        const s = await inspectOrExplain(p);
        if (flags.json) out.push(s);
        else process.stdout.write(`${formatInspect(s)}\n\n`);
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(out.length === 1 ? out[0] : out, null, 2)}\n`);
    });
}

/** Any failure on a user-given file is reported as a UserError naming it (no stack trace). */
async function inspectOrExplain(path: string): Promise<InspectSummary> {
  try {
    return await inspectFile(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${basename(path)}: cannot read this file (${(e as Error).message ?? e})`);
  }
}
