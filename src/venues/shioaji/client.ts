import http from 'node:http';
import { BAN_TEXT, type ErrorBody } from './protocol.ts';
import { SseParser } from './sse.ts';

/** An HTTP error answer of the Shioaji server (reference §9), with its status and message. */
export class ShioajiHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody | null,
    path: string,
  ) {
    super(`shioaji ${path}: HTTP ${status}${body?.message ? ` ${body.message}` : ''}`);
    this.name = 'ShioajiHttpError';
  }

  /** The upstream rate-limit suspension (503 with the ban text): wait a minute, do not retry. */
  get isBan(): boolean {
    return (
      this.status === 503 && typeof this.body?.message === 'string' && this.body.message.includes(BAN_TEXT)
    );
  }
}

/** The server could not be reached or the connection broke (no HTTP answer). */
export class ShioajiNetworkError extends Error {
  constructor(path: string, cause: Error) {
    super(`shioaji ${path}: ${cause.message}`);
    this.name = 'ShioajiNetworkError';
  }
}

export interface ClientOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:8080 (no path). */
  endpoint: string;
  /**
   * Bearer credential `<SJ_API_KEY>:<SJ_SEC_KEY>` for a non-loopback server; null on loopback
   * (the server needs no auth there). Held only here; never logged (errors name paths, not headers).
   */
  bearer: string | null;
  /** Per-request timeout (default 30 s, the server's own SJ_HTTP_TIMEOUT). */
  timeoutMs?: number;
}

/** A live SSE connection; close() ends it without an 'end' callback. */
export interface SseStream {
  close(): void;
}

/**
 * JSON over HTTP/1.1 keep-alive to the Shioaji server, and its SSE streams. One agent per client:
 * requests reuse sockets (no TCP/handshake per order); SSE streams have their own sockets.
 */
export class ShioajiClient {
  private readonly agent: http.Agent;
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;

  constructor(opts: ClientOptions) {
    this.url = new URL(opts.endpoint);
    if (this.url.protocol !== 'http:')
      throw new Error(
        `shioaji endpoint must be http:// (the server speaks plain HTTP), got ${this.url.protocol}`,
      );
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    this.headers = { accept: 'application/json' };
    if (opts.bearer !== null) this.headers.authorization = `Bearer ${opts.bearer}`;
  }

  get endpoint(): string {
    return this.url.origin;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path, undefined);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  private request<T>(method: string, path: string, body: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const headers: Record<string, string | number> = { ...this.headers };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(payload);
      }
      const req = http.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers,
          agent: this.agent,
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(new ShioajiNetworkError(path, e)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown = null;
            try {
              json = text === '' ? null : JSON.parse(text);
            } catch {
              json = null;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(json as T);
            else reject(new ShioajiHttpError(status, errorBody(json, text), path));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
      req.on('error', (e) => reject(new ShioajiNetworkError(path, e)));
      req.end(payload);
    });
  }

  /**
   * Opens an SSE stream; `onMessage` gets each (event, data) as it arrives, `onEnd` once when the
   * connection ends, fails or is refused (with the reason), never after close().
   */
  stream(
    path: string,
    onOpen: () => void,
    onMessage: (event: string, data: string) => void,
    onEnd: (why: string) => void,
  ): SseStream {
    let closed = false;
    let ended = false;
    const end = (why: string) => {
      if (closed || ended) return;
      ended = true;
      onEnd(why);
    };
    const parser = new SseParser(onMessage);
    const req = http.get(
      {
        host: this.url.hostname,
        port: this.url.port,
        path,
        headers: { ...this.headers, accept: 'text/event-stream' },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          end(`HTTP ${res.statusCode}`);
          return;
        }
        res.socket.setNoDelay(true);
        onOpen();
        res.on('data', (c: Buffer) => {
          if (!closed) parser.push(c);
        });
        res.on('end', () => end('stream ended by the server'));
        res.on('error', (e) => end(e.message));
        res.on('close', () => end('connection closed'));
      },
    );
    req.on('error', (e) => end(e.message));
    return {
      close: () => {
        closed = true;
        req.destroy();
      },
    };
  }

  close(): void {
    this.agent.destroy();
  }
}

function errorBody(json: unknown, text: string): ErrorBody | null {
  if (json !== null && typeof json === 'object' && 'message' in json) return json as ErrorBody;
  return text === '' ? null : { code: 0, message: text.slice(0, 200), details: null };
}
