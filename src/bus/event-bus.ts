import type { LobStats, MarketEvent } from '../contracts/market.ts';
import { type OverflowPolicy, RingBuffer } from '../core/ring-buffer.ts';

/** One bus entry: the event and, for book updates, the refreshed stats. */
export interface BusSlot {
  event: MarketEvent | null;
  stats: LobStats | null;
}

/**
 * Bounded ring-buffer bus from the market-data plane to the decision plane. The
 * publisher fills preallocated slots; the consumer drains in batches in the same turn.
 */
export class EventBus {
  private readonly ring: RingBuffer<BusSlot>;
  published = 0;
  consumed = 0;

  constructor(capacity: number, policy: OverflowPolicy) {
    this.ring = new RingBuffer<BusSlot>(capacity, () => ({ event: null, stats: null }), policy);
  }

  /** Returns false when the event was refused (reject policy, ring full). */
  publish(event: MarketEvent, stats: LobStats | null): boolean {
    const slot = this.ring.claim();
    if (slot === null) return false;
    slot.event = event;
    slot.stats = stats;
    this.published++;
    return true;
  }

  /** Delivers every pending slot to `fn`. */
  drain(fn: (slot: BusSlot) => void): number {
    let n = 0;
    for (let s = this.ring.poll(); s !== null; s = this.ring.poll()) {
      fn(s);
      n++;
    }
    this.consumed += n;
    return n;
  }

  get depth(): number {
    return this.ring.size;
  }
  get dropped(): number {
    return this.ring.dropped;
  }
  get highWater(): number {
    return this.ring.highWater;
  }
}
