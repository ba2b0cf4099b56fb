import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * Who may use the ops server: the checks every request passes before a handler sees it.
 * Host: a DNS-rebinding page reaches the server under its own name, so only names this server
 * answers to are served (hostAllowed). Origin: a browser request from another origin never
 * reaches an endpoint with data or an effect. Tokens: the control token drives controls and
 * reads; the per-process read token only reads (`hft db query`).
 */

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for an address or name only this machine reaches: 127.0.0.0/8 (also IPv4-mapped), ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  const v = isIP(h);
  return v !== 0 && LOOPBACK.check(h, v === 4 ? 'ipv4' : 'ipv6');
}

/** The host name of a Host header (no port, no final dot; an IPv6 literal without its brackets), lower case. */
export function hostName(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  return h.replace(/:\d*$/, '').replace(/\.$/, '');
}

/**
 * DNS-rebinding guard: true when the Host header names this server. A rebinding page always
 * sends its own name (its origin), so a name is served only if the operator named it: a loopback
 * bind answers to loopback names and addresses; any other bind (0.0.0.0, a LAN address, whose
 * loopback and own addresses the operator's browser reaches too) also to an IP literal.
 * `allowed` (lower case: this machine's host name, `ops.allowed_hosts`) are served on any bind.
 */
export function hostAllowed(
  bindHost: string,
  header: string | undefined,
  allowed: ReadonlySet<string> = new Set(),
): boolean {
  const name = hostName(header);
  if (name === '') return false;
  if (isLoopback(name) || allowed.has(name)) return true;
  return !isLoopback(bindHost) && isIP(name) !== 0;
}

/**
 * False for a browser request made by a page of another origin: its Origin is not this server
 * as the request names it (scheme + Host), or Fetch Metadata says cross-site / same-site. A
 * request with neither header (curl, `hft db query`, a same-origin GET) passes.
 */
export function sameOrigin(req: http.IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin.toLowerCase() === `http://${(req.headers.host ?? '').toLowerCase()}`;
}

/** The token a request presents: `Authorization: Bearer <t>` or `X-HFT-Token: <t>`. */
export function presentedToken(req: http.IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  const h = req.headers['x-hft-token'];
  return typeof h === 'string' && h !== '' ? h : null;
}

const sha = (s: string) => createHash('sha256').update(s).digest();

/** A secret compared in constant time (hashes of equal length, whatever the input's length). */
export class Secret {
  private readonly hash: Buffer;

  constructor(value: string) {
    this.hash = sha(value);
  }

  matches(presented: string | null): boolean {
    return presented !== null && timingSafeEqual(sha(presented), this.hash);
  }
}
