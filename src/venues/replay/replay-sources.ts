import { readFileSync, type Stats, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { calendarFor, type MarketCalendar } from '../../calendar/session-calendar.ts';
import { MdKind } from '../../contracts/market.ts';
import type { SymbolSpec } from '../../contracts/symbols.ts';
import { Epoch } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { tickAt } from '../../core/ticks.ts';
import { type AuctionCounts, countIndicative, markCallAuctions } from './call-auctions.ts';
import { dropEvents, type EventColumns, firstAbs, rebase } from './event-columns.ts';
import { L3ColumnsBuilder, rescaleL3 } from './l3-columns.ts';
import { binanceMarket, detectFormat, finishRead, readAny } from './read-any.ts';
import { type BinanceFile, gunzipRecording, parseBinance, sniffBinance } from './read-binance.ts';
import { parseDbn } from './read-dbn.ts';
import { lobsterPair } from './read-lobster.ts';
import { parseStoreSource, readStore } from './read-store.ts';
import { parseTaifex } from './read-taifex.ts';
import { Rejects, type ReplayFormat, readBytes } from './replay-data.ts';
import { clockOffset, type LazyEvents, type ReplayStream } from './replay-venue.ts';
import { screenTimes } from './time-screen.ts';

export interface ReplaySourceOptions {
  /** Project root: relative paths resolve against it. */
  root: string;
  /** Data symbol -> symbol code (feed.symbols); a key may name the format: "binance-usdm:BTCUSDT". */
  symbolMap: Record<string, string>;
  /** Modelled feed latency for sources without a receive time (TAIFEX, LOBSTER). */
  feedLatencyNs: number;
  /** Format of every data file (default: detected from each file's content). */
  format?: ReplayFormat;
  /**
   * Flag the events of a call auction (pre-open, closing call) of the symbol's exchange calendar
   * EV_INDICATIVE, so that an exchange model fills no order on them (feed.exclude_preopen).
   */
  excludeCallAuctions?: boolean;
  /**
   * Stream multi-day data: where several TAIFEX Parquet or DBN files hold one symbol, each is read
   * once here (checks, times, counts) and dropped, and read again when the replay reaches it
   * (ReplayStream.lazy), so memory holds about one file per symbol, not the whole data set.
   */
  stream?: boolean;
}

/** What was loaded from one source, for logs and checks. */
export interface ReplaySourceInfo {
  source: string;
  format: string;
  dataSymbol: string;
  symbol: string;
  events: number;
  /** Sequence gaps the reader found (Binance update-id chain breaks; the book is cleared at each). */
  gaps: number;
  /** Records or events refused by the reader and the shared checks (time outliers, off-tick prices). */
  rejected: number;
  /** Events (and trades) flagged as call-auction prints by the exchange's calendar: not used for fills. */
  indicative: AuctionCounts;
}

export interface LoadedReplay {
  /** The run's symbols, ids dense from 0 in the order the sources are read (Binance groups last). */
  symbols: SymbolSpec[];
  streams: ReplayStream[];
  sources: ReplaySourceInfo[];
  /** The run's epoch: the UTC midnight before the earliest first event; every stream's times are on it. */
  epoch: Epoch;
}

/** The part of a reader's result the replay needs (ReplayData and StoreData both have it). */
interface Loaded {
  format: string;
  paths: string[];
  symbol: string;
  priceScale: number;
  /** Quantity scale of the data; absent for our store (its quantities are the symbol's already). */
  qtyScale?: number;
  columns: EventColumns;
  stats?: Record<string, number>;
  rejects: Rejects;
  /** Prepared at read time (a lazy stream of multi-file data): its events already dropped. */
  pre?: Prepared;
}

/**
 * Reads replay sources (`feed.data`): data files in any format readAny knows, and `store:<dir>`
 * (one run of our recorder's store, the latest by default; see parseStoreSource). Every file is checked to
 * exist before any is read. Binance files of one market and symbol (told by their content) are read
 * as one stream, in the order of their first receive time (a file may need its predecessor's
 * snapshot); the two files of a LOBSTER sample count once. Each data symbol is mapped to a symbol of
 * `table` (`symbolMap`, else its own name); prices are rescaled when the symbol's price_scale divides
 * the reader's exactly, quantities must already be in the symbol's units (qty_scale), and prices off
 * the symbol's tick ladder are dropped and counted; with `excludeCallAuctions`, the events of the
 * exchange's call auctions are flagged. Streams of one symbol must not overlap in time.
 * All streams are put on one epoch (exact integer shifts): the UTC midnight before the earliest
 * first event.
 */
export async function loadReplay(
  sources: readonly string[],
  table: readonly SymbolSpec[],
  opts: ReplaySourceOptions,
): Promise<LoadedReplay> {
  if (sources.length === 0) throw new UserError('replay: no data given (--data <path...> or feed.data)');
  const files = sources.filter((s) => !s.startsWith('store:')).map((s) => resolve(opts.root, s));
  for (const path of files) checkDataPath(path);
  const loaded: Loaded[] = [];
  const byCode = new Map(table.map((s) => [s.code, s]));
  const specOf = (d: Loaded): SymbolSpec => {
    const code = codeOf(d, opts);
    const spec = byCode.get(code);
    if (spec === undefined) {
      throw new UserError(
        `${d.paths.map((p) => basename(p)).join(' + ')}: data symbol ${d.symbol} maps to ${code}, which is not in the symbol table; ` +
          `add it to symbols.yaml or map it with --set feed.symbols.${d.symbol}=<code>`,
      );
    }
    return spec;
  };
  // Several files: each TAIFEX / DBN file is a stream read when the replay reaches it.
  const streaming = opts.stream === true && files.length >= 2;
  const binance = new Map<string, { files: BinanceFile[]; first: number[] }>();
  const lobster = new Set<string>();
  for (const src of sources) {
    if (src.startsWith('store:')) {
      const { dir, query } = parseStoreSource(src, opts.root);
      for (const d of await readStore(dir, query)) {
        const rejects = new Rejects();
        d.columns = screenTimes(d.columns, `${src} ${d.symbol}`, rejects).columns;
        loaded.push({ ...d, rejects });
      }
      continue;
    }
    const path = resolve(opts.root, src);
    const bytes = await readBytes(path);
    const format = opts.format ?? detectFormat(bytes, path);
    if (format === 'binance' || format.startsWith('binance-')) {
      const file = gunzipRecording(bytes, path);
      const sniffed = sniffBinance(file.text);
      const market = binanceMarket(opts.format) ?? sniffed?.market ?? 'unknown';
      const key = `${market}:${sniffed?.symbol ?? basename(path)}`;
      const group = binance.get(key) ?? { files: [], first: [] };
      if (group.files.length === 0) binance.set(key, group);
      if (!group.files.some((f) => f.path === path)) {
        group.files.push(file);
        group.first.push(Number(/^\d+/.exec(file.text)?.[0] ?? 0));
      }
      continue;
    }
    if (format === 'lobster') {
      const stem = lobsterPair(path).msgPath;
      if (lobster.has(stem)) continue;
      lobster.add(stem);
    }
    const ro = { feedLatencyNs: opts.feedLatencyNs, format: opts.format };
    const d: Loaded = await readAny(path, ro);
    if (streaming && (format === 'taifex-parquet' || format === 'dbn-mbo')) {
      // Checked and counted now, its events dropped: read again when the replay reaches them.
      const reload = (): Loaded => {
        const bytes = new Uint8Array(readFileSync(path));
        return finishRead(format === 'dbn-mbo' ? parseDbn(bytes, path) : parseTaifex(bytes, path, ro));
      };
      d.pre = prepared(d, specOf(d), opts, reload);
    }
    loaded.push(d);
  }
  for (const { files: group, first } of binance.values()) {
    const order = group
      .map((_, i) => i)
      .sort((a, b) => first[a] - first[b] || (group[a].path < group[b].path ? -1 : 1));
    loaded.push(
      finishRead(
        parseBinance(
          order.map((i) => group[i]),
          binanceMarket(opts.format),
        ),
      ),
    );
  }

  const symbols: SymbolSpec[] = [];
  const streams: ReplayStream[] = [];
  const info: ReplaySourceInfo[] = [];
  /** Per stream: first event (abs, for the epoch), first and last receive time (abs, for overlaps). */
  const spans: (Span | null)[] = [];
  for (const d of loaded) {
    const spec = specOf(d);
    const p = d.pre ?? prepared(d, spec, opts, null);
    let id = symbols.findIndex((s) => s.code === spec.code);
    if (id < 0) {
      id = symbols.length;
      symbols.push({ ...spec, id });
    }
    spans.push(p.span);
    streams.push(
      p.lazy ? { symbolId: id, columns: d.columns, lazy: p.lazy } : { symbolId: id, columns: d.columns },
    );
    info.push({
      source: d.paths.map((x) => basename(x)).join(' + '),
      format: d.format,
      dataSymbol: d.symbol,
      symbol: spec.code,
      events: p.events,
      gaps: d.stats?.gaps ?? 0,
      rejected: d.rejects.total,
      indicative: p.indicative,
    });
  }
  if (info.every((x) => x.events === 0))
    throw new UserError(`${info.map((x) => x.source).join(', ')}: no events to replay (empty data)`);
  const epoch = runEpoch(spans);
  for (let k = 0; k < streams.length; k++) {
    const lazy = streams[k].lazy;
    const sp = spans[k];
    if (lazy === undefined) rebase(streams[k].columns, epoch);
    else if (sp !== null) {
      lazy.firstLocalTs = Number(sp.start - epoch.ns);
      lazy.firstExchTs = Number(sp.exch - epoch.ns);
      (lazy as LazyEvents & { epoch: Epoch }).epoch = epoch;
    }
  }
  checkOverlap(streams, spans, symbols, info);
  return { symbols, streams, sources: info, epoch };
}

/** First event (for the epoch), first and last receive time (for overlaps), first exchange time: absolute ns. */
interface Span {
  first: bigint;
  start: bigint;
  end: bigint;
  exch: bigint;
}

/** A source after the shared steps: its counts and span; with `reload`, its events dropped (a lazy stream). */
interface Prepared {
  events: number;
  indicative: AuctionCounts;
  span: Span | null;
  lazy: (LazyEvents & { epoch: Epoch }) | null;
}

const codeOf = (d: Loaded, opts: ReplaySourceOptions): string => {
  const mapped = (key: string) => (Object.hasOwn(opts.symbolMap, key) ? opts.symbolMap[key] : undefined);
  return mapped(`${d.format}:${d.symbol}`) ?? mapped(d.symbol) ?? d.symbol;
};

/**
 * The shared steps after a read (units, price scale, off-tick prices, call auctions), the source's
 * counts and span; with `reload`, `d.columns` becomes a stand-in and the stream is lazy: its load
 * reads the file again, repeats the steps and puts it on the run's epoch (set once known).
 */
function prepared(
  d: Loaded,
  spec: SymbolSpec,
  opts: ReplaySourceOptions,
  reload: (() => Loaded) | null,
): Prepared {
  const label = d.paths.map((p) => basename(p)).join(' + ');
  const cal = opts.excludeCallAuctions ? calendarFor(spec.exchange) : null;
  const indicative = prepare(d, spec, label, cal);
  const c = d.columns;
  const span =
    c.n === 0
      ? null
      : {
          first: firstAbs(c) as bigint,
          start: c.epoch.toAbs(c.localTs[0]),
          end: c.epoch.toAbs(c.localTs[c.n - 1]),
          exch: c.epoch.toAbs(c.exchTs[0]),
        };
  if (reload === null || c.n === 0) return { events: c.n, indicative, span, lazy: null };
  const lazy: LazyEvents & { epoch: Epoch } = {
    n: c.n,
    firstLocalTs: 0,
    firstExchTs: 0,
    clockOffset: clockOffset(c),
    indicative: countIndicative(c),
    epoch: Epoch.ZERO,
    load: () => {
      const again = reload();
      prepare(again, spec, label, cal);
      rebase(again.columns, lazy.epoch);
      return again.columns;
    },
  };
  d.columns = standIn(c);
  return { events: c.n, indicative, span, lazy };
}

/** The shared steps after a read: units, price scale, off-tick prices, call auctions (their counts). */
function prepare(d: Loaded, spec: SymbolSpec, label: string, cal: MarketCalendar | null): AuctionCounts {
  checkUnits(d, spec, label);
  rescale(d, spec, label);
  d.columns = dropOffTick(d.columns, spec, d.rejects);
  return cal ? markCallAuctions(d.columns, cal) : { events: 0, trades: 0 };
}

/** What a lazy stream's `columns` holds until the venue loads it: no events, the flags readers of it check. */
function standIn(c: EventColumns): EventColumns {
  const out: EventColumns = {
    n: 0,
    epoch: c.epoch,
    repairCrossed: c.repairCrossed,
    kind: new Uint8Array(0),
    side: new Int8Array(0),
    exchTs: new Float64Array(0),
    localTs: new Float64Array(0),
    price: new Float64Array(0),
    qty: new Float64Array(0),
    flags: new Uint8Array(0),
  };
  if (c.l3) out.l3 = new L3ColumnsBuilder(16).finish(-1);
  return out;
}

/** The UTC midnight before the earliest first event of any stream (Epoch.ZERO when all are empty). */
function runEpoch(spans: readonly (Span | null)[]): Epoch {
  let first: bigint | null = null;
  for (const sp of spans) {
    if (sp !== null && (first === null || sp.first < first)) first = sp.first;
  }
  return first === null ? Epoch.ZERO : Epoch.midnightBefore(first);
}

/** A data path must exist and be a file: checked for every path before any is read. */
function checkDataPath(path: string): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path}: not found` : `${path}: cannot read (${code})`);
  }
  // Said as it is: "(a directory?)" was the guess for a device such as /dev/zero too.
  if (st.isDirectory()) throw new UserError(`${path}: is a directory, expected a data file`);
  if (!st.isFile()) throw new UserError(`${path}: not a regular file, expected a data file`);
}

/**
 * Quantities must be in the symbol's units: one unit of the data is 1/qtyScale of a contract, share
 * or coin, one unit of the symbol 1/qty_scale. Different units would be money off by their ratio
 * (a USDⓈ-M file, 0.001 BTC, replayed as spot BTCUSDT, 1e-8 BTC: 10^5).
 */
function checkUnits(d: Loaded, spec: SymbolSpec, label: string): void {
  if (d.qtyScale === undefined || d.qtyScale === spec.qtyScale) return;
  const unit = (scale: number) => (scale === 1 ? '1' : `1/${scale}`);
  throw new UserError(
    `${label}: quantities count units of ${unit(d.qtyScale)} (${d.format}), ${spec.code} counts units of ` +
      `${unit(spec.qtyScale)} (qty_scale ${spec.qtyScale}): map the data to a symbol with the same units ` +
      `(feed.symbols) or fix qty_scale in the symbol table`,
  );
}

/** Drops (and counts) Level and Trade events whose price is off the symbol's tick ladder. */
function dropOffTick(c: EventColumns, spec: SymbolSpec, rejects: Rejects): EventColumns {
  let drop: Uint8Array | null = null;
  for (let i = 0; i < c.n; i++) {
    const p = c.price[i];
    if (p === 0 || c.kind[i] === MdKind.Clear) continue;
    if (p % tickAt(spec, p) === 0) continue;
    drop ??= new Uint8Array(c.n);
    drop[i] = 1;
    rejects.add(`price off the ${spec.code} tick`, `event ${i}`, `price ${p / spec.priceScale}`);
  }
  return drop === null ? c : dropEvents(c, drop);
}

/** Brings the data's prices to the symbol's price scale (exactly), or fails. */
function rescale(d: Loaded, spec: SymbolSpec, label: string): void {
  if (d.priceScale === spec.priceScale) return;
  const f = d.priceScale / spec.priceScale;
  if (!Number.isInteger(f)) {
    throw new UserError(
      `${label}: prices are read at scale ${d.priceScale}, ${spec.code} has price_scale ${spec.priceScale} ` +
        '(it must divide the data scale)',
    );
  }
  const px = d.columns.price;
  for (let i = 0; i < d.columns.n; i++) {
    const p = px[i] / f;
    if (!Number.isInteger(p)) {
      throw new UserError(
        `${label}: event ${i} price ${px[i] / d.priceScale} is finer than 1/${spec.priceScale}`,
      );
    }
    px[i] = p;
  }
  if (d.columns.l3 && !rescaleL3(d.columns.l3, f)) {
    throw new UserError(`${label}: an order-level record's price is finer than 1/${spec.priceScale}`);
  }
  d.priceScale = spec.priceScale;
}

/** Two streams of one symbol would interleave two books into one: refused. */
function checkOverlap(
  streams: ReplayStream[],
  spans: readonly (Span | null)[],
  symbols: SymbolSpec[],
  info: ReplaySourceInfo[],
): void {
  for (let a = 0; a < streams.length; a++) {
    for (let b = a + 1; b < streams.length; b++) {
      const x = streams[a];
      const y = streams[b];
      const sx = spans[a];
      const sy = spans[b];
      if (x.symbolId !== y.symbolId || sx === null || sy === null) continue;
      if (sx.start <= sy.end && sy.start <= sx.end) {
        throw new UserError(
          `${info[a].source} and ${info[b].source} both hold ${symbols[x.symbolId].code} over the same time; ` +
            'replay them in separate runs',
        );
      }
    }
  }
}
