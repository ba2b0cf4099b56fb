import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { dirProblem } from '../core/dir-check.ts';
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

/** Config files are small; anything larger is not one (a device, a data file given by mistake). */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/**
 * Reads and parses one YAML file. Every failure is a ConfigError naming the file and the reason:
 * not found, a directory or device, too large, unreadable, a syntax error (with its line), or an
 * alias bomb (the YAML library's resource limit).
 */
export function readYaml(file: string): unknown {
  let text: string;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new ConfigError(file, '', 'is a directory, expected a YAML file');
    if (!st.isFile()) throw new ConfigError(file, '', 'not a regular file, expected a YAML file');
    if (st.size > MAX_CONFIG_BYTES) throw new ConfigError(file, '', `${st.size} bytes: not a config file`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(file, '', code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? e})`);
  }
  try {
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) throw new Error(doc.errors[0].message);
    return doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    throw new ConfigError(file, '', `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Keys that would write onto Object.prototype through a plain object (`__proto__`, ...). */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);
function checkKey(part: string, source: string, key: string): void {
  if (RESERVED.has(part) || part === '')
    throw new ConfigError(source, key, part === '' ? 'an empty key' : `'${part}' is not a configuration key`);
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
    checkKey(k, source, key);
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
  for (const p of parts) checkKey(p, source, key);
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
export function sourceOf(key: string, sources: Map<string, string>): string {
  for (let k = key; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
    const s = sources.get(k);
    if (s) return s;
  }
  for (const [k, s] of sources) if (key === '' || k.startsWith(`${key}.`)) return s;
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
  const other =
    issue.code === 'custom' ? (issue.params as { other?: unknown } | undefined)?.other : undefined;
  if (typeof other === 'string') {
    const otherKey = [...key.split('.').slice(0, -1), other].join('.');
    const from = sourceOf(otherKey, sources);
    if (from !== sourceOf(key, sources)) reason += ` (${other} set in ${from})`;
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

  for (const [name, raw] of Object.entries(envVars)) {
    const key = envKey(name);
    if (key !== null && raw !== undefined)
      setPath(merged, key, parseScalar(raw), `environment variable ${name}`, sources);
  }

  for (const o of opts.overrides ?? []) setPath(merged, o.key, o.value, o.label, sources);
  merged.env = env;

  const parsed = settingsSchema.safeParse(merged);
  if (!parsed.success) throw toConfigError(parsed.error, sources);
  const settings = parsed.data;
  for (const k of ['symbols_file', 'strategies_file', 'strategy_limits_file'] as const) {
    settings[k] = configFile(settings[k], root, defaults);
    checkFile(settings[k], k, sources);
  }
  checkDirs(settings, root, sources);
  return { settings, root, sources };
}

/** Platform variables that are not `section__key` config paths (aliases, switches). */
const PLATFORM_VARIABLES = new Set([
  'HFT_ENV',
  'HFT_LOG_FORMAT',
  'HFT_DATA_DIR',
  'HFT_RECORDER_MODE',
  'HFT_CLICKHOUSE_URL',
]);

/**
 * The config key an environment variable sets, or null when it is not a config variable.
 * HFT_RISK__MAX_POSITION=5 -> risk.max_position; HFT_LOG_LEVEL -> log_level (a top-level key). A
 * trading system must not run on a misspelt override, so `HFT_<X>__…` with no section X, and
 * `HFT_<SECTION>_<KEY>` (one underscore where two belong), are ConfigErrors; other HFT_ variables
 * (HFT_ENV, HFT_DATA_DIR, the documented aliases, anything else) are not config.
 */
export function envKey(name: string): string | null {
  if (!name.startsWith('HFT_') || PLATFORM_VARIABLES.has(name)) return null;
  const rest = name.slice(4).toLowerCase();
  const sections = Object.keys(settingsSchema.shape);
  if (rest.includes('__')) {
    const section = rest.slice(0, rest.indexOf('__'));
    if (!sections.includes(section)) {
      const near = sections.find((s) => editDistance(s, section) <= 2);
      throw new ConfigError(
        `environment variable ${name}`,
        '',
        `no config section '${section}'${near ? ` (did you mean HFT_${near.toUpperCase()}__…?)` : ''}`,
      );
    }
    return rest.split('__').join('.');
  }
  if (sections.includes(rest)) return rest;
  const section = sections.find((s) => rest.startsWith(`${s}_`));
  if (section !== undefined) {
    const fixed = `HFT_${section.toUpperCase()}__${rest.slice(section.length + 1).toUpperCase()}`;
    throw new ConfigError(
      `environment variable ${name}`,
      '',
      `a config override separates the section with a double underscore: ${fixed}`,
    );
  }
  return null;
}

/** Levenshtein distance (short strings: section names). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** What each file setting must hold at its top level (a key it needs, or '' for any mapping). */
const FILE_SHAPES = {
  symbols_file: ['symbols', 'a symbol table'],
  strategies_file: ['strategies', 'a strategies file'],
  strategy_limits_file: ['', 'a strategy limits file'],
} as const;

/**
 * A file setting must name an existing YAML file holding a mapping of the expected kind: checked at
 * start, and the error names the setting and where it was set (`--set symbols_file=/etc/passwd`).
 */
function checkFile(file: string, key: keyof typeof FILE_SHAPES, sources: Map<string, string>): void {
  const via = `${key}, set in ${sourceOf(key, sources)}`;
  let raw: unknown;
  try {
    raw = readYaml(file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(`${file} (${via})`, '', e.reason);
  }
  const [top, what] = FILE_SHAPES[key];
  if (!isObj(raw) || (top !== '' && !(top in raw))) {
    const need = top === '' ? 'a mapping' : `a mapping with '${top}:'`;
    throw new ConfigError(`${file} (${via})`, '', `not ${what}: expected ${need}`);
  }
}

/**
 * Directory settings must name a directory, or a path one can be created at (its nearest existing
 * ancestor is a directory): checked at start, so a file given by mistake is a one-line error
 * naming the key instead of ENOTDIR deep in the recorder.
 */
function checkDirs(s: Settings, root: string, sources: Map<string, string>): void {
  const dirs: [string, string][] = [
    ['store.path', s.store.path],
    ['recorder.wal.dir', s.recorder.wal.dir],
    ['orders.dlq_dir', s.orders.dlq_dir],
  ];
  for (const [key, value] of dirs) {
    if (value === '') continue;
    const dir = path.resolve(root, value);
    const problem = dirProblem(dir, false);
    if (problem !== null) throw new ConfigError(sourceOf(key, sources), key, `${dir} ${problem}`);
  }
}
