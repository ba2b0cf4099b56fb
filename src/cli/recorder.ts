import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { loadSettings } from '../config/loader.ts';
import { findProjectRoot } from '../config/project.ts';
import { UserError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { type SinkTarget, sinkTarget } from '../recorder/config.ts';
import { openTarget } from '../recorder/query.ts';
import { readStatuses } from '../recorder/status.ts';
import { scanSegment } from '../recorder/wal/format.ts';
import { LOCAL_MANIFEST, type LoadResult, type ManifestLine, WalLoader } from '../recorder/wal/loader.ts';
import { listSegments, ownerAlive } from '../recorder/wal/segments.ts';
import { type ConfigFlags, setOverrides } from './context.ts';
import { collect } from './options.ts';

function withConfig(cmd: Command): Command {
  return cmd
    .option('--env <name>', 'config environment: config/env/<name>.yaml (default HFT_ENV or dev)')
    .option('--config <file>', 'settings file layered over base and env')
    .option('--set <key=value>', 'override any config key (repeatable)', collect);
}

function target(flags: ConfigFlags): { t: SinkTarget; retryBaseMs: number; retryMaxMs: number } {
  const root = findProjectRoot(process.cwd());
  const { settings } = loadSettings({
    root,
    env: flags.env,
    configFile: flags.config,
    overrides: setOverrides(flags.set),
  });
  return {
    t: sinkTarget(settings, root),
    retryBaseMs: settings.recorder.wal.retry_base_ms,
    retryMaxMs: settings.recorder.wal.retry_max_ms,
  };
}

interface TopicBacklog {
  segments: number;
  bytes: number;
  records: number;
  rows: number;
  writing: number;
  loading: number;
  torn: number;
}

/** One recorder using the WAL directory, from its status file. */
export interface RecorderLine {
  pid: number;
  /** False: the process is gone (killed or crashed); its status file is removed as it is shown. */
  alive: boolean;
  /** The mode it runs in (not the configuration's). */
  mode: string;
  sink: string;
  sink_up: boolean;
  updated_at: string;
  disk: string;
  topics_on_wal: string[];
  held_rows: number;
  lost_rows: number;
  last_error: string | null;
}

/** What `hft recorder status` reports (also its --json output). */
export interface WalStatus {
  /** What the configuration says (a recorder started now would use it). */
  configured: { mode: string; sink: string };
  wal_dir: string;
  backlog: Record<string, TopicBacklog>;
  segments: number;
  bytes: number;
  rows: number;
  recorders: RecorderLine[];
  last_loaded: ManifestLine | null;
  last_error: string | null;
}

/** Reads the WAL directory: backlog per topic (records and rows from the frames), recorders, last load. */
export function walStatus(t: SinkTarget): WalStatus {
  const backlog: Record<string, TopicBacklog> = {};
  let bytes = 0;
  let rows = 0;
  const segs = listSegments(t.walDir);
  for (const s of segs) {
    let buf: Buffer;
    try {
      buf = readFileSync(join(t.walDir, s.file));
    } catch {
      continue; // loaded meanwhile
    }
    const scan = scanSegment(buf);
    const b = (backlog[s.topic] ??= {
      segments: 0,
      bytes: 0,
      records: 0,
      rows: 0,
      writing: 0,
      loading: 0,
      torn: 0,
    });
    b.segments++;
    b.bytes += buf.length;
    b.records += scan.records.length;
    for (const r of scan.records) b.rows += r.rows;
    if (s.state === 'writing') b.writing++;
    if (s.state === 'loading') b.loading++;
    // An open segment may end mid-frame while its writer runs; only a dead writer's tail is torn.
    if (scan.problem !== null && !(s.state === 'writing' && ownerAlive(s.owner))) b.torn++;
    bytes += buf.length;
  }
  for (const b of Object.values(backlog)) rows += b.rows;
  const sum = (c: Record<string, number> | undefined) => Object.values(c ?? {}).reduce((a, b) => a + b, 0);
  const recorders = readStatuses(t.walDir).map(
    (s): RecorderLine => ({
      pid: s.pid,
      alive: s.alive,
      mode: s.mode,
      sink: `${s.sink.kind} ${s.sink.location}${s.sink.version ? ` (${s.sink.version})` : ''}`,
      sink_up: s.sink.up,
      updated_at: s.updated_at,
      disk: `${s.disk.level} (${s.disk.used_pct}% used)`,
      topics_on_wal: s.topics_on_wal,
      held_rows: s.held_rows ?? 0,
      lost_rows: sum(s.lost),
      last_error: s.last_error,
    }),
  );
  let lastLoaded: ManifestLine | null = null;
  try {
    const lines = readFileSync(join(t.walDir, LOCAL_MANIFEST), 'utf8').trimEnd().split('\n');
    // The newest whole line: a torn last line (a crash mid-append) hid every load before it.
    for (let i = lines.length - 1; i >= 0 && lastLoaded === null; i--) {
      try {
        lastLoaded = JSON.parse(lines[i]) as ManifestLine;
      } catch {}
    }
  } catch {
    // nothing loaded yet
  }
  return {
    configured: { mode: t.mode, sink: t.server ? `server ${t.server.url}` : `embedded ${t.dataDir}` },
    wal_dir: t.walDir,
    backlog,
    segments: segs.length,
    bytes,
    rows,
    recorders,
    last_loaded: lastLoaded,
    last_error: recorders.find((r) => r.last_error !== null)?.last_error ?? null,
  };
}

/**
 * A WAL directory that does not exist is a wrong store.path or recorder.wal.dir (every recorder creates
 * its own): status printed "0 segments" and replay loaded nothing, both exit 0, and replay created an
 * empty store where the path pointed.
 */
function requireWalDir(t: SinkTarget): void {
  if (!existsSync(t.walDir))
    throw new UserError(
      `WAL ${t.walDir}: no such directory (nothing recorded there yet; check store.path and recorder.wal.dir)`,
    );
}

/** The text of `hft recorder status`. */
export function formatStatus(s: WalStatus): string {
  const out = [`WAL ${s.wal_dir}: ${s.segments} segments, ${s.bytes} bytes, ${s.rows} rows waiting`];
  for (const [topic, b] of Object.entries(s.backlog)) {
    const notes = [
      b.writing ? `${b.writing} open` : '',
      b.loading ? `${b.loading} loading` : '',
      b.torn ? `${b.torn} torn tail` : '',
    ]
      .filter(Boolean)
      .join(', ');
    out.push(
      `  ${topic.padEnd(20)} ${String(b.segments).padStart(4)} seg ${String(b.rows).padStart(10)} rows ${String(b.bytes).padStart(12)} B${notes ? `  (${notes})` : ''}`,
    );
  }
  for (const r of s.recorders) {
    const state = r.alive ? 'running' : 'gone (killed or crashed; its last status, shown once)';
    out.push(
      `recorder pid ${r.pid} ${state}: mode ${r.mode}, sink ${r.sink} ${r.sink_up ? 'up' : 'DOWN'}, disk ${r.disk}, updated ${r.updated_at}` +
        (r.topics_on_wal.length ? `, on WAL: ${r.topics_on_wal.join(' ')}` : '') +
        (r.held_rows ? `, ${r.held_rows} rows held in memory (nothing takes them: trading halted)` : '') +
        (r.lost_rows ? `, ${r.lost_rows} rows lost` : ''),
    );
  }
  if (!s.recorders.some((r) => r.alive))
    out.push(`no recorder running; configured: mode ${s.configured.mode}, sink ${s.configured.sink}`);
  if (s.last_loaded) {
    const l = s.last_loaded;
    out.push(
      `last loaded: ${l.segment} at ${l.loaded_at} (${l.rows} rows inserted, ${l.found} records already there)`,
    );
  }
  out.push(`last error: ${s.last_error ?? 'none'}`);
  return out.join('\n');
}

/** Loads the WAL into the sink now, retrying with exponential backoff; returns what was loaded. */
export async function replayWal(
  t: SinkTarget,
  retries: number,
  baseMs: number,
  maxMs: number,
): Promise<LoadResult> {
  const logger = createLogger(process.env.HFT_LOG_LEVEL ?? 'warn');
  let store: Awaited<ReturnType<typeof openTarget>>;
  try {
    store = await openTarget(t);
  } catch (err) {
    if (err instanceof UserError && /locked/.test(err.message)) {
      throw new UserError(
        `${err.message} A running recorder loads its own WAL; \`hft recorder status\` shows its backlog.`,
      );
    }
    throw err;
  }
  const loader = new WalLoader(store, t.walDir, logger);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        return await loader.loadAvailable();
      } catch (err) {
        if (attempt >= retries)
          throw new UserError(`WAL replay failed after ${attempt + 1} attempts: ${(err as Error).message}`);
        const wait = Math.min(maxMs, baseMs * 2 ** attempt);
        logger.warn(
          { err: (err as Error).message, attempt: attempt + 1, wait_ms: wait },
          'WAL replay failed; retrying',
        );
        await sleep(wait);
      }
    }
  } finally {
    loader.releaseClaims();
    await store.close();
  }
}

/** `hft recorder status` and `hft recorder replay`. */
export function registerRecorder(rec: Command): void {
  withConfig(
    rec
      .command('status')
      .description('WAL backlog per table (segments, rows, bytes), running recorders, last load, last error')
      .option('--json', 'print as JSON'),
  ).action((flags: ConfigFlags & { json?: boolean }) => {
    const { t } = target(flags);
    requireWalDir(t);
    const s = walStatus(t);
    process.stdout.write(flags.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatStatus(s)}\n`);
  });
  withConfig(
    rec
      .command('replay')
      .description('load the WAL into the sink now (safe next to running loaders; replays are idempotent)')
      .option('--retries <n>', 'retries with exponential backoff when the sink fails', '5')
      .option('--json', 'print the result as JSON'),
  ).action(async (flags: ConfigFlags & { retries: string; json?: boolean }) => {
    const retries = Number(flags.retries);
    if (!Number.isInteger(retries) || retries < 0)
      throw new UserError(`--retries expects a whole number, got '${flags.retries}'`);
    const { t, retryBaseMs, retryMaxMs } = target(flags);
    requireWalDir(t);
    const r = await replayWal(t, retries, retryBaseMs, retryMaxMs);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return;
    }
    const rows = Object.entries(r.rows).filter(([, n]) => n > 0);
    process.stdout.write(
      `loaded ${r.segments} segments: ${r.records} records inserted` +
        `${rows.length ? ` (${rows.map(([k, n]) => `${k} ${n}`).join(', ')} rows)` : ''}, ` +
        `${r.foundRecords} already in the sink, ${r.cutBytes} bytes of torn tail cut\n`,
    );
  });
}
