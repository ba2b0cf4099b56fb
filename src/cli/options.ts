import type { Command } from 'commander';

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
