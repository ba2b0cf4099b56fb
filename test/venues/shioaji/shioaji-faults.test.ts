import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { OrderCommand } from '../../../src/contracts/orders.ts';
import type { SymbolSpec } from '../../../src/contracts/symbols.ts';
import { UserError } from '../../../src/core/errors.ts';
import { requireData } from '../replay/data-dir.ts';
import { type Rig, rig, symbols, taifex, until } from './harness.ts';

let nextId = 1000;
function order(
  spec: SymbolSpec,
  side: 1 | -1,
  price: number,
  qty = 1,
  tif: 'GTC' | 'IOC' = 'GTC',
): OrderCommand {
  const id = nextId++;
  return {
    orderId: id,
    ts: 0,
    intent: {
      intentId: id,
      strategyId: 's',
      symbolId: spec.id,
      action: 'new',
      side,
      price,
      qty,
      tif,
      targetOrderId: 0,
      ts: 0,
    },
  };
}

async function txfRig(
  opts: Parameters<typeof rig>[1] = {},
  fake: Parameters<typeof rig>[2] = {},
): Promise<Rig> {
  const [txf] = symbols('TXFD6');
  const r = await rig(
    [{ spec: txf, columns: await taifex('taifex-txf-20260408.parquet'), maxMessages: 2000 }],
    opts,
    fake,
  );
  await r.fake.play(400);
  await until(() => !r.venue.isGapped(0) && r.pipe.bidasks > 0, 'first snapshot');
  return r;
}

describe('Shioaji venue faults, through the fake server', requireData(), () => {
  test('a duplicated deal is counted once; a deal before its order event still fills the order', async () => {
    const r = await txfRig();
    try {
      r.fake.faults.duplicateDeals = true;
      r.fake.faults.dealBeforeOrder = true;
      const o = order(r.specs[0], 1, r.pipe.lob.stats(0).bestAsk + 1000, 1, 'IOC');
      r.venue.submit(o);
      await until(() => r.venue.counters.duplicateDeals >= 1, 'the duplicate');
      // The held New event follows its deal: an order already filled is not acknowledged again.
      const seen = r.venue.counters.orderMessages;
      await until(() => r.venue.counters.orderMessages >= seen + 1, 'the late order event');
      const mine = r.pipe.execs.filter((e) => e.orderId === o.orderId);
      assert.deepEqual(
        mine.map((e) => e.type),
        ['fill'],
        'the deal came first and was applied once',
      );
      assert.equal(mine[0].lastQty, 1);
      await until(() => r.venue.positions().get(0) === 1, 'position 1, not 2');
    } finally {
      await r.close();
    }
  });

  test('positions between polls: the fills reported since the last poll are in them (no HALT on a busy strategy)', async () => {
    // No poll after the one at start: before, positions() stayed the start's (0) until the next
    // poll, so every reconciliation of a strategy filled faster than pollMs found a difference.
    const r = await txfRig({ pollMs: 3_600_000 });
    try {
      const polls = r.venue.counters.polls;
      const buy = order(r.specs[0], 1, r.pipe.lob.stats(0).bestAsk + 1000, 1, 'IOC');
      r.venue.submit(buy);
      await until(() => r.pipe.execs.some((e) => e.type === 'fill' && e.orderId === buy.orderId), 'the fill');
      assert.equal(r.venue.counters.polls, polls, 'no poll since');
      assert.equal(r.venue.positions().get(0), 1);
      assert.equal(r.fake.position('TXFD6'), 1);
    } finally {
      await r.close();
    }
  });

  test('venue rejections: exchange op_code, session closed, HTTP error: each a reject with its reason', async () => {
    const r = await txfRig();
    try {
      const bid = r.pipe.lob.stats(0).bestBid;
      r.fake.faults.rejectCode = { code: '9938', msg: 'MKT order must be IOC or FOK' };
      const a = order(r.specs[0], 1, bid - 1000);
      r.venue.submit(a);
      await until(() => r.pipe.execs.some((e) => e.orderId === a.orderId), 'exchange reject');
      r.fake.faults.rejectCode = null;
      r.fake.faults.sessionClosed = true;
      const b = order(r.specs[0], 1, bid - 1000);
      r.venue.submit(b);
      await until(() => r.pipe.execs.some((e) => e.orderId === b.orderId), 'session reject');
      r.fake.faults.sessionClosed = false;
      r.fake.faults.placeError = { status: 500, message: 'request timed out (SJ_TIMEOUT)' };
      const c = order(r.specs[0], 1, bid - 1000);
      r.venue.submit(c);
      await until(() => r.pipe.execs.some((e) => e.orderId === c.orderId), 'http reject');
      r.fake.faults.placeError = { status: 503, message: '操作異常，請1分鐘後再重新登入' };
      const d = order(r.specs[0], 1, bid - 1000);
      r.venue.submit(d);
      await until(() => r.pipe.execs.some((e) => e.orderId === d.orderId), 'ban reject');
      const why = (id: number) => r.pipe.execs.find((e) => e.orderId === id)!;
      assert.deepEqual(
        [a, b, c, d].map((x) => [why(x.orderId).type, why(x.orderId).reason]),
        [
          ['reject', 'VENUE_REJECT'],
          ['reject', 'VENUE_REJECT'],
          ['reject', 'VENUE_REJECT'],
          ['reject', 'BROKER_RATE_LIMIT'],
        ],
      );
      assert.ok(
        r.lines.some((l) => l.includes('9938')),
        'the exchange code is logged',
      );
      // After the ban answer nothing is sent for a minute: the next order is refused locally.
      const callsBefore = r.fake.counts.calls.orders;
      const e = order(r.specs[0], 1, bid - 1000);
      r.venue.submit(e);
      await until(() => r.pipe.execs.some((x) => x.orderId === e.orderId), 'local refusal');
      assert.equal(why(e.orderId).reason, 'BROKER_RATE_LIMIT');
      assert.equal(r.fake.counts.calls.orders, callsBefore);
    } finally {
      await r.close();
    }
  });

  test('disconnect mid-stream: not ready, books gapped (orders refused, ticks dropped), resync from the next snapshots', async () => {
    const r = await txfRig();
    try {
      r.fake.dropStreams();
      await until(() => r.pipe.states.some((s) => !s.ready) && r.venue.isGapped(0), 'not ready, gapped');
      const o = order(r.specs[0], 1, r.pipe.lob.stats(0).bestBid);
      r.venue.submit(o);
      await until(() => r.pipe.execs.some((e) => e.orderId === o.orderId), 'refusal');
      assert.equal(r.pipe.execs.find((e) => e.orderId === o.orderId)!.reason, 'HALTED');
      await until(() => r.fake.streams === 2, 'reconnected');
      const before = r.pipe.bidasks;
      await r.fake.play(400);
      await until(() => r.pipe.bidasks > before && !r.venue.isGapped(0), 'resynced');
      // The book after the first new snapshot is the feed's book again.
      const fed = r.fake
        .feed('TXFD6')
        .slice(0, 800)
        .filter((m) => m.book !== null);
      await until(() => r.pipe.states.some((s) => s.ready), 'ready again');
      const last = fed[fed.length - 1].book!;
      await until(() => r.pipe.lob.book(0).price(1, 0) === last.bidPx[0], 'book caught up');
      assert.deepEqual(r.pipe.top(0), [last.bidPx, last.bidQty, last.askPx, last.askQty]);
      assert.ok(r.venue.counters.reconnects >= 1);
    } finally {
      await r.close();
    }
  });

  test('a silent stream (heartbeats stalled) is declared dead and reconnected', async () => {
    const r = await txfRig({ heartbeatTimeoutMs: 400 });
    try {
      r.fake.faults.stallHeartbeats = true;
      await until(() => r.venue.counters.staleStreams >= 1, 'stale stream detected');
      r.fake.faults.stallHeartbeats = false;
      await until(() => r.fake.streams === 2 && r.venue.counters.reconnects >= 1, 'reconnected');
    } finally {
      await r.close();
    }
  });

  test('rate limit approached: throttled on our side, the broker limit never exceeded, no ban', async () => {
    // One frozen instant for both sides: every call falls in one window, whatever the machine's load.
    const now = () => 1_000_000;
    const r = await txfRig({ nowMs: now, pollMs: 3_600_000 }, { nowMs: now });
    try {
      const bid = r.pipe.lob.stats(0).bestBid;
      const cmds = Array.from({ length: 300 }, () => order(r.specs[0], 1, bid - 2000, 1, 'IOC'));
      for (const c of cmds) r.venue.submit(c);
      await until(
        () => cmds.every((c) => r.pipe.execs.some((e) => e.orderId === c.orderId)),
        'every order answered',
      );
      const refused = r.pipe.execs.filter((e) => e.reason === 'BROKER_RATE_LIMIT').length;
      assert.equal(r.venue.limits.windows.orders.taken, 225, '90% of 250 in the window');
      assert.ok(refused > 0 && refused === r.venue.counters.throttled);
      assert.ok(r.fake.counts.maxInWindow.orders <= 250, `max ${r.fake.counts.maxInWindow.orders}`);
      assert.equal(r.fake.counts.bans, 0);
    } finally {
      await r.close();
    }
  });

  test('restart with a working order: the next session finds it, cancels or adopts it', async () => {
    const r = await txfRig();
    try {
      const bid = r.pipe.lob.stats(0).bestBid;
      const a = order(r.specs[0], 1, bid - 3000, 2);
      const b = order(r.specs[0], 1, bid - 4000, 1);
      r.venue.submit(a);
      r.venue.submit(b);
      await until(() => r.pipe.execs.filter((e) => e.type === 'ack').length === 2, 'acks');
      await r.venue.close();
      r.fake.restart();
      const { ShioajiVenue } = await import('../../../src/venues/shioaji/shioaji-venue.ts');
      const { capturingLogger } = await import('./harness.ts');
      const { RealClock, Epoch } = await import('../../../src/core/clock.ts');
      const v2 = new ShioajiVenue({
        endpoint: `http://127.0.0.1:${r.fake.port}`,
        symbols: r.specs,
        clock: new RealClock(undefined, 1, Epoch.midnightBeforeMs(Date.now() - 3 * 86_400_000)),
        log: capturingLogger().log,
        production: false,
        credentials: null,
        pollMs: 200,
      });
      const execs: { type: string; orderId: number }[] = [];
      v2.connect({ onQuote: () => {}, onMarketEvent: () => {}, onExec: (e) => void execs.push({ ...e }) });
      try {
        const account = await v2.open();
        assert.equal(account.foreignOrders.length, 2);
        const [fa, fb] = account.foreignOrders;
        assert.deepEqual([fa.side, fa.price, fa.qty, fa.leavesQty], [1, bid - 3000, 2, 2]);
        await v2.cancelForeign(fa);
        assert.equal(r.fake.trades.get(fa.venueOrderId)!.status, 'Cancelled');
        v2.adopt(fb, 77);
        await until(() => v2.openOrderIds().has(77), 'adopted order working');
        v2.cancel(77);
        await until(
          () => execs.some((e) => e.type === 'canceled' && e.orderId === 77),
          'adopted order cancelled',
        );
      } finally {
        await v2.close();
      }
    } finally {
      await r.fake.close();
    }
  });

  test('credentials go to the server as the Bearer header and appear in no log line or stats', async () => {
    const key = 'KEY-7f3a9c';
    const secret = 'SEC-e81b22';
    const r = await txfRig(
      { credentials: { apiKey: key, secretKey: secret } },
      { bearer: `${key}:${secret}` },
    );
    try {
      r.venue.submit(order(r.specs[0], 1, r.pipe.lob.stats(0).bestAsk, 1, 'IOC'));
      await until(() => r.pipe.execs.some((e) => e.type === 'fill'), 'a fill with auth on');
      r.fake.dropStreams();
      await until(() => r.fake.streams === 2, 'reconnected with auth');
      assert.equal(r.fake.counts.unauthorized, 0);
      const text = r.lines.join('') + JSON.stringify(r.venue.stats());
      assert.ok(!text.includes(key) && !text.includes(secret), 'no secret in logs or stats');
    } finally {
      await r.close();
    }
    // Wrong keys: refused by the server, and the error names no secret.
    const [txf] = symbols('TXFD6');
    await assert.rejects(
      rig(
        [{ spec: txf, columns: null }],
        { credentials: { apiKey: 'bad', secretKey: 'SEC-zz' } },
        { bearer: 'a:b' },
      ),
      (e: Error) => /HTTP 401/.test(e.message) && !e.message.includes('SEC-zz'),
    );
  });

  test('start refused: production asked of a simulation server, a server in production without the flag, token_stale', async () => {
    const [txf] = symbols('TXFD6');
    await assert.rejects(rig([{ spec: txf, columns: null }], { production: true }), /runs in simulation/);
    await assert.rejects(rig([{ spec: txf, columns: null }], {}, { simulation: false }), /PRODUCTION/);
    // A contract the server does not list: named, not an HTTP 404 with a stack.
    const [, stock] = symbols('TXFD6', '2330');
    await assert.rejects(
      rig([{ spec: txf, columns: null }], { symbols: [txf, stock] }),
      (e: Error) =>
        e instanceof UserError && /2330: contract 2330 is not listed by the server/.test(e.message),
    );
    // Something else answers at the endpoint: not "no server".
    const other = http.createServer((_, res) =>
      res.writeHead(404).end('<!DOCTYPE HTML><p>Error code: 404</p>'),
    );
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const at = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      await assert.rejects(
        rig([{ spec: txf, columns: null }], { endpoint: at }),
        (e: Error) =>
          e instanceof UserError &&
          e.message === `shioaji: the server at ${at} is not a Shioaji server (HTTP 404 on /api/v1/info)`,
      );
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });
});
