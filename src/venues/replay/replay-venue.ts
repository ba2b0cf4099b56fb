import {
  type ClearEvent,
  type LevelEvent,
  MdKind,
  type Side,
  type TradeEvent,
} from '../../contracts/market.ts';
import type { OrderCommand } from '../../contracts/orders.ts';
import type { Venue, VenueExecEvent, VenueHandlers } from '../../contracts/venue.ts';
import { Epoch, type Nanos } from '../../core/clock.ts';
import type { Scheduler, TaskSource } from '../../core/scheduler.ts';
import { type AuctionCounts, countIndicative } from './call-auctions.ts';
import { EV_LAST, type EventColumns } from './event-columns.ts';

/**
 * The exchange behind a replay: it sees the recorded market data at exchange time and answers our
 * orders against it (fills from queue-position models, in venues/sim/l2-exchange.ts). Stable contract:
 * - `onMessage` receives every exchange message, in order, at its exchange time (on the shared
 *   scheduler, before the feed delivers the same message at its receive time), as the range
 *   `start`..`end` of the stream's columns (read them, do not keep or change them). Per event, kind
 *   is MdKind.Level (side = book side, qty = the level's new total, 0 removes it), MdKind.Trade
 *   (side = aggressor, 0 unknown) or MdKind.Clear (the book is emptied; a snapshot follows). Prices
 *   and quantities are the run's scaled integers; exchTs is the data's exchange timestamp; a message
 *   flagged EV_INDICATIVE belongs to a call auction (pre-open, closing call): it sets the book, a
 *   model fills no order on it (L2Exchange rests arriving orders until the open). (Columns,
 *   not one call per event with values: a float timestamp passed to a call is a heap allocation.)
 * - `submit` / `cancel` are called when the runtime sends; the model owns order and response
 *   latency (it schedules on the shared scheduler) and reports through the `connect` callback.
 */
export interface ExchangeModel {
  /** `submit` copies what it keeps of the command (Venue.copiesCommands). */
  readonly copiesCommands?: boolean;
  onMessage(symbolId: number, c: EventColumns, start: number, end: number): void;
  submit(cmd: OrderCommand): void;
  cancel(orderId: number): void;
  /** `transient`: onExec copies what it keeps (VenueHandlers.transientExec), reports may be reused. */
  connect(onExec: (e: VenueExecEvent) => void, transient?: boolean): void;
}

/** One symbol's recorded events (a file, or consecutive files read as one stream). */
export interface ReplayStream {
  symbolId: number;
  /** The events; for a `lazy` stream an empty stand-in carrying only repairCrossed (and l3 when the data has it). */
  columns: EventColumns;
  /**
   * Set when the stream is read when its time comes (loadReplay streams multi-day data file by
   * file): the venue loads the events for the stream's first message and drops them after its last.
   */
  lazy?: LazyEvents;
}

/** What the venue needs of a stream before its events are loaded, and how to load them. */
export interface LazyEvents {
  n: number;
  /** Receive and exchange time of the first event (on the run's epoch). */
  firstLocalTs: Nanos;
  firstExchTs: Nanos;
  /** clockOffset of the events (<= 0). */
  clockOffset: number;
  indicative: AuctionCounts;
  /** Reads the events (synchronously), equal to what the first read gave, on the run's epoch. */
  load(): EventColumns;
}

/** A lazy stream's events while a cursor of it runs (shared by its feed and model cursors). */
interface Loaded {
  events: LazyEvents;
  columns: EventColumns | null;
  users: number;
}

export interface ReplayVenueOptions {
  /** Shared scheduler: its clock must start at `replayStartTs(streams, model !== undefined)`. */
  scheduler: Scheduler;
  streams: readonly ReplayStream[];
  /** Without a model, orders are rejected with VENUE_REJECT (NO_MODEL_REASON). */
  model?: ExchangeModel;
  /** Called once, right after the last event of the last stream was delivered. */
  onEnd?: () => void;
  /** Default 'replay'. */
  name?: string;
}

export interface ReplayCounters {
  /** Events and messages delivered to the feed. */
  events: number;
  messages: number;
  /** Events passed to the exchange model. */
  modelEvents: number;
  /** Messages whose receive time lay before the previous message's: delivered right after it. */
  lateMessages: number;
  /** Events of a kind the venue does not know (not delivered). */
  skipped: number;
  /** Orders and cancels refused because the venue has no exchange model. */
  rejectedOrders: number;
}

/** Why orders on a replay venue without an exchange model are rejected (reason VENUE_REJECT). */
export const NO_MODEL_REASON = 'replay venue has no exchange model';

/**
 * Per stream and side (feed or model): a scheduler source over the stream's messages (no heap
 * task per message), and the event objects it reuses.
 */
class Cursor implements TaskSource {
  /** Time of the next message (Infinity: done or stopped). */
  nextTs = Number.POSITIVE_INFINITY;
  /** Next event to deliver. */
  i = 0;
  /** Events in the stream (known before a lazy stream is loaded). */
  readonly n: number;
  /** Time of the last scheduled message (times never go back). */
  last = Number.NEGATIVE_INFINITY;
  readonly level: LevelEvent;
  readonly trade: TradeEvent;
  readonly clear: ClearEvent;

  constructor(
    readonly symbolId: number,
    /** The events (a lazy stream's empty stand-in until loaded, and again after its last message). */
    public c: EventColumns,
    /** Model cursors: added to exchTs to put exchange time on the receive clock (<= 0). */
    readonly offset: number,
    /** Delivers the message at `i` and moves the cursor on. */
    private readonly deliver: (cur: Cursor) => void,
    /** Set for a lazy stream. */
    readonly lazy: Loaded | null = null,
  ) {
    this.n = lazy === null ? c.n : lazy.events.n;
    const h = { symbolId, exchTs: 0, localTs: 0, seq: 0 };
    this.level = { ...h, kind: MdKind.Level, side: 1, price: 0, qty: 0 };
    this.trade = { ...h, kind: MdKind.Trade, price: 0, qty: 0, aggressor: 0 };
    this.clear = { ...h, kind: MdKind.Clear };
  }

  run(): void {
    this.deliver(this);
  }
}

/**
 * Venue replaying recorded market data. Each stream's events are delivered in their original
 * order with their original timestamps through `handlers.onMarketEvent`, one exchange message per
 * scheduler task at the message's receive time (localTs); several streams merge by time on the
 * shared scheduler. Event objects are reused (no allocation per event): consumers copy what they keep.
 *
 * `endOfMessage` is true from the last book event (Level/Clear) of a message on, so the trades that
 * close a message (a TAIFEX trade printed with the level changes it caused) do not hide the book update.
 *
 * With an exchange model, the same events also go to the model at exchange time. Where the data's
 * receive clock runs behind the exchange's (Binance sample: ~1.27 s), exchange time is shifted by the
 * stream's smallest (localTs - exchTs) so that no event reaches the exchange after our feed.
 */
export class ReplayVenue implements Venue {
  /** Every report carries the client order id. */
  readonly reportsOrderIds = true;
  readonly name: string;
  /** Time of the first scheduled task (the run's clock starts here). */
  readonly startTs: Nanos;
  /** Events in all streams. */
  readonly totalEvents: number;
  /** Call-auction events (and trades) in all streams (EV_INDICATIVE): the model fills no order on them. */
  readonly indicative: AuctionCounts;
  readonly counters: ReplayCounters = {
    events: 0,
    messages: 0,
    modelEvents: 0,
    lateMessages: 0,
    skipped: 0,
    rejectedOrders: 0,
  };
  private readonly scheduler: Scheduler;
  private readonly model: ExchangeModel | null;
  private readonly onEnd: (() => void) | null;
  private readonly feed: Cursor[];
  private readonly exchange: Cursor[];
  private handlers: VenueHandlers | null = null;
  private running = false;
  private finished = 0;

  constructor(opts: ReplayVenueOptions) {
    this.name = opts.name ?? 'replay';
    this.scheduler = opts.scheduler;
    this.model = opts.model ?? null;
    this.onEnd = opts.onEnd ?? null;
    const loaded = opts.streams.map((s): Loaded | null =>
      s.lazy === undefined ? null : { events: s.lazy, columns: null, users: this.model === null ? 1 : 2 },
    );
    this.feed = opts.streams.map((s, k) => new Cursor(s.symbolId, s.columns, 0, this.onFeed, loaded[k]));
    this.exchange =
      this.model === null
        ? []
        : opts.streams.map(
            (s, k) => new Cursor(s.symbolId, s.columns, streamOffset(s), this.onModel, loaded[k]),
          );
    // Added once, idle (nextTs Infinity) until start(); the model's side first so it sees ties first.
    for (const cur of this.exchange) this.scheduler.addSource(cur);
    for (const cur of this.feed) this.scheduler.addSource(cur);
    this.startTs = replayStartTs(opts.streams, this.model !== null);
    this.totalEvents = opts.streams.reduce((n, s) => n + (s.lazy?.n ?? s.columns.n), 0);
    this.indicative = { events: 0, trades: 0 };
    for (const st of opts.streams) {
      const k = st.lazy?.indicative ?? countIndicative(st.columns);
      this.indicative.events += k.events;
      this.indicative.trades += k.trades;
    }
  }

  connect(handlers: VenueHandlers): void {
    this.handlers = handlers;
    this.model?.connect(handlers.onExec, handlers.transientExec === true);
  }

  /** Sets every stream on its first message (an event reaches the exchange before our feed delivers it). */
  start(): void {
    if (this.running) return;
    if (this.handlers === null) throw new Error('ReplayVenue: connect() before start()');
    this.running = true;
    for (const cur of this.exchange) if (cur.n > 0) this.advance(cur, false);
    for (const cur of this.feed) {
      if (cur.n > 0) this.advance(cur, true);
      else this.finished++;
    }
    if (this.finished === this.feed.length) this.scheduler.at(this.startTs, this.end);
  }

  /** Stops delivering; orders already sent still reach the model. */
  stop(): void {
    this.running = false;
    for (const cur of this.feed) cur.nextTs = Number.POSITIVE_INFINITY;
    for (const cur of this.exchange) cur.nextTs = Number.POSITIVE_INFINITY;
  }

  /** Without a model a command is refused at once (nothing kept); with one, as the model does. */
  get copiesCommands(): boolean {
    return this.model === null || this.model.copiesCommands === true;
  }

  submit(cmd: OrderCommand): void {
    if (this.model !== null) this.model.submit(cmd);
    else this.refuse('reject', cmd.orderId);
  }

  cancel(orderId: number): void {
    if (this.model !== null) this.model.cancel(orderId);
    else this.refuse('cancel_reject', orderId);
  }

  /** Index of the next event a stream's feed side will deliver (for checking a book against truth). */
  position(stream: number): number {
    return this.feed[stream].i;
  }

  /**
   * Sets a cursor on its next message: receive time for the feed, shifted exchange time for the
   * model; a message never goes before the previous one. (Reads the time itself: a float argument
   * would be boxed on every message.)
   */
  private advance(cur: Cursor, feed: boolean): void {
    let ts: number;
    if (cur.c.n === 0 && cur.lazy !== null) {
      // Not loaded yet: its first message's time is known.
      const e = cur.lazy.events;
      ts = feed ? e.firstLocalTs : e.firstExchTs + cur.offset;
    } else ts = feed ? cur.c.localTs[cur.i] : cur.c.exchTs[cur.i] + cur.offset;
    if (ts < cur.last) {
      ts = cur.last;
      if (feed) this.counters.lateMessages++;
    }
    cur.last = ts;
    cur.nextTs = ts;
  }

  /** Delivers one message to the feed, then schedules the stream's next one. */
  private readonly onFeed = (cur: Cursor): void => {
    if (cur.lazy !== null && cur.i === 0) attach(cur);
    const c = cur.c;
    const start = cur.i;
    const end = messageEnd(c, start);
    // The book is complete after the message's last book event: trades after it do not change it.
    let bookEnd = end;
    while (bookEnd > start && c.kind[bookEnd] === MdKind.Trade) bookEnd--;
    if (c.kind[bookEnd] === MdKind.Trade) bookEnd = end;
    const h = this.handlers!;
    const byColumns = h.onLevel !== undefined;
    for (let k = start; k <= end; k++) {
      const kind = c.kind[k];
      if (kind === MdKind.Level) {
        if (byColumns) {
          h.onLevel!(cur.symbolId, c, k, k >= bookEnd);
          continue;
        }
        const ev = cur.level;
        ev.exchTs = c.exchTs[k];
        ev.localTs = c.localTs[k];
        ev.side = c.side[k] as Side;
        ev.price = c.price[k];
        ev.qty = c.qty[k];
        h.onMarketEvent(ev, k >= bookEnd);
      } else if (kind === MdKind.Trade) {
        const ev = cur.trade;
        ev.exchTs = c.exchTs[k];
        ev.localTs = c.localTs[k];
        ev.aggressor = c.side[k] as Side | 0;
        ev.price = c.price[k];
        ev.qty = c.qty[k];
        h.onMarketEvent(ev, k >= bookEnd);
      } else if (kind === MdKind.Clear) {
        const ev = cur.clear;
        ev.exchTs = c.exchTs[k];
        ev.localTs = c.localTs[k];
        h.onMarketEvent(ev, k >= bookEnd);
      } else {
        this.counters.skipped++;
      }
    }
    this.counters.events += end - start + 1;
    this.counters.messages++;
    cur.i = end + 1;
    if (!this.running) return; // stopped by a handler: nextTs stays Infinity
    if (cur.i < c.n) this.advance(cur, true);
    else {
      cur.nextTs = Number.POSITIVE_INFINITY;
      detach(cur);
      if (++this.finished === this.feed.length) this.end();
    }
  };

  /** Passes one message to the exchange model at exchange time. */
  private readonly onModel = (cur: Cursor): void => {
    if (cur.lazy !== null && cur.i === 0) attach(cur);
    const c = cur.c;
    const end = messageEnd(c, cur.i);
    this.model!.onMessage(cur.symbolId, c, cur.i, end);
    this.counters.modelEvents += end - cur.i + 1;
    cur.i = end + 1;
    if (!this.running) return;
    if (cur.i < c.n) this.advance(cur, false);
    else {
      cur.nextTs = Number.POSITIVE_INFINITY;
      detach(cur);
    }
  };

  private readonly end = (): void => {
    this.stop();
    this.onEnd?.();
  };

  /** Answers an order or cancel with a rejection (no model); after the current task, like a venue would. */
  private refuse(type: 'reject' | 'cancel_reject', orderId: number): void {
    this.counters.rejectedOrders++;
    const ev: VenueExecEvent = {
      type,
      orderId,
      venueOrderId: '',
      lastPx: 0,
      lastQty: 0,
      leavesQty: 0,
      taker: false,
      reason: type === 'reject' ? 'VENUE_REJECT' : 'UNKNOWN_ORDER',
      exchTs: this.scheduler.clock.nowNs(),
    };
    this.scheduler.after(0, this.deliverExec, ev);
  }

  private readonly deliverExec = (ev: VenueExecEvent): void => {
    this.handlers!.onExec(ev);
  };
}

/** Time at which a replay of `streams` starts: the earliest receive (or, with a model, exchange) time. */
export function replayStartTs(streams: readonly ReplayStream[], withModel: boolean): Nanos {
  let t = Number.POSITIVE_INFINITY;
  for (const s of streams) {
    const e = s.lazy;
    if (e !== undefined) {
      if (e.n === 0) continue;
      t = Math.min(t, e.firstLocalTs);
      if (withModel) t = Math.min(t, e.firstExchTs + e.clockOffset);
      continue;
    }
    const c = s.columns;
    if (c.n === 0) continue;
    t = Math.min(t, c.localTs[0]);
    if (withModel) t = Math.min(t, c.exchTs[0] + clockOffset(c));
  }
  return Number.isFinite(t) ? t : 0;
}

function streamOffset(s: ReplayStream): number {
  return s.lazy?.clockOffset ?? clockOffset(s.columns);
}

/** A lazy stream's cursor reaches its first message: its events are loaded (once for both cursors). */
function attach(cur: Cursor): void {
  const l = cur.lazy!;
  l.columns ??= l.events.load();
  if (l.columns.n !== l.events.n) {
    throw new Error(`replay: a stream read again holds ${l.columns.n} events, ${l.events.n} the first time`);
  }
  cur.c = l.columns;
}

/** A lazy stream's cursor passed its last message: the events go once neither cursor needs them. */
function detach(cur: Cursor): void {
  const l = cur.lazy;
  if (l === null) return;
  cur.c = EMPTY;
  if (--l.users === 0) l.columns = null;
}

const EMPTY: EventColumns = {
  n: 0,
  epoch: Epoch.ZERO,
  repairCrossed: false,
  kind: new Uint8Array(0),
  side: new Int8Array(0),
  exchTs: new Float64Array(0),
  localTs: new Float64Array(0),
  price: new Float64Array(0),
  qty: new Float64Array(0),
  flags: new Uint8Array(0),
};

/** Index of the last event of the message starting at `i`. */
function messageEnd(c: EventColumns, i: number): number {
  const last = c.n - 1;
  while (i < last && (c.flags[i] & EV_LAST) === 0) i++;
  return i;
}

/**
 * Smallest localTs - exchTs of a stream when negative (receive clock behind the exchange's), else 0.
 * Kept per columns object: a run asks three times, and the runs of a sweep or a benchmark share
 * the data (which runs only read), so the events are scanned once.
 */
export function clockOffset(c: EventColumns): number {
  let m = offsets.get(c);
  if (m !== undefined) return m;
  m = 0;
  for (let i = 0; i < c.n; i++) {
    const d = c.localTs[i] - c.exchTs[i];
    if (d < m) m = d;
  }
  offsets.set(c, m);
  return m;
}

const offsets = new WeakMap<EventColumns, number>();
