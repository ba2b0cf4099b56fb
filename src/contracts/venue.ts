import type { Nanos } from '../core/clock.ts';
import type { MarketEvent, MdHeader, Side } from './market.ts';
import type { OrderCommand, RejectReason } from './orders.ts';

/**
 * Quote payload as a broker sends it (modelled on Shioaji's BidAsk and Tick callbacks):
 * decimal prices, symbol codes, exchange time in ns. The feed normalizer turns it into
 * MarketEvents with scaled prices. Producers may reuse the object between callbacks.
 */
export interface RawBidAsk {
  type: 'bidask';
  code: string;
  ts: Nanos;
  bidPrice: number[];
  bidVolume: number[];
  askPrice: number[];
  askVolume: number[];
}

export interface RawTick {
  type: 'tick';
  code: string;
  ts: Nanos;
  close: number;
  volume: number;
  /** 1 buyer-initiated, 2 seller-initiated, 0 unknown (Shioaji tick_type). */
  tickType: 0 | 1 | 2;
}

export type RawQuote = RawBidAsk | RawTick;

/** Order-state callback from a venue, before the execution router enriches it. */
export interface VenueExecEvent {
  type: 'ack' | 'reject' | 'fill' | 'canceled' | 'cancel_reject';
  orderId: number;
  venueOrderId: string;
  /** Fill price (scaled) and quantity; 0 otherwise. */
  lastPx: number;
  lastQty: number;
  /** Quantity still working at the venue after this event. */
  leavesQty: number;
  taker: boolean;
  reason: RejectReason | '';
  exchTs: Nanos;
  /** Venue-unique fill id (deal sequence number); a repeated id is a duplicate callback. */
  execId?: string;
  /** Symbol and side of the order, when the venue reports them (broker deal callbacks do). */
  symbolId?: number;
  side?: Side;
}

/** An ack with every other field at its zero value: the starting state of a reused event. */
export function blankExec(): VenueExecEvent {
  return {
    type: 'ack',
    orderId: 0,
    venueOrderId: '',
    lastPx: 0,
    lastQty: 0,
    leavesQty: 0,
    taker: false,
    reason: '',
    exchTs: 0,
  };
}

/**
 * The venue's view of the account, for reconciliation. Synchronous: a live broker serves its
 * latest polled snapshot (account queries are slow and rate-limited), the sim its engine state.
 */
export interface VenueAccount {
  /** Net position per symbol id over every order of the account (flat symbols may be absent). */
  positions(): ReadonlyMap<number, number>;
  /** Client order ids of the orders working at the venue. */
  openOrderIds(): ReadonlySet<number>;
}

/** Replayed events as columns (the replay venue's EventColumns), as far as a Level event needs them. */
export interface LevelColumns {
  side: Int8Array;
  price: Float64Array;
  qty: Float64Array;
  exchTs: Float64Array;
  localTs: Float64Array;
}

/** Top of a book (VenueHandlers.bookTop): scaled prices and sizes, an empty side's price 0. */
export interface BookTop {
  readonly bestBid: number;
  readonly bestBidQty: number;
  readonly bestAsk: number;
  readonly bestAskQty: number;
}

export interface VenueHandlers {
  /** Broker-format quotes (sim, live): go through the feed normalizer. */
  onQuote(q: RawQuote): void;
  /**
   * Already-normalized events (replay of recorded data). `endOfMessage` is false while more
   * events of the same exchange message follow: the book is read only at message ends.
   */
  onMarketEvent(ev: MarketEvent, endOfMessage: boolean): void;
  /**
   * Optional fast path for replays: event `k` of the replayed columns `c` is a Level event; the
   * same as onMarketEvent with a LevelEvent of seq 0 built from it. A replay venue calls it when
   * present instead of filling an event object. (Columns, not values: a float timestamp passed
   * to a call is a heap allocation, and this runs for every replayed level.)
   */
  onLevel?(symbolId: number, c: LevelColumns, k: number, endOfMessage: boolean): void;
  /**
   * Optional fast path for live L2 diff messages: every level of one exchange message at once,
   * the bids then the asks, as scaled [price, qty] pairs in the first `bidN` / `askN` entries
   * (2 per level) of `bids` / `asks`. The same as onMarketEvent with one LevelEvent per level in
   * that order (symbol and times of `hdr`, seq 0), the last with endOfMessage. A live venue calls it
   * when present instead of one call per level; the arrays and `hdr` are read during the call only.
   */
  onLevels?(
    hdr: Readonly<MdHeader>,
    bids: Float64Array,
    bidN: number,
    asks: Float64Array,
    askN: number,
  ): void;
  /**
   * Optional: the system's book of `symbolId` as it stands (best bid and ask, their sizes; an
   * empty side's price 0). A live venue that checks the exchange's own top of book against the
   * book it feeds (Binance bookTicker) reads it here instead of keeping a copy of every level.
   */
  bookTop?(symbolId: number): BookTop;
  onExec(e: VenueExecEvent): void;
  /**
   * True when onExec reads the event during the call only (it copies what it keeps): a venue may
   * then hand over the same object again for a later report (the simulated exchanges pool them,
   * one object per order round trip less). Unset: every report is a fresh object the handler may keep.
   */
  readonly transientExec?: boolean;
  /**
   * Live venues: false when the venue's view broke (a dropped or silent stream, a sequence gap:
   * its books were cleared), true once books are rebuilt from a fresh snapshot and the account
   * re-read. The system holds trading (StormGuard) in between.
   */
  onVenueState?(ready: boolean, reason: string): void;
}

/** A venue gives market data and takes orders. Sim, replay and live brokers implement it. */
export interface Venue {
  readonly name: string;
  /**
   * True when every exec report carries the client order id (the simulated venues): the order
   * adapter then keeps no venue-id -> order index. Broker venues leave it unset.
   */
  readonly reportsOrderIds?: boolean;
  /**
   * False when the venue has no post-only order type: the system says so at start and the order
   * adapter refuses POST_ONLY orders with TIF_UNSUPPORTED. Unset: supported (sim, replay, Binance).
   */
  readonly postOnly?: boolean;
  /**
   * True when `submit` copies what it keeps of the command (or keeps nothing): the order adapter
   * then passes the same command object for every order (the simulated exchanges). Unset: each
   * command is a fresh object the venue may keep.
   */
  readonly copiesCommands?: boolean;
  connect(handlers: VenueHandlers): void;
  /** Starts producing market data (schedules on the shared scheduler). */
  start(): void;
  stop(): void;
  /** Sends a new order; the venue answers with ack/reject and later fills via onExec (see copiesCommands). */
  submit(cmd: OrderCommand): void;
  /** Requests cancellation of a working order by client order id. */
  cancel(orderId: number): void;
}
