import path from 'node:path';
import type { Settings } from '../config/schema.ts';
import { ConfigError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { RecorderMode } from './persister.ts';
import type { RecorderOptions } from './recorder.ts';
import type { ServerOptions } from './server-store.ts';

/** Where the recorder writes: a server or the embedded store, and its WAL. */
export interface SinkTarget {
  mode: RecorderMode;
  server: ServerOptions | null;
  /** Embedded store directory. */
  dataDir: string;
  walDir: string;
}

type Env = Record<string, string | undefined>;

/**
 * Resolves the sink from settings plus the aliases HFT_CLICKHOUSE_URL and HFT_RECORDER_MODE (names the
 * original system used; they win over config files, like any HFT_* variable).
 */
export function sinkTarget(s: Settings, root: string, env: Env = process.env): SinkTarget {
  const mode = env.HFT_RECORDER_MODE ?? s.recorder.mode;
  if (mode !== 'fallback' && mode !== 'wal_first') {
    throw new ConfigError(
      'environment variable HFT_RECORDER_MODE',
      'recorder.mode',
      "must be 'fallback' or 'wal_first'",
    );
  }
  const url = env.HFT_CLICKHOUSE_URL ?? s.recorder.clickhouse.url;
  if (url !== '' && !/^https?:\/\/[^/]+/.test(url)) {
    throw new ConfigError(
      env.HFT_CLICKHOUSE_URL ? 'environment variable HFT_CLICKHOUSE_URL' : 'settings',
      'recorder.clickhouse.url',
      `expected http(s)://host:port, got '${url}'`,
    );
  }
  const dataDir = path.resolve(root, s.store.path);
  const c = s.recorder.clickhouse;
  return {
    mode,
    server:
      url === ''
        ? null
        : { url, username: c.username, password: c.password, requestTimeoutMs: c.request_timeout_ms },
    dataDir,
    walDir: s.recorder.wal.dir === '' ? path.join(dataDir, 'wal') : path.resolve(root, s.recorder.wal.dir),
  };
}

/** Recorder options from settings (`depthLevels`: book levels recorded per depth row). */
export function recorderOptions(
  s: Settings,
  root: string,
  logger: Logger,
  depthLevels: number,
): RecorderOptions {
  const r = s.recorder;
  const t = sinkTarget(s, root);
  const shed = (v: string) => (v === 'never' ? undefined : (v as 'warn' | 'critical' | 'halt'));
  return {
    logger,
    dataDir: t.dataDir,
    server: t.server,
    mode: t.mode,
    walDir: t.walDir,
    wal: {
      fsync: r.wal.fsync,
      fsyncIntervalMs: r.wal.fsync_interval_ms,
      segmentBytes: r.wal.segment_mb * 1024 * 1024,
      segmentMs: r.wal.segment_ms,
      writerId: r.wal.writer_id,
    },
    flushIntervalMs: r.flush_interval_ms,
    batchRows: r.batch_rows,
    ringMb: r.ring_mb,
    memoryLimitMb: r.memory_limit_mb,
    spillLimitMb: r.spill_limit_mb,
    depthLevels,
    disk: {
      checkIntervalMs: r.disk.check_interval_ms,
      warnPct: r.disk.warn_pct,
      criticalPct: r.disk.critical_pct,
      haltPct: r.disk.halt_pct,
      walMaxBytes: r.disk.wal_max_mb * 1024 * 1024,
      shedAt: {
        market_data: shed(r.disk.shed_at.market_data),
        latency_spans: shed(r.disk.shed_at.latency_spans),
      },
    },
    retryBaseMs: r.wal.retry_base_ms,
    retryMaxMs: r.wal.retry_max_ms,
    closeTimeoutMs: r.close_timeout_ms,
  };
}
