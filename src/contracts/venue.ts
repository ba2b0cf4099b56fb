import type { Nanos } from '../core/clock.ts';
import type { MarketEvent } from './market.ts';
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
}

export interface VenueHandlers {
  /** Broker-format quotes (sim, live): go through the feed normalizer. */
  onQuote(q: RawQuote): void;
  /**
   * Already-normalized events (replay of recorded data). `endOfMessage` is false while more
   * events of the same exchange message follow: the book is read only at message ends.
   */
  onMarketEvent(ev: MarketEvent, endOfMessage: boolean): void;
  onExec(e: VenueExecEvent): void;
}

/** A venue gives market data and takes orders. Sim, replay and live brokers implement it. */
export interface Venue {
  readonly name: string;
  connect(handlers: VenueHandlers): void;
  /** Starts producing market data (schedules on the shared scheduler). */
  start(): void;
  stop(): void;
  /** Sends a new order; the venue answers with ack/reject and later fills via onExec. */
  submit(cmd: OrderCommand): void;
  /** Requests cancellation of a working order by client order id. */
  cancel(orderId: number): void;
}
