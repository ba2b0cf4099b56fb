import path from 'node:path';
import type { Command } from 'commander';
import { parseScalar } from '../config/loader.ts';
import { findProjectRoot, loadProject, type Project } from '../config/project.ts';
import { REPLAY_FORMATS } from '../contracts/market.ts';
import { dirProblem, statOrNull, writeProblem } from '../core/dir-check.ts';
import { UserError } from '../core/errors.ts';
import { parseFormat } from '../venues/replay/read-any.ts';

/** Flags every command that reads config accepts. */
export interface ConfigFlags {
  env?: string;
  config?: string;
  set?: string[];
}

/** Parses `--set key=value` flags into loader overrides. */
export function setOverrides(sets: string[] = []): { key: string; value: unknown; label: string }[] {
  return sets.map((kv) => {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UserError(`--set expects key=value, got '${kv}'`);
    const key = kv.slice(0, i).trim();
    return { key, value: parseScalar(kv.slice(i + 1)), label: `CLI flag --set ${key}` };
  });
}

/** Loads settings (all layers), the symbol table and the strategies. */
export function loadAll(
  flags: ConfigFlags,
  extra: { key: string; value: unknown; label: string }[] = [],
): Project {
  return loadProject({
    root: findProjectRoot(process.cwd()),
    env: flags.env,
    configFile: flags.config,
    overrides: [...setOverrides(flags.set), ...extra],
  });
}

/**
 * Output and input paths given on the command line, checked before any work is done (a run must not
 * compute for an hour and then fail to write its summary): each returns the absolute path or
 * throws a UserError naming the flag, the path and the reason.
 */
export function checkOutputFile(flag: string, file: string): string {
  const p = path.resolve(file);
  const st = statOrNull(p);
  if (st?.isDirectory()) throw new UserError(`${flag} ${file}: is a directory, expected a file name`);
  const dir = path.dirname(p);
  const ds = statOrNull(dir);
  if (ds === null) throw new UserError(`${flag} ${file}: folder ${dir} does not exist`);
  if (!ds.isDirectory()) throw new UserError(`${flag} ${file}: ${dir} is not a directory`);
  const target = st === null ? dir : p;
  const problem = writeProblem(target);
  if (problem !== null) throw new UserError(`${flag} ${file}: ${target} ${problem}`);
  return p;
}

/** A folder to write into: it exists as a directory, or can be created under its nearest existing ancestor. */
export function checkOutputDir(flag: string, dir: string): string {
  const problem = dirProblem(dir, true);
  if (problem !== null) throw new UserError(`${flag} ${dir}: ${problem}`);
  return path.resolve(dir);
}

/** A file to read: it exists and is a regular file. */
export function checkInputFile(flag: string, file: string): string {
  const p = path.resolve(file);
  const st = statOrNull(p);
  if (st === null) throw new UserError(`${flag} ${file}: not found`);
  if (!st.isFile()) throw new UserError(`${flag} ${file}: not a regular file`);
  return p;
}

let pipeWatched = false;

/**
 * Writes a command's result to stdout. A reader that closes the pipe early (`hft db query ... | head`)
 * ends the process quietly: the write's EPIPE was an unhandled 'error' event with a stack trace.
 */
export function writeResult(text: string): void {
  if (!pipeWatched) {
    pipeWatched = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(process.exitCode ?? 0);
    });
  }
  process.stdout.write(text);
}

/** Flags of the commands that read recorded data (`--data`): its format and the call-auction switch. */
export interface DataFlags {
  format?: string;
  includePreopen?: boolean;
}

/** Adds --format and --include-preopen to a command that takes --data. */
export function dataOptions(cmd: Command): Command {
  return cmd
    .option(
      '--format <format>',
      `format of the --data files: auto (told by each file's content) or ${REPLAY_FORMATS.join(', ')} (feed.format)`,
    )
    .option(
      '--include-preopen',
      'let TAIFEX/TWSE call-auction prints (pre-open, closing call) fill orders (feed.exclude_preopen false)',
    );
}

/** Config overrides of the data flags. */
export function dataOverrides(flags: DataFlags): { key: string; value: unknown; label: string }[] {
  const out: { key: string; value: unknown; label: string }[] = [];
  if (flags.format !== undefined) {
    out.push({ key: 'feed.format', value: parseFormat(flags.format) ?? 'auto', label: 'CLI flag --format' });
  }
  if (flags.includePreopen) {
    out.push({ key: 'feed.exclude_preopen', value: false, label: 'CLI flag --include-preopen' });
  }
  return out;
}
