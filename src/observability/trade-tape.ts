/** A market trade as shown on the dashboard (price scaled, time in ns of the run clock). */
export interface TapeTrade {
  ts: number;
  price: number;
  qty: number;
  /** Aggressor side: 1 buy, -1 sell, 0 unknown. */
  side: number;
}

/**
 * The last `capacity` market trades per symbol, in preallocated typed arrays: the hot path
 * writes four numbers per trade; the dashboard reads copies on its own timer.
 */
export class TradeTape {
  private readonly ts: Float64Array;
  private readonly px: Float64Array;
  private readonly qty: Float64Array;
  private readonly side: Int8Array;
  /** Trades written per symbol since start. */
  private readonly written: Float64Array;

  constructor(
    symbols: number,
    private readonly capacity = 64,
  ) {
    this.ts = new Float64Array(symbols * capacity);
    this.px = new Float64Array(symbols * capacity);
    this.qty = new Float64Array(symbols * capacity);
    this.side = new Int8Array(symbols * capacity);
    this.written = new Float64Array(symbols);
  }

  record(symbolId: number, ts: number, price: number, qty: number, side: number): void {
    const n = this.written[symbolId];
    if (n === undefined) return;
    const i = symbolId * this.capacity + (n % this.capacity);
    this.ts[i] = ts;
    this.px[i] = price;
    this.qty[i] = qty;
    this.side[i] = side;
    this.written[symbolId] = n + 1;
  }

  /** Trades of a symbol since start. */
  count(symbolId: number): number {
    return this.written[symbolId] ?? 0;
  }

  /** Up to `max` most recent trades of a symbol, newest first (allocates: cold path only). */
  recent(symbolId: number, max = this.capacity): TapeTrade[] {
    const n = this.written[symbolId] ?? 0;
    const out: TapeTrade[] = [];
    for (let k = n - 1; k >= 0 && k >= n - this.capacity && out.length < max; k--) {
      const i = symbolId * this.capacity + (k % this.capacity);
      out.push({ ts: this.ts[i], price: this.px[i], qty: this.qty[i], side: this.side[i] });
    }
    return out;
  }
}
