/** Rows per chunk: a chunk of a few float64 columns stays small and is never copied. */
const CHUNK_ROWS = 4096;

/**
 * Fixed-width rows of float64 values, appended in chunks: nothing is copied as the log grows and
 * the values live outside the JS heap, so a day of samples neither churns the GC (as growing
 * number[] columns do) nor touches fresh memory again at every doubling.
 */
export class SampleLog {
  length = 0;
  /** The chunk holding the last added row. */
  chunk: Float64Array;
  private readonly chunks: Float64Array[] = [];
  private end = 0;

  /** `blank`: the value of a row's cells until set (a chunk is filled with it once, not row by row). */
  constructor(
    readonly width: number,
    private readonly blank = 0,
  ) {
    this.chunk = this.addChunk();
  }

  /** Adds a row (its values `blank`); returns the offset in `chunk` of its `width` values (write them there). */
  add(): number {
    if (this.end === this.chunk.length) {
      this.chunk = this.addChunk();
      this.end = 0;
    }
    const off = this.end;
    this.end += this.width;
    this.length++;
    return off;
  }

  /** Value `col` of row `row`. */
  get(row: number, col: number): number {
    return this.chunks[Math.floor(row / CHUNK_ROWS)][(row % CHUNK_ROWS) * this.width + col];
  }

  /** Sets value `col` of row `row`. */
  set(row: number, col: number, v: number): void {
    this.chunks[Math.floor(row / CHUNK_ROWS)][(row % CHUNK_ROWS) * this.width + col] = v;
  }

  /** Column `col` of every row, as a plain array. */
  column(col: number): number[] {
    const out = new Array<number>(this.length);
    let i = 0;
    for (const c of this.chunks) {
      for (let off = col; off < c.length && i < this.length; off += this.width) out[i++] = c[off];
    }
    return out;
  }

  private addChunk(): Float64Array {
    const c = new Float64Array(CHUNK_ROWS * this.width);
    if (this.blank !== 0) c.fill(this.blank);
    this.chunks.push(c);
    return c;
  }
}
