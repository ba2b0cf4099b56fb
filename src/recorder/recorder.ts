import { Worker } from 'node:worker_threads';
// Keeps the native engine loaded in this thread too: when only the store worker has loaded it, the
// addon is unloaded as the worker exits, which crashes the process (measured, chdb 3.4).
import 'chdb';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { RingBuffer } from '../core/ring-buffer.ts';
import {
  copyFill,
  copyOrder,
  emptyFill,
  emptyOrder,
  type FillRecord,
  fillTsv,
  MARKET_DATA_COLUMNS,
  MarketSlot,
  marketTsv,
  ORDER_COLUMNS,
  type OrderRecord,
  orderTsv,
  TRADE_COLUMNS,
} from './rows.ts';
import type { FromStoreWorker, StoreWorkerData, ToStoreWorker } from './store-worker.ts';

export interface RecorderOptions {
  /** Embedded ClickHouse data directory. */
  dataDir: string;
  logger: Logger;
  /** How often the rings are drained to the store worker. Default 200. */
  flushIntervalMs?: number;
  /** Rows per insert batch; a ring holding this many triggers an early flush. Default 5000. */
  batchRows?: number;
  /** Slots per ring (power of two). Default 16384. */
  ringCapacity?: number;
  /** Book levels kept per depth row; deeper levels are not recorded. Default 10. */
  depthLevels?: number;
}

export type TableName = 'market_data' | 'orders' | 'trades';
export type TableCounts = Record<TableName, number>;

export interface RecorderStats {
  /** Rows accepted by record*() (market data includes rows later shed). */
  enqueued: TableCounts;
  /** Rows the store reported written. */
  written: TableCounts;
  /** Market-data rows dropped (oldest first) because the ring was full. */
  shed_market_data: number;
  /** Batches posted to the store worker. */
  batches: number;
  /** Batches posted and not yet acknowledged. */
  pending: number;
  /** Batches the store failed to insert, and their rows (lost until the WAL exists). */
  failed_batches: number;
  failed_rows: number;
  /** Rows refused at encoding (NaN, Infinity, out of Int64 range, negative unsigned). */
  invalid_rows: number;
  /** Times a full orders/trades ring was drained synchronously instead of dropping. */
  spills: number;
  /** Orders/trades rows lost to a full ring: must stay 0. */
  lost_orders_trades: number;
  lastError: string | null;
}

interface Batch {
  table: TableName;
  rows: number;
}

const COLUMNS: Record<TableName, readonly string[]> = {
  market_data: MARKET_DATA_COLUMNS,
  orders: ORDER_COLUMNS,
  trades: TRADE_COLUMNS,
};

const counts = (): TableCounts => ({ market_data: 0, orders: 0, trades: 0 });

/** Resolves when the store worker has opened the store; rejects with its error (a UserError stays one). */
function workerReady(worker: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onMessage = (msg: FromStoreWorker) => {
      cleanup();
      if (msg.op === 'ready') resolve();
      else if (msg.op === 'failed')
        reject(msg.name === 'UserError' ? new UserError(msg.message) : new Error(msg.message));
      else reject(new Error(`store worker sent '${msg.op}' before opening`));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number) => onError(new Error(`store worker exited (code ${code}) before opening`));
    // Only our own listeners: Worker manages its message port through listener events.
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/**
 * Records market data, order events and own fills from the trading loop into the store.
 * record*() only copies into preallocated ring slots; a timer drains the rings into TSV batches that a
 * worker thread inserts, so the trading loop never waits on storage and never sees a storage error.
 */
export class Recorder {
  private readonly market: RingBuffer<MarketSlot>;
  private readonly orders: RingBuffer<OrderRecord>;
  private readonly fills: RingBuffer<FillRecord>;
  private readonly depthLevels: number;
  private readonly batchRows: number;
  private readonly logger: Logger;
  private readonly timer: NodeJS.Timeout;
  private readonly enqueued = counts();
  private readonly written = counts();
  private readonly inflight = new Map<number, Batch>();
  private nextBatchId = 0;
  private batches = 0;
  private failedBatches = 0;
  private failedRows = 0;
  private invalidRows = 0;
  private spills = 0;
  private lastError: string | null = null;
  private flushScheduled = false;
  private workerGone = false;
  /** Set once close() has sent its final flush: later batches could not be acknowledged. */
  private stopped = false;
  private closing: Promise<RecorderStats> | null = null;
  private onClosed: (() => void) | null = null;
  private readonly flushSoon = () => {
    this.flushScheduled = false;
    this.flush();
  };

  private constructor(
    private readonly worker: Worker,
    opts: RecorderOptions,
  ) {
    const capacity = opts.ringCapacity ?? 16384;
    this.depthLevels = opts.depthLevels ?? 10;
    this.batchRows = opts.batchRows ?? 5000;
    this.logger = opts.logger;
    this.market = new RingBuffer(capacity, () => new MarketSlot(this.depthLevels), 'drop_oldest');
    this.orders = new RingBuffer(capacity, emptyOrder, 'reject');
    this.fills = new RingBuffer(capacity, emptyFill, 'reject');
    worker.on('message', (msg: FromStoreWorker) => this.onMessage(msg));
    worker.on('error', (err) => this.onWorkerGone(`store worker crashed: ${err.message}`));
    worker.on('exit', (code) => this.onWorkerGone(`store worker exited (code ${code})`));
    this.timer = setInterval(() => this.flush(), opts.flushIntervalMs ?? 200);
    // The worker keeps the process alive while the recorder is open; the timer need not.
    this.timer.unref();
  }

  /** Starts the store worker (opening the store, applying the schema) and returns a ready recorder. */
  static async open(opts: RecorderOptions): Promise<Recorder> {
    const data: StoreWorkerData = { dataDir: opts.dataDir };
    const worker = new Worker(new URL('./store-worker-entry.mjs', import.meta.url), { workerData: data });
    try {
      await workerReady(worker);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return new Recorder(worker, opts);
  }

  /** Records a top-`levels` book snapshot (arrays are copied). Prices scaled by `priceScale`, times in ns. */
  recordDepth(
    symbol: string,
    priceScale: number,
    exchTs: number,
    localTs: number,
    seq: number,
    levels: number,
    bidPx: Float64Array,
    bidQty: Float64Array,
    askPx: Float64Array,
    askQty: Float64Array,
  ): void {
    const s = this.market.claim()!; // drop_oldest always yields a slot
    s.type = 'depth';
    s.symbol = symbol;
    s.priceScale = priceScale;
    s.exchTs = exchTs;
    s.ingestTs = localTs;
    s.seq = seq;
    s.price = 0;
    s.volume = 0;
    const n = Math.min(levels, this.depthLevels);
    s.levels = n;
    for (let i = 0; i < n; i++) {
      s.bidPx[i] = bidPx[i];
      s.bidQty[i] = bidQty[i];
      s.askPx[i] = askPx[i];
      s.askQty[i] = askQty[i];
    }
    this.enqueued.market_data++;
    if (this.market.size >= this.batchRows) this.scheduleFlush();
  }

  /** Records a market trade print. */
  recordTrade(
    symbol: string,
    priceScale: number,
    exchTs: number,
    localTs: number,
    seq: number,
    price: number,
    qty: number,
  ): void {
    const s = this.market.claim()!;
    s.type = 'trade';
    s.symbol = symbol;
    s.priceScale = priceScale;
    s.exchTs = exchTs;
    s.ingestTs = localTs;
    s.seq = seq;
    s.price = price;
    s.volume = qty;
    s.levels = 0;
    this.enqueued.market_data++;
    if (this.market.size >= this.batchRows) this.scheduleFlush();
  }

  /** Records one order lifecycle event; the fields are copied, so `ev` may be reused. Never dropped. */
  recordOrder(ev: OrderRecord): void {
    if (this.orders.size === this.orders.capacity) this.spill('orders');
    const s = this.orders.claim();
    if (s === null) return; // counted by the ring; unreachable after a spill
    copyOrder(s, ev);
    this.enqueued.orders++;
    if (this.orders.size >= this.batchRows) this.scheduleFlush();
  }

  /** Records one own fill; the fields are copied, so `fill` may be reused. Never dropped. */
  recordFill(fill: FillRecord): void {
    if (this.fills.size === this.fills.capacity) this.spill('trades');
    const s = this.fills.claim();
    if (s === null) return;
    copyFill(s, fill);
    this.enqueued.trades++;
    if (this.fills.size >= this.batchRows) this.scheduleFlush();
  }

  /** Drains every ring into batches for the store worker. Acks arrive later (see stats().pending). */
  flush(): void {
    if (this.stopped) return;
    this.drain('market_data');
    this.drain('orders');
    this.drain('trades');
  }

  stats(): RecorderStats {
    return {
      enqueued: { ...this.enqueued },
      written: { ...this.written },
      shed_market_data: this.market.dropped,
      batches: this.batches,
      pending: this.inflight.size,
      failed_batches: this.failedBatches,
      failed_rows: this.failedRows,
      invalid_rows: this.invalidRows,
      spills: this.spills,
      lost_orders_trades: this.orders.dropped + this.fills.dropped,
      lastError: this.lastError,
    };
  }

  /** Stops the timer, flushes everything, waits for every ack, closes the store and the worker. */
  close(): Promise<RecorderStats> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<RecorderStats> {
    clearInterval(this.timer);
    this.flush();
    this.stopped = true;
    if (!this.workerGone) {
      // The worker handles messages in order: 'closed' comes after every pending ack.
      await new Promise<void>((resolve) => {
        this.onClosed = resolve;
        this.post({ op: 'close' });
      });
    }
    await this.worker.terminate();
    return this.stats();
  }

  /** A full orders/trades ring is sent as is rather than lose a row. */
  private spill(table: 'orders' | 'trades'): void {
    this.spills++;
    this.drain(table);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.stopped) return;
    this.flushScheduled = true;
    setImmediate(this.flushSoon);
  }

  private drain(table: TableName): void {
    if (table === 'market_data') this.drainRing(table, this.market, marketTsv);
    else if (table === 'orders') this.drainRing(table, this.orders, orderTsv);
    else this.drainRing(table, this.fills, fillTsv);
  }

  /** Encodes a ring's rows into TSV batches of at most batchRows rows and sends them. */
  private drainRing<T>(table: TableName, ring: RingBuffer<T>, encode: (row: T) => string | null): void {
    let payload = '';
    let rows = 0;
    let invalid = 0;
    for (let s = ring.poll(); s !== null; s = ring.poll()) {
      const line = encode(s);
      if (line === null) {
        invalid++;
        continue;
      }
      payload += line;
      if (++rows === this.batchRows) {
        this.send(table, rows, payload);
        payload = '';
        rows = 0;
      }
    }
    if (rows > 0) this.send(table, rows, payload);
    if (invalid > 0) {
      this.invalidRows += invalid;
      this.lastError = `${invalid} ${table} rows with unstorable values (NaN, Infinity or out of range)`;
      this.logger.warn({ table, rows: invalid }, 'recorder refused rows with unstorable values');
    }
  }

  private send(table: TableName, rows: number, payload: string): void {
    const id = ++this.nextBatchId;
    this.batches++;
    this.inflight.set(id, { table, rows });
    if (this.workerGone || this.stopped) {
      this.settle(id, 0, this.stopped ? 'recorder is closed' : (this.lastError ?? 'store worker is gone'));
      return;
    }
    this.post({ op: 'insert', id, table: `hft.${table}`, columns: COLUMNS[table], payload });
  }

  private post(msg: ToStoreWorker): void {
    this.worker.postMessage(msg);
  }

  private onMessage(msg: FromStoreWorker): void {
    if (msg.op === 'ack') this.settle(msg.id, msg.rows, msg.error);
    else if (msg.op === 'closed') {
      if (msg.error !== null) {
        this.lastError = msg.error;
        this.logger.error({ err: msg.error }, 'recorder store close failed');
      }
      this.workerGone = true;
      this.onClosed?.();
    }
  }

  private settle(id: number, rows: number, error: string | null): void {
    const batch = this.inflight.get(id);
    if (batch === undefined) return;
    this.inflight.delete(id);
    if (error === null) {
      this.written[batch.table] += rows;
      return;
    }
    this.failedBatches++;
    this.failedRows += batch.rows;
    this.lastError = error;
    this.logger.error({ table: batch.table, rows: batch.rows, err: error }, 'recorder insert failed');
  }

  /** The worker died: every unacknowledged batch is failed, later ones fail at once. */
  private onWorkerGone(reason: string): void {
    if (this.workerGone) return;
    this.workerGone = true;
    this.lastError = reason;
    this.logger.error({ err: reason }, 'recorder store worker is gone');
    for (const id of [...this.inflight.keys()]) this.settle(id, 0, reason);
    this.onClosed?.();
  }
}
