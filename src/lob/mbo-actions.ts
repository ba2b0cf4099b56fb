import type { OrderBookL3, OrderId } from './order-book-l3.ts';

/** Databento MBO actions, as their byte in a DBN record. */
export const MBO_ADD = 0x41; // 'A'
export const MBO_CANCEL = 0x43; // 'C'
export const MBO_MODIFY = 0x4d; // 'M'
export const MBO_CLEAR = 0x52; // 'R'

/**
 * Applies one Databento MBO record to an L3 book, by Databento's book rules: A adds, C removes
 * `size` of the order (partial or full), M moves it to a new price and size (an unknown order is
 * added, as in Databento's book example), R clears. T (trade), F (fill) and N change nothing: on
 * CME the resting order's reduction comes as its own C or M record. `side` is 1 bid, -1 ask, 0
 * none. Returns false when the record names an order the book does not hold (or re-adds one).
 */
export function applyMbo(
  book: OrderBookL3,
  action: number,
  id: OrderId,
  side: 1 | -1 | 0,
  price: number,
  size: number,
): boolean {
  switch (action) {
    case MBO_ADD:
      return side !== 0 && book.add(id, side, price, size);
    case MBO_CANCEL:
      return book.cancel(id, size) >= 0;
    case MBO_MODIFY:
      if (book.modify(id, price, size)) return true;
      if (side !== 0 && size > 0) book.add(id, side, price, size);
      return false;
    case MBO_CLEAR:
      book.clear();
      return true;
    default:
      return true;
  }
}
