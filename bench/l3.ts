import path from 'node:path';
import { applyMbo } from '../src/lob/mbo-actions.ts';
import { OrderBookL3, type OrderId } from '../src/lob/order-book-l3.ts';
import { decodeMbo } from '../test/venues/replay/dbn-file.ts';

/** L3 book throughput on CME ESH4 MBO records. */
export interface L3Figure {
  file: string;
  records: number;
  passes: number;
  best_ms: number;
  events_per_s: number;
}

/**
 * The L3 book fed every MBO record of the ESH4 day (snapshot + live), its L2 view kept up to date
 * per record: records decoded once up front (the decoder the L3 equality test uses; the DBN
 * reader folds records into L2 and keeps none), then best of `passes` replays, each from a clear book.
 */
export function benchL3(dataDir: string, row: (name: string, value: string) => void, passes = 20): L3Figure {
  const file = 'esh4-glbx-mdp3-20231225.mbo.dbn.zst';
  const recs = decodeMbo(path.join(dataDir, file));
  const n = recs.length;
  const action = new Uint8Array(n);
  const side = new Int8Array(n);
  const price = new Float64Array(n);
  const size = new Float64Array(n);
  const ids: OrderId[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = recs[i];
    action[i] = r.action.charCodeAt(0);
    side[i] = r.side === 'B' ? 1 : r.side === 'A' ? -1 : 0;
    price[i] = Number(r.price / 10_000_000n);
    size[i] = r.size;
    ids[i] = r.orderId <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(r.orderId) : r.orderId;
  }
  const book = new OrderBookL3();
  let best = Number.POSITIVE_INFINITY;
  let check = 0;
  for (let p = 0; p < passes; p++) {
    book.clear();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) applyMbo(book, action[i], ids[i], side[i] as 1 | -1 | 0, price[i], size[i]);
    best = Math.min(best, performance.now() - t0);
    check += book.bestBid + book.bestAsk; // keeps the loop's result alive
  }
  if (!(check > 0)) throw new Error('L3 bench: empty book at the end of the day');
  const f = {
    file,
    records: n,
    passes,
    best_ms: Math.round(best * 10) / 10,
    events_per_s: Math.round(n / (best / 1000)),
  };
  row(
    `L3 book ${file}`,
    `${(f.events_per_s / 1e6).toFixed(2)} M events/s (${n} MBO records, best of ${passes})`,
  );
  return f;
}
