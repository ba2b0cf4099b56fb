import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../../core/errors.ts';

/**
 * A secret value (API key, secret key, password). It prints as `[redacted]` everywhere — string
 * conversion, JSON, util.inspect (pino, console) — so a log line, summary or dashboard snapshot
 * that reaches it by accident cannot leak it; only `reveal()` (the signer, the login) reads it.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** A venue's credentials: named secrets (Binance: api_key, api_secret; Shioaji: its own names). */
export type Credentials = ReadonlyMap<string, Secret>;

/** The environment variable of credential `key` of `venue`: HFT_<VENUE>_<KEY>, e.g. HFT_BINANCE_USDM_API_KEY. */
export function credentialEnvName(venue: string, key: string): string {
  return `HFT_${venue}_${key}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/**
 * Loads `keys` for `venue`: from environment variables (credentialEnvName) when all are set,
 * else from `file` (YAML or JSON: `{ <venue>: { <key>: value } }` or flat `{ <key>: value }`),
 * which must lie outside the project root (a key file inside a repository ends up committed).
 * Null when neither gives every key. Values are never logged: errors name keys, not values.
 */
export function loadCredentials(
  venue: string,
  keys: readonly string[],
  opts: { file?: string; root: string; env?: NodeJS.ProcessEnv },
): Credentials | null {
  const env = opts.env ?? process.env;
  const fromEnv = keys.map((k) => env[credentialEnvName(venue, k)]);
  if (fromEnv.every((v) => v !== undefined && v !== '')) {
    return new Map(keys.map((k, i) => [k, new Secret(fromEnv[i]!)]));
  }
  // Some keys set, others not: a mistake, not a request for market data only.
  const unset = keys.filter((_, i) => fromEnv[i] === undefined || fromEnv[i] === '');
  if (unset.length < keys.length && (opts.file === undefined || opts.file === ''))
    throw new UserError(
      `${venue}: ${unset.map((k) => credentialEnvName(venue, k)).join(', ')} not set (the other credential variables are)`,
    );
  if (opts.file === undefined || opts.file === '') return null;
  const file = path.resolve(opts.root, opts.file);
  let real: string;
  let text: string;
  try {
    real = realpathSync(file);
    text = readFileSync(real, 'utf8');
  } catch (e) {
    throw new UserError(
      `live.credentials_file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
  const root = realpathSync(opts.root);
  if (real === root || real.startsWith(root + path.sep))
    throw new UserError(
      `live.credentials_file ${file} lies inside the project (${root}): keep keys outside the repository`,
    );
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    throw new UserError(`live.credentials_file ${file}: not YAML or JSON`);
  }
  const all = (doc ?? {}) as Record<string, unknown>;
  const section = (typeof all[venue] === 'object' && all[venue] !== null ? all[venue] : all) as Record<
    string,
    unknown
  >;
  const missing = keys.filter((k) => typeof section[k] !== 'string' || section[k] === '');
  if (missing.length > 0)
    throw new UserError(`live.credentials_file ${file}: no ${missing.join(', ')} for ${venue}`);
  return new Map(keys.map((k) => [k, new Secret(section[k] as string)]));
}
