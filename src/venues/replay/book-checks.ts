/**
 * Book states the data itself vouches for, as packed check points: after applying events
 * [0..eventIndex[i]] a correct book shows, per side, the `levels` best levels of row i.
 * Level k of row i sits at index i * levels + k; an absent level is price 0, qty 0.
 */
export interface BookChecks {
  n: number;
  levels: number;
  eventIndex: Int32Array;
  /** Local time at which the source published this state (ns). */
  localTs: Float64Array;
  bidPx: Float64Array;
  bidQty: Float64Array;
  askPx: Float64Array;
  askQty: Float64Array;
}

/** Appends check points to growable typed arrays. */
export class BookChecksBuilder {
  n = 0;
  private cap = 256;
  private eventIndex = new Int32Array(this.cap);
  private localTs = new Float64Array(this.cap);
  private bidPx: Float64Array;
  private bidQty: Float64Array;
  private askPx: Float64Array;
  private askQty: Float64Array;

  constructor(readonly levels: number) {
    this.bidPx = new Float64Array(this.cap * levels);
    this.bidQty = new Float64Array(this.cap * levels);
    this.askPx = new Float64Array(this.cap * levels);
    this.askQty = new Float64Array(this.cap * levels);
  }

  /** Appends one check point; the four arrays hold `levels` entries each (best first). */
  push(
    eventIndex: number,
    localTs: number,
    bidPx: ArrayLike<number>,
    bidQty: ArrayLike<number>,
    askPx: ArrayLike<number>,
    askQty: ArrayLike<number>,
  ): void {
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.eventIndex[i] = eventIndex;
    this.localTs[i] = localTs;
    const L = this.levels;
    for (let k = 0; k < L; k++) {
      this.bidPx[i * L + k] = bidPx[k];
      this.bidQty[i * L + k] = bidQty[k];
      this.askPx[i * L + k] = askPx[k];
      this.askQty[i * L + k] = askQty[k];
    }
  }

  /** Returns the right-sized check points. */
  finish(): BookChecks {
    const { n, levels } = this;
    return {
      n,
      levels,
      eventIndex: this.eventIndex.slice(0, n),
      localTs: this.localTs.slice(0, n),
      bidPx: this.bidPx.slice(0, n * levels),
      bidQty: this.bidQty.slice(0, n * levels),
      askPx: this.askPx.slice(0, n * levels),
      askQty: this.askQty.slice(0, n * levels),
    };
  }

  private grow(): void {
    this.cap *= 2;
    const L = this.levels;
    const f64 = (a: Float64Array, len: number) => {
      const b = new Float64Array(len);
      b.set(a);
      return b;
    };
    const ei = new Int32Array(this.cap);
    ei.set(this.eventIndex);
    this.eventIndex = ei;
    this.localTs = f64(this.localTs, this.cap);
    this.bidPx = f64(this.bidPx, this.cap * L);
    this.bidQty = f64(this.bidQty, this.cap * L);
    this.askPx = f64(this.askPx, this.cap * L);
    this.askQty = f64(this.askQty, this.cap * L);
  }
}
