import { createHmac } from 'node:crypto';
import type { RejectReason } from '../../contracts/orders.ts';

/**
 * Binance endpoints and protocol facts (reference/binance-api.md). Several are UNCONFIRMED there
 * (futures testnet URLs, the 2026 /public and /private stream prefixes): they live in this one
 * table so a correction is one line.
 */
export interface BinanceMarketDef {
  /** REST base, production and testnet. */
  rest: string;
  restTestnet: string;
  /** WebSocket stream base, production and testnet (the stream path prefixes follow). */
  ws: string;
  wsTestnet: string;
  /** Path of combined market streams (depth, bookTicker, trade). */
  marketPath: string;
  /** Path prefix of the user data stream (listenKey appended). */
  userPath: string;
  /** REST paths. */
  depth: string;
  order: string;
  openOrders: string;
  positions: string;
  listenKey: string;
  futures: boolean;
  /** Time-in-force / type of a post-only order. */
  postOnly: { type: string; timeInForce?: string };
}

export const BINANCE_MARKETS: Record<'binance-usdm' | 'binance-spot', BinanceMarketDef> = {
  'binance-usdm': {
    rest: 'https://fapi.binance.com',
    restTestnet: 'https://testnet.binancefuture.com',
    ws: 'wss://fstream.binance.com',
    wsTestnet: 'wss://stream.binancefuture.com',
    marketPath: '/public/stream',
    userPath: '/private/ws/',
    depth: '/fapi/v1/depth',
    order: '/fapi/v1/order',
    openOrders: '/fapi/v1/openOrders',
    positions: '/fapi/v3/positionRisk',
    listenKey: '/fapi/v1/listenKey',
    futures: true,
    postOnly: { type: 'LIMIT', timeInForce: 'GTX' },
  },
  'binance-spot': {
    rest: 'https://api.binance.com',
    restTestnet: 'https://testnet.binance.vision',
    ws: 'wss://stream.binance.com:9443',
    wsTestnet: 'wss://stream.testnet.binance.vision',
    marketPath: '/stream',
    userPath: '/ws/',
    depth: '/api/v3/depth',
    order: '/api/v3/order',
    openOrders: '/api/v3/openOrders',
    positions: '',
    listenKey: '/api/v3/userDataStream',
    futures: false,
    postOnly: { type: 'LIMIT_MAKER' },
  },
};

/** HMAC-SHA256 of the exact query string (+ body), hex: Binance's SIGNED request signature. */
export function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** A scaled integer as the decimal string Binance takes ("61800.3" for 618003 at scale 10). */
export function formatScaled(v: number, scale: number): string {
  if (scale === 1) return String(v);
  const decimals = Math.round(Math.log10(scale));
  const neg = v < 0;
  const s = String(Math.abs(v)).padStart(decimals + 1, '0');
  const out = `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`.replace(/\.?0+$/, '');
  return neg ? `-${out}` : out;
}

/** Our reason for a Binance error code (reference §8). */
export function rejectReason(code: number, msg: string): RejectReason {
  switch (code) {
    case -5022:
      return 'POST_ONLY_WOULD_TAKE';
    case -2010:
      return /immediately match/i.test(msg) ? 'POST_ONLY_WOULD_TAKE' : 'VENUE_REJECT';
    case -1003:
    case -1015:
      return 'BROKER_RATE_LIMIT';
    case -1013:
    case -1111:
      return /LOT|quantity|QTY/i.test(msg) ? 'LOT_SIZE' : 'TICK_SIZE';
    case -1121:
      return 'UNKNOWN_SYMBOL';
    case -2011:
    case -2013:
      return 'UNKNOWN_ORDER';
    case -4164:
      return 'QTY_INVALID';
    case -2019:
      return 'MAX_NOTIONAL';
    default:
      return 'VENUE_REJECT';
  }
}
