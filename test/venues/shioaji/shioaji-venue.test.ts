import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OrderCommand } from '../../../src/contracts/orders.ts';
import type { SymbolSpec } from '../../../src/contracts/symbols.ts';
import { requireData } from '../replay/data-dir.ts';
import { type Rig, rig, symbols, taifex, until } from './harness.ts';

let nextId = 1;
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

/** Compares the pipeline's book with the fake's published snapshots at every bid/ask it delivers. */
function checkBooks(r: Rig): { checked: number[]; mismatches: string[] } {
  const checked = r.specs.map(() => 0);
  const mismatches: string[] = [];
  const expected = r.specs.map((s) => r.fake.feed(s.code).filter((m) => m.book !== null));
  r.pipe.onBidAsk = (id) => {
    const want = expected[id][checked[id]++];
    if (want === undefined) {
      mismatches.push(`${r.specs[id].code}: more snapshots than the feed published`);
      return;
    }
    const have = r.pipe.top(id);
    const b = want.book!;
    const exp = [b.bidPx, b.bidQty, b.askPx, b.askQty];
    if (JSON.stringify(have) !== JSON.stringify(exp) && mismatches.length < 5)
      mismatches.push(
        `${r.specs[id].code} snapshot ${checked[id] - 1}: ${JSON.stringify(have)} != ${JSON.stringify(exp)}`,
      );
  };
  return { checked, mismatches };
}

describe('Shioaji venue against the fake server', requireData(), () => {
  test('futures via R1 and an option: our book equals the replay reader book at every bid/ask', async () => {
    const [txf, txo] = symbols('TXFD6', 'TXO35000Q6');
    const r = await rig(
      [
        {
          spec: txf,
          columns: await taifex('taifex-txf-20260408.parquet'),
          maxMessages: 6000,
          aliases: ['TXFR1'],
        },
        { spec: txo, columns: await taifex('taifex-txo35000q6-20260417.parquet') },
      ],
      { contracts: { TXFD6: 'TXFR1' } },
    );
    try {
      const { checked, mismatches } = checkBooks(r);
      const total = r.specs.map((s) => r.fake.feed(s.code).filter((m) => m.book !== null).length);
      await r.fake.play();
      await until(() => checked[0] === total[0] && checked[1] === total[1], 'every snapshot delivered');
      assert.deepEqual(mismatches, []);
      assert.ok(total[0] > 1000 && total[1] > 1000, `snapshots ${total}`);
      assert.equal(r.pipe.normalizer.counters.malformed, 0);
      assert.ok(r.pipe.normalizer.counters.trade > 0, 'ticks reach the feed');
    } finally {
      await r.close();
    }
  });

  test('a continuous alias subscribed without target_code yields no data (the server rule the adapter follows)', async () => {
    const [txf] = symbols('TXFD6');
    const r = await rig(
      [
        {
          spec: txf,
          columns: await taifex('taifex-txf-20260408.parquet'),
          maxMessages: 200,
          aliases: ['TXFR1'],
        },
      ],
      {
        contracts: { TXFD6: 'TXFR1' },
      },
    );
    try {
      // Drop the adapter's subscription and add one without target_code, as a careless client would.
      const body = {
        security_type: 'FUT',
        exchange: 'TAIFEX',
        code: 'TXFR1',
        target_code: null,
        quote_type: 'BidAsk',
        intraday_odd: false,
      };
      for (const q of ['BidAsk', 'Tick'])
        await r.venue.client.post('/api/v1/stream/unsubscribe', { ...body, quote_type: q });
      await r.venue.client.post('/api/v1/stream/subscribe', body);
      await r.fake.play();
      await new Promise((res) => setTimeout(res, 50));
      assert.equal(r.pipe.bidasks, 0);
    } finally {
      await r.close();
    }
  });

  test('orders: placed, acked, filled, cancelled; positions polled equal the fills', async () => {
    const [txf] = symbols('TXFD6');
    const r = await rig([
      { spec: txf, columns: await taifex('taifex-txf-20260408.parquet'), maxMessages: 3000 },
    ]);
    try {
      await r.fake.play(500);
      await until(() => r.pipe.bidasks > 0 && !r.venue.isGapped(0), 'first snapshot');
      const ask = r.pipe.lob.stats(0).bestAsk;
      const bid = r.pipe.lob.stats(0).bestBid;
      assert.ok(ask > bid && bid > 0);
      // A buy at the ask takes liquidity at once; a sell far above rests and is cancelled.
      const take = order(txf, 1, ask, 1, 'IOC');
      const rest = order(txf, -1, ask + 100 * 100, 2);
      r.venue.submit(take);
      r.venue.submit(rest);
      await until(() => r.pipe.execs.filter((e) => e.type === 'ack').length === 2, 'two acks');
      await until(
        () => r.pipe.execs.some((e) => e.type === 'fill' && e.orderId === take.orderId),
        'the fill',
      );
      const fill = r.pipe.execs.find((e) => e.type === 'fill')!;
      assert.equal(fill.lastQty, 1);
      assert.ok(fill.lastPx <= ask, `fill ${fill.lastPx} within the ask ${ask}`);
      assert.equal(fill.leavesQty, 0);
      assert.ok(fill.execId);
      assert.equal(fill.venueOrderId.length, 8);
      r.venue.cancel(rest.orderId);
      await until(
        () => r.pipe.execs.some((e) => e.type === 'canceled' && e.orderId === rest.orderId),
        'the cancel',
      );
      // A cancel of a finished order is answered locally.
      r.venue.cancel(rest.orderId);
      await until(() => r.pipe.execs.some((e) => e.type === 'cancel_reject'), 'late cancel answer');
      assert.equal(r.pipe.execs.find((e) => e.type === 'cancel_reject')!.reason, 'TOO_LATE_TO_CANCEL');
      await until(() => r.venue.positions().get(0) === 1, 'position polled');
      assert.equal(r.fake.position('TXFD6'), 1);
      assert.deepEqual([...r.venue.openOrderIds()], []);
    } finally {
      await r.close();
    }
  });

  test('update price and reduce quantity of a working order', async () => {
    const [txf] = symbols('TXFD6');
    const r = await rig([
      { spec: txf, columns: await taifex('taifex-txf-20260408.parquet'), maxMessages: 1000 },
    ]);
    try {
      await r.fake.play(300);
      await until(() => !r.venue.isGapped(0), 'first snapshot');
      const bid = r.pipe.lob.stats(0).bestBid;
      const o = order(txf, 1, bid - 5000, 3);
      r.venue.submit(o);
      await until(() => r.pipe.execs.some((e) => e.type === 'ack'), 'ack');
      assert.equal(await r.venue.updatePrice(o.orderId, bid - 6000), true);
      await until(() => r.venue.counters.updates === 1, 'price update event');
      const trade = [...r.fake.trades.values()][0];
      assert.equal(trade.price, (bid - 6000) / 100);
      assert.equal(await r.venue.reduceQty(o.orderId, 1), true);
      await until(() => r.venue.counters.updates === 2, 'qty update event');
      assert.equal(trade.cancelQty, 1);
      assert.equal(await r.venue.reduceQty(o.orderId, 2), true);
      await until(() => r.pipe.execs.some((e) => e.type === 'canceled'), 'reduced to zero = cancelled');
      assert.equal(await r.venue.updatePrice(o.orderId, bid), false, 'a finished order is not updated');
    } finally {
      await r.close();
    }
  });
});
