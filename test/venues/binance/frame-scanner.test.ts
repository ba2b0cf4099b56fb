import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { loadProject } from '../../../src/config/project.ts';
import { type MarketEvent, MdKind } from '../../../src/contracts/market.ts';
import { SimClock } from '../../../src/core/clock.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { Rng } from '../../../src/core/rng.ts';
import { Scheduler } from '../../../src/core/scheduler.ts';
import { BinanceVenue } from '../../../src/venues/binance/binance-venue.ts';
import {
  FrameScanner,
  SCAN_DEPTH,
  SCAN_FALLBACK,
  SCAN_TICKER,
  type ScanRoute,
} from '../../../src/venues/binance/frame-scanner.ts';
import { parseScaledDecimal } from '../../../src/venues/replay/scaled-decimal.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile, requireData } from '../replay/data-dir.ts';

/** The JSON parts of a recording's lines ("<local ns> <json>"). */
function frames(name: string): string[] {
  const text = gunzipSync(readFileSync(dataFile(name))).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.slice(l.indexOf(' ') + 1));
}

const usdmRoutes: ScanRoute[] = [
  { stream: 'btcusdt@depth@0ms', kind: 0, priceDecimals: 1, qtyDecimals: 3 },
  { stream: 'btcusdt@bookTicker', kind: 1, priceDecimals: 1, qtyDecimals: 3 },
  { stream: 'btcusdt@trade', kind: 2, priceDecimals: 1, qtyDecimals: 3 },
];
const spotRoutes: ScanRoute[] = [
  { stream: 'btcusdt@depth@100ms', kind: 0, priceDecimals: 2, qtyDecimals: 8 },
  { stream: 'btcusdt@bookTicker', kind: 1, priceDecimals: 2, qtyDecimals: 8 },
  { stream: 'btcusdt@trade', kind: 2, priceDecimals: 2, qtyDecimals: 8 },
];

/**
 * What JSON.parse reads from a frame the scanner took (kind `kind`, route `sc.route`): every
 * field compared with the scanner's. A frame the scanner takes must be valid JSON read the same.
 */
function assertSameAsJson(text: string, sc: FrameScanner, kind: number, routes: ScanRoute[]): void {
  let msg: { stream?: unknown; data?: Record<string, unknown> };
  try {
    msg = JSON.parse(text);
  } catch (e) {
    assert.fail(`scanner took a frame JSON.parse refuses (${(e as Error).message}): ${text.slice(0, 300)}`);
  }
  const r = routes[sc.route];
  assert.equal(msg.stream, r.stream, text.slice(0, 300));
  assert.equal(kind, r.kind);
  const d = msg.data!;
  assert.equal(typeof d, 'object');
  const dec = (v: unknown, n: number) => {
    assert.equal(typeof v, 'string', text.slice(0, 300));
    return parseScaledDecimal(v as string, n);
  };
  if (kind === SCAN_DEPTH) {
    const x = sc.diff;
    assert.equal(x.U, d.U);
    assert.equal(x.u, d.u);
    assert.equal(x.pu, typeof d.pu === 'number' ? d.pu : -1);
    assert.equal(x.exchMs, d.T ?? d.E);
    for (const [side, got, n] of [
      [d.b, x.bids, x.bidN],
      [d.a, x.asks, x.askN],
    ] as [string[][], Float64Array, number][]) {
      assert.equal(n, 2 * side.length, text.slice(0, 300));
      for (let k = 0; k < side.length; k++) {
        assert.equal(got[2 * k], dec(side[k][0], r.priceDecimals));
        assert.equal(got[2 * k + 1], dec(side[k][1], r.qtyDecimals));
      }
    }
  } else if (kind === SCAN_TICKER) {
    assert.deepEqual(
      [sc.u, sc.bidPx, sc.bidQty, sc.askPx, sc.askQty],
      [
        d.u,
        dec(d.b, r.priceDecimals),
        dec(d.B, r.qtyDecimals),
        dec(d.a, r.priceDecimals),
        dec(d.A, r.qtyDecimals),
      ],
    );
  } else {
    assert.deepEqual(
      [sc.bidPx, sc.bidQty, sc.T, sc.m],
      [dec(d.p, r.priceDecimals), dec(d.q, r.qtyDecimals), d.T, d.m === true],
    );
  }
  for (const v of [sc.bidPx, sc.bidQty, sc.askPx, sc.askQty, sc.u, sc.T]) assert.ok(!Number.isNaN(v));
}

/** Random edits that keep a frame close to valid: bytes replaced, dropped, inserted, slices repeated. */
const ALPHABET = '{}[]",:.-+eE0123456789 \t\n\\u/abTUpqmstr\u0000\u007f\u00e9';
function mutate(text: string, rng: Rng): string {
  let s = text;
  for (let n = rng.int(1, 3); n > 0; n--) {
    const at = rng.int(0, s.length - 1);
    const ch = ALPHABET[rng.int(0, ALPHABET.length - 1)];
    switch (rng.int(0, 5)) {
      case 0:
        s = s.slice(0, at) + ch + s.slice(at + 1);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + 1);
        break;
      case 2:
        s = s.slice(0, at) + ch + s.slice(at);
        break;
      case 3:
        // whitespace between tokens (valid JSON when it lands outside a string)
        s = `${s.slice(0, at)} ${s.slice(at)}`;
        break;
      case 4: {
        const len = rng.int(1, 12);
        s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
        break;
      }
      default: {
        // a digit changed (stays valid JSON; a decimal may pass the scale or not)
        const digit = s.slice(at).search(/[0-9]/);
        if (digit >= 0) s = s.slice(0, at + digit) + String(rng.int(0, 9)) + s.slice(at + digit + 1);
      }
    }
  }
  return s;
}

describe('Binance frame scanner', requireData(), () => {
  for (const [file, routes] of [
    ['binance-usdm-btcusdt-20240808.gz', usdmRoutes],
    ['binance-spot-btcusdt-20240808.gz', spotRoutes],
  ] as const) {
    test(`reads every recorded frame of ${file} as JSON.parse does, from a Buffer and a string`, () => {
      const sc = new FrameScanner(routes);
      const counts = [0, 0, 0];
      for (const f of frames(file)) {
        if (f.startsWith('{"lastUpdateId"')) {
          assert.equal(sc.scanString(f), SCAN_FALLBACK, 'a REST snapshot is no stream frame');
          continue;
        }
        const buf = Buffer.from(f, 'utf8');
        const kind = sc.scan(buf, buf.length);
        assert.notEqual(kind, SCAN_FALLBACK, `recorded frame not taken: ${f.slice(0, 200)}`);
        assertSameAsJson(f, sc, kind, routes);
        assert.equal(sc.scanString(f), kind);
        assertSameAsJson(f, sc, kind, routes);
        counts[kind]++;
      }
      assert.ok(counts[0] > 1000 && counts[1] > 1000 && counts[2] > 1000, `kinds seen ${counts}`);
    });
  }

  test('mutated frames: taken only when JSON.parse reads them the same, else left to it', () => {
    const all = frames('binance-usdm-btcusdt-20240808.gz').filter((f) => f.startsWith('{"stream"'));
    // Short depth frames mutate into more distinct cases per byte than 500-level ones.
    const pool = all.filter((f) => f.length < 1500);
    const sc = new FrameScanner(usdmRoutes);
    const rng = new Rng(18);
    let taken = 0;
    let fallback = 0;
    for (let n = 0; n < 30_000; n++) {
      const f = mutate(pool[rng.int(0, pool.length - 1)], rng);
      const buf = Buffer.from(f, 'utf8');
      const kind = sc.scan(buf, buf.length);
      if (kind === SCAN_FALLBACK) {
        fallback++;
        continue;
      }
      taken++;
      assertSameAsJson(f, sc, kind, usdmRoutes);
    }
    // Both outcomes occur (the mutations reach the scanner's checks, not only its first byte).
    assert.ok(taken > 3000 && fallback > 3000, `taken ${taken}, fallback ${fallback}`);
  });

  test('hand-made edge cases fall back to JSON.parse', () => {
    const sc = new FrameScanner(usdmRoutes);
    const ok = '{"stream":"btcusdt@trade","data":{"T":5,"p":"1.0","q":"0.001","m":true}}';
    assert.equal(sc.scanString(ok), 2);
    assert.deepEqual([sc.bidPx, sc.bidQty, sc.T, sc.m], [10, 1, 5, true]);
    for (const bad of [
      '{"data":{"T":5,"p":"1.0","q":"0.001","m":true},"stream":"btcusdt@trade"}', // data first
      '{"stream":"btcusdt@trade","data":{"T":5,"p":"1.0","p":"2.0","q":"0.001"}}', // repeated key
      '{"stream":"btcusdt@trade","data":{"T":5.5,"p":"1.0","q":"0.001"}}', // fractional time
      '{"stream":"btcusdt@trade","data":{"T":1e3,"p":"1.0","q":"0.001"}}', // exponent
      '{"stream":"btcusdt@trade","data":{"T":9007199254740993,"p":"1.0","q":"0.001"}}', // > 2^53
      '{"stream":"btcusdt@trade","data":{"T":5,"p":"1.05","q":"0.001"}}', // finer than the tick
      '{"stream":"btcusdt@trade","data":{"T":5,"p":"\\u0031","q":"0.001"}}', // escaped digit
      '{"stream":"btcusdt@trade","data":{"T":5,"p":"1.0","q":"0.001"}} x', // trailing garbage
      '{"stream":"btcusdt@trade","data":{"T":5,"p":"1.0"}}', // q missing
      '{"stream":"ethusdt@trade","data":{"T":5,"p":"1.0","q":"0.001"}}', // other stream
      '{"stream":"btcusdt@depth@0ms","data":{"U":1,"u":2,"pu":0,"T":3,"b":[["1.0"]],"a":[]}}',
      '{"stream":"btcusdt@depth@0ms","data":{"U":1,"u":2,"pu":0,"b":[],"a":[]}}', // no time
      'null',
      '[]',
      '',
    ])
      assert.equal(sc.scanString(bad), SCAN_FALLBACK, bad);
    // Whitespace between tokens and keys in another order are still read.
    const spaced =
      ' { "stream" : "btcusdt@depth@0ms" ,\n "data" : { "b" : [ [ "2.0" , "0.5" ] ] , "a":[], "pu":7, "E":9, "u":9,"U":8 } } ';
    assert.equal(sc.scanString(spaced), SCAN_DEPTH);
    assert.deepEqual(
      [sc.diff.U, sc.diff.u, sc.diff.pu, sc.diff.exchMs, sc.diff.bidN, sc.diff.askN],
      [8, 9, 7, 9, 2, 0],
    );
    assert.deepEqual([...sc.diff.bids.subarray(0, 2)], [20, 500]);
  });

  test('the venue: scanner and JSON.parse paths give the same events and counters on the recording', () => {
    const { settings, symbols } = loadProject({ root: repoRoot, env: 'test', envVars: {}, overrides: [] });
    const spec = { ...symbols.find((s) => s.code === 'BTCUSDT-PERP')!, id: 0 };
    const run = (json: boolean) => {
      const clock = new SimClock();
      const venue = new BinanceVenue({
        name: 'binance-usdm',
        symbols: [spec],
        venueSymbols: ['BTCUSDT'],
        scheduler: new Scheduler(clock),
        clock,
        log: createLogger('silent'),
        settings: { ...settings.live, endpoint: 'http://127.0.0.1:9' },
        credentials: null,
      });
      venue.stop(); // no socket, no REST: the recorded snapshot stands in for the fetched one
      const out: number[] = [];
      venue.connect({
        onQuote() {},
        onMarketEvent(e: MarketEvent, end: boolean) {
          out.push(e.kind, e.exchTs, end ? 1 : 0);
          if (e.kind === MdKind.Level) out.push(e.side, e.price, e.qty);
          if (e.kind === MdKind.Trade) out.push(e.price, e.qty, e.aggressor);
        },
        onExec() {},
      });
      const lines = frames('binance-usdm-btcusdt-20240808.gz').slice(0, 40_000);
      // Frames the recording never holds, each refused or ignored the same way by both paths.
      lines.splice(
        20_000,
        0,
        'null',
        '[1]',
        '{"stream":"btcusdt@trade","data":null}',
        '{"stream":"btcusdt@trade","data":{"p":1,"q":"0.001","T":5}}',
        '{"stream":"btcusdt@bookTicker","data":{"u":1}}',
        '{"stream":"btcusdt@depth@0ms","data":{"U":1,"u":2,"b":[["x","1"]],"a":[]}}',
      );
      for (const f of lines) {
        if (f.startsWith('{"lastUpdateId"')) venue.loadSnapshot(0, f);
        else if (json) venue.onFrameJson(f);
        else venue.onFrame(Buffer.from(f, 'utf8'));
      }
      const { jsonFrames, ...counters } = venue.counters;
      return { out, counters, jsonFrames };
    };
    const fast = run(false);
    const ref = run(true);
    assert.equal(fast.jsonFrames, 6, 'only the made-up frames took the JSON path');
    assert.deepEqual(fast.counters, ref.counters);
    assert.ok(
      fast.counters.depthDiffs > 1000 && fast.counters.tickersChecked > 100,
      JSON.stringify(fast.counters),
    );
    assert.equal(fast.counters.tickersMismatched, 0);
    assert.equal(fast.counters.badFrames, 3);
    assert.equal(fast.out.length, ref.out.length);
    for (let i = 0; i < ref.out.length; i++)
      if (fast.out[i] !== ref.out[i]) assert.fail(`event value ${i} differs`);
  });
});
