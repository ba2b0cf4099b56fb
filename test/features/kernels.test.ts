import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NS_PER_MS, NS_PER_S } from '../../src/core/clock.ts';
import { UserError } from '../../src/core/errors.ts';
import { FeatureEngine } from '../../src/features/feature-engine.ts';
import type { FeatureSpec } from '../../src/features/feature-set.ts';
import { OrderBook } from '../../src/lob/order-book.ts';

const T0 = 1_775_600_000 * NS_PER_S;
const ms = (n: number) => T0 + n * NS_PER_MS;
const FLAT_TICK = [{ ticks: [{ below: Number.POSITIVE_INFINITY, tick: 1 }] }];

/** An engine over one symbol with the given features. */
function engine(features: FeatureSpec[], symbols = FLAT_TICK): FeatureEngine {
  return new FeatureEngine({ id: 'test', version: 1, features }, symbols);
}

/** A book from [price, qty] lists, best first. */
function book(bids: [number, number][], asks: [number, number][]): OrderBook {
  const b = new OrderBook(0);
  for (const [p, q] of bids) b.setLevel(1, p, q);
  for (const [p, q] of asks) b.setLevel(-1, p, q);
  return b;
}

function close(actual: number, expected: number, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} != ${expected}`,
  );
}

describe('book kernels on a hand-made book', () => {
  // bids 100 x5, 99 x3; asks 102 x1, 103 x4
  const b = book(
    [
      [100, 5],
      [99, 3],
    ],
    [
      [102, 1],
      [103, 4],
    ],
  );
  const e = engine([
    { id: 'mid', kind: 'mid' },
    { id: 'micro', kind: 'microprice' },
    { id: 'spread', kind: 'spread_ticks' },
    { id: 'imb1', kind: 'l1_imbalance' },
    { id: 'imb2', kind: 'depth_imbalance', levels: 2 },
    { id: 'imb5', kind: 'depth_imbalance', levels: 5 },
    { id: 'h1', kind: 'book_entropy', levels: 1 },
    { id: 'h2', kind: 'book_entropy', levels: 2 },
  ]);
  e.update(0, b, ms(0));

  test('mid, microprice, spread in ticks', () => {
    assert.equal(e.get(0, 'mid'), 101);
    // (ask * q_bid + bid * q_ask) / (q_bid + q_ask) = (102*5 + 100*1) / 6: leans to the ask, the thin side.
    close(e.get(0, 'micro'), 610 / 6, 'microprice');
    assert.equal(e.get(0, 'spread'), 2);
  });

  test('L1 and depth imbalance', () => {
    close(e.get(0, 'imb1'), 4 / 6, 'l1');
    close(e.get(0, 'imb2'), (8 - 5) / 13, 'depth 2');
    close(e.get(0, 'imb5'), (8 - 5) / 13, 'depth 5 (only 2 levels exist)');
  });

  test('book entropy in bits over both sides pooled', () => {
    // Top level of each side: shares 5/6 and 1/6.
    close(e.get(0, 'h1'), -(5 / 6) * Math.log2(5 / 6) - (1 / 6) * Math.log2(1 / 6), 'entropy 1');
    const p = [5, 3, 1, 4].map((q) => q / 13);
    close(e.get(0, 'h2'), -p.reduce((h, x) => h + x * Math.log2(x), 0), 'entropy 2');
    // Two equal levels: exactly one bit.
    const even = engine([{ id: 'h', kind: 'book_entropy', levels: 3 }]);
    even.update(0, book([[100, 7]], [[101, 7]]), ms(0));
    close(even.get(0, 'h'), 1, 'two equal levels');
  });

  test('one-sided and empty books', () => {
    const one = engine([
      { id: 'mid', kind: 'mid' },
      { id: 'micro', kind: 'microprice' },
      { id: 'spread', kind: 'spread_ticks' },
      { id: 'imb1', kind: 'l1_imbalance' },
      { id: 'h', kind: 'book_entropy', levels: 5 },
    ]);
    one.update(0, book([[100, 5]], []), ms(0));
    assert.ok(Number.isNaN(one.get(0, 'mid')));
    assert.ok(Number.isNaN(one.get(0, 'micro')));
    assert.ok(Number.isNaN(one.get(0, 'spread')));
    assert.equal(one.get(0, 'imb1'), 1);
    assert.equal(one.get(0, 'h'), 0, 'all the volume on one level');
    one.update(0, book([], []), ms(1));
    assert.ok(Number.isNaN(one.get(0, 'imb1')));
    assert.ok(Number.isNaN(one.get(0, 'h')));
  });

  test('spread in ticks follows the tick ladder at the best bid', () => {
    const ladder = [
      {
        ticks: [
          { below: 1000, tick: 1 },
          { below: Number.POSITIVE_INFINITY, tick: 5 },
        ],
      },
    ];
    const s = engine([{ id: 'spread', kind: 'spread_ticks' }], ladder);
    s.update(0, book([[1000, 1]], [[1010, 1]]), ms(0));
    assert.equal(s.get(0, 'spread'), 2);
    s.update(0, book([[995, 1]], [[1005, 1]]), ms(1));
    assert.equal(s.get(0, 'spread'), 10);
  });
});

describe('order-flow imbalance (Cont et al.), multi-level, over a time window', () => {
  const W = NS_PER_S;
  test('L1: price up, unchanged and down on each side; window sum and eviction', () => {
    const e = engine([{ id: 'ofi', kind: 'ofi', levels: 1, windowNs: W }]);
    const ofi = () => e.get(0, 'ofi');
    e.update(0, book([[100, 5]], [[101, 4]]), ms(0)); // reference state
    e.update(0, book([[100, 7]], [[101, 4]]), ms(100)); // bid qty +2: e = +2
    e.update(0, book([[101, 3]], [[102, 6]]), ms(200)); // bid up: +3; ask up: ask flow -4 => e = 3 + 4 = 7
    e.update(0, book([[100, 7]], [[101, 2]]), ms(300)); // bid down: -3; ask down: ask flow +2 => e = -5
    assert.ok(Number.isNaN(ofi()), 'NaN until the first window is fully observed');
    e.update(0, book([[100, 7]], [[101, 2]]), ms(1050)); // unchanged: e = 0
    assert.equal(ofi(), 2 + 7 - 5);
    e.update(0, book([[100, 7]], [[101, 2]]), ms(1150)); // the +2 at 100 ms left the window
    assert.equal(ofi(), 7 - 5);
    e.update(0, book([[100, 7]], [[101, 2]]), ms(1250));
    assert.equal(ofi(), -5);
    // A trade moves time too; an entry exactly W old is out: the window is (now - W, now].
    e.onTrade(0, 1, 1, ms(1300));
    assert.equal(ofi(), 0);
  });

  test('levels by rank, weights exp(-decay * i), missing levels at 0 / +infinity', () => {
    const e = engine([
      { id: 'flat', kind: 'ofi', levels: 2, windowNs: W },
      { id: 'w', kind: 'ofi', levels: 2, windowNs: W, decay: Math.LN2 },
      { id: 'l1', kind: 'ofi', levels: 1, windowNs: W },
    ]);
    e.update(
      0,
      book(
        [
          [100, 5],
          [99, 2],
        ],
        [[101, 4]],
      ),
      ms(0),
    );
    // Level 1: bid 99x2 -> 99x6 (+4); a second ask level appears at 102x3 (ask flow +3): e1 = 4 - 3 = 1.
    // Level 0: ask 101x4 -> 101x1 (ask flow -3): e0 = 0 + 3 = 3.
    e.update(
      0,
      book(
        [
          [100, 5],
          [99, 6],
        ],
        [
          [101, 1],
          [102, 3],
        ],
      ),
      ms(1000),
    );
    assert.equal(e.get(0, 'l1'), 3);
    assert.equal(e.get(0, 'flat'), 3 + 1);
    close(e.get(0, 'w'), 3 + 0.5 * 1, 'weighted');
    // The second bid level disappears (bid flow -6) and the second ask level too (ask flow -3): e1 = -3.
    e.update(0, book([[100, 5]], [[101, 1]]), ms(1001));
    assert.equal(e.get(0, 'flat'), 3 + 1 - 3);
    close(e.get(0, 'w'), 3 + 0.5 * (1 - 3), 'weighted');
  });
});

describe('trade imbalance, realized volatility and EWMA of returns', () => {
  test('trade imbalance over a time window; unknown aggressors are ignored', () => {
    const e = engine([{ id: 'ti', kind: 'trade_imbalance', windowNs: NS_PER_S }]);
    const ti = () => e.get(0, 'ti');
    e.update(0, book([[100, 1]], [[101, 1]]), ms(0));
    e.onTrade(0, 3, 1, ms(100));
    e.onTrade(0, 1, -1, ms(500));
    e.onTrade(0, 10, 0, ms(600));
    assert.ok(Number.isNaN(ti()), 'warming up: 1 s of history needed');
    e.update(0, book([[100, 1]], [[101, 1]]), ms(1000));
    assert.equal(ti(), (3 - 1) / (3 + 1));
    e.update(0, book([[100, 1]], [[101, 1]]), ms(1100)); // the buy left the window
    assert.equal(ti(), -1);
    e.onTrade(0, 2, 0, ms(2000));
    assert.equal(ti(), 0, 'no signed trade in the window');
  });

  test('a late event counts at the latest time seen', () => {
    const e = engine([{ id: 'ti', kind: 'trade_imbalance', windowNs: NS_PER_S }]);
    e.update(0, book([[100, 1]], [[101, 1]]), ms(0));
    e.onTrade(0, 4, 1, ms(900));
    e.onTrade(0, 2, -1, ms(800)); // arrives late: stamped 900 ms
    e.update(0, book([[100, 1]], [[101, 1]]), ms(1850));
    assert.equal(e.get(0, 'ti'), (4 - 2) / 6);
    e.update(0, book([[100, 1]], [[101, 1]]), ms(1900)); // both left together
    assert.equal(e.get(0, 'ti'), 0);
  });

  test('realized volatility: sqrt of the sum of squared mid log-returns in the window', () => {
    const e = engine([{ id: 'rv', kind: 'realized_vol', windowNs: NS_PER_S }]);
    const rv = () => e.get(0, 'rv');
    e.update(0, book([[99, 1]], [[101, 1]]), ms(0)); // mid 100
    e.update(0, book([[100, 1]], [[102, 1]]), ms(200)); // mid 101
    e.update(0, book([[99, 1]], [[100, 1]]), ms(400)); // mid 99.5
    e.update(0, book([[99, 1]], []), ms(500)); // one-sided: no return, last valid mid kept
    assert.ok(Number.isNaN(rv()));
    e.update(0, book([[99, 1]], [[100, 1]]), ms(1000)); // mid 99.5 again: zero return
    const r1 = Math.log(101 / 100);
    const r2 = Math.log(99.5 / 101);
    close(rv(), Math.sqrt(r1 * r1 + r2 * r2), 'both returns');
    e.update(0, book([[99, 1]], [[100, 1]]), ms(1300));
    close(rv(), Math.abs(r2), 'first return left the window');
    e.update(0, book([[99, 1]], [[100, 1]]), ms(1400));
    assert.equal(rv(), 0, 'window empty: exactly 0');
  });

  test('EWMA of mid log-returns, alpha = 2 / (span + 1), starting at the first return', () => {
    const e = engine([{ id: 'ew', kind: 'ewma_return', span: 3 }]); // alpha 0.5; warm-up 4 books
    const mids = [100, 101, 100, 102];
    const r = [Math.log(101 / 100), Math.log(100 / 101), Math.log(102 / 100)];
    mids.forEach((m, i) => {
      e.update(0, book([[m - 1, 1]], [[m + 1, 1]]), ms(i));
      if (i < 3) assert.ok(Number.isNaN(e.get(0, 'ew')), `NaN at book ${i + 1}`);
    });
    const e1 = r[0];
    const e2 = e1 + 0.5 * (r[1] - e1);
    const e3 = e2 + 0.5 * (r[2] - e2);
    close(e.get(0, 'ew'), e3, 'ewma');
  });
});

describe('FeatureEngine: warm-up, reset, views, set validation', () => {
  const features: FeatureSpec[] = [
    { id: 'mid', kind: 'mid' },
    { id: 'ofi_1', kind: 'ofi', levels: 1, windowNs: NS_PER_S },
    { id: 'ew', kind: 'ewma_return', span: 1 },
  ];

  test('each feature is NaN until its own warm-up is done, and again after a reset', () => {
    const e = engine(features);
    const b = book([[100, 1]], [[101, 1]]);
    assert.deepEqual([...e.values(0)], [Number.NaN, Number.NaN, Number.NaN]);
    e.update(0, b, ms(0));
    assert.equal(e.get(0, 'mid'), 100.5, 'mid: ready after one book');
    assert.ok(Number.isNaN(e.get(0, 'ofi_1')), 'ofi: needs 1 s');
    assert.ok(Number.isNaN(e.get(0, 'ew')), 'ewma span 1: needs 2 books');
    e.update(0, b, ms(10));
    assert.equal(e.get(0, 'ew'), 0);
    assert.ok(Number.isNaN(e.get(0, 'ofi_1')));
    e.onTrade(0, 1, 1, ms(1000));
    assert.equal(e.get(0, 'ofi_1'), 0, 'a trade advances time: the window is now observed');
    e.reset(0);
    assert.ok(e.values(0).every(Number.isNaN), 'reset: everything warms up again');
    e.update(0, b, ms(2000));
    assert.equal(e.get(0, 'mid'), 100.5);
    assert.ok(Number.isNaN(e.get(0, 'ew')));
    assert.ok(Number.isNaN(e.get(0, 'ofi_1')));
  });

  test('symbols are independent; views read by name or precomputed index', () => {
    const e = new FeatureEngine({ id: 'test', version: 2, features }, [...FLAT_TICK, ...FLAT_TICK]);
    e.update(1, book([[10, 1]], [[12, 1]]), ms(0));
    assert.ok(Number.isNaN(e.get(0, 'mid')));
    const v = e.view(1);
    assert.equal(v, e.view(1), 'the same preallocated view every call');
    assert.equal(v.get('mid'), 11);
    assert.equal(v.at(v.index('mid')), 11);
    assert.equal(v.setId, 'test');
    assert.equal(v.version, 2);
    assert.deepEqual(v.names, ['mid', 'ofi_1', 'ew']);
    assert.equal(e.key, 'test@2');
    assert.throws(() => v.get('nope'), /no feature 'nope'/);
  });

  test('a bad set definition is refused with the reason', () => {
    const bad = (features: FeatureSpec[], why: RegExp) =>
      assert.throws(
        () => new FeatureEngine({ id: 'bad', version: 1, features }, FLAT_TICK),
        (e: unknown) => e instanceof UserError && why.test(e.message),
      );
    bad(
      [
        { id: 'a', kind: 'mid' },
        { id: 'a', kind: 'mid' },
      ],
      /duplicate feature id 'a'/,
    );
    bad([{ id: 'd', kind: 'depth_imbalance', levels: 0 }], /levels must be an integer >= 1/);
    bad([{ id: 'o', kind: 'ofi', levels: 1, windowNs: 0 }], /windowNs must be > 0/);
    bad([{ id: 'o', kind: 'ofi', levels: 1, windowNs: 1, decay: -1 }], /decay must be >= 0/);
    bad([], /no features/);
    assert.throws(
      () => new FeatureEngine({ id: 'x', version: 0, features: [{ id: 'm', kind: 'mid' }] }, FLAT_TICK),
      /version/,
    );
  });
});
