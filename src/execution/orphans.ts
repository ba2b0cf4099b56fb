import type { VenueExecEvent } from '../contracts/venue.ts';

/** A callback no order could be found for, waiting for its order to become known. */
export interface Orphan {
  e: VenueExecEvent;
  receivedTs: number;
}

/**
 * Callbacks for orders we cannot resolve yet (e.g. a fill that carries only the venue's order
 * id and arrives before the ack that maps it). Bounded: when full, the oldest is handed back
 * to be settled at once, so nothing is silently lost.
 */
export class OrphanBook {
  private list: Orphan[] = [];

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.list.length;
  }

  /** Keeps a copy of `e`; returns the orphan pushed out when the book was full (to settle now). */
  park(e: VenueExecEvent, now: number): Orphan | null {
    this.list.push({ e: { ...e }, receivedTs: now });
    return this.list.length > this.capacity ? this.list.shift()! : null;
  }

  /** Removes and returns the orphans carrying this venue order id, oldest first. */
  take(venueOrderId: string): Orphan[] {
    if (venueOrderId === '' || this.list.length === 0) return [];
    const hit = this.list.filter((x) => x.e.venueOrderId === venueOrderId);
    if (hit.length > 0) this.list = this.list.filter((x) => x.e.venueOrderId !== venueOrderId);
    return hit;
  }

  /** Removes and returns the orphans older than `ttlNs`. */
  expire(now: number, ttlNs: number): Orphan[] {
    const old = this.list.filter((x) => now - x.receivedTs >= ttlNs);
    if (old.length > 0) this.list = this.list.filter((x) => now - x.receivedTs < ttlNs);
    return old;
  }
}
