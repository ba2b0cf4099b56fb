import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { Registry } from 'prom-client';
import type { Settings } from '../config/schema.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { SnapshotBuilder } from '../dashboard/snapshot.ts';
import type { OpsView } from '../observability/ops-view.ts';
import { createMetricsRegistry } from '../observability/system-metrics.ts';
import { sinkTarget } from '../recorder/config.ts';
import { type QueryError, type QueryLimits, QueryService } from '../recorder/query-service.ts';
import { hostAllowed, presentedToken, Secret, sameOrigin } from './ops-access.ts';
import { type Refusal, RefusalLog } from './refusal-log.ts';
import {
  DEFAULT_POLICIES,
  type Service,
  type ServiceHealth,
  type StrategyAction,
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
const STRATEGY_ACTIONS: readonly StrategyAction[] = ['enable', 'disable', 'flatten'];
/** The dashboard's history sample period. */
const SAMPLE_MS = 1000;
const MAX_QUERY_BYTES = 64 * 1024;

export interface OpsServerOptions {
  host: string;
  /** Host names served besides loopback names (and IP literals on a non-loopback bind), lower case. */
  allowedHosts: ReadonlySet<string>;
  /** 0 = any free port; after start() `port` holds the bound one (kept across restarts). */
  port: number;
  /** Drives the controls (and may read). */
  token: string;
  /** Reads only: /api/query (null when this process answers no queries). */
  readToken: string | null;
  pushIntervalMs: number;
  /** Null when metrics are off: /metrics answers 404. */
  registry: Registry | null;
  snapshots: SnapshotBuilder;
  control: TradingControl;
  log: Logger;
  /** Read-only SQL on this process's embedded store (null when it records to none). */
  query: QueryService | null;
  refusals: RefusalLog;
  /** A server already listening (bound before the store was opened), used by the first start. */
  listener?: http.Server | null;
}

interface StreamClient {
  res: http.ServerResponse;
  /** The socket buffer is full: skip updates until it drains (a slow view never grows memory). */
  blocked: boolean;
}

/**
 * The ops HTTP server: Prometheus /metrics, the dashboard (static page + SSE stream of
 * snapshots built on a timer), the token-protected controls (HALT, resume, cancel all, and per
 * strategy enable / disable / flatten) and read-only SQL for `hft db query` (read token).
 * Every request passes the Host check, every endpoint with data or an effect the Origin check
 * (ops-access.ts); refusals are counted and their logging rate-limited (RefusalLog).
 * It is a supervised service: the supervisor restarts it if it stops listening.
 */
export class OpsServer implements Service {
  readonly name = 'ops-server';
  private server: http.Server | null = null;
  private listener: http.Server | null;
  private readonly clients = new Set<StreamClient>();
  private readonly assets = new Map<string, { body: Buffer; type: string }>();
  private readonly controlToken: Secret;
  private readonly readToken: Secret | null;
  private pushTimer: NodeJS.Timeout | null = null;
  private sampleTimer: NodeJS.Timeout | null = null;
  port: number;

  constructor(private readonly o: OpsServerOptions) {
    this.port = o.port;
    this.listener = o.listener ?? null;
    this.controlToken = new Secret(o.token);
    this.readToken = o.readToken === null ? null : new Secret(o.readToken);
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
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    let server = this.listener;
    this.listener = null;
    if (server !== null) server.on('request', handler);
    else {
      server = http.createServer(handler);
      await listen(server, this.o.host, this.port).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EADDRINUSE'
          ? new UserError(
              `ops server: ${this.o.host}:${this.port} is in use; set ops.port (0 = any free port) or ops.enabled=false`,
            )
          : err;
      });
    }
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
    const server = this.server ?? this.listener;
    this.server = null;
    this.listener = null;
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
      const path = (req.url ?? '/').split('?')[0];
      const endpoint = endpointOf(path);
      if (!hostAllowed(this.o.host, req.headers.host, this.o.allowedHosts)) {
        this.refuse(req, res, 421, { endpoint, reason: 'host', host: req.headers.host ?? '' });
        return;
      }
      // Pages and /healthz carry nothing; everything else is data or an effect.
      if (endpoint !== 'page' && endpoint !== 'healthz' && !sameOrigin(req)) {
        this.refuse(req, res, 403, { endpoint, reason: 'origin', origin: req.headers.origin ?? '' });
        return;
      }
      if (endpoint === 'control') {
        this.control(req, res, path.slice('/api/control/'.length));
        return;
      }
      if (endpoint === 'strategy') {
        this.strategy(req, res, path.slice('/api/strategy/'.length));
        return;
      }
      if (endpoint === 'query') {
        this.query(req, res);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        req.resume();
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

  /** Answers a refused request: counted, logged (rate-limited), the body drained, never read. */
  private refuse(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    r: Refusal,
    extra: Record<string, string> = {},
  ): void {
    req.resume();
    this.o.refusals.refused({ ...r, remote: req.socket.remoteAddress });
    const error =
      r.reason === 'host'
        ? 'misdirected request: this server answers to its addresses, localhost, the host name and ops.allowed_hosts'
        : r.reason === 'origin'
          ? 'cross-origin request refused'
          : r.reason === 'read token'
            ? 'the read token cannot drive controls: use the control token'
            : r.reason === 'content-type'
              ? 'send the query as JSON (content-type: application/json)'
              : r.endpoint === 'query'
                ? 'a read token or the control token is required'
                : 'control token required';
    send(res, status, 'application/json', JSON.stringify({ ok: false, error }), extra);
  }

  /** Null when the request may drive controls; else the refusal reason. */
  private controlRefusal(req: http.IncomingMessage): string | null {
    const token = presentedToken(req);
    if (this.controlToken.matches(token)) return null;
    if (token === null) return 'no token';
    return this.readToken?.matches(token) ? 'read token' : 'wrong token';
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

  /**
   * `hft db query` while this process holds the embedded store's lock: a JSON POST with the read
   * token (or the control token), run by the QueryService (engine-enforced read-only session).
   */
  private query(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'POST') {
      req.resume();
      send(res, 405, 'application/json', '{"ok":false,"error":"use POST"}');
      return;
    }
    const svc = this.o.query;
    if (svc === null) {
      req.resume();
      send(
        res,
        404,
        'application/json',
        '{"ok":false,"error":"this process answers no queries (it records to no embedded store)"}',
      );
      return;
    }
    const token = presentedToken(req);
    if (!(this.readToken?.matches(token) || this.controlToken.matches(token))) {
      this.refuse(
        req,
        res,
        401,
        { endpoint: 'query', reason: token === null ? 'no token' : 'wrong token' },
        {
          'www-authenticate': 'Bearer realm="hft-ops"',
        },
      );
      return;
    }
    // Only a preflighted request can carry JSON across origins, and no preflight is ever approved.
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      this.refuse(req, res, 415, { endpoint: 'query', reason: 'content-type' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_QUERY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_QUERY_BYTES) {
        send(
          res,
          413,
          'application/json',
          JSON.stringify({ ok: false, error: `the statement is over ${MAX_QUERY_BYTES} bytes` }),
        );
        return;
      }
      let body: { sql?: unknown; format?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = {};
      }
      const sql = typeof body.sql === 'string' ? body.sql : '';
      const format = typeof body.format === 'string' && /^\w+$/.test(body.format) ? body.format : 'TSV';
      svc.query(sql, format).then(
        (out) =>
          send(
            res,
            200,
            'text/plain; charset=utf-8',
            Buffer.from(out.buffer, out.byteOffset, out.byteLength),
          ),
        (err: QueryError) => {
          if (err.kind === 'refused')
            this.o.refusals.refused({
              endpoint: 'query',
              reason: 'statement',
              remote: req.socket.remoteAddress,
              why: err.message,
            });
          const status = err.kind === 'refused' ? 400 : err.kind === 'failed' ? 422 : 503;
          send(
            res,
            status,
            'application/json',
            JSON.stringify({ ok: false, error: err.message, kind: err.kind }),
          );
        },
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
    const why = this.controlRefusal(req);
    if (why !== null) {
      ctl.count(action, 'refused');
      this.refuse(
        req,
        res,
        401,
        { endpoint: 'control', reason: why, action },
        { 'www-authenticate': 'Bearer realm="hft-ops"' },
      );
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
      // `reasons`: what holds the state (a Resume refused while a safety condition holds says why).
      JSON.stringify({
        ok: true,
        action,
        level: ctl.level,
        halted: ctl.halted,
        cancels,
        reasons: ctl.reasons,
      }),
    );
  }

  /** POST /api/strategy/<id>/<enable|disable|flatten> with the control token. */
  private strategy(req: http.IncomingMessage, res: http.ServerResponse, rest: string): void {
    req.resume();
    if (req.method !== 'POST') {
      send(res, 405, 'application/json', '{"ok":false,"error":"use POST"}');
      return;
    }
    const cut = rest.lastIndexOf('/');
    const id = decodePath(rest.slice(0, Math.max(0, cut)));
    const action = rest.slice(cut + 1) as StrategyAction;
    if (cut <= 0 || id === null || !STRATEGY_ACTIONS.includes(action)) {
      send(
        res,
        404,
        'application/json',
        '{"ok":false,"error":"use /api/strategy/<id>/<enable|disable|flatten>"}',
      );
      return;
    }
    const ctl = this.o.control;
    const why = this.controlRefusal(req);
    if (why !== null) {
      ctl.count(`strategy-${action}`, 'refused');
      this.refuse(
        req,
        res,
        401,
        { endpoint: 'strategy', reason: why, action, strategy: id },
        { 'www-authenticate': 'Bearer realm="hft-ops"' },
      );
      return;
    }
    ctl.strategy(id, action, `ops:${req.socket.remoteAddress}`).then(
      (r) =>
        r === null
          ? send(res, 404, 'application/json', JSON.stringify({ ok: false, error: `no strategy ${id}` }))
          : send(res, 200, 'application/json', JSON.stringify({ ok: true, ...r })),
      (err: Error) => {
        this.o.log.error({ err, strategy: id, action }, 'strategy control failed');
        send(res, 500, 'application/json', JSON.stringify({ ok: false, error: err.message }));
      },
    );
  }
}

/** A percent-encoded path segment, or null when it is malformed. */
function decodePath(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** What a path is, for the checks and the refusal counts. */
function endpointOf(path: string): string {
  if (path.startsWith('/api/control/')) return 'control';
  if (path.startsWith('/api/strategy/')) return 'strategy';
  if (path === '/api/query') return 'query';
  if (path === '/api/snapshot') return 'snapshot';
  if (path === '/api/stream') return 'stream';
  if (path.startsWith('/api/')) return 'api';
  if (path === '/metrics') return 'metrics';
  if (path === '/healthz') return 'healthz';
  return 'page';
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Where the ops server listens, and whether that is the configured port. */
export interface OpsListener {
  server: http.Server;
  port: number;
  requested: number;
  fellBack: boolean;
}

/**
 * Binds the ops port before anything else of a run is opened (the store in particular), so a
 * taken port costs nothing: with `fallback` the server takes a free port instead (the caller
 * prints it), without it the run stops here with a one-line error naming the key.
 */
export async function bindOps(host: string, port: number, fallback: boolean): Promise<OpsListener> {
  const server = http.createServer();
  try {
    await listen(server, host, port);
    return { server, port: (server.address() as AddressInfo).port, requested: port, fellBack: false };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' || !fallback) {
      throw code === 'EADDRINUSE'
        ? new UserError(
            `ops server: ${host}:${port} is in use; set ops.port (e.g. --set ops.port=0 for any free port), ops.port_fallback=true, or ops.enabled=false`,
          )
        : code === 'EADDRNOTAVAIL'
          ? new UserError(`ops server: cannot bind ${host}: not an address of this machine (ops.host)`)
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? new UserError(`ops server: cannot resolve ops.host '${host}'`)
            : code === 'EACCES'
              ? new UserError(`ops server: no permission to bind ${host}:${port} (ops.port below 1024?)`)
              : err;
    }
  }
  await listen(server, host, 0);
  return { server, port: (server.address() as AddressInfo).port, requested: port, fellBack: true };
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
  /** Per-process read token of /api/query (null when this process answers no queries). */
  readToken: string | null;
  control: TradingControl;
  supervisor: Supervisor | null;
  server: OpsServer | null;
  snapshots: SnapshotBuilder;
  registry: Registry | null;
  refusals: RefusalLog;
  close(): Promise<void>;
}

export interface OpsOptions {
  /** The port bound before the store was opened (bindOps); without it startOps binds ops.port. */
  listener?: OpsListener | null;
  /** Period of the refusal summary lines (default 10 s). */
  refusalLogIntervalMs?: number;
}

const BREAKER_STATES = { closed: 0, half_open: 1, open: 2 } as const;

/** Host names the ops server answers to besides its addresses: this machine's name and ops.allowed_hosts. */
export function allowedHosts(s: Settings): Set<string> {
  return new Set([os.hostname(), ...s.ops.allowed_hosts].map((h) => h.toLowerCase().replace(/\.$/, '')));
}

/** The engine limits of /api/query from settings. */
export function queryLimits(s: Settings): QueryLimits {
  const q = s.ops.query;
  return {
    maxExecutionS: q.max_execution_s,
    maxResultRows: q.max_result_rows,
    maxResultBytes: q.max_result_mb * 1024 * 1024,
    maxMemoryBytes: q.max_memory_mb * 1024 * 1024,
    maxThreads: q.max_threads,
  };
}

/**
 * Starts the ops plane for a built system: safety control over its StormGuard, the
 * supervisor, the metrics registry, the read-only query session (when the system records into
 * the embedded store) and the ops server, per settings.
 */
export async function startOps(
  sys: TradingSystem,
  settings: Settings,
  log: Logger,
  opts: OpsOptions = {},
): Promise<Ops> {
  const sup = settings.supervisor;
  const control = new TradingControl(sys, sys.stormGuard, log);
  // Operator actions on strategies are recorded with the risk events (hft.risk_events).
  control.onStrategyControl = (r, source) =>
    sys.recorder?.recordRiskEvent(
      sys.clock.nowNs(),
      'strategy_control',
      r.strategy,
      r.action,
      `${source}: ${r.cancels} cancels, ${r.orders.filter((o) => o.orderId !== 0).length} reducing orders`,
    );
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
  const refusals = new RefusalLog(log, opts.refusalLogIntervalMs);
  const query = settings.ops.enabled ? await openQuerySession(sys, settings, log) : null;
  const view: OpsView = {
    sys,
    safety: control,
    supervision: supervisor,
    busCapacity: settings.bus.capacity,
    venueRejects: sys.router.rejectsByReason,
    breakers: () => [{ name: 'orders', state: BREAKER_STATES[sys.orders.breaker.state] }],
    access: { refused: refusals.counts, queries: query?.counts ?? {} },
  };
  const snapshots = new SnapshotBuilder(view);
  sys.router.listen((r) => snapshots.onReport(r));
  const registry = settings.metrics.enabled ? createMetricsRegistry(view) : null;
  const token = settings.ops.token || randomBytes(16).toString('hex');
  const readToken = query === null ? null : randomBytes(32).toString('hex');
  let server: OpsServer | null = null;
  if (settings.ops.enabled) {
    server = new OpsServer({
      host: settings.ops.host,
      allowedHosts: allowedHosts(settings),
      port: settings.ops.port,
      token,
      readToken,
      pushIntervalMs: settings.ops.push_interval_ms,
      registry,
      snapshots,
      control,
      log,
      query,
      refusals,
      listener: opts.listener?.server ?? null,
    });
    try {
      await server.start();
    } catch (err) {
      await query?.close();
      throw err;
    }
    supervisor?.add(server, policy(server.name));
  } else opts.listener?.server.close();
  supervisor?.start();
  return {
    url: server?.url ?? null,
    metricsUrl: server && registry ? `${server.url}metrics` : null,
    token,
    tokenGenerated: settings.ops.token === '',
    readToken,
    control,
    supervisor,
    server,
    snapshots,
    registry,
    refusals,
    close: async () => {
      supervisor?.stop();
      await server?.stop();
      refusals.close();
      await query?.close();
    },
  };
}

/** The read-only query session when the system records into the embedded store; a failure is logged, not fatal. */
async function openQuerySession(
  sys: TradingSystem,
  settings: Settings,
  log: Logger,
): Promise<QueryService | null> {
  if (sys.recorder === null) return null;
  const target = sinkTarget(settings, sys.opts.root);
  if (target.server !== null) return null;
  try {
    return await QueryService.open(target.dataDir, queryLimits(settings));
  } catch (err) {
    log.error({ err: (err as Error).message }, 'hft db query through this process is unavailable');
    return null;
  }
}
