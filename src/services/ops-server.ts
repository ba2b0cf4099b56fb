import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Settings } from '../config/schema.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { SnapshotBuilder } from '../dashboard/snapshot.ts';
import type { OpsView } from '../observability/ops-view.ts';
import { createMetricsRegistry } from '../observability/system-metrics.ts';
import { isReadOnlySql, READ_ONLY_HINT } from '../recorder/query.ts';
import {
  DEFAULT_POLICIES,
  type Service,
  type ServiceHealth,
  Supervisor,
  systemServices,
  TradingControl,
} from './supervisor.ts';
import type { TradingSystem } from './trading-system.ts';

/** Dashboard assets served as they are (no build step). */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
const CONTROL_ACTIONS = ['halt', 'resume', 'cancel-all'] as const;
type ControlAction = (typeof CONTROL_ACTIONS)[number];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
/** The dashboard's history sample period. */
const SAMPLE_MS = 1000;

export interface OpsServerOptions {
  host: string;
  /** 0 = any free port; after start() `port` holds the bound one (kept across restarts). */
  port: number;
  token: string;
  pushIntervalMs: number;
  /** Null when metrics are off: /metrics answers 404. */
  registry: Registry | null;
  snapshots: SnapshotBuilder;
  control: TradingControl;
  log: Logger;
  /** Read-only SQL on this process's store (null when it records nothing). */
  query: ((sql: string, format: string) => Promise<string>) | null;
}

interface StreamClient {
  res: http.ServerResponse;
  /** The socket buffer is full: skip updates until it drains (a slow view never grows memory). */
  blocked: boolean;
}

const sha = (s: string) => createHash('sha256').update(s).digest();
const MAX_QUERY_BYTES = 64 * 1024;

/**
 * The ops HTTP server: Prometheus /metrics, the dashboard (static page + SSE stream of
 * snapshots built on a timer) and the token-protected controls (HALT, resume, cancel all).
 * It is a supervised service: the supervisor restarts it if it stops listening.
 */
export class OpsServer implements Service {
  readonly name = 'ops-server';
  private server: http.Server | null = null;
  private readonly clients = new Set<StreamClient>();
  private readonly assets = new Map<string, { body: Buffer; type: string }>();
  private readonly tokenHash: Buffer;
  private pushTimer: NodeJS.Timeout | null = null;
  private sampleTimer: NodeJS.Timeout | null = null;
  port: number;

  constructor(private readonly o: OpsServerOptions) {
    this.port = o.port;
    this.tokenHash = sha(o.token);
    for (const [route, a] of Object.entries(ASSETS)) {
      this.assets.set(route, {
        body: readFileSync(new URL(`../dashboard/${a.file}`, import.meta.url)),
        type: a.type,
      });
    }
  }

  /** Base URL once listening. */
  get url(): string {
    const h = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host;
    return `http://${h}:${this.port}/`;
  }

  async start(): Promise<void> {
    if (this.server !== null) return;
    const server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new UserError(
                `ops server: ${this.o.host}:${this.port} is in use; set ops.port (0 = any free port) or ops.enabled=false`,
              )
            : err,
        ),
      );
      server.listen(this.port, this.o.host, () => resolve());
    });
    server.on('error', (err) => this.o.log.error({ err }, 'ops server error'));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.o.snapshots.sample();
    this.sampleTimer = setInterval(() => this.o.snapshots.sample(), SAMPLE_MS);
    this.sampleTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.sampleTimer !== null) clearInterval(this.sampleTimer);
    this.sampleTimer = null;
    this.stopPush();
    for (const c of this.clients) c.res.end();
    this.clients.clear();
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  health(): ServiceHealth {
    const up = this.server?.listening ?? false;
    return {
      alive: up,
      lastBeatMs: Date.now(),
      detail: up ? `${this.clients.size} dashboard views` : 'not listening',
    };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    try {
      if (!this.hostAllowed(req)) {
        send(res, 421, 'text/plain', 'misdirected request: use the URL printed at start\n');
        return;
      }
      const path = (req.url ?? '/').split('?')[0];
      if (path.startsWith('/api/control/')) {
        this.control(req, res, path.slice('/api/control/'.length));
        return;
      }
      if (path === '/api/query') {
        this.query(req, res);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'text/plain', 'method not allowed\n');
        return;
      }
      const asset = this.assets.get(path);
      if (asset !== undefined) send(res, 200, asset.type, asset.body);
      else if (path === '/metrics') this.metrics(res);
      else if (path === '/api/stream') this.stream(req, res);
      else if (path === '/api/snapshot')
        send(res, 200, 'application/json', JSON.stringify(this.o.snapshots.build(true)));
      else if (path === '/healthz') send(res, 200, 'application/json', '{"ok":true}');
      else send(res, 404, 'text/plain', 'not found\n');
    } catch (err) {
      this.o.log.error({ err, url: req.url }, 'ops request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.end();
    }
  }

  /** DNS-rebinding guard: on a loopback bind only loopback host names are served. */
  private hostAllowed(req: http.IncomingMessage): boolean {
    if (!LOOPBACK_HOSTS.has(this.o.host)) return true;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    return LOOPBACK_HOSTS.has(host);
  }

  private metrics(res: http.ServerResponse): void {
    const reg = this.o.registry;
    if (reg === null) {
      send(res, 404, 'text/plain', 'metrics are disabled (metrics.enabled=false)\n');
      return;
    }
    reg.metrics().then(
      (text) => send(res, 200, reg.contentType, text),
      (err) => {
        this.o.log.error({ err }, 'metrics scrape failed');
        send(res, 500, 'text/plain', 'metrics scrape failed\n');
      },
    );
  }

  private stream(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    const client: StreamClient = { res, blocked: false };
    this.clients.add(client);
    this.write(client, frame(this.o.snapshots.build(true)));
    req.on('close', () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stopPush();
    });
    if (this.pushTimer === null) {
      this.pushTimer = setInterval(() => this.push(), this.o.pushIntervalMs);
      this.pushTimer.unref();
    }
  }

  /** One snapshot, serialized once, to every view. */
  private push(): void {
    if (this.clients.size === 0) return;
    const data = frame(this.o.snapshots.build());
    for (const c of this.clients) this.write(c, data);
  }

  private write(c: StreamClient, data: string): void {
    if (c.blocked) return;
    if (!c.res.write(data)) {
      c.blocked = true;
      c.res.once('drain', () => {
        c.blocked = false;
      });
    }
  }

  private stopPush(): void {
    if (this.pushTimer !== null) clearInterval(this.pushTimer);
    this.pushTimer = null;
  }

  /** `hft db query` while this process holds the embedded store's lock: read-only statements only. */
  private query(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'POST') {
      send(res, 405, 'application/json', '{"error":"use POST"}');
      return;
    }
    const run = this.o.query;
    if (run === null) {
      req.resume();
      send(res, 404, 'application/json', '{"error":"this process records to no store"}');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_QUERY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      let body: { sql?: unknown; format?: unknown };
      try {
        body = size > MAX_QUERY_BYTES ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = {};
      }
      const sql = typeof body.sql === 'string' ? body.sql : '';
      const format = typeof body.format === 'string' && /^\w+$/.test(body.format) ? body.format : 'TSV';
      if (!isReadOnlySql(sql)) {
        send(res, 400, 'application/json', JSON.stringify({ error: READ_ONLY_HINT }));
        return;
      }
      run(sql, format).then(
        (text) => send(res, 200, 'text/plain; charset=utf-8', text),
        (err: Error) => send(res, 400, 'application/json', JSON.stringify({ error: err.message })),
      );
    });
  }

  private control(req: http.IncomingMessage, res: http.ServerResponse, action: string): void {
    req.resume(); // the body, if any, is not used
    if (req.method !== 'POST') {
      send(res, 405, 'application/json', '{"ok":false,"error":"use POST"}');
      return;
    }
    if (!(CONTROL_ACTIONS as readonly string[]).includes(action)) {
      send(res, 404, 'application/json', '{"ok":false,"error":"unknown control"}');
      return;
    }
    const ctl = this.o.control;
    const remote = req.socket.remoteAddress;
    const token = presentedToken(req);
    if (token === null || !timingSafeEqual(sha(token), this.tokenHash)) {
      ctl.count(action, 'refused');
      this.o.log.warn(
        { action, remote, why: token === null ? 'no token' : 'wrong token' },
        'ops control refused: a valid control token is required',
      );
      send(res, 401, 'application/json', JSON.stringify({ ok: false, error: 'control token required' }), {
        'www-authenticate': 'Bearer realm="hft-ops"',
      });
      return;
    }
    ctl.count(action, 'accepted');
    this.o.log.warn({ action, remote }, 'ops control accepted');
    let cancels = 0;
    switch (action as ControlAction) {
      case 'halt':
        cancels = ctl.halt('operator HALT from the dashboard', `ops:${remote}`);
        break;
      case 'resume':
        ctl.resume(`ops:${remote}`);
        break;
      case 'cancel-all':
        cancels = ctl.cancelAll(`ops:${remote}`);
        break;
    }
    send(
      res,
      200,
      'application/json',
      JSON.stringify({ ok: true, action, level: ctl.level, halted: ctl.halted, cancels }),
    );
  }
}

function presentedToken(req: http.IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  const h = req.headers['x-hft-token'];
  return typeof h === 'string' && h !== '' ? h : null;
}

function send(
  res: http.ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...extra, 'content-type': type });
  res.end(body);
}

const frame = (snapshot: unknown) => `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`;

/** The running ops plane of one process. */
export interface Ops {
  /** Dashboard URL, null when the server is off. */
  url: string | null;
  metricsUrl: string | null;
  /** Control token (configured, or generated at start). */
  token: string;
  tokenGenerated: boolean;
  control: TradingControl;
  supervisor: Supervisor | null;
  server: OpsServer | null;
  snapshots: SnapshotBuilder;
  registry: Registry | null;
  close(): Promise<void>;
}

const BREAKER_STATES = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * Starts the ops plane for a built system: safety control over its StormGuard, the
 * supervisor, the metrics registry and the ops server, per settings.
 */
export async function startOps(sys: TradingSystem, settings: Settings, log: Logger): Promise<Ops> {
  const sup = settings.supervisor;
  const control = new TradingControl(sys, sys.stormGuard, log);
  const supervisor = sup.enabled
    ? new Supervisor({
        control,
        log,
        intervalMs: sup.interval_ms,
        loopLagWarnMs: sup.loop_lag_warn_ms,
        loopLagStormMs: sup.loop_lag_storm_ms,
        sustain: sup.loop_lag_sustain,
        watchLoopLag: !sys.clock.simulated,
        graceMs: settings.run.startup_grace_s * 1000,
        queueHighRatio: sup.queue_high_ratio,
        heartbeatTimeoutMs: sup.heartbeat_timeout_ms,
      })
    : null;
  const policy = (name: string) =>
    sup.services[name] ?? DEFAULT_POLICIES[name] ?? { restarts: 0, escalate: true };
  if (supervisor !== null) {
    for (const svc of systemServices(sys, () => Date.now())) supervisor.add(svc, policy(svc.name));
    supervisor.watchQueue('bus', () => ({ depth: sys.bus.depth, capacity: settings.bus.capacity }));
  }
  const venueRejects: Record<string, number> = {};
  const view: OpsView = {
    sys,
    safety: control,
    supervision: supervisor,
    busCapacity: settings.bus.capacity,
    venueRejects,
    breakers: () => [{ name: 'orders', state: BREAKER_STATES[sys.orders.breaker.state] }],
  };
  const snapshots = new SnapshotBuilder(view);
  sys.router.listen((r) => {
    if (r.type === 'reject') {
      const k = r.reason || 'VENUE_REJECT';
      venueRejects[k] = (venueRejects[k] ?? 0) + 1;
    }
    snapshots.onReport(r);
  });
  const registry = settings.metrics.enabled ? createMetricsRegistry(view) : null;
  const token = settings.ops.token || randomBytes(16).toString('hex');
  let server: OpsServer | null = null;
  if (settings.ops.enabled) {
    server = new OpsServer({
      host: settings.ops.host,
      port: settings.ops.port,
      token,
      pushIntervalMs: settings.ops.push_interval_ms,
      registry,
      snapshots,
      control,
      log,
      query: sys.recorder ? (sql, format) => sys.recorder!.query(sql, format) : null,
    });
    await server.start();
    supervisor?.add(server, policy(server.name));
  }
  supervisor?.start();
  return {
    url: server?.url ?? null,
    metricsUrl: server && registry ? `${server.url}metrics` : null,
    token,
    tokenGenerated: settings.ops.token === '',
    control,
    supervisor,
    server,
    snapshots,
    registry,
    close: async () => {
      supervisor?.stop();
      await server?.stop();
    },
  };
}
