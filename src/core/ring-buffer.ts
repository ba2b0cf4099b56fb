/** What a full queue does with a new item. */
export type OverflowPolicy = 'drop_oldest' | 'reject';

/**
 * Bounded single-producer ring of preallocated slots (LMAX style): the producer claims a
 * slot and fills it in place, the consumer reads slots in batches. No allocation after construction.
 */
export class RingBuffer<T> {
  private readonly slots: T[];
  private readonly mask: number;
  private head = 0; // next slot to read
  private tail = 0; // next slot to write
  /** Items lost or refused because the ring was full. */
  dropped = 0;
  /** Highest depth seen. */
  highWater = 0;

  constructor(
    capacity: number,
    make: () => T,
    readonly policy: OverflowPolicy = 'drop_oldest',
  ) {
    if (capacity < 2 || (capacity & (capacity - 1)) !== 0) {
      throw new Error(`ring capacity must be a power of two >= 2, got ${capacity}`);
    }
    this.mask = capacity - 1;
    this.slots = Array.from({ length: capacity }, make);
  }

  get capacity(): number {
    return this.mask + 1;
  }

  get size(): number {
    return this.tail - this.head;
  }

  /** Returns the slot to fill, or null when full under the 'reject' policy. */
  claim(): T | null {
    if (this.tail - this.head > this.mask) {
      this.dropped++;
      if (this.policy === 'reject') return null;
      this.head++;
    }
    const slot = this.slots[this.tail & this.mask];
    this.tail++;
    const depth = this.tail - this.head;
    if (depth > this.highWater) this.highWater = depth;
    return slot;
  }

  /** Next unread slot, or null when empty. The slot stays valid until the producer wraps onto it. */
  poll(): T | null {
    if (this.head === this.tail) return null;
    return this.slots[this.head++ & this.mask];
  }

  clear(): void {
    this.head = this.tail;
  }
}
