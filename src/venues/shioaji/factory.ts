import type { LiveVenueContext } from '../live/live-venue.ts';
import { registerLiveVenue } from '../registry.ts';
import { isContinuous } from './contracts.ts';
import { HEARTBEAT_MS } from './protocol.ts';
import { ShioajiVenue } from './shioaji-venue.ts';

/** Where `shioaji server start` listens by default. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';

/**
 * `hft run live --venue shioaji`: the Shioaji venue from the live settings. `--paper` (live.paper)
 * is the server's simulation mode; without it the server must run in production. A symbol's venue
 * name (feed.symbols `"shioaji:TXFR1": TXFD6`) is used when it is a continuous alias; other
 * feed.symbols keys (the recorded files' `TXF`) are not Shioaji codes, the symbol's own code is.
 * Streams are declared dead after two missed heartbeats at the least (the server beats every 30 s;
 * a quiet market sends nothing else), or live.stale_ms when that is longer.
 */
export function shioajiVenue(ctx: LiveVenueContext): ShioajiVenue {
  const contracts: Record<string, string> = {};
  ctx.symbols.forEach((s, i) => {
    const v = ctx.venueSymbols[i];
    if (v !== undefined && v !== s.code && isContinuous(v)) contracts[s.code] = v;
  });
  const key = ctx.credentials?.get('api_key');
  const secret = ctx.credentials?.get('sec_key');
  return new ShioajiVenue({
    endpoint: ctx.settings.endpoint || DEFAULT_ENDPOINT,
    symbols: [...ctx.symbols],
    clock: ctx.clock,
    log: ctx.log,
    production: !ctx.settings.paper,
    credentials:
      key !== undefined && secret !== undefined ? { apiKey: key.reveal(), secretKey: secret.reveal() } : null,
    contracts,
    rateLimitFraction: 1 - ctx.settings.rate_limit_headroom,
    heartbeatTimeoutMs: Math.max(ctx.settings.stale_ms, 2 * HEARTBEAT_MS + 5_000),
    reconnectInitialMs: ctx.settings.reconnect_min_ms,
    reconnectMaxMs: ctx.settings.reconnect_max_ms,
  });
}

registerLiveVenue(
  'shioaji',
  Object.assign(shioajiVenue, { credentialKeys: ['api_key', 'sec_key'] as const }),
);
