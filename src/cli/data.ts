import { basename } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../core/errors.ts';
import { formatInspect, type InspectSummary, inspectFile } from '../venues/replay/inspect.ts';
import { parseFormat } from '../venues/replay/read-any.ts';
import { REPLAY_FORMATS, type ReplayFormat } from '../venues/replay/replay-data.ts';

/** `hft data ...`: recorded market data files. */
export function registerData(data: Command): void {
  data
    .command('inspect <path...>')
    .description(
      'print what a recording holds: symbol, events by type, time span, depth, first and last book ' +
        '(TAIFEX parquet, Binance gzip, Databento DBN [.zst], LOBSTER *_message_<N>.csv; told by the content)',
    )
    .option('--json', 'print the summaries as JSON')
    .option('--format <format>', `auto (default: from the content) or ${REPLAY_FORMATS.join(', ')}`)
    .action(async (paths: string[], flags: { json?: boolean; format?: string }) => {
      const format = parseFormat(flags.format);
      const out: InspectSummary[] = [];
      for (const p of paths) {
        const s = await inspectOrExplain(p, format);
        if (flags.json) out.push(s);
        else process.stdout.write(`${formatInspect(s)}\n\n`);
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(out.length === 1 ? out[0] : out, null, 2)}\n`);
    });
}

/** Any failure on a user-given file is reported as a UserError naming it (no stack trace). */
async function inspectOrExplain(path: string, format: ReplayFormat | undefined): Promise<InspectSummary> {
  try {
    return await inspectFile(path, { format });
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${basename(path)}: cannot read this file (${(e as Error).message ?? e})`);
  }
}
