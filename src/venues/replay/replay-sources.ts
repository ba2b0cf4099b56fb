import { basename, resolve } from 'node:path';
import type { SymbolSpec } from '../../contracts/symbols.ts';
import { Epoch } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { type EventColumns, firstAbs, rebase } from './event-columns.ts';
import { readAny } from './read-any.ts';
import { readBinance } from './read-binance.ts';
import { readStore } from './read-store.ts';
import type { ReplayStream } from './replay-venue.ts';

export interface ReplaySourceOptions {
  /** Project root: relative paths resolve against it. */
  root: string;
  /** Data symbol -> symbol code (feed.symbols); a key may name the format: "binance-usdm:BTCUSDT". */
  symbolMap: Record<string, string>;
  /** Modelled feed latency for sources without a receive time (TAIFEX, LOBSTER). */
  feedLatencyNs: number;
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
  columns: EventColumns;
  stats?: Record<string, number>;
}

/**
 * Reads replay sources (`feed.data`): data files in any format readAny knows, and `store:<dir>`
 * (our recorder's store; `?symbols=A,B&from=<iso>&to=<iso>` narrows it). Consecutive Binance files
 * of one market and symbol are read as one stream (a file may need its predecessor's snapshot); the
 * two files of a LOBSTER sample count once. Each data symbol is mapped to a symbol of `table`
 * (`symbolMap`, else its own name); prices are rescaled when the symbol's price_scale divides the
 * reader's exactly. Streams of one symbol must not overlap in time. All streams are put on one epoch
 * (exact integer shifts): the UTC midnight before the earliest first event.
 */
export async function loadReplay(
  sources: readonly string[],
  table: readonly SymbolSpec[],
  opts: ReplaySourceOptions,
): Promise<LoadedReplay> {
  if (sources.length === 0) throw new UserError('replay: no data given (--data <path...> or feed.data)');
  const loaded: Loaded[] = [];
  const binance = new Map<string, string[]>();
  const lobster = new Set<string>();
  for (const src of sources) {
    if (src.startsWith('store:')) {
      loaded.push(...(await readStore(resolve(opts.root, storeDir(src)), storeQuery(src))));
      continue;
    }
    const path = resolve(opts.root, src);
    const name = basename(path);
    const bn = /^(binance-(?:usdm|spot)-[a-z0-9]+)-/i.exec(name);
    if (bn) {
      const group = binance.get(bn[1]) ?? [];
      if (group.length === 0) binance.set(bn[1], group);
      if (!group.includes(path)) group.push(path);
      continue;
    }
    const stem = path.replace(/_(message|orderbook)_\d+\.csv$/, '');
    if (stem !== path) {
      if (lobster.has(stem)) continue;
      lobster.add(stem);
    }
    loaded.push(await readAny(path, { feedLatencyNs: opts.feedLatencyNs }));
  }
  // File names carry the date: sorted names are consecutive files.
  for (const group of binance.values()) loaded.push(await readBinance(group.sort()));

  const byCode = new Map(table.map((s) => [s.code, s]));
  const symbols: SymbolSpec[] = [];
  const streams: ReplayStream[] = [];
  const info: ReplaySourceInfo[] = [];
  for (const d of loaded) {
    const label = d.paths.map((p) => basename(p)).join(' + ');
    const mapped = (key: string) => (Object.hasOwn(opts.symbolMap, key) ? opts.symbolMap[key] : undefined);
    const code = mapped(`${d.format}:${d.symbol}`) ?? mapped(d.symbol) ?? d.symbol;
    const spec = byCode.get(code);
    if (spec === undefined) {
      throw new UserError(
        `${label}: data symbol ${d.symbol} maps to ${code}, which is not in the symbol table; ` +
          `add it to symbols.yaml or map it with --set feed.symbols.${d.symbol}=<code>`,
      );
    }
    rescale(d, spec, label);
    let id = symbols.findIndex((s) => s.code === code);
    if (id < 0) {
      id = symbols.length;
      symbols.push({ ...spec, id });
    }
    streams.push({ symbolId: id, columns: d.columns });
    info.push({
      source: label,
      format: d.format,
      dataSymbol: d.symbol,
      symbol: code,
      events: d.columns.n,
      gaps: d.stats?.gaps ?? 0,
    });
  }
  const epoch = runEpoch(streams);
  for (const st of streams) rebase(st.columns, epoch);
  checkOverlap(streams, symbols, info);
  return { symbols, streams, sources: info, epoch };
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
  d.priceScale = spec.priceScale;
}

/** The UTC midnight before the earliest first event of any stream (Epoch.ZERO when all are empty). */
function runEpoch(streams: readonly ReplayStream[]): Epoch {
  let first: bigint | null = null;
  for (const st of streams) {
    const t = firstAbs(st.columns);
    if (t !== null && (first === null || t < first)) first = t;
  }
  return first === null ? Epoch.ZERO : Epoch.midnightBefore(first);
}

/** Two streams of one symbol would interleave two books into one: refused. */
function checkOverlap(streams: ReplayStream[], symbols: SymbolSpec[], info: ReplaySourceInfo[]): void {
  for (let a = 0; a < streams.length; a++) {
    for (let b = a + 1; b < streams.length; b++) {
      const x = streams[a];
      const y = streams[b];
      if (x.symbolId !== y.symbolId || x.columns.n === 0 || y.columns.n === 0) continue;
      const xs = x.columns.localTs[0];
      const xe = x.columns.localTs[x.columns.n - 1];
      const ys = y.columns.localTs[0];
      const ye = y.columns.localTs[y.columns.n - 1];
      if (xs <= ye && ys <= xe) {
        throw new UserError(
          `${info[a].source} and ${info[b].source} both hold ${symbols[x.symbolId].code} over the same time; ` +
            'replay them in separate runs',
        );
      }
    }
  }
}

function storeDir(src: string): string {
  const q = src.indexOf('?');
  const dir = src.slice('store:'.length, q < 0 ? undefined : q);
  if (dir === '') throw new UserError(`${src}: expected store:<dir>[?symbols=A,B&from=<iso>&to=<iso>]`);
  return dir;
}

function storeQuery(src: string): { symbols?: string[]; fromNs?: bigint; toNs?: bigint } {
  const q = src.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : src.slice(q + 1));
  const time = (key: string): bigint | undefined => {
    const v = params.get(key);
    if (v === null) return undefined;
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new UserError(`${src}: ${key}=${v} is not an ISO 8601 time`);
    return BigInt(ms) * 1_000_000n;
  };
  for (const k of params.keys()) {
    if (k !== 'symbols' && k !== 'from' && k !== 'to')
      throw new UserError(`${src}: unknown parameter '${k}'`);
  }
  const symbols = params.get('symbols')?.split(',').filter(Boolean);
  return { symbols, fromNs: time('from'), toNs: time('to') };
}
