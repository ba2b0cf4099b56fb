import { gzipSync } from 'node:zlib';

/** Builders of small, valid market-data files in each replay format, for malformed-input tests. */

/** A Binance recording: lines `<ns> <json>` (objects are stringified), gzipped. */
export function binanceGz(lines: (string | [number, unknown])[]): Buffer {
  const text = lines.map((l) => (typeof l === 'string' ? l : `${l[0]} ${JSON.stringify(l[1])}`)).join('\n');
  return gzipSync(`${text}\n`);
}

/** A USDⓈ-M futures session: a snapshot, `n` chained diffs (with trades and tickers between) from `t0` ns. */
export function binanceUsdmLines(n: number, t0 = 1_723_161_255_000_000_000): [number, unknown][] {
  const ms = Math.floor(t0 / 1e6) + 1270; // the exchange clock runs ~1.27 s ahead of this recorder's
  const out: [number, unknown][] = [];
  const diff = (k: number, U: number, u: number, pu: number) => ({
    stream: 'btcusdt@depth@0ms',
    data: {
      e: 'depthUpdate',
      E: ms + k,
      T: ms + k,
      s: 'BTCUSDT',
      U,
      u,
      pu,
      b: [[`${(61800 + (k % 5) / 10).toFixed(2)}`, `${(1 + k / 1000).toFixed(3)}`]],
      a: [[`${(61801 + (k % 5) / 10).toFixed(2)}`, '0.500']],
    },
  });
  out.push([t0, diff(0, 100, 105, 99)]);
  out.push([
    t0 + 1e6,
    {
      lastUpdateId: 104,
      E: ms + 1,
      T: ms + 1,
      bids: [
        ['61800.00', '2.000'],
        ['61799.90', '1.000'],
      ],
      asks: [
        ['61800.50', '1.500'],
        ['61800.60', '3.000'],
      ],
    },
  ]);
  let prev = 105;
  for (let k = 1; k <= n; k++) {
    const t = t0 + (k + 1) * 1e6;
    out.push([t, diff(k, prev + 1, prev + 3, prev)]);
    prev += 3;
    if (k % 3 === 0) {
      const p = (61800 + (k % 5) / 10).toFixed(2);
      out.push([
        t + 1,
        {
          stream: 'btcusdt@trade',
          data: {
            e: 'trade',
            E: ms + k,
            T: ms + k,
            s: 'BTCUSDT',
            p,
            q: '0.010',
            X: 'MARKET',
            m: k % 2 === 0,
          },
        },
      ]);
    }
    if (k % 4 === 0) {
      out.push([
        t + 2,
        {
          stream: 'btcusdt@bookTicker',
          data: {
            e: 'bookTicker',
            u: prev,
            s: 'BTCUSDT',
            b: '61800.00',
            B: '1.000',
            a: '61801.00',
            A: '0.500',
            T: ms + k,
            E: ms + k,
          },
        },
      ]);
    }
  }
  return out;
}

/** Index of the k-th depth diff line of a recording. */
export function nthDepthLine(lines: [number, unknown][], k: number): number {
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    if (JSON.stringify(lines[i][1]).includes('@depth') && seen++ === k) return i;
  }
  throw new Error(`no depth line ${k}`);
}

/** One Databento MBO record (56 bytes). */
export interface DbnRecord {
  tsEvent: bigint;
  orderId: bigint;
  /** 1e-9 units. */
  price: bigint;
  size: number;
  flags: number;
  action: string;
  side: string;
  tsRecv: bigint;
  instrument?: number;
}

/** A DBN v1 MBO file (uncompressed; metadata without symbols). */
export function dbnFile(records: DbnRecord[]): Buffer {
  const meta = Buffer.alloc(108); // dataset, schema 0 = MBO at offset 16, no symbols
  const head = Buffer.from([0x44, 0x42, 0x4e, 1, 108, 0, 0, 0]);
  const body = Buffer.alloc(56 * records.length);
  records.forEach((r, i) => {
    const o = 56 * i;
    body[o] = 14;
    body[o + 1] = 0xa0;
    body.writeUInt32LE(r.instrument ?? 5482, o + 4);
    body.writeBigUInt64LE(r.tsEvent, o + 8);
    body.writeBigUInt64LE(r.orderId, o + 16);
    body.writeBigInt64LE(r.price, o + 24);
    body.writeUInt32LE(r.size, o + 32);
    body[o + 36] = r.flags;
    body[o + 38] = r.action.charCodeAt(0);
    body[o + 39] = r.side.charCodeAt(0);
    body.writeBigUInt64LE(r.tsRecv, o + 40);
  });
  return Buffer.concat([head, meta, body]);
}

/** ES-like order flow: `n` records of adds, cancels and trades around 4800.00 (0.25 ticks). */
export function dbnRecords(n: number, t0 = 1_703_545_200_000_000_000n): DbnRecord[] {
  const out: DbnRecord[] = [];
  for (let k = 0; k < n; k++) {
    const t = t0 + BigInt(k) * 1_000_000n;
    const side = k % 2 === 0 ? 'B' : 'A';
    const px = (side === 'B' ? 480_000n - BigInt(k % 4) * 25n : 480_100n + BigInt(k % 4) * 25n) * 10_000_000n;
    const action = k % 5 === 4 ? 'C' : k % 7 === 6 ? 'T' : 'A';
    const id = action === 'C' ? BigInt(k - 2) : BigInt(k);
    out.push({
      tsEvent: t,
      orderId: id,
      price: px,
      size: 1 + (k % 3),
      flags: 0x80,
      action,
      side,
      tsRecv: t + 5000n,
    });
  }
  return out;
}

/** A LOBSTER pair (level 1) as text: submits and cancels around $585.30, the book after each message. */
export function lobsterTexts(n: number): { messages: string; orderbook: string } {
  const msgs: string[] = [];
  const book: string[] = [];
  let bidQty = 100;
  for (let k = 0; k < n; k++) {
    const t = (34_200 + k * 0.01).toFixed(9);
    const submit = k % 3 !== 2;
    const size = submit ? 10 + (k % 7) : Math.min(10 + (k % 7), bidQty - 1);
    bidQty += submit ? size : -size;
    msgs.push(`${t},${submit ? 1 : 3},${1000 + k},${size},5853000,1`);
    book.push(`5853100,200,5853000,${bidQty}`);
  }
  return { messages: `${msgs.join('\n')}\n`, orderbook: `${book.join('\n')}\n` };
}
