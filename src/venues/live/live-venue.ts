import type { Side } from '../../contracts/market.ts';
import type { SymbolSpec } from '../../contracts/symbols.ts';
import type { Venue, VenueAccount } from '../../contracts/venue.ts';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { Scheduler } from '../../core/scheduler.ts';
import type { Credentials } from './credentials.ts';

/** The `live` config section, as a live venue reads it (see docs/configuration.md). */
export interface LiveSettings {
  venue: string;
  paper: boolean;
  /** Base URL replacing the venue's (a fake server, a testnet); '' = the venue's own. */
  endpoint: string;
  credentials_file: string;
  /** Codes of config/symbols.yaml to trade or record. */
  symbols: string[];
  /** Watchdog: a stream silent this long is dead (reconnect, resync). */
  stale_ms: number;
  reconnect_min_ms: number;
  reconnect_max_ms: number;
  /** Orders found working at the venue at start that this run did not send. */
  startup_orders: 'cancel' | 'adopt';
  /** At a session's end: nothing, cancel every order, or cancel and flatten. */
  end_of_session: 'none' | 'cancel_all' | 'flatten';
  /** Seconds before a session's end at which end_of_session acts. */
  end_of_session_lead_s: number;
  /** When the run stops (Ctrl+C, --duration): cancel this run's working orders, or leave them. */
  on_stop: 'cancel' | 'leave';
  /** Share of each venue rate limit kept unused (0.1 = stay under 90 %). */
  rate_limit_headroom: number;
}

/** What a live venue factory gets (the registry builds one per run). */
export interface LiveVenueContext {
  /** Registry name (binance-usdm, shioaji, ...). */
  name: string;
  /** Symbols traded, dense ids; `venueSymbols[id]` is the venue's own name of each. */
  symbols: readonly SymbolSpec[];
  venueSymbols: readonly string[];
  scheduler: Scheduler;
  clock: Clock;
  log: Logger;
  settings: LiveSettings;
  /** Null for market data only (`hft record`) when none are configured. */
  credentials: Credentials | null;
}

/** An order found working at the venue at start that this run did not send. */
export interface ForeignOrder {
  venueOrderId: string;
  clientOrderId: string;
  symbolId: number;
  side: Side;
  /** Scaled price, quantity units. */
  price: number;
  qty: number;
  leavesQty: number;
}

/** A position the venue holds: signed quantity units, average entry price (scaled). */
export interface VenuePosition {
  symbolId: number;
  qty: number;
  avgPrice: number;
}

export interface AccountState {
  positions: VenuePosition[];
  foreignOrders: ForeignOrder[];
}

/**
 * A venue reached over the network. Beyond the Venue contract (market data and orders, unchanged
 * for every plane) it connects asynchronously, serves the account for startup reconciliation and
 * the Reconciler (VenueAccount: its latest polled snapshot), and reports its readiness through
 * VenueHandlers.onVenueState: not ready from a dropped or silent stream until books are rebuilt
 * from a fresh snapshot and the account is re-read.
 */
export interface LiveVenue extends Venue, VenueAccount {
  /** Connects (market data, user data), loads the account. Throws a UserError when it cannot. */
  open(): Promise<AccountState>;
  /** Cancels an order of an earlier session (startup_orders: cancel). */
  cancelForeign(o: ForeignOrder): Promise<void>;
  /** Takes an order of an earlier session as local order `orderId` (startup_orders: adopt). */
  adopt(o: ForeignOrder, orderId: number): void;
  /** Closes every connection (after stop()). */
  close(): Promise<void>;
  /** Counters for the summary and the dashboard (no secrets). */
  stats(): Record<string, number>;
}

/** Builds a live venue; `credentialKeys` names the secrets it needs (HFT_<VENUE>_<KEY> variables). */
export interface LiveVenueFactory {
  (ctx: LiveVenueContext): LiveVenue;
  readonly credentialKeys: readonly string[];
  /**
   * Orders need the credentials (without them the venue gives market data only): a run with
   * strategies and no credentials is refused at start. (Shioaji: the server holds the login.)
   */
  readonly ordersNeedCredentials?: boolean;
  /**
   * The venue streams full-depth books (thousands of levels a side: Binance's diff streams): the
   * system indexes them by price (`DenseBookSide`), for symbols with one tick size.
   */
  readonly fullDepth?: boolean;
}

export function isLiveVenue(v: Venue): v is LiveVenue {
  return typeof (v as Partial<LiveVenue>).open === 'function';
}
