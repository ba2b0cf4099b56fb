import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MdKind } from '../../contracts/market.ts';
import { Epoch } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { type DepthDiff, DepthSync } from '../binance/depth-sync.ts';
import { BookChecksBuilder } from './book-checks.ts';
import { EV_SNAPSHOT, EventColumnsBuilder } from './event-columns.ts';
import { badFile, Rejects, type ReplayData, readBytes } from './replay-data.ts';
import { parseScaledDecimal } from './scaled-decimal.ts';
import { plausibleAbs } from './time-screen.ts';

const NS_PER_MS = 1e6;
/** Largest text a recording may inflate to (V8's string limit is ~512 MiB). */
const MAX_TEXT = 500 * 1024 * 1024;

/** Per market: decimals kept when scaling the wire's decimal strings (all of them on the wire). */
const MARKETS = {
  // USDⓈ-M futures: prices "61800.30" (tick 0.10 on BTCUSDT), qty "0.014" (step 0.001).
  usdm: { priceDecimals: 2, tick: 10, qtyDecimals: 3 },
  // COIN-M futures: prices "61800.3" (tick 0.1 on BTCUSD_PERP), qty in whole contracts.
  coinm: { priceDecimals: 2, tick: 10, qtyDecimals: 0 },
  // Spot: prices "61837.63000000" (tick 0.01), qty "25.42618900": steps finer than 0.00001 occur, so 1e8.
  spot: { priceDecimals: 2, tick: 1, qtyDecimals: 8 },
} as const;

export type BinanceMarket = keyof typeof MARKETS;

/** One recording file: its path and its text (gunzipped). */
export interface BinanceFile {
  path: string;
  text: string;
}

/** Reads and gunzips one recording (see gunzipRecording). */
export async function readBinanceFile(path: string): Promise<BinanceFile> {
  return gunzipRecording(await readBytes(path), path);
}

/** Gunzips one recording (bounded: a corrupt length cannot inflate past MAX_TEXT). */
export function gunzipRecording(bytes: Uint8Array, path: string): BinanceFile {
  try {
    return { path, text: gunzipSync(bytes, { maxOutputLength: MAX_TEXT }).toString('utf8') };
  } catch (e) {
    throw badFile(path, 'not a complete gzip file', e);
  }
}

/** The UTC midnight before the first plausible receive time among a recording's first lines. */
function receiveEpoch(text: string): Epoch {
  const re = /^(\d{1,20}) /gm;
  let first: bigint | null = null;
  for (let k = 0; k < 1000; k++) {
    const m = re.exec(text);
    if (m === null) break;
    const abs = BigInt(m[1]);
    first ??= abs;
    if (plausibleAbs(abs)) return Epoch.midnightBefore(abs);
  }
  return first === null ? Epoch.ZERO : Epoch.midnightBefore(first);
}

/**
 * The market and symbol of a recording, from its first messages: a depth diff with `pu` is futures
 * (COIN-M when the symbol has a delivery suffix like BTCUSD_PERP, or `ps` is set), without it spot;
 * else a futures trade carries `X`, a spot one `M`; a futures REST snapshot carries `T`. Null when
 * the first lines do not tell (the caller then asks for --format).
 */
export function sniffBinance(text: string): { market: BinanceMarket | null; symbol: string | null } | null {
  let market: BinanceMarket | null = null;
  let symbol: string | null = null;
  let seen = 0;
  for (let start = 0, lines = 0; start < text.length && lines < 2000; lines++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    const sp = line.indexOf(' ');
    if (sp <= 0 || !/^\d+$/.test(line.slice(0, sp))) continue;
    let msg: { stream?: unknown; data?: Record<string, unknown>; lastUpdateId?: unknown; T?: unknown };
    try {
      msg = JSON.parse(line.slice(sp + 1));
    } catch {
      continue;
    }
    if (msg === null || typeof msg !== 'object') continue;
    seen++;
    const stream = typeof msg.stream === 'string' ? msg.stream : '';
    const data = msg.data !== null && typeof msg.data === 'object' ? msg.data : undefined;
    if (stream.includes('@') && symbol === null) symbol = stream.slice(0, stream.indexOf('@')).toUpperCase();
    const futuresKind = (): BinanceMarket =>
      (symbol ?? '').includes('_') || data?.ps !== undefined ? 'coinm' : 'usdm';
    if (data && stream.includes('@depth')) {
      market = data.pu !== undefined ? futuresKind() : 'spot';
      break;
    }
    if (data && stream.endsWith('@trade') && market === null) {
      if (data.X !== undefined) market = futuresKind();
      else if (data.M !== undefined) market = 'spot';
    }
    if (msg.lastUpdateId !== undefined && market === null && msg.T !== undefined) market = futuresKind();
  }
  return seen === 0 ? null : { market, symbol };
}

/** Reads Binance recordings from their paths (see parseBinance). */
export async function readBinance(paths: string | string[], market?: BinanceMarket): Promise<ReplayData> {
  const list = typeof paths === 'string' ? [paths] : paths;
  const files: BinanceFile[] = [];
  for (const p of list) files.push(await readBinanceFile(p));
  return parseBinance(files, market);
}

export function parseBinance(files: readonly BinanceFile[], market?: BinanceMarket): ReplayData {
  if (files.length === 0) throw new UserError('readBinance: no file given');
  const first = basename(files[0].path);
  const byName = /^binance-(usdm|coinm|spot)-([a-z0-9_]+)-/i.exec(first);
  const sniffed = sniffBinance(files[0].text);
  if (sniffed === null && market === undefined && byName === null) {
    throw new UserError(`${first}: not a Binance recording (no "<ns> <json>" line among the first 2000)`);
  }
  const kind = market ?? sniffed?.market ?? (byName ? (byName[1].toLowerCase() as BinanceMarket) : undefined);
  if (kind === undefined) {
    throw new UserError(
      `${first}: cannot tell Binance spot from futures from its first lines; pass --format binance-spot, binance-usdm or binance-coinm`,
    );
  }
  const symbol = (sniffed?.symbol ?? byName?.[2] ?? 'UNKNOWN').toUpperCase();
  const futures = kind !== 'spot';
  const { priceDecimals, qtyDecimals, tick } = MARKETS[kind];

  // About one event per 40 bytes of text (levels are ~20 bytes each, other lines carry none).
  const b = new EventColumnsBuilder(files.reduce((n, f) => n + f.text.length, 0) / 40);
  const epoch = receiveEpoch(files[0].text);
  b.epoch = epoch;
  b.repairCrossed = false; // a snapshot and sequence-checked full-depth diffs: the exchange's own book
  const stats = {
    snapshots: 0,
    appliedDiffs: 0,
    droppedDiffs: 0,
    unsyncedDiffs: 0,
    gaps: 0,
    trades: 0,
    tickers: 0,
    tickersMatched: 0,
    otherLines: 0,
    localMinusExchMinNs: 0,
    localMinusExchMedianNs: 0,
  };
  const notes: string[] = [];
  const eventAfterUpdate = new Map<number, number>(); // update id -> index of the last event applying it
  let lastExchMs = 0;
  const skew: number[] = []; // localTs - exchTs of applied diffs and trades
  // bookTicker rows, resolved against eventAfterUpdate at the end.
  const tk = {
    u: [] as number[],
    ts: [] as number[],
    bp: [] as number[],
    bq: [] as number[],
    ap: [] as number[],
    aq: [] as number[],
  };

  const rejects = new Rejects();
  let file = '';
  let lineNo = 0;
  const where = () => `${file}: line ${lineNo}`;
  /** Why the last message was refused (set by the validators below). */
  let why = '';
  const dec = (v: unknown, decimals: number, what: string): number => {
    const x = typeof v === 'string' ? parseScaledDecimal(v, decimals) : Number.NaN;
    if (Number.isNaN(x) && why === '') why = `${what} ${JSON.stringify(v) ?? String(v)}`;
    return x;
  };
  /** A b/a/bids/asks array as scaled [price, qty] pairs; null (and `why`) when any entry is bad. */
  function levels(v: unknown, what: string): Float64Array | null {
    if (!Array.isArray(v)) {
      why = `${what} is ${JSON.stringify(v) ?? 'missing'}`;
      return null;
    }
    const out = new Float64Array(2 * v.length);
    for (let k = 0; k < v.length; k++) {
      const e = v[k];
      if (!Array.isArray(e) || e.length < 2) {
        why = `${what}[${k}] is ${JSON.stringify(e) ?? String(e)}`;
        return null;
      }
      out[2 * k] = dec(e[0], priceDecimals, 'price');
      out[2 * k + 1] = dec(e[1], qtyDecimals, 'quantity');
      if (Number.isNaN(out[2 * k]) || Number.isNaN(out[2 * k + 1])) {
        why = `${what}[${k}]: ${why}`;
        return null;
      }
    }
    return out;
  }
  const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  // Exchange times are integer milliseconds (exact on the epoch: fromMs).
  const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
  const msTs = (ms: number): number => epoch.fromMs(ms);

  function diffOf(d: Record<string, unknown>): DepthDiff | null {
    const exchMs = d.T ?? d.E;
    if (!isId(d.U) || !isId(d.u) || (futures && !isId(d.pu)) || !isMs(exchMs)) {
      why = 'U/u/pu or E/T missing or not numbers';
      return null;
    }
    const bids = levels(d.b, 'b');
    const asks = bids && levels(d.a, 'a');
    if (!bids || !asks) return null;
    return { U: d.U, u: d.u, pu: d.pu as number, exchMs, bids, asks, bidN: bids.length, askN: asks.length };
  }

  function pushLevels(
    lv: Float64Array,
    n: number,
    side: number,
    exchTs: number,
    localTs: number,
    flags: number,
  ): void {
    for (let k = 0; k < n; k += 2) b.push(MdKind.Level, side, exchTs, localTs, lv[k], lv[k + 1], flags);
  }

  const sync = new DepthSync(futures, {
    apply(d: DepthDiff, localTs: number): void {
      const exchTs = msTs(d.exchMs);
      skew.push(localTs - exchTs);
      pushLevels(d.bids, d.bidN, 1, exchTs, localTs, 0);
      pushLevels(d.asks, d.askN, -1, exchTs, localTs, 0);
      b.endMessage();
      eventAfterUpdate.set(d.u, b.n - 1);
    },
    gap(reason: string, localTs: number): void {
      notes.push(`gap at ${where()}: ${reason}; book cleared, diffs ignored until a new snapshot`);
      b.push(MdKind.Clear, 0, msTs(lastExchMs), localTs, 0, 0, 0);
      b.endMessage();
    },
  });

  function applySnapshot(msg: Record<string, unknown>, localTs: number): boolean {
    const id = msg.lastUpdateId;
    const T = msg.T;
    if (!isId(id) || (T !== undefined && !isMs(T))) {
      why = 'lastUpdateId or T not a number';
      return false;
    }
    const bids = levels(msg.bids, 'bids');
    const asks = bids && levels(msg.asks, 'asks');
    if (!bids || !asks) return false;
    stats.snapshots++;
    // Spot snapshots carry no time: take the exchange time of the diff holding lastUpdateId.
    const straddling = sync.exchMsAt(id);
    const exchTs = msTs(T ?? (Number.isNaN(straddling) ? lastExchMs : straddling));
    b.endMessage();
    b.push(MdKind.Clear, 0, exchTs, localTs, 0, 0, EV_SNAPSHOT);
    pushLevels(bids, bids.length, 1, exchTs, localTs, EV_SNAPSHOT);
    pushLevels(asks, asks.length, -1, exchTs, localTs, EV_SNAPSHOT);
    b.endMessage();
    eventAfterUpdate.set(id, b.n - 1);
    // The diffs buffered while waiting are applied now, i.e. at the snapshot's receive time.
    sync.snapshot(id, localTs);
    return true;
  }

  function trade(data: Record<string, unknown>, localTs: number): boolean {
    const p = dec(data.p, priceDecimals, 'price');
    const q = dec(data.q, qtyDecimals, 'quantity');
    if (!isMs(data.T) || typeof data.m !== 'boolean' || Number.isNaN(p) || Number.isNaN(q)) {
      why ||= 'T or m missing';
      return false;
    }
    if (!(p > 0 && q > 0)) {
      why = `price ${data.p} / quantity ${data.q} not positive`;
      return false;
    }
    stats.trades++;
    lastExchMs = data.T;
    const exchTs = msTs(lastExchMs);
    skew.push(localTs - exchTs);
    b.push(MdKind.Trade, data.m ? -1 : 1, exchTs, localTs, p, q);
    b.endMessage();
    return true;
  }

  function ticker(data: Record<string, unknown>, localTs: number): boolean {
    const v = [
      dec(data.b, priceDecimals, 'bid'),
      dec(data.B, qtyDecimals, 'bid size'),
      dec(data.a, priceDecimals, 'ask'),
      dec(data.A, qtyDecimals, 'ask size'),
    ];
    if (!isId(data.u) || v.some(Number.isNaN)) {
      why ||= 'u not an update id';
      return false;
    }
    stats.tickers++;
    tk.u.push(data.u);
    tk.ts.push(localTs);
    tk.bp.push(v[0]);
    tk.bq.push(v[1]);
    tk.ap.push(v[2]);
    tk.aq.push(v[3]);
    return true;
  }

  let records = 0;
  for (const f of files) {
    file = basename(f.path);
    const text = f.text;
    lineNo = 0;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const line = text.slice(start, end);
      start = end + 1;
      lineNo++;
      if (line.length === 0) continue;
      records++;
      const sp = line.indexOf(' ');
      let localTs: number;
      let msg: unknown;
      try {
        const digits = sp > 0 ? line.slice(0, sp) : '';
        if (!/^\d{1,20}$/.test(digits)) throw new Error('expected "<local ns> <json>"');
        localTs = epoch.fromAbs(BigInt(digits)); // exact integer ns on the epoch
        msg = JSON.parse(line.slice(sp + 1));
      } catch (e) {
        rejects.add('not a recorded Binance message', where(), (e as Error).message);
        continue;
      }
      if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
        rejects.add('not a recorded Binance message', where(), 'not a JSON object');
        continue;
      }
      const m = msg as { stream?: unknown; data?: unknown; lastUpdateId?: unknown };
      why = '';
      if (m.lastUpdateId !== undefined) {
        if (!applySnapshot(m as Record<string, unknown>, localTs))
          rejects.add('bad depth snapshot', where(), why);
        continue;
      }
      const stream = typeof m.stream === 'string' ? m.stream : '';
      const data =
        m.data !== null && typeof m.data === 'object' ? (m.data as Record<string, unknown>) : undefined;
      if (!data) {
        stats.otherLines++;
      } else if (stream.includes('@depth')) {
        // A refused diff breaks the update chain: the next one is then reported as a gap.
        const d = diffOf(data);
        if (d === null) rejects.add('bad depth message', where(), why);
        else {
          lastExchMs = d.exchMs;
          sync.diff(d, localTs);
        }
      } else if (stream.endsWith('@trade')) {
        if (!trade(data, localTs)) rejects.add('bad trade', where(), why);
      } else if (stream.endsWith('@bookTicker')) {
        if (!ticker(data, localTs)) rejects.add('bad bookTicker', where(), why);
      } else {
        stats.otherLines++;
      }
    }
  }
  stats.appliedDiffs = sync.counters.appliedDiffs;
  stats.droppedDiffs = sync.counters.droppedDiffs;
  stats.gaps = sync.counters.gaps;
  stats.unsyncedDiffs = sync.counters.unsyncedDiffs;
  if (sync.bufferedCount > 0) {
    stats.unsyncedDiffs += sync.bufferedCount;
    notes.push(
      `no depth snapshot: ${sync.bufferedCount} diffs cannot be applied (Binance sync rule); ` +
        'read this file together with the one before it',
    );
  }
  const columns = b.finish();
  if (skew.length > 0) {
    skew.sort((x, y) => x - y);
    const ms = (ns: number) => `${(ns / NS_PER_MS).toFixed(1)} ms`;
    stats.localMinusExchMinNs = skew[0];
    stats.localMinusExchMedianNs = skew[skew.length >> 1];
    if (skew[0] < 0) {
      notes.push(
        `receive clock not aligned with the exchange's: localTs - exchTs ranges ${ms(skew[0])} .. ` +
          `${ms(skew[skew.length - 1])} (median ${ms(skew[skew.length >> 1])}); only its spread above the ` +
          'minimum says anything about latency',
      );
    }
  }

  const truth = new BookChecksBuilder(1);
  let lastAt = -1;
  for (let i = 0; i < tk.u.length; i++) {
    const at = eventAfterUpdate.get(tk.u[i]);
    // A ticker for a state already left behind (lines out of order) checks nothing.
    if (at === undefined || at < lastAt) continue;
    lastAt = at;
    stats.tickersMatched++;
    truth.push(at, tk.ts[i], [tk.bp[i]], [tk.bq[i]], [tk.ap[i]], [tk.aq[i]]);
  }
  return {
    format: `binance-${kind}`,
    paths: files.map((f) => f.path),
    symbol,
    priceScale: 10 ** priceDecimals,
    qtyScale: 10 ** qtyDecimals,
    tick,
    records,
    columns,
    truth: truth.n > 0 ? truth.finish() : undefined,
    truthIndependent: true,
    rejects,
    stats,
    notes,
  };
}
