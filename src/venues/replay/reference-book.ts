import { MdKind } from '../../contracts/market.ts';
import type { BookChecks } from './book-checks.ts';
import type { EventColumns } from './event-columns.ts';

/**
 * A deliberately simple L2 book (one Map per side) for inspecting and cross-checking replay data.
 * Not for the hot path: the platform's book lives in lob/.
 */
export class ReferenceBook {
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();

  /** Applies event i of `c` (Level and Clear change the book; Trade does not). */
  apply(c: EventColumns, i: number): void {
    const kind = c.kind[i];
    if (kind === MdKind.Clear) {
      this.bids.clear();
      this.asks.clear();
    } else if (kind === MdKind.Level) {
      const side = c.side[i] > 0 ? this.bids : this.asks;
      if (c.qty[i] > 0) side.set(c.price[i], c.qty[i]);
      else side.delete(c.price[i]);
    }
  }

  /** Best price of one side (0 when empty), by a linear scan. */
  best(side: 1 | -1): number {
    let best = 0;
    for (const p of (side > 0 ? this.bids : this.asks).keys()) {
      if (best === 0 || (side > 0 ? p > best : p < best)) best = p;
    }
    return best;
  }

  /** Best `k` levels of one side as [price, qty] pairs, best first. */
  top(side: 1 | -1, k: number): [number, number][] {
    const m = side > 0 ? this.bids : this.asks;
    if (k === 1) {
      const best = this.best(side);
      return best === 0 ? [] : [[best, m.get(best)!]];
    }
    const prices = [...m.keys()].sort(side > 0 ? (a, b) => b - a : (a, b) => a - b);
    return prices.slice(0, k).map((p) => [p, m.get(p)!]);
  }

  /** Compares the book with check point `row` of `truth`; returns a description of the first difference, or ''. */
  diff(truth: BookChecks, row: number): string {
    const L = truth.levels;
    for (const side of [1, -1] as const) {
      const top = this.top(side, L);
      const px = side > 0 ? truth.bidPx : truth.askPx;
      const qty = side > 0 ? truth.bidQty : truth.askQty;
      for (let k = 0; k < L; k++) {
        const want = [px[row * L + k], qty[row * L + k]];
        const have = top[k] ?? [0, 0];
        if (have[0] !== want[0] || have[1] !== want[1]) {
          return `${side > 0 ? 'bid' : 'ask'} level ${k}: book ${have[1]}@${have[0]}, truth ${want[1]}@${want[0]}`;
        }
      }
    }
    return '';
  }
}

/** Replays `c` through a ReferenceBook and checks every truth point; returns the mismatches (row, reason). */
export function verifyTruth(c: EventColumns, truth: BookChecks): { row: number; reason: string }[] {
  const book = new ReferenceBook();
  const bad: { row: number; reason: string }[] = [];
  let i = 0;
  for (let row = 0; row < truth.n; row++) {
    const upto = truth.eventIndex[row];
    for (; i <= upto; i++) book.apply(c, i);
    const reason = book.diff(truth, row);
    if (reason) bad.push({ row, reason });
  }
  return bad;
}
