import type { Nanos } from '../core/clock.ts';

/** +1 buy/bid, -1 sell/ask. */
export type Side = 1 | -1;
export const BUY: Side = 1;
export const SELL: Side = -1;

/** Market-data event kinds (numeric so the hot path switches on small ints). */
export const MdKind = {
  /** Full top-N book for one symbol: replaces both sides. */
  Depth: 1,
  /** A trade print. */
  Trade: 2,
  /** Incremental update of one price level; qty 0 removes the level. */
  Level: 3,
  /** Clear the whole book (start of a session or a snapshot). */
  Clear: 4,
} as const;
export type MdKind = (typeof MdKind)[keyof typeof MdKind];

/** Fields every normalized market-data event carries: both timestamps, always. */
export interface MdHeader {
  symbolId: number;
  /** Exchange timestamp, ns. */
  exchTs: Nanos;
  /** Local receive timestamp, ns. */
  localTs: Nanos;
  /** Per-symbol sequence number from the feed (0 when the feed has none). */
  seq: number;
}

/** Full book snapshot of the top `levels` levels. Arrays are reused by the producer: copy to keep. */
export interface DepthEvent extends MdHeader {
  kind: typeof MdKind.Depth;
  levels: number;
  bidPx: Float64Array;
  bidQty: Float64Array;
  askPx: Float64Array;
  askQty: Float64Array;
}

export interface TradeEvent extends MdHeader {
  kind: typeof MdKind.Trade;
  price: number;
  qty: number;
  /** Side of the aggressor, 0 when unknown. */
  aggressor: Side | 0;
}

export interface LevelEvent extends MdHeader {
  kind: typeof MdKind.Level;
  side: Side;
  price: number;
  /** New total quantity at the level; 0 removes it. */
  qty: number;
}

export interface ClearEvent extends MdHeader {
  kind: typeof MdKind.Clear;
}

export type MarketEvent = DepthEvent | TradeEvent | LevelEvent | ClearEvent;

/** Derived per-symbol book statistics, published after each applied update. */
export interface LobStats {
  symbolId: number;
  exchTs: Nanos;
  localTs: Nanos;
  /** Best bid/ask price (scaled); 0 when that side is empty. */
  bestBid: number;
  bestAsk: number;
  bestBidQty: number;
  bestAskQty: number;
  /** (bestBid + bestAsk) / 2 in scaled units, float (may be half a tick); NaN if a side is empty. */
  mid: number;
  /** bestAsk - bestBid, scaled; 0 when a side is empty. */
  spread: number;
  /** L1 imbalance (bidQty - askQty) / (bidQty + askQty), in [-1, 1]. */
  imbalance: number;
  /** Total quantity over the book's tracked levels per side. */
  bidDepth: number;
  askDepth: number;
  /**
   * Best bid >= best ask: the market's own crossed or locked book (a pre-open or auction state of
   * an L3 or snapshot feed), published as it is; spread is then <= 0 and mid lies between the two
   * crossing prices. Strategies decide what to do (the shipped quoters and takers wait); risk
   * checks run as on any book (docs/strategies.md). Never true for L2 diff feeds without
   * snapshots, whose crossed books the LOB repairs.
   */
  crossed: boolean;
}

/** Formats of recorded market-data files the replay venue reads (`--format`, feed.format). */
export const REPLAY_FORMATS = [
  'taifex-parquet',
  'binance-usdm',
  'binance-coinm',
  'binance-spot',
  'dbn-mbo',
  'lobster',
] as const;
export type ReplayFormat = (typeof REPLAY_FORMATS)[number];
