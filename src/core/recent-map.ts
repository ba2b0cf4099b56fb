/**
 * A map that remembers only its last `capacity` insertions (FIFO eviction through a key
 * ring). Evicting via Map iteration is avoided on purpose: after many deletes V8 walks the
 * deleted slots from the start of the table, which makes that pattern quadratic.
 * Keys are expected to be unique (order ids): setting a key again does not refresh its age.
 */
export class RecentMap<K, V> {
  private readonly map = new Map<K, V>();
  private readonly ring: (K | undefined)[];
  private next = 0;

  constructor(
    readonly capacity: number,
    /** Called with each evicted entry. */
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    this.ring = new Array(capacity);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Inserts `key` as the newest entry, evicting the oldest when full. */
  set(key: K, value: V): void {
    const slot = this.next++ % this.capacity;
    const old = this.ring[slot];
    if (old !== undefined && old !== key) {
      const v = this.map.get(old);
      if (this.map.delete(old) && this.onEvict) this.onEvict(old, v as V);
    }
    this.ring[slot] = key;
    this.map.set(key, value);
  }
}
