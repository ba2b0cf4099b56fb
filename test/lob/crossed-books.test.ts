/**
 * CME ESH4 pre-open: the exchange's own book is crossed for a while (orders rest through each
 * other until the open's auction). Our LOB must show that book as it is, at every message, and flag it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MdKind } from '../../src/contracts/market.ts';
import { LobEngine } from '../../src/lob/lob-engine.ts';
import { EV_LAST, type EventColumns } from '../../src/venues/replay/event-columns.ts';
import { readDbn } from '../../src/venues/replay/read-dbn.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';
import { decodeMbo, F_LAST, F_SNAPSHOT, type MboRecord } from '../venues/replay/dbn-file.ts';

const FILE = dataFile('esh4-glbx-mdp3-20231225.mbo.dbn.zst');

/**
 * The exchange's book rebuilt from the MBO records the way Databento documents it (order id ->
 * side, price, size; A adds, C reduces, M moves, R clears; T and F change nothing), with the
 * best price and size per side after any record.
 */
class ReferenceBook {
  private readonly orders = new Map<bigint, { side: string; price: bigint; size: number }>();
  private readonly levels = { B: new Map<bigint, number>(), A: new Map<bigint, number>() };

  apply(r: MboRecord): void {
    const o = this.orders.get(r.orderId);
    switch (r.action) {
      case 'A':
        this.orders.set(r.orderId, { side: r.side, price: r.price, size: r.size });
        this.add(r.side, r.price, r.size);
        break;
      case 'C':
        if (o === undefined) break;
        this.add(o.side, o.price, -Math.min(r.size, o.size));
        o.size -= Math.min(r.size, o.size);
        if (o.size === 0) this.orders.delete(r.orderId);
        break;
      case 'M':
        if (o === undefined) {
          if (r.side === 'B' || r.side === 'A') {
            this.orders.set(r.orderId, { side: r.side, price: r.price, size: r.size });
            this.add(r.side, r.price, r.size);
          }
          break;
        }
        this.add(o.side, o.price, -o.size);
        o.price = r.price;
        o.size = r.size;
        this.add(o.side, o.price, o.size);
        if (o.size === 0) this.orders.delete(r.orderId);
        break;
      case 'R':
        this.orders.clear();
        this.levels.B.clear();
        this.levels.A.clear();
        break;
    }
  }

  /** [price scaled by 100, size] of the best level of a side; [0, 0] when empty. */
  best(side: 'B' | 'A'): [number, number] {
    let px: bigint | null = null;
    for (const p of this.levels[side].keys()) if (px === null || (side === 'B' ? p > px : p < px)) px = p;
    return px === null ? [0, 0] : [Number(px / 10_000_000n), this.levels[side].get(px)!];
  }

  private add(side: string, price: bigint, size: number): void {
    const m = this.levels[side as 'B' | 'A'];
    const q = (m.get(price) ?? 0) + size;
    if (q > 0) m.set(price, q);
    else m.delete(price);
  }
}

/**
 * Replays the reader's events through a LobEngine (`repair` as given) and compares its best bid
 * and ask (price and size) with the reference at the end of every message; returns the messages
 * compared, those that differ, and those at which the exchange's book was crossed or locked.
 */
function compare(c: EventColumns, recs: readonly MboRecord[], repair: boolean) {
  const lob = new LobEngine(1);
  lob.setRepair(0, repair);
  const ref = new ReferenceBook();
  const abs = (t: number) => c.epoch.toAbs(t);
  let next = 0; // next record to apply to the reference
  let j = 0; // record that produced the current event
  let messages = 0;
  let differ = 0;
  let crossed = 0;
  let flaggedRight = 0;
  for (let i = 0; i < c.n; i++) {
    const kind = c.kind[i];
    const last = (c.flags[i] & EV_LAST) !== 0;
    if (kind === MdKind.Level)
      lob.applyLevel(0, c.side[i], c.price[i], c.qty[i], last, c.exchTs[i], c.localTs[i]);
    else if (kind === MdKind.Clear)
      lob.apply({ kind, symbolId: 0, exchTs: c.exchTs[i], localTs: c.localTs[i], seq: 0 }, last);
    // The record this event came from: the next one (in order) carrying its two times.
    const e = abs(c.exchTs[i]);
    const l = abs(c.localTs[i]);
    while (recs[j].tsEvent !== e || recs[j].tsRecv !== l) j++;
    if (!last) continue;
    // The message ends at the record flagged last (or where the snapshot ends).
    while (
      (recs[j].flags & F_LAST) === 0 &&
      !((recs[j].flags & F_SNAPSHOT) !== 0 && (recs[j + 1]?.flags & F_SNAPSHOT) === 0)
    )
      j++;
    for (; next <= j; next++) ref.apply(recs[next]);
    j++;
    messages++;
    const b = lob.book(0);
    const [bid, bidQty] = ref.best('B');
    const [ask, askQty] = ref.best('A');
    if (b.bestBid !== bid || b.bestAsk !== ask || b.bestBidQty !== bidQty || b.bestAskQty !== askQty)
      differ++;
    const refCrossed = bid > 0 && ask > 0 && bid >= ask;
    if (refCrossed) {
      crossed++;
      if (lob.stats(0).crossed) flaggedRight++;
    }
  }
  return { messages, differ, crossed, flaggedRight, counters: lob.counters };
}

describe('crossed books of an L3 feed (CME ESH4 pre-open)', requireData(), () => {
  test("our best bid and ask equal the exchange's at every message, crossed states flagged", async (t) => {
    const recs = decodeMbo(FILE);
    const data = await readDbn(FILE);
    assert.equal(data.columns.repairCrossed, false, 'an L3 file carries its own book');
    const r = compare(data.columns, recs, data.columns.repairCrossed);
    assert.ok(r.messages > 47_000, `messages compared: ${r.messages}`);
    assert.ok(r.crossed > 100, `the pre-open book is crossed at ${r.crossed} messages`);
    assert.equal(
      r.differ,
      0,
      `best bid/ask differs from the exchange's at ${r.differ} of ${r.messages} messages`,
    );
    assert.equal(r.flaggedRight, r.crossed, 'every crossed state is flagged in the stats');
    assert.equal(r.counters.prunedLevels, 0);
    t.diagnostic(`${r.messages} messages, ${r.crossed} with a crossed or locked exchange book, 0 differ`);
  });

  test('repairing them, as for an L2 diff feed, would prune real levels and misstate the book', async (t) => {
    const recs = decodeMbo(FILE);
    const data = await readDbn(FILE);
    const r = compare(data.columns, recs, true);
    assert.ok(r.counters.prunedLevels > 100, `pruned ${r.counters.prunedLevels} levels`);
    assert.ok(r.differ > 500, `differs at ${r.differ} of ${r.messages} messages`);
    t.diagnostic(
      `repair: ${r.counters.prunedLevels} levels pruned, differs at ${r.differ} of ${r.messages} messages`,
    );
  });
});
