import type { EventBus } from '../bus/event-bus.ts';
import { type MarketEvent, MdKind } from '../contracts/market.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { RawQuote } from '../contracts/venue.ts';
import type { LatencyHistogram } from '../core/histogram.ts';
import type { Normalizer } from '../feed/normalizer.ts';
import type { LobEngine } from '../lob/lob-engine.ts';
import type { Recorder } from '../recorder/recorder.ts';
import type { StrategyRunner } from '../strategy/runner.ts';

/**
 * The synchronous hot path for one quote: normalize -> LOB -> record (copy into a ring) ->
 * bus -> strategies -> risk -> order adapter, all in one turn with no await.
 */
export class MarketDataService {
  events = 0;
  /** LOB apply + stats cost per event (ns), sampled every event. */
  constructor(
    private readonly symbols: readonly SymbolSpec[],
    private readonly normalizer: Normalizer,
    private readonly lob: LobEngine,
    private readonly bus: EventBus,
    private readonly runner: StrategyRunner,
    private readonly recorder: Recorder | null,
    private readonly lobLatency: LatencyHistogram | null,
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
    this.process(ev, true, t0);
  };

  /** Already-normalized event (replay). */
  readonly onMarketEvent = (ev: MarketEvent, endOfMessage: boolean): void => {
    const t0 = performance.now();
    this.runner.eventT0 = t0;
    this.process(ev, endOfMessage, t0);
  };

  private process(ev: MarketEvent, endOfMessage: boolean, t0: number): void {
    this.events++;
    const spec = this.symbols[ev.symbolId];
    if (ev.kind === MdKind.Trade) {
      this.recorder?.recordTrade(spec.code, spec.priceScale, ev.exchTs, ev.localTs, ev.seq, ev.price, ev.qty);
      this.bus.publish(ev, null);
    } else {
      const changed = this.lob.apply(ev, endOfMessage);
      if (this.lobLatency !== null) this.lobLatency.record((performance.now() - t0) * 1e6);
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
    this.bus.drain(this.runner.onSlot);
    this.runner.eventT0 = 0;
  }
}
