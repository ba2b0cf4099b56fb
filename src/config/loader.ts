import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/package-root.ts';
import { type Settings, settingsSchema } from './schema.ts';

export interface LoadOptions {
  /** Project root holding config/ (default: cwd). */
  root?: string;
  /**
   * The folder whose config/ lies under the project's: the platform's defaults (default: the
   * installed package; null: none). The same folder as `root` is read once.
   */
  defaults?: string | null;
  /** Environment name; default HFT_ENV or 'dev'. */
  env?: string;
  /** Optional settings file layered after the env file. */
  configFile?: string;
  /** Environment variables to read HFT_* overrides from (default process.env). */
  envVars?: Record<string, string | undefined>;
  /** CLI overrides as dotted key -> value, applied last. `label` names the flag in errors. */
  overrides?: { key: string; value: unknown; label: string }[];
}

export interface LoadedSettings {
  settings: Settings;
  root: string;
  /** Which layer set each leaf key (dotted path -> source description). */
  sources: Map<string, string>;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads and parses one YAML file; syntax errors name the file and line. */
export function readYaml(file: string): unknown {
  if (!existsSync(file)) throw new ConfigError(file, '', 'file not found');
  const doc = YAML.parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(file, '', doc.errors[0].message.split('\n')[0]);
  return doc.toJS() ?? {};
}

function merge(
  target: Obj,
  src: unknown,
  source: string,
  prefix: string,
  sources: Map<string, string>,
): void {
  if (!isObj(src)) throw new ConfigError(source, prefix, 'expected a mapping of keys');
  for (const [k, v] of Object.entries(src)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isObj(v)) {
      if (!isObj(target[k])) target[k] = {};
      merge(target[k] as Obj, v, source, key, sources);
    } else {
      target[k] = v;
      sources.set(key, source);
    }
  }
}

function setPath(
  target: Obj,
  key: string,
  value: unknown,
  source: string,
  sources: Map<string, string>,
): void {
  const parts = key.split('.');
  let o = target;
  for (const p of parts.slice(0, -1)) {
    if (!isObj(o[p])) o[p] = {};
    o = o[p] as Obj;
  }
  const leaf = parts[parts.length - 1];
  if (isObj(value)) merge((o[leaf] = isObj(o[leaf]) ? o[leaf] : {}) as Obj, value, source, key, sources);
  else {
    o[leaf] = value;
    sources.set(key, source);
  }
}

/** Parses an env/flag string as a YAML scalar so numbers, booleans and lists work. */
export function parseScalar(raw: string): unknown {
  try {
    return YAML.parse(raw);
  } catch {
    return raw;
  }
}

/** Finds which layer is responsible for `key` (or its nearest parent). */
function sourceOf(key: string, sources: Map<string, string>): string {
  for (let k = key; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
    const s = sources.get(k);
    if (s) return s;
  }
  for (const [k, s] of sources) if (k.startsWith(`${key}.`)) return s;
  return 'merged config (key missing from every layer)';
}

/** Turns the first zod issue into a ConfigError naming the file, key and reason. */
export function toConfigError(err: z.ZodError, sources: Map<string, string>, prefix = ''): ConfigError {
  const issue = err.issues[0];
  let key = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  let reason = issue.message;
  if (issue.code === 'unrecognized_keys') {
    key = [key, issue.keys[0]].filter(Boolean).join('.');
    reason = 'unknown key';
  }
  return new ConfigError(sourceOf(key, sources), key, reason);
}

const samePath = (a: string, b: string) =>
  existsSync(a) && existsSync(b) ? realpathSync(a) === realpathSync(b) : path.resolve(a) === path.resolve(b);

/**
 * A config file setting (symbols_file, …): relative to the project root when the project has it,
 * else the platform's own file (`defaults`); absolute as given.
 */
function configFile(file: string, root: string, defaults: string | null): string {
  const own = path.resolve(root, file);
  if (path.isAbsolute(file) || defaults === null || existsSync(own)) return own;
  const shipped = path.resolve(defaults, file);
  return existsSync(shipped) ? shipped : own;
}

/**
 * Loads the layers, later wins: the platform's config/base.yaml and config/env/<env>.yaml, then
 * the project's (each optional; the first base is required) -> settings file -> HFT_* env vars ->
 * CLI overrides; then validates. The file settings (symbols_file, strategies_file,
 * strategy_limits_file) come back absolute: the project's file, else the platform's.
 */
export function loadSettings(opts: LoadOptions = {}): LoadedSettings {
  const root = path.resolve(opts.root ?? process.cwd());
  const defaults = opts.defaults === undefined ? PACKAGE_ROOT : opts.defaults;
  const envVars = opts.envVars ?? process.env;
  const sources = new Map<string, string>();
  const merged: Obj = {};
  const rel = (f: string) => path.relative(process.cwd(), f) || f;

  const folders = defaults === null || samePath(defaults, root) ? [root] : [defaults, root];
  const env = opts.env ?? envVars.HFT_ENV ?? 'dev';
  let envFound = false;
  for (const [i, dir] of folders.entries()) {
    const base = path.join(dir, 'config', 'base.yaml');
    if (i === 0 || existsSync(base)) merge(merged, readYaml(base), rel(base), '', sources);
    const envFile = path.join(dir, 'config', 'env', `${env}.yaml`);
    if (!existsSync(envFile)) continue;
    merge(merged, readYaml(envFile), rel(envFile), '', sources);
    envFound = true;
  }
  if (!envFound) {
    const envFile = path.join(root, 'config', 'env', `${env}.yaml`);
    throw new ConfigError(rel(envFile), 'env', `no config for environment '${env}'`);
  }

  if (opts.configFile) {
    const f = path.resolve(opts.configFile);
    merge(merged, readYaml(f), rel(f), '', sources);
  }

  // HFT_RISK__MAX_POSITION=5 -> risk.max_position; variables that name no config section are not ours.
  const topKeys = new Set(Object.keys(settingsSchema.shape));
  for (const [name, raw] of Object.entries(envVars)) {
    if (!name.startsWith('HFT_') || raw === undefined || name === 'HFT_ENV') continue;
    const key = name.slice(4).toLowerCase().split('__').join('.');
    if (!topKeys.has(key.split('.')[0])) continue;
    setPath(merged, key, parseScalar(raw), `environment variable ${name}`, sources);
  }

  for (const o of opts.overrides ?? []) setPath(merged, o.key, o.value, o.label, sources);
  merged.env = env;

  const parsed = settingsSchema.safeParse(merged);
  if (!parsed.success) throw toConfigError(parsed.error, sources);
  const settings = parsed.data;
  for (const k of ['symbols_file', 'strategies_file', 'strategy_limits_file'] as const)
    settings[k] = configFile(settings[k], root, defaults);
  return { settings, root, sources };
}
