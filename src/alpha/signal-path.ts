import { MdKind } from '../contracts/market.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { Epoch } from '../core/clock.ts';
import { FeatureEngine } from '../features/feature-engine.ts';
import { type FeatureSink, ROW_BOOK, ROW_TRADE, replayFeatures } from '../features/replay-features.ts';
import { featureSet } from '../features/sets.ts';
import { LobEngine } from '../lob/lob-engine.ts';
import { EV_LAST, type EventColumns } from '../venues/replay/event-columns.ts';
import { AlphaFeed } from './alpha-feed.ts';
import type { Alpha } from './sdk.ts';

/** An alpha's signal at every event it saw (book changes and trades, in order). */
export interface SignalSeries {
  n: number;
  /** Origin of exchTs. */
  epoch: Epoch;
  exchTs: Float64Array;
  /** EVENT_BOOK or EVENT_TRADE. */
  kind: Uint8Array;
  signal: Float64Array;
  /** The book's mid after the event (NaN while a side is empty), scaled price. */
  mid: Float64Array;
  /** Index of the data event each row came from. */
  source: Uint32Array;
}

/** Stands in for the feature plane when the alpha reads no feature set. */
const NO_FEATURES: FeatureSink = { update() {}, onTrade() {}, reset() {} };

/**
 * The research path: one symbol's recorded events through the LOB, the alpha's feature set and the
 * alpha, in the order the runtime delivers them (a book change after the last level event of each
 * exchange message, trades where they occur; replayFeatures is the same loop `hft features compute`
 * runs). Only the first `limit` events are read (the look-ahead check cuts the data this way); a
 * limit per alpha feeds each alpha the events before its own limit, the book and features once for
 * all of them (the LOB and the feature kernels read no event ahead of the one they process).
 */
export function computeSignals(
  alphas: readonly Alpha[],
  c: EventColumns,
  symbol: SymbolSpec,
  limit: number | readonly number[] = c.n,
): SignalSeries[] {
  const lob = new LobEngine(1);
  const sets = new Set(alphas.map((a) => a.featureSet).filter((s): s is string => s !== null));
  if (sets.size > 1)
    throw new Error(`alphas run together must read one feature set (${[...sets].join(', ')})`);
  const setId = sets.values().next().value;
  const engine = setId === undefined ? null : new FeatureEngine(featureSet(setId), [symbol]);
  const feeds = alphas.map(
    (a) => new AlphaFeed(a, lob.book(0), a.featureSet === null ? null : engine!.view(0)),
  );
  const limits = alphas.map((_, a) => Math.min(typeof limit === 'number' ? limit : limit[a], c.n));
  const n = Math.max(0, ...limits);
  const cap = rowBound(c, n);
  const out = limits.map(() => newSeries(c.epoch, cap));
  const view: EventColumns = n >= c.n ? c : { ...c, n };
  const stats = lob.stats(0);
  replayFeatures(
    view,
    engine ?? NO_FEATURES,
    (kind, i) => {
      if (kind !== ROW_BOOK && kind !== ROW_TRADE) return;
      for (let a = 0; a < feeds.length; a++) {
        if (i >= limits[a]) continue;
        const s =
          kind === ROW_BOOK
            ? feeds[a].book(stats)
            : feeds[a].trade(c.exchTs[i], c.localTs[i], c.price[i], c.qty[i], c.side[i]);
        const o = out[a];
        const k = o.n++;
        if (k >= cap) throw new Error(`computeSignals: more rows than the ${cap} bounded`);
        o.exchTs[k] = c.exchTs[i];
        o.kind[k] = kind;
        o.signal[k] = s;
        o.mid[k] = stats.mid;
        o.source[k] = i;
      }
    },
    lob,
  );
  return out.map(trim);
}

/**
 * At most how many rows the first `n` events give: one per trade, and one book row per exchange
 * message (after its last level event). Far fewer than events on L2 data (a message updates many
 * levels), so the series are allocated at this size.
 */
function rowBound(c: EventColumns, n: number): number {
  let rows = 0;
  for (let i = 0; i < n; i++) {
    if (c.kind[i] === MdKind.Trade) rows++;
    if ((c.flags[i] & EV_LAST) !== 0 || i === n - 1) rows++;
  }
  return rows;
}

/** The cut points a truncation may use: event counts that end an exchange message. */
export function messageEnds(c: EventColumns): (i: number) => boolean {
  return (cut) => cut > 0 && cut <= c.n && (c.flags[cut - 1] & EV_LAST) !== 0;
}

function newSeries(epoch: Epoch, cap: number): SignalSeries {
  return {
    n: 0,
    epoch,
    exchTs: new Float64Array(cap),
    kind: new Uint8Array(cap),
    signal: new Float64Array(cap),
    mid: new Float64Array(cap),
    source: new Uint32Array(cap),
  };
}

function trim(s: SignalSeries): SignalSeries {
  return {
    n: s.n,
    epoch: s.epoch,
    exchTs: s.exchTs.subarray(0, s.n),
    kind: s.kind.subarray(0, s.n),
    signal: s.signal.subarray(0, s.n),
    mid: s.mid.subarray(0, s.n),
    source: s.source.subarray(0, s.n),
  };
}

/**
 * The signal and the mid as of every `stepNs` of data time in which an event arrived (the last
 * value at or before each step): the form the experiment ledger keeps, aligned by exchange time.
 */
export function sampleSignals(
  s: SignalSeries,
  stepNs: number,
): { ts: number[]; signal: number[]; mid: number[] } {
  const out = { ts: [] as number[], signal: [] as number[], mid: [] as number[] };
  if (s.n === 0) return out;
  let i = 0;
  for (let g = Math.ceil(s.exchTs[0] / stepNs) * stepNs; i < s.n; g += stepNs) {
    if (s.exchTs[i] > g) {
      // Jump over stretches without events (closed sessions) in one step.
      g = Math.ceil(s.exchTs[i] / stepNs) * stepNs;
    }
    while (i + 1 < s.n && s.exchTs[i + 1] <= g) i++;
    out.ts.push(g);
    out.signal.push(s.signal[i]);
    out.mid.push(s.mid[i]);
    i++;
  }
  return out;
}
