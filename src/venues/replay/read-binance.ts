import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MdKind } from '../../contracts/market.ts';
import { Epoch } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { BookChecksBuilder } from './book-checks.ts';
import { EV_SNAPSHOT, EventColumnsBuilder } from './event-columns.ts';
import { badFile, type ReplayData, readBytes } from './replay-data.ts';
import { parseScaledDecimal } from './scaled-decimal.ts';

const NS_PER_MS = 1e6;

/** Per market: decimals kept when scaling the wire's decimal strings (all of them on the wire). */
const MARKETS = {
  // USDⓈ-M futures: prices "61800.30" (tick 0.10), qty "0.014" (step 0.001).
  usdm: { priceDecimals: 2, tick: 10, qtyDecimals: 3 },
  // Spot: prices "61837.63000000" (tick 0.01), qty "25.42618900": steps finer than 0.00001 occur, so 1e8.
  spot: { priceDecimals: 2, tick: 1, qtyDecimals: 8 },
} as const;

type Level = [string, string];
interface DepthDiff {
  U: number;
  u: number;
  pu?: number;
  E: number;
  T?: number;
  b: Level[];
  a: Level[];
}

/**
 * Reads Binance combined-stream recordings (`binance-<usdm|spot>-<symbol>-<date>.gz`, lines
 * `<local ns> <json>`). Pass several paths to read consecutive files as one stream (a file without
 * its own REST snapshot needs the preceding one). The book follows Binance's sync rule: diffs are
 * buffered until the snapshot, those already in it are dropped, the first kept one must straddle
 * lastUpdateId, then each must chain (futures `pu` = previous `u`; spot `U` = previous `u` + 1).
 * A break is a gap: it is counted, a Clear is emitted and diffs are ignored until a new snapshot.
 *
 * Timestamps (exact, on the UTC midnight before the first line's receive time):
 * localTs = the line's receive time, as recorded (the sample recorder's clock runs ~1.27 s
 * behind Binance's; stats/notes give the measured localTs - exchTs); exchTs = `T` (transaction time)
 * when present, else `E` (a spot snapshot takes the time of the diff holding its lastUpdateId).
 * exchTs never decreases within one stream, but streams are delivered independently, so it can step
 * back between a trade and a diff. Buffered diffs are applied when the snapshot arrives, so they carry
 * the snapshot's localTs. Trades: `m` (buyer is maker) => aggressor is the seller.
 *
 * Truth: a bookTicker whose update id `u` equals the final `u` of an applied diff (or the snapshot's
 * lastUpdateId) gives the L1 the book must show right after that diff: both streams number the same
 * order-book updates, and a diff's `u` is the state after all its updates. Tickers between two diff
 * boundaries describe states the diff stream never shows and are not used.
 */
export async function readBinance(paths: string | string[]): Promise<ReplayData> {
  const files = typeof paths === 'string' ? [paths] : paths;
  if (files.length === 0) throw new UserError('readBinance: no file given');
  const name = /^binance-(usdm|spot)-([a-z0-9]+)-/i.exec(basename(files[0]));
  if (!name)
    throw new UserError(`${basename(files[0])}: expected a name like binance-<usdm|spot>-<symbol>-<date>.gz`);
  const market = name[1].toLowerCase() as keyof typeof MARKETS;
  const futures = market === 'usdm';
  const { priceDecimals, qtyDecimals, tick } = MARKETS[market];

  const b = new EventColumnsBuilder(1 << 16);
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
  // Sync state.
  let state: 'waiting' | 'synced' | 'broken' = 'waiting';
  let lastUpdateId = 0;
  let prevU = -1; // final u of the last applied diff; -1 right after a snapshot
  const buffered: { d: DepthDiff; localTs: number }[] = [];
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

  let epoch: Epoch | null = null;
  /** Exchange milliseconds on the epoch. */
  const msTs = (ms: number): number => {
    if (!Number.isSafeInteger(ms)) throw new UserError(`${where()}: bad exchange time ${JSON.stringify(ms)}`);
    return epoch!.fromMs(ms);
  };
  let file = '';
  let lineNo = 0;
  const where = () => `${file}: line ${lineNo}`;
  const px = (s: string) => scaled(s, priceDecimals, 'price');
  const qt = (s: string) => scaled(s, qtyDecimals, 'quantity');
  function scaled(s: string, decimals: number, what: string): number {
    const v = typeof s === 'string' ? parseScaledDecimal(s, decimals) : Number.NaN;
    if (Number.isNaN(v)) throw new UserError(`${where()}: bad ${what} ${JSON.stringify(s)}`);
    return v;
  }

  function pushLevels(levels: Level[], side: number, exchTs: number, localTs: number, flags: number): void {
    if (!Array.isArray(levels)) throw new UserError(`${where()}: depth message without b/a arrays`);
    for (const [p, q] of levels) b.push(MdKind.Level, side, exchTs, localTs, px(p), qt(q), flags);
  }

  function gap(localTs: number, why: string): void {
    stats.gaps++;
    notes.push(`gap at ${where()}: ${why}; book cleared, diffs ignored until a new snapshot`);
    state = 'broken';
    b.push(MdKind.Clear, 0, msTs(lastExchMs), localTs, 0, 0, 0);
    b.endMessage();
  }

  function applyDiff(d: DepthDiff, localTs: number): void {
    if (state === 'waiting') {
      buffered.push({ d, localTs });
      return;
    }
    if (state === 'broken') {
      stats.unsyncedDiffs++;
      return;
    }
    const L = lastUpdateId;
    if (prevU < 0) {
      if (futures ? d.u < L : d.u <= L) {
        stats.droppedDiffs++;
        return;
      }
      const straddles = futures ? d.U <= L && d.u >= L : d.U <= L + 1 && d.u >= L + 1;
      if (!straddles) {
        gap(localTs, `first diff [${d.U}, ${d.u}] does not cover snapshot id ${L}`);
        return;
      }
    } else if (futures ? d.pu !== prevU : d.U !== prevU + 1) {
      gap(localTs, `diff [${d.U}, ${d.u}] does not follow update ${prevU}`);
      return;
    }
    const exchTs = msTs(d.T ?? d.E);
    skew.push(localTs - exchTs);
    pushLevels(d.b, 1, exchTs, localTs, 0);
    pushLevels(d.a, -1, exchTs, localTs, 0);
    b.endMessage();
    stats.appliedDiffs++;
    prevU = d.u;
    eventAfterUpdate.set(d.u, b.n - 1);
  }

  function applySnapshot(
    s: { lastUpdateId: number; T?: number; bids: Level[]; asks: Level[] },
    localTs: number,
  ) {
    stats.snapshots++;
    // Spot snapshots carry no time: take the exchange time of the diff holding lastUpdateId.
    const straddling = buffered.find((x) => x.d.u >= s.lastUpdateId)?.d;
    const exchTs = msTs(s.T ?? straddling?.T ?? straddling?.E ?? lastExchMs);
    b.endMessage();
    b.push(MdKind.Clear, 0, exchTs, localTs, 0, 0, EV_SNAPSHOT);
    pushLevels(s.bids, 1, exchTs, localTs, EV_SNAPSHOT);
    pushLevels(s.asks, -1, exchTs, localTs, EV_SNAPSHOT);
    b.endMessage();
    lastUpdateId = s.lastUpdateId;
    prevU = -1;
    state = 'synced';
    eventAfterUpdate.set(lastUpdateId, b.n - 1);
    // The diffs buffered while waiting are applied now, i.e. at the snapshot's receive time.
    for (const x of buffered.splice(0)) applyDiff(x.d, Math.max(x.localTs, localTs));
  }

  let records = 0;
  for (const path of files) {
    file = basename(path);
    let text: string;
    try {
      text = gunzipSync(await readBytes(path)).toString('utf8');
    } catch (e) {
      throw badFile(path, 'not a complete gzip file', e);
    }
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
      let msg: { stream?: string; data?: Record<string, unknown>; lastUpdateId?: number };
      try {
        const digits = line.slice(0, sp);
        if (sp <= 0 || !/^\d+$/.test(digits)) throw new Error('expected "<local ns> <json>"');
        // The receive time as an exact integer, relative to the epoch set by the first line.
        const abs = BigInt(digits);
        if (epoch === null) {
          epoch = Epoch.midnightBefore(abs);
          b.epoch = epoch;
        }
        localTs = epoch.fromAbs(abs);
        msg = JSON.parse(line.slice(sp + 1));
      } catch (e) {
        throw new UserError(`${where()}: not a recorded Binance message (${(e as Error).message})`);
      }
      if (msg.lastUpdateId !== undefined) {
        applySnapshot(msg as never, localTs);
        continue;
      }
      const stream = msg.stream ?? '';
      const data = msg.data;
      if (!data) {
        stats.otherLines++;
      } else if (stream.includes('@depth')) {
        lastExchMs = (data.T ?? data.E) as number;
        applyDiff(data as unknown as DepthDiff, localTs);
      } else if (stream.endsWith('@trade')) {
        stats.trades++;
        const price = px(data.p as string);
        const qty = qt(data.q as string);
        lastExchMs = data.T as number;
        const exchTs = msTs(lastExchMs);
        skew.push(localTs - exchTs);
        b.push(MdKind.Trade, data.m ? -1 : 1, exchTs, localTs, price, qty);
        b.endMessage();
      } else if (stream.endsWith('@bookTicker')) {
        stats.tickers++;
        tk.u.push(data.u as number);
        tk.ts.push(localTs);
        tk.bp.push(px(data.b as string));
        tk.bq.push(qt(data.B as string));
        tk.ap.push(px(data.a as string));
        tk.aq.push(qt(data.A as string));
      } else {
        stats.otherLines++;
      }
    }
  }
  if (buffered.length > 0) {
    stats.unsyncedDiffs += buffered.length;
    notes.push(
      `no depth snapshot: ${buffered.length} diffs cannot be applied (Binance sync rule); ` +
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
  for (let i = 0; i < tk.u.length; i++) {
    const at = eventAfterUpdate.get(tk.u[i]);
    if (at === undefined) continue;
    stats.tickersMatched++;
    truth.push(at, tk.ts[i], [tk.bp[i]], [tk.bq[i]], [tk.ap[i]], [tk.aq[i]]);
  }
  return {
    format: futures ? 'binance-usdm' : 'binance-spot',
    paths: files,
    symbol: name[2].toUpperCase(),
    priceScale: 10 ** priceDecimals,
    qtyScale: 10 ** qtyDecimals,
    tick,
    records,
    columns,
    truth: truth.n > 0 ? truth.finish() : undefined,
    stats,
    notes,
  };
}
