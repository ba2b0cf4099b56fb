import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRunKind, newRunId, type RunKind } from '../core/run-id.ts';
import type { RunRecord } from '../recorder/rows.ts';

/** Who and what a run is: written to hft.runs at its start and completed at its end. */
export interface RunIdentity {
  id: string;
  kind: RunKind;
  /** First 16 hex digits of the SHA-256 of `config`. */
  configHash: string;
  /** Canonical JSON of the settings and strategies (keys sorted, secrets emptied). */
  config: string;
  /** package version, and the git commit when the code runs from a checkout: hft-platform@0.1.0+1a2b3c4d5e6f */
  codeVersion: string;
  host: string;
  pid: number;
  /** Wall-clock start, epoch ms (the time in the run id). */
  startMs: number;
}

/** Keys whose values never reach hft.runs (nor the hash): credentials in any settings section. */
const SECRET = /password|passphrase|secret|token|api_?key|credential|private_?key/i;

/** JSON with object keys sorted at every level and secrets emptied; URL credentials are dropped. */
export function canonicalJson(value: unknown): string {
  const norm = (v: unknown, key: string): unknown => {
    if (SECRET.test(key) && v !== null && typeof v !== 'object') return '';
    if (typeof v === 'string') return v.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1');
    if (Array.isArray(v)) return v.map((x) => norm(x, ''));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = norm((v as Record<string, unknown>)[k], k);
      return out;
    }
    return v;
  };
  return JSON.stringify(norm(value, '')) ?? 'null';
}

/** The identity of a run starting now (`id` given: a run id made earlier, e.g. by the caller). */
export function runIdentity(kind: RunKind, config: unknown, id?: string, nowMs = Date.now()): RunIdentity {
  checkRunKind(kind);
  const json = canonicalJson(config);
  return {
    id: id ?? newRunId(nowMs),
    kind,
    configHash: createHash('sha256').update(json).digest('hex').slice(0, 16),
    config: json,
    codeVersion: codeVersion(),
    host: hostname(),
    pid: process.pid,
    startMs: nowMs,
  };
}

/** The hft.runs row of `run`: its start (no summary) or its end. */
export function runRecord(
  run: RunIdentity,
  symbols: readonly string[],
  end: { endMs: number; summary: string } | null,
): RunRecord {
  return {
    revision: end === null ? 0 : 1,
    kind: run.kind,
    configHash: run.configHash,
    config: run.config,
    codeVersion: run.codeVersion,
    host: run.host,
    pid: run.pid,
    startMs: run.startMs,
    endMs: end === null ? 0 : end.endMs,
    symbols,
    summary: end === null ? '' : end.summary,
  };
}

let cachedVersion: string | null = null;

/** hft-platform@<version>[+<commit>]: read once from package.json and the checkout's .git. */
export function codeVersion(): string {
  if (cachedVersion !== null) return cachedVersion;
  let dir = dirname(fileURLToPath(import.meta.url));
  let version = 'unknown';
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      version = `${pkg.name ?? 'hft-platform'}@${pkg.version ?? '0.0.0'}`;
    } catch {}
    const commit = gitCommit(dir);
    if (commit !== null) version += `+${commit.slice(0, 12)}`;
    break;
  }
  cachedVersion = version;
  return version;
}

/** The commit checked out in `root` (a clone or a worktree), read from .git without running git. */
function gitCommit(root: string): string | null {
  try {
    let gitDir = join(root, '.git');
    if (!existsSync(gitDir)) return null;
    // A worktree's .git is a file naming its git directory.
    if (!statSync(gitDir).isDirectory())
      gitDir = resolve(
        root,
        readFileSync(gitDir, 'utf8')
          .trim()
          .replace(/^gitdir:\s*/, ''),
      );
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref:')) return /^[0-9a-f]{40}$/.test(head) ? head : null;
    const ref = head.slice(4).trim();
    const commonFile = join(gitDir, 'commondir');
    const common = existsSync(commonFile) ? resolve(gitDir, readFileSync(commonFile, 'utf8').trim()) : gitDir;
    for (const base of [gitDir, common]) {
      const file = join(base, ref);
      if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    }
    for (const line of readFileSync(join(common, 'packed-refs'), 'utf8').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref) return sha;
    }
  } catch {}
  return null;
}
