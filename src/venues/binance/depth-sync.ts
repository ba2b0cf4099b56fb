/**
 * Binance local order book synchronisation, shared by the replay reader (recorded lines) and the
 * live adapter (socket frames): diffs are buffered until a REST snapshot, then applied by the
 * documented rules, and any break of the update-id chain is a gap.
 *
 * USDⓈ-M futures: drop diffs with u < L; the first applied must have U <= L <= u; then every diff
 * must have pu == the previous u. Spot: drop u <= L; the first must have U <= L+1 <= u; then
 * U == previous u + 1. (reference/binance-api.md §3.)
 */

/**
 * A validated depth diff: update ids, exchange time (ms), levels as scaled [price, qty] pairs in
 * the first `bidN` / `askN` entries of `bids` / `asks` (the live adapter reuses one diff and its
 * arrays for every frame: a sink must not keep it, DepthSync copies the ones it buffers).
 */
export interface DepthDiff {
  U: number;
  u: number;
  /** Futures: final update id of the previous diff on the stream (spot: unused). */
  pu: number;
  exchMs: number;
  bids: Float64Array;
  asks: Float64Array;
  /** Entries used (2 per level). */
  bidN: number;
  askN: number;
}

/** A diff the caller may reuse, copied to be kept. */
function copyDiff(d: DepthDiff): DepthDiff {
  return { ...d, bids: d.bids.slice(0, d.bidN), asks: d.asks.slice(0, d.askN) };
}

/** Where a synchronised book goes: the reader's event columns, or the live venue's book events. */
export interface DepthSink {
  /** A diff that continues the book: apply its levels as absolute sizes (0 removes). */
  apply(d: DepthDiff, localTs: number): void;
  /**
   * The book broke (`reason`): clear it; nothing is applied until the next snapshot (the live
   * adapter fetches one, the reader waits for the next recorded one).
   */
  gap(reason: string, localTs: number): void;
}

export type SyncState = 'waiting' | 'synced' | 'broken';

export interface DepthSyncCounters {
  appliedDiffs: number;
  /** Diffs older than the snapshot, dropped by the rules. */
  droppedDiffs: number;
  /** Diffs that arrived while the book was broken and were not kept. */
  unsyncedDiffs: number;
  gaps: number;
}

export class DepthSync {
  state: SyncState = 'waiting';
  /** lastUpdateId of the snapshot in force. */
  lastUpdateId = 0;
  /** Final u of the last applied diff; -1 right after a snapshot. */
  prevU = -1;
  readonly counters: DepthSyncCounters = { appliedDiffs: 0, droppedDiffs: 0, unsyncedDiffs: 0, gaps: 0 };
  private readonly buffered: { d: DepthDiff; localTs: number }[] = [];

  /**
   * `rebuffer`: after a gap, buffer the diffs again (the live adapter fetches a fresh snapshot);
   * false: drop them until a snapshot arrives (a recording holds its snapshots in line).
   */
  constructor(
    readonly futures: boolean,
    private readonly sink: DepthSink,
    private readonly rebuffer = false,
  ) {}

  /** Diffs waiting for a snapshot. */
  get bufferedCount(): number {
    return this.buffered.length;
  }

  /** First U among the buffered diffs (spot: a snapshot with lastUpdateId below it is too old), -1 when none. */
  get firstBufferedU(): number {
    return this.buffered.length === 0 ? -1 : this.buffered[0].d.U;
  }

  /** Exchange time of the first buffered diff reaching update `id` (spot snapshots carry no time), NaN when none. */
  exchMsAt(id: number): number {
    for (const x of this.buffered) if (x.d.u >= id) return x.d.exchMs;
    return Number.NaN;
  }

  /** One diff off the stream. */
  diff(d: DepthDiff, localTs: number): void {
    if (this.state === 'waiting') {
      this.buffered.push({ d: copyDiff(d), localTs });
      return;
    }
    if (this.state === 'broken') {
      this.counters.unsyncedDiffs++;
      return;
    }
    const L = this.lastUpdateId;
    const futures = this.futures;
    if (this.prevU < 0) {
      if (futures ? d.u < L : d.u <= L) {
        this.counters.droppedDiffs++;
        return;
      }
      const straddles = futures ? d.U <= L && d.u >= L : d.U <= L + 1 && d.u >= L + 1;
      if (!straddles) {
        this.gap(localTs, `first diff [${d.U}, ${d.u}] does not cover snapshot id ${L}`);
        return;
      }
    } else if (futures ? d.pu !== this.prevU : d.U !== this.prevU + 1) {
      this.gap(localTs, `diff [${d.U}, ${d.u}] does not follow update ${this.prevU}`);
      return;
    }
    this.sink.apply(d, localTs);
    this.counters.appliedDiffs++;
    this.prevU = d.u;
  }

  /**
   * A snapshot with `lastUpdateId` was applied by the caller (book replaced at `localTs`): the
   * buffered diffs follow it now, at the snapshot's receive time.
   */
  snapshot(lastUpdateId: number, localTs: number): void {
    this.lastUpdateId = lastUpdateId;
    this.prevU = -1;
    this.state = 'synced';
    for (const x of this.buffered.splice(0)) this.diff(x.d, Math.max(x.localTs, localTs));
  }

  /** Forgets the book (a reconnect): buffer again until the next snapshot. */
  reset(): void {
    this.state = 'waiting';
    this.prevU = -1;
    this.buffered.length = 0;
  }

  private gap(localTs: number, reason: string): void {
    this.counters.gaps++;
    this.state = this.rebuffer ? 'waiting' : 'broken';
    this.prevU = -1;
    this.sink.gap(reason, localTs);
  }
}
