/**
 * Memory of recently finished ids (order ids), in two typed/plain arrays and no hash table:
 * id `k` lives in slot `k % capacity` until another id of that slot is stored. Ids are issued
 * sequentially, so an entry is kept at least until `capacity` newer ids have been issued, and
 * a set or get is an array access. (A Map with FIFO eviction costs ~130 ns per insert from its
 * delete/rehash churn, which showed up in every order round trip of a backtest.)
 */
export class RecentIds<V> {
  private readonly keys: Float64Array;
  private readonly values: (V | undefined)[];

  constructor(
    readonly capacity: number,
    /** Called with each entry pushed out by a newer id of the same slot. */
    private readonly onEvict?: (id: number, value: V) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new Error(`RecentIds: bad capacity ${capacity}`);
    this.keys = new Float64Array(capacity).fill(-1);
    this.values = new Array(capacity).fill(undefined);
  }

  get(id: number): V | undefined {
    const slot = id % this.capacity;
    return this.keys[slot] === id ? this.values[slot] : undefined;
  }

  has(id: number): boolean {
    return this.keys[id % this.capacity] === id;
  }

  /** Stores `id` (a non-negative integer), evicting the entry that held its slot. */
  set(id: number, value: V): void {
    const slot = id % this.capacity;
    const old = this.keys[slot];
    if (old !== id && old >= 0 && this.onEvict !== undefined) this.onEvict(old, this.values[slot] as V);
    this.keys[slot] = id;
    this.values[slot] = value;
  }
}

/**
 * RecentIds without values: whether an id is among the recent ones (the same slots, `id % capacity`),
 * in one zero-filled Float64Array holding id + 1 (0: empty), so a large memory costs no array of
 * values and no fill when it is made (a backtest makes one per run).
 */
export class RecentIdSet {
  private readonly keys: Float64Array;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0)
      throw new Error(`RecentIdSet: bad capacity ${capacity}`);
    this.keys = new Float64Array(capacity);
  }

  has(id: number): boolean {
    return this.keys[id % this.capacity] === id + 1;
  }

  /** Remembers `id` (a non-negative integer), forgetting the id that held its slot. */
  add(id: number): void {
    this.keys[id % this.capacity] = id + 1;
  }
}
