import type { EventBus } from '../bus/event-bus.ts';
import { type LevelEvent, type MarketEvent, type MdHeader, MdKind, type Side } from '../contracts/market.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { LevelColumns, RawQuote } from '../contracts/venue.ts';
import type { Nanos } from '../core/clock.ts';
import type { LatencyHistogram } from '../core/histogram.ts';
import type { FeatureHub } from '../features/feature-hub.ts';
import type { Normalizer } from '../feed/normalizer.ts';
import type { LobEngine } from '../lob/lob-engine.ts';
import { type LatencyStages, Stage } from '../observability/latency-stages.ts';
import type { TradeTape } from '../observability/trade-tape.ts';
import type { Recorder } from '../recorder/recorder.ts';
import type { StrategyRunner } from '../strategy/runner.ts';

/**
 * The synchronous hot path for one quote: normalize -> LOB -> record (copy into a ring) ->
 * bus -> strategies -> risk -> order adapter, all in one turn with no await.
 */
export class MarketDataService {
  events = 0;
  /** Feature plane, updated right after the LOB and before strategies see the event (null or inactive: none). */
  features: FeatureHub | null = null;
  /** LOB apply + stats cost per event (ns), sampled every event. */
  constructor(
    private readonly symbols: readonly SymbolSpec[],
    private readonly normalizer: Normalizer,
    private readonly lob: LobEngine,
    private readonly bus: EventBus,
    private readonly runner: StrategyRunner,
    private readonly recorder: Recorder | null,
    private readonly lobLatency: LatencyHistogram | null,
    /** Stage timings (metrics.enabled); null keeps the hot path uninstrumented. */
    private readonly latency: LatencyStages | null = null,
    /** Recent market trades for the dashboard. */
    private readonly tape: TradeTape | null = null,
  ) {}

  /** Broker-format quote: normalize first. */
  readonly onQuote = (raw: RawQuote): void => {
    const t0 = performance.now();
    this.runner.eventT0 = t0;
    const ev = this.normalizer.normalize(raw);
    if (ev === null) {
      this.runner.eventT0 = 0;
      return;
    }
    const lat = this.latency;
    if (lat === null) {
      this.process(ev, true, true, t0, t0);
      return;
    }
    const t1 = performance.now();
    lat.beginEvent();
    lat.recordMs(Stage.Feed, t1 - t0);
    this.process(ev, true, true, t0, t1);
  };

  /**
   * Replayed events are timed one in `replayTimeEvery` (the timer itself costs about as much
   * as the LOB update; percentiles of a regular sample stay representative).
   */
  replayTimeEvery = 1;
  /** Replayed events left until the next timed one (a countdown: `%` per event costs a division). */
  private untilTimed = 1;

  /** Counts a replayed event; true when it is the timed one of its `replayTimeEvery`. */
  private nextTimed(): boolean {
    if (--this.untilTimed > 0) return false;
    this.untilTimed = this.replayTimeEvery;
    return true;
  }

  /** Already-normalized event (replay). */
  readonly onMarketEvent = (ev: MarketEvent, endOfMessage: boolean): void => {
    // Unknown symbols, bad trades and stale snapshots are counted by the normalizer and dropped.
    if (!this.normalizer.check(ev)) return;
    // A level inside a message only changes the book: nothing is published, so no intent follows
    // it until the message's last event, the one timed. (Timing every level of a live Binance
    // depth frame cost two clock reads and the stage records per level, ~30% of its cost.)
    if (!endOfMessage && ev.kind === MdKind.Level) {
      this.process(ev, false, false, 0, 0);
      return;
    }
    if (!this.nextTimed()) {
      this.process(ev, endOfMessage, false, 0, 0);
      return;
    }
    this.timed(ev, endOfMessage);
  };

  /**
   * Every level of one live L2 message (VenueHandlers.onLevels): what onMarketEvent does for each
   * of them as a LevelEvent, the last one ending the message. The levels before the last only
   * change the book (nothing is published inside a message), so they go straight to the LOB; one
   * call per message instead of the event path per level.
   */
  readonly onLevels = (
    hdr: Readonly<MdHeader>,
    bids: Float64Array,
    bidN: number,
    asks: Float64Array,
    askN: number,
  ): void => {
    const n = (bidN + askN) >> 1;
    if (n === 0) return;
    const id = hdr.symbolId;
    if (!this.normalizer.checkLevels(id, hdr.exchTs, n)) return;
    const lob = this.lob;
    // The last level: the last ask, else the last bid.
    const lastSide: Side = askN > 0 ? -1 : 1;
    const bidStop = askN > 0 ? bidN : bidN - 2;
    for (let i = 0; i < bidStop; i += 2) lob.setLevel(id, 1, bids[i], bids[i + 1]);
    for (let i = 0; i < askN - 2; i += 2) lob.setLevel(id, -1, asks[i], asks[i + 1]);
    this.events += n - 1;
    const ev =
      lastSide === -1
        ? this.fillLevel(id, -1, asks[askN - 2], asks[askN - 1], hdr.exchTs, hdr.localTs)
        : this.fillLevel(id, 1, bids[bidN - 2], bids[bidN - 1], hdr.exchTs, hdr.localTs);
    if (this.nextTimed()) this.timed(ev, true);
    else this.process(ev, true, false, 0, 0);
  };

  /** A replayed level update is reported through this object when the book changed. */
  private readonly level: LevelEvent = {
    symbolId: 0,
    exchTs: 0,
    localTs: 0,
    seq: 0,
    kind: MdKind.Level,
    side: 1,
    price: 0,
    qty: 0,
  };

  /**
   * Replayed level update (event `k` of the replay columns): what onMarketEvent + process do for a
   * Level event, with the event object filled only when the book changed (once per message, not
   * per level).
   */
  readonly onLevel = (symbolId: number, c: LevelColumns, k: number, endOfMessage: boolean): void => {
    if (!this.normalizer.checkLevel(symbolId, c.exchTs[k])) return;
    const timed = this.nextTimed();
    if (timed || this.features?.active === true) {
      this.generalLevel(symbolId, c, k, endOfMessage, timed);
      return;
    }
    this.events++;
    this.lob.setLevel(symbolId, c.side[k] as Side, c.price[k], c.qty[k]);
    if (!endOfMessage) return;
    const ev = this.levelAt(symbolId, c, k);
    if (!this.lob.endLevels(ev)) return;
    this.bus.publish(ev, this.lob.stats(symbolId));
    this.bus.drain(this.runner.onSlot);
  };

  /** onLevel's path for the timed sample and the feature plane: as onMarketEvent takes a level. */
  private generalLevel(
    symbolId: number,
    c: LevelColumns,
    k: number,
    endOfMessage: boolean,
    timed: boolean,
  ): void {
    const ev = this.levelAt(symbolId, c, k);
    if (timed) this.timed(ev, endOfMessage);
    else this.process(ev, endOfMessage, false, 0, 0);
  }

  /**
   * The level event of column row `k`. Reads the times from the columns itself: V8 boxes a float
   * passed to a call it does not inline (two exchange-epoch times per message otherwise).
   */
  private levelAt(symbolId: number, c: LevelColumns, k: number): LevelEvent {
    const ev = this.level;
    ev.symbolId = symbolId;
    ev.exchTs = c.exchTs[k];
    ev.localTs = c.localTs[k];
    ev.side = c.side[k] as Side;
    ev.price = c.price[k];
    ev.qty = c.qty[k];
    return ev;
  }

  private fillLevel(
    symbolId: number,
    side: Side,
    price: number,
    qty: number,
    exchTs: Nanos,
    localTs: Nanos,
  ): LevelEvent {
    const ev = this.level;
    ev.symbolId = symbolId;
    ev.exchTs = exchTs;
    ev.localTs = localTs;
    ev.side = side;
    ev.price = price;
    ev.qty = qty;
    return ev;
  }

  /** One event of the timed sample: stage times and event -> intent are measured on it. */
  private timed(ev: MarketEvent, endOfMessage: boolean): void {
    const t0 = performance.now();
    this.runner.eventT0 = t0;
    this.latency?.beginEvent();
    this.process(ev, endOfMessage, true, t0, t0);
  }

  /**
   * `t0`: arrival, `t1`: normalized (performance.now() ms). Each stage boundary is read once:
   * `tb` moves from stage to stage, and the strategy stage runs from the last one to the end of
   * the bus drain (so it includes the recorder copy and the bus publish).
   */
  private process(ev: MarketEvent, endOfMessage: boolean, timed: boolean, t0: number, t1: number): void {
    this.events++;
    let tb = t1;
    const spec = this.symbols[ev.symbolId];
    if (ev.kind === MdKind.Trade) {
      this.recorder?.recordTrade(spec.code, spec.priceScale, ev.exchTs, ev.localTs, ev.seq, ev.price, ev.qty);
      this.tape?.record(ev.symbolId, ev.exchTs, ev.price, ev.qty, ev.aggressor);
      this.features?.onTrade(ev.symbolId, ev.qty, ev.aggressor, ev.exchTs);
      this.bus.publish(ev, null);
    } else {
      const changed = this.lob.apply(ev, endOfMessage);
      if (timed) {
        tb = performance.now();
        if (this.lobLatency !== null) this.lobLatency.record((tb - t0) * 1e6);
        if (this.latency !== null) this.latency.recordMs(Stage.Lob, tb - t1);
      }
      const features = this.features;
      if (features?.active === true) {
        if (ev.kind === MdKind.Clear) features.reset(ev.symbolId);
        if (changed) {
          features.onBook(ev.symbolId, this.lob.book(ev.symbolId), ev.exchTs);
          if (timed && this.latency !== null) {
            const t3 = performance.now();
            this.latency.recordMs(Stage.Features, t3 - tb);
            tb = t3;
          }
        }
      }
      if (ev.kind === MdKind.Depth) {
        this.recorder?.recordDepth(
          spec.code,
          spec.priceScale,
          ev.exchTs,
          ev.localTs,
          ev.seq,
          ev.levels,
          ev.bidPx,
          ev.bidQty,
          ev.askPx,
          ev.askQty,
        );
      }
      if (changed) this.bus.publish(ev, this.lob.stats(ev.symbolId));
    }
    const lat = this.latency;
    if (lat === null || !timed) this.bus.drain(this.runner.onSlot);
    else {
      if (this.bus.drain(this.runner.onSlot) > 0)
        lat.recordMs(Stage.Strategy, performance.now() - tb - lat.nestedMs);
      lat.endEvent();
    }
    this.runner.eventT0 = 0;
  }
}
