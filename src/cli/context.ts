import { parseScalar } from '../config/loader.ts';
import { findProjectRoot, loadProject, type Project } from '../config/project.ts';
import { UserError } from '../core/errors.ts';

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
