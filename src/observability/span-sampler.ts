/** One sampled stage measurement, as handed to a consumer (e.g. the recorder's `hft.latency_spans`). */
export type SpanSink = (ts: number, traceId: number, stage: number, latencyNs: number) => void;

/**
 * Preallocated ring of sampled latency spans. The hot path writes four numbers into typed
 * arrays; a cold consumer drains them in batches. When full, the oldest span is overwritten
 * and counted in `dropped`.
 */
export class SpanSampler {
  private readonly ts: Float64Array;
  private readonly trace: Float64Array;
  private readonly latency: Float64Array;
  private readonly stage: Uint8Array;
  private readonly mask: number;
  private head = 0;
  private tail = 0;
  /** Spans written since start. */
  sampled = 0;
  /** Spans overwritten before a consumer drained them. */
  dropped = 0;

  constructor(capacity = 8192) {
    if (capacity < 2 || (capacity & (capacity - 1)) !== 0)
      throw new Error(`span ring capacity must be a power of two >= 2, got ${capacity}`);
    this.mask = capacity - 1;
    this.ts = new Float64Array(capacity);
    this.trace = new Float64Array(capacity);
    this.latency = new Float64Array(capacity);
    this.stage = new Uint8Array(capacity);
  }

  get size(): number {
    return this.tail - this.head;
  }

  add(ts: number, traceId: number, stage: number, latencyNs: number): void {
    if (this.tail - this.head > this.mask) {
      this.head++;
      this.dropped++;
    }
    const i = this.tail & this.mask;
    this.ts[i] = ts;
    this.trace[i] = traceId;
    this.stage[i] = stage;
    this.latency[i] = latencyNs;
    this.tail++;
    this.sampled++;
  }

  /** Hands every pending span to `sink`, oldest first; returns how many. */
  drain(sink: SpanSink): number {
    let n = 0;
    for (; this.head < this.tail; this.head++, n++) {
      const i = this.head & this.mask;
      sink(this.ts[i], this.trace[i], this.stage[i], this.latency[i]);
    }
    return n;
  }
}
