import { gzipSync } from 'node:zlib';
import { MdKind } from '../../src/contracts/market.ts';
import type { RawQuote } from '../../src/contracts/venue.ts';
import { UserError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { Normalizer } from '../../src/feed/normalizer.ts';
import { EV_LAST } from '../../src/venues/replay/event-columns.ts';
import { summarize } from '../../src/venues/replay/inspect.ts';
import { finishRead } from '../../src/venues/replay/read-any.ts';
import { gunzipRecording, parseBinance } from '../../src/venues/replay/read-binance.ts';
import { parseDbn } from '../../src/venues/replay/read-dbn.ts';
import { parseLobster } from '../../src/venues/replay/read-lobster.ts';
import { parseTaifex } from '../../src/venues/replay/read-taifex.ts';
import type { ReplayData } from '../../src/venues/replay/replay-data.ts';
import {
  binanceUsdmLines,
  dbnFile,
  dbnRecords,
  lobsterTexts,
  nthDepthLine,
} from '../helpers/market-files.ts';
import { symbolByCode } from '../helpers/symbols.ts';

/**
 * Generated malformed market data: broker payloads (RawQuote) through the normalizer, and corrupted
 * files of every replay format through the readers, the shared checks and inspect's summary. A case
 * passes when it ends in one of: accepted (valid data), counted (bad values dropped and counted) or
 * refused (a one-line UserError naming the file); anything else (another exception, a multi-line
 * message, an event with a broken value getting through) is a failure with the case's id.
 */

export type Outcome = 'accepted' | 'counted' | 'refused';

export interface FuzzCase {
  id: string;
  kind: 'quote' | 'binance' | 'dbn' | 'lobster' | 'parquet';
  run(): Outcome;
}

/** Inputs the generators mutate (files read once by the worker). */
export interface Seeds {
  /** Small valid parquet files (hftbacktest layout) with different codecs. */
  parquet: { name: string; bytes: Uint8Array }[];
  /** The real TXO file, when the data folder is present. */
  txo: Uint8Array | null;
  /** The real DBN snapshot file (zstd), when present. */
  dbnZst: Uint8Array | null;
}

/** Case counts per kind (scaled by `scale`); the total is at least 10,000 at scale 1. */
export const COUNTS = { quote: 5000, binance: 2000, dbn: 1500, lobster: 1500, parquet: 1000 };

/** All cases of one seed, in a fixed order (shard i of n takes every n-th). */
export function* cases(seed: number, seeds: Seeds, scale = 1): Generator<FuzzCase> {
  yield* regressions(seeds);
  const r = new Rng(seed);
  for (let k = 0; k < Math.round(COUNTS.quote * scale); k++) yield quoteCase(`quote-${k}`, r.int(0, 2 ** 31));
  for (let k = 0; k < Math.round(COUNTS.binance * scale); k++)
    yield binanceCase(`binance-${k}`, r.int(0, 2 ** 31));
  for (let k = 0; k < Math.round(COUNTS.dbn * scale); k++)
    yield dbnCase(`dbn-${k}`, r.int(0, 2 ** 31), seeds);
  for (let k = 0; k < Math.round(COUNTS.lobster * scale); k++)
    yield lobsterCase(`lobster-${k}`, r.int(0, 2 ** 31));
  for (let k = 0; k < Math.round(COUNTS.parquet * scale); k++)
    yield parquetCase(`parquet-${k}`, r.int(0, 2 ** 31), seeds);
}

/** The crash and hang cases found under fault injection, fixed. */
function* regressions(seeds: Seeds): Generator<FuzzCase> {
  if (seeds.txo) {
    const txo = seeds.txo;
    yield fileCase('regression-txo-216914', 'parquet', () => {
      const b = Uint8Array.from(txo);
      b[216914] = 0x9f; // aborted V8 ("invalid size error") in hyparquet's RLE decoder
      return finishRead(parseTaifex(b, 'taifex-txo35000q6-20260417.parquet'));
    });
  }
  yield fileCase(
    'regression-binance-null-level',
    'binance',
    () => {
      const lines = binanceUsdmLines(40);
      (lines[nthDepthLine(lines, 3)][1] as { data: { b: unknown[] } }).data.b = [null];
      return readBinanceLines(lines, 'binance-usdm-btcusdt-20240808.gz');
    },
    'counted',
  );
  yield fileCase(
    'regression-binance-receive-time-0',
    'binance',
    () => {
      const lines = binanceUsdmLines(80);
      lines[30][0] = 0; // replayed from 1970: the simulated clock spun through 54 years
      return readBinanceLines(lines, 'binance-usdm-btcusdt-20240808.gz');
    },
    'counted',
  );
  for (const p of seeds.parquet) {
    yield fileCase(
      `regression-parquet-ts-flip-${p.name}`,
      'parquet',
      () => {
        const b = Uint8Array.from(p.bytes);
        // A timestamp years ahead, in place of one row's: the replay jumped to 2030 and spun.
        const cols = parseTaifex(b, p.name);
        const c = cols.columns;
        c.exchTs[c.n >> 1] += 4 * 365 * 86_400e9;
        c.localTs[c.n >> 1] += 4 * 365 * 86_400e9;
        return finishRead(cols);
      },
      'counted',
    );
  }
}

/** Runs a file case: a UserError naming the file is 'refused'; a result is checked and classified. */
function fileCase(id: string, kind: FuzzCase['kind'], read: () => ReplayData, expect?: Outcome): FuzzCase {
  return {
    id,
    kind,
    run(): Outcome {
      let d: ReplayData;
      try {
        d = read();
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        if (e.message.includes('\n')) throw new Error(`multi-line message: ${e.message}`);
        if (!/^\S+( \+ \S+)?: /.test(e.message)) throw new Error(`message names no file: ${e.message}`);
        return check(id, 'refused', expect);
      }
      checkColumns(d);
      summarize(d); // inspect's whole pass over the data
      return check(id, d.rejects.total > 0 ? 'counted' : 'accepted', expect);
    },
  };
}

function check(id: string, got: Outcome, expect: Outcome | undefined): Outcome {
  if (expect !== undefined && got !== expect) throw new Error(`${id}: expected ${expect}, got ${got}`);
  return got;
}

const MIN_ABS = BigInt(Date.UTC(1990, 0, 1)) * 1_000_000n;
const MAX_ABS = BigInt(Date.UTC(2100, 0, 1)) * 1_000_000n;

/** What every accepted event must satisfy, whatever the input was. */
function checkColumns(d: ReplayData): void {
  const c = d.columns;
  const lo = c.epoch.fromAbs(MIN_ABS);
  const hi = c.epoch.fromAbs(MAX_ABS);
  for (let i = 0; i < c.n; i++) {
    const k = c.kind[i];
    if (k !== MdKind.Level && k !== MdKind.Trade && k !== MdKind.Clear)
      throw new Error(`event ${i}: kind ${k}`);
    for (const t of [c.exchTs[i], c.localTs[i]]) {
      if (!(t >= lo && t <= hi)) throw new Error(`event ${i}: time ${t} got through`);
    }
    if (!Number.isSafeInteger(c.price[i]) || c.price[i] < 0)
      throw new Error(`event ${i}: price ${c.price[i]}`);
    if (!Number.isSafeInteger(c.qty[i]) || c.qty[i] < 0) throw new Error(`event ${i}: qty ${c.qty[i]}`);
    if (k === MdKind.Trade && !(c.price[i] > 0 && c.qty[i] > 0)) throw new Error(`event ${i}: empty trade`);
  }
  if (c.n > 0 && (c.flags[c.n - 1] & EV_LAST) === 0) throw new Error('last message not closed');
  if (d.truth) {
    for (let r = 1; r < d.truth.n; r++) {
      if (d.truth.eventIndex[r] < d.truth.eventIndex[r - 1]) throw new Error('truth out of order');
    }
  }
}

// ---- broker payloads -------------------------------------------------------------------------

const TXF = { ...symbolByCode('TXFD6'), id: 0 };
const STOCK = { ...symbolByCode('2330'), id: 1 };
const NOW = Date.UTC(2026, 3, 8, 1) * 1e6;

/** Values that break a field: wrong types, NaN, infinities, huge, negative, off-grid. */
const BAD_NUMBERS: unknown[] = [
  null,
  undefined,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -1,
  0,
  1e308,
  2 ** 53 + 2,
  34500.123456,
  0.5,
  '34500',
  '',
  true,
  [],
  {},
  [34500],
];

function quoteCase(id: string, seed: number): FuzzCase {
  return {
    id,
    kind: 'quote',
    run(): Outcome {
      const r = new Rng(seed);
      let t = NOW;
      const n = new Normalizer([TXF, STOCK], 5, () => (t += 1000));
      const q = mutateQuote(r, validQuote(r));
      const before = total(n);
      const ev = n.normalize(q as RawQuote);
      if (ev === null) {
        if (total(n) !== before + 1) throw new Error(`refused without a count: ${JSON.stringify(q)}`);
        return 'counted';
      }
      if (ev.kind === MdKind.Trade) {
        if (!(Number.isSafeInteger(ev.price) && ev.price > 0 && Number.isSafeInteger(ev.qty) && ev.qty > 0))
          throw new Error(`bad trade accepted: ${JSON.stringify(q)}`);
      } else {
        for (let k = 0; k < ev.levels; k++) {
          for (const v of [ev.bidPx[k], ev.bidQty[k], ev.askPx[k], ev.askQty[k]]) {
            if (!Number.isSafeInteger(v) || v < 0)
              throw new Error(`bad level accepted: ${JSON.stringify(q)}`);
          }
        }
      }
      // Zero and negative times are times (before the run's epoch); not a number, or an hour ahead, are not.
      if (!(Number.isFinite(ev.exchTs) && ev.exchTs - t <= 3600e9))
        throw new Error(`bad time accepted: ${ev.exchTs}`);
      return 'accepted';
    },
  };
}

function total(n: Normalizer): number {
  const c = n.counters;
  return c.depth + c.trade + c.unknownSymbol + c.malformed + c.badValue + c.staleDropped + c.badTime;
}

function validQuote(r: Rng): Record<string, unknown> {
  const code = r.next() < 0.5 ? 'TXFD6' : '2330';
  const ts = NOW + r.int(0, 1e6);
  if (r.next() < 0.5)
    return { type: 'tick', code, ts, close: 34500, volume: r.int(1, 9), tickType: r.int(0, 2) };
  const bidPrice = [34500, 34499, 34498];
  const askPrice = [34501, 34502, 34503];
  return { type: 'bidask', code, ts, bidPrice, bidVolume: [1, 2, 3], askPrice, askVolume: [3, 2, 1] };
}

function mutateQuote(r: Rng, q: Record<string, unknown>): unknown {
  const roll = r.int(0, 9);
  if (roll === 0) return pick(r, [null, undefined, 42, 'bidask', [], [q], true]);
  const keys = Object.keys(q);
  for (let m = r.int(1, 3); m > 0; m--) {
    const key = keys[r.int(0, keys.length - 1)];
    const v = q[key];
    if (Array.isArray(v) && r.next() < 0.6) {
      const a = [...v];
      const how = r.int(0, 3);
      if (how === 0) a[r.int(0, a.length - 1)] = pick(r, BAD_NUMBERS);
      else if (how === 1) a.reverse();
      else if (how === 2) a.length = r.int(0, 8);
      else a.push(...Array.from({ length: r.int(1, 40) }, () => pick(r, BAD_NUMBERS)));
      q[key] = a;
    } else if (r.next() < 0.15) {
      delete q[key];
    } else if (key === 'ts') {
      q[key] = pick(r, [...BAD_NUMBERS, NOW + 10 * 365 * 86_400e9, NOW - 365 * 86_400e9, 1]);
    } else if (key === 'type' || key === 'code') {
      q[key] = pick(r, ['TICK', 'depth', 'TXF', '', 7, null, 'MXFD6']);
    } else {
      q[key] = pick(r, BAD_NUMBERS);
    }
  }
  return q;
}

function pick<T>(r: Rng, xs: readonly T[]): T {
  return xs[r.int(0, xs.length - 1)];
}

// ---- Binance ---------------------------------------------------------------------------------

function readBinanceLines(lines: [number, unknown][] | string[], name: string): ReplayData {
  const text = lines.map((l) => (typeof l === 'string' ? l : `${l[0]} ${JSON.stringify(l[1])}`)).join('\n');
  return finishRead(parseBinance([{ path: name, text }]));
}

const BAD_VALUES: unknown[] = [
  ...BAD_NUMBERS,
  '-1.00',
  'NaN',
  '1e400',
  '61800.001',
  '99999999999999999999.99',
  [null, '1'],
  ['1'],
];

function binanceCase(id: string, seed: number): FuzzCase {
  const name = 'binance-usdm-btcusdt-20240808.gz';
  return fileCase(id, 'binance', () => {
    const r = new Rng(seed);
    const lines = binanceUsdmLines(r.int(5, 40));
    const text: string[] = [];
    for (const [ts, msg] of lines) text.push(`${ts} ${JSON.stringify(msg)}`);
    for (let m = r.int(1, 3); m > 0; m--) {
      const i = r.int(0, text.length - 1);
      const how = r.int(0, 7);
      if (how === 0) {
        // a field of a message gets a bad value
        const [ts, json] = [text[i].slice(0, text[i].indexOf(' ')), text[i].slice(text[i].indexOf(' ') + 1)];
        let msg: ({ data?: Record<string, unknown> } & Record<string, unknown>) | null = null;
        try {
          msg = JSON.parse(json);
        } catch {
          // an earlier mutation broke this line already
        }
        if (msg === null || typeof msg !== 'object') continue;
        const target = msg.data !== null && typeof msg.data === 'object' ? msg.data : msg;
        const keys = Object.keys(target);
        const key = keys[r.int(0, keys.length - 1)];
        const v = target[key];
        if (Array.isArray(v) && v.length > 0 && r.next() < 0.5)
          v[r.int(0, v.length - 1)] = pick(r, BAD_VALUES);
        else target[key] = pick(r, BAD_VALUES);
        text[i] = `${ts} ${JSON.stringify(msg)}`;
      } else if (how === 1) {
        text[i] =
          `${pick(r, ['0', '-5', 'abc', '1e30', '99999999999999999999999', ''])}${text[i].slice(text[i].indexOf(' '))}`;
      } else if (how === 2) {
        text[i] = text[i].slice(0, r.int(0, text[i].length)); // truncated line
      } else if (how === 3) {
        const b = Buffer.from(text[i]);
        b[r.int(0, b.length - 1)] ^= 1 << r.int(0, 7); // flipped bit
        text[i] = b.toString('latin1');
      } else if (how === 4) {
        text.splice(
          i,
          0,
          pick(r, ['', ' ', 'null', '1 null', '1 []', '1 "x"', '1 {"stream":5}', '\u0000\u0001']),
        );
      } else if (how === 5) {
        const j = r.int(0, text.length - 1);
        [text[i], text[j]] = [text[j], text[i]]; // lines out of order
      } else if (how === 6) {
        const t = Number(text[i].slice(0, text[i].indexOf(' ')));
        const shift = pick(r, [365 * 86_400e9, -365 * 86_400e9, 2 ** 50, -(2 ** 45), 86_400e9]);
        text[i] = `${t + shift}${text[i].slice(text[i].indexOf(' '))}`; // time far away
      } else {
        text.splice(i, 1); // a lost line (a chain gap)
      }
    }
    if (r.next() < 0.1) {
      // corrupt the gzip container instead
      const gz = gzipSync(text.join('\n'));
      gz[r.int(0, gz.length - 1)] ^= 1 << r.int(0, 7);
      return finishRead(
        parseBinance([gunzipRecording(r.next() < 0.5 ? gz : gz.subarray(0, r.int(0, gz.length)), name)]),
      );
    }
    return readBinanceLines(text, name);
  });
}

// ---- DBN -------------------------------------------------------------------------------------

const T_DBN = 1_703_545_200_000_000_000n;

function dbnCase(id: string, seed: number, seeds: Seeds): FuzzCase {
  return fileCase(id, 'dbn', () => {
    const r = new Rng(seed);
    if (seeds.dbnZst && r.next() < 0.1) {
      // the real zstd file, bit-flipped or truncated
      const b = Uint8Array.from(seeds.dbnZst);
      if (r.next() < 0.3) return finishRead(parseDbn(b.subarray(0, r.int(0, b.length)), 'esh4.mbo.dbn.zst'));
      for (let m = r.int(1, 4); m > 0; m--) b[r.int(0, b.length - 1)] ^= 1 << r.int(0, 7);
      return finishRead(parseDbn(b, 'esh4.mbo.dbn.zst'));
    }
    const recs = dbnRecords(r.int(5, 60));
    for (let m = r.int(1, 3); m > 0; m--) {
      const x = recs[r.int(0, recs.length - 1)];
      const how = r.int(0, 6);
      const base = 480_000n * 10_000_000n;
      if (how === 0)
        x.price = pick(r, [
          0x7fff_ffff_ffff_ffffn,
          -1n,
          0n,
          123n,
          base + 5_000_000n,
          base + 100_000_000n,
          -(2n ** 63n),
        ]);
      else if (how === 1) x.size = pick(r, [0, 2 ** 32 - 1, 1]);
      else if (how === 2) x.action = pick(r, ['Z', '\u0000', 'R', 'F', 'M', 'C', 'T']);
      else if (how === 3) x.side = pick(r, ['N', 'X', '\u0000', 'B']);
      else if (how === 4) x.tsEvent = pick(r, [0n, 2n ** 64n - 1n, T_DBN + 2n ** 55n, T_DBN - 2n ** 50n]);
      else if (how === 5) x.tsRecv = pick(r, [0n, 2n ** 64n - 1n, T_DBN + 2n ** 60n]);
      else x.instrument = r.int(0, 3);
    }
    const b = dbnFile(recs);
    if (r.next() < 0.4) {
      for (let m = r.int(1, 6); m > 0; m--) b[r.int(0, b.length - 1)] ^= 1 << r.int(0, 7); // raw bit flips
    }
    if (r.next() < 0.15) return finishRead(parseDbn(b.subarray(0, r.int(0, b.length)), 'x.mbo.dbn'));
    return finishRead(parseDbn(b, 'x.mbo.dbn'));
  });
}

// ---- LOBSTER ---------------------------------------------------------------------------------

const LOBSTER_BAD = [
  'NaN',
  '',
  '-',
  '1e20',
  '99999999999999999999',
  '-5',
  '5853050',
  '0',
  '3.5',
  'x',
  '9999999999',
];

function lobsterCase(id: string, seed: number): FuzzCase {
  const stem = 'AAPL_2012-06-21_34200000_57600000';
  return fileCase(id, 'lobster', () => {
    const r = new Rng(seed);
    const { messages, orderbook } = lobsterTexts(r.int(3, 40));
    const files = [messages.trim().split('\n'), orderbook.trim().split('\n')];
    for (let m = r.int(1, 3); m > 0; m--) {
      const rows = files[r.next() < 0.7 ? 0 : 1];
      const i = r.int(0, rows.length - 1);
      const fields = rows[i].split(',');
      const how = r.int(0, 5);
      if (how === 0) fields[r.int(0, fields.length - 1)] = pick(r, LOBSTER_BAD);
      else if (how === 1) fields.pop();
      else if (how === 2) fields.push('1');
      else if (how === 3)
        rows.splice(i, 1); // files out of step
      else if (how === 4) fields[0] = pick(r, ['0', '86400000', '-1', '34100.5', '1e9']);
      if (how !== 3) rows[i] = fields.join(',');
      if (how === 5) rows[i] = rows[i].slice(0, r.int(0, rows[i].length));
    }
    return finishRead(
      parseLobster(
        `${files[0].join('\n')}\n`,
        `${files[1].join('\n')}\n`,
        `${stem}_message_1.csv`,
        `${stem}_orderbook_1.csv`,
      ),
    );
  });
}

// ---- Parquet ---------------------------------------------------------------------------------

function parquetCase(id: string, seed: number, seeds: Seeds): FuzzCase {
  return fileCase(id, 'parquet', () => {
    const r = new Rng(seed);
    const useTxo = seeds.txo !== null && r.next() < 0.04;
    const src = useTxo
      ? { name: 'taifex-txo35000q6-20260417.parquet', bytes: seeds.txo as Uint8Array }
      : pick(r, seeds.parquet);
    let b = Uint8Array.from(src.bytes);
    const how = r.int(0, 5);
    if (how <= 2) {
      for (let m = r.int(1, 4); m > 0; m--) b[r.int(0, b.length - 1)] ^= 1 << r.int(0, 7); // bit flips
    } else if (how === 3) {
      b[r.int(0, b.length - 1)] = r.int(0, 255); // a byte set anywhere, footer included
      b[b.length - 8 + r.int(0, 3)] = r.int(0, 255); // the footer length
    } else if (how === 4) {
      b = b.subarray(0, r.int(0, b.length)); // truncated
    } else {
      const at = r.int(0, b.length - 1);
      b.fill(pick(r, [0, 0xff, 0x9f]), at, Math.min(b.length, at + r.int(1, 64))); // a run overwritten
    }
    return finishRead(parseTaifex(b, src.name));
  });
}
