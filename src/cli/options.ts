import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../core/errors.ts';

/** Commander's accumulator for a repeatable flag. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** The configuration flags of every command that reads config (see docs/configuration.md). */
export function configOptions(cmd: Command): Command {
  return cmd
    .option('--env <name>', 'config environment: config/env/<name>.yaml (default HFT_ENV or dev)')
    .option('--config <file>', 'settings file layered over base and env')
    .option(
      '--set <key=value>',
      'override any config key, e.g. --set risk.max_position=5 (repeatable)',
      collect,
    );
}

/**
 * A path given on the command line: relative to the working directory, as a shell user means it
 * (paths inside config files are relative to the project root). `store:<dir>?…` keeps its form.
 */
export function cliPath(p: string): string {
  // `--data --speed max`: commander hands the next flag to --data as its value.
  if (p.startsWith('--'))
    throw new UserError(`expected a path, got the flag '${p}' (a path missing before it?)`);
  if (p.startsWith('store:')) {
    const q = p.indexOf('?');
    const dir = q < 0 ? p.slice(6) : p.slice(6, q);
    return `store:${path.resolve(dir)}${q < 0 ? '' : p.slice(q)}`;
  }
  return path.resolve(p);
}
