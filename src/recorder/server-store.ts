import { Readable } from 'node:stream';
import { type ClickHouseClient, ClickHouseError, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { CURRENT_FEATURES, type Features } from './features.ts';
import {
  type Columns,
  insertSql,
  type Payload,
  prepareSchema,
  type Store,
  type StoreAccess,
} from './store.ts';

export interface ServerOptions {
  url: string;
  username?: string;
  password?: string;
  /** Per request; an insert that takes longer fails (and goes to the WAL). Default 30000. */
  requestTimeoutMs?: number;
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A ClickHouse server over HTTP (@clickhouse/client); works with 18.x as well as current releases. */
class ServerStore implements Store {
  readonly kind = 'server' as const;
  features: Features = CURRENT_FEATURES;

  constructor(
    private readonly client: ClickHouseClient,
    readonly location: string,
  ) {}

  async exec(sql: string): Promise<void> {
    await this.client.command({ query: sql });
  }

  /** Any output format: the raw response text (client.query only knows a fixed list of formats). */
  async query(sql: string, format = 'PrettyCompactMonoBlock'): Promise<string> {
    const res = await this.client.exec({ query: `${sql.trim().replace(/;$/, '')}\nFORMAT ${format}` });
    return text(res.stream);
  }

  async insert(table: string, columns: Columns, data: Payload, token: string | null): Promise<void> {
    const built = typeof data === 'function' ? data() : data;
    const payload = built instanceof Uint8Array ? built : Buffer.concat(built);
    const res = await this.client.exec({
      query: insertSql(table, columns, 'FORMAT RowBinary', null),
      values: Readable.from([Buffer.from(payload.buffer, payload.byteOffset, payload.length)]),
      clickhouse_settings:
        token !== null && this.features.dedup
          ? { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 }
          : {},
    });
    await text(res.stream);
  }

  /** Anything but an error answered by the server (refused connection, reset, timeout) is an outage. */
  isOutage(err: unknown): boolean {
    return !(err instanceof ClickHouseError);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/**
 * Why a ping failed, in one line. A network error or a timeout is an unreachable server; any other
 * failure is an HTTP error reply from something that is not ClickHouse (a web server, a proxy), whose
 * whole body (an HTML page) was printed after "is unreachable:".
 */
function pingProblem(url: string, err: Error): string {
  if (typeof (err as NodeJS.ErrnoException).code === 'string' || err.message === 'Timeout error.')
    return `ClickHouse server at ${url} is unreachable: ${err.message}`;
  if (err instanceof ClickHouseError) return `ClickHouse server at ${url} refused the ping: ${err.message}`;
  const text = err.message
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const reply =
    text === ''
      ? 'an empty error reply'
      : `an error reply: ${text.slice(0, 120)}${text.length > 120 ? '…' : ''}`;
  return (
    `${url} answered its /ping with ${reply}: it is not a ClickHouse server's HTTP interface ` +
    '(recorder.clickhouse.url, e.g. http://127.0.0.1:8123)'
  );
}

/**
 * A server that refuses the user or password (ClickHouse codes 192, 193, 194, 516; /ping needs no
 * login, so this shows at the first query): the error escaped as a stack trace.
 */
function authProblem(opts: ServerOptions, err: unknown): UserError | null {
  const message = (err as Error).message ?? '';
  const code = err instanceof ClickHouseError ? err.code : /^Code: (\d+)\b/.exec(message)?.[1];
  if (err instanceof UserError || !['192', '193', '194', '516'].includes(code ?? '')) return null;
  return new UserError(
    `ClickHouse server at ${opts.url} refused user '${opts.username ?? 'default'}': ` +
      `${message.split('\n')[0].trim()} (recorder.clickhouse.username, recorder.clickhouse.password)`,
  );
}

/** Connects to a ClickHouse server and prepares the schema (see StoreAccess). An unreachable server is a UserError. */
export async function openServerStore(
  opts: ServerOptions,
  logger?: Logger,
  access: StoreAccess = 'write',
): Promise<Store> {
  const client = createClient({
    url: opts.url,
    username: opts.username ?? 'default',
    password: opts.password ?? '',
    request_timeout: opts.requestTimeoutMs ?? 30_000,
    compression: { request: false, response: false },
    log: { level: ClickHouseLogLevel.OFF },
  });
  const store = new ServerStore(client, opts.url);
  try {
    const ping = await client.ping();
    if (!ping.success) throw new UserError(pingProblem(opts.url, ping.error));
    await prepareSchema(store, access, logger);
  } catch (err) {
    await client.close();
    throw authProblem(opts, err) ?? err;
  }
  return store;
}
