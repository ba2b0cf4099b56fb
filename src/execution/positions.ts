import type { Side } from '../contracts/market.ts';
import type { PositionUpdate } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { moneyFactor } from './fees.ts';

/**
 * Position of one strategy in one symbol. The open quantity's cost basis is kept as an
 * integer amount of money, so realized PnL is exact: when flat, realized PnL equals the
 * sum of signed cash flows to the unit.
 */
export class Position {
  qty = 0;
  /** Money paid for the open quantity (signed with the position: short positions have negative cost). */
  cost = 0;
  realized = 0;
  fees = 0;
  /** Count of fills and traded quantity. */
  fills = 0;
  volume = 0;
  private readonly factor: number;

  constructor(
    readonly strategyId: string,
    readonly spec: SymbolSpec,
  ) {
    this.factor = moneyFactor(spec);
  }

  /** Applies a fill of `qty` at `price` (scaled) on `side`, with its fee+tax in money. */
  apply(side: Side, price: number, qty: number, costs: number): void {
    const value = price * qty * this.factor;
    const signed = side * qty;
    this.fees += costs;
    this.fills++;
    this.volume += qty;
    if (this.qty === 0 || Math.sign(this.qty) === side) {
      this.qty += signed;
      this.cost += side * value;
      return;
    }
    const closing = Math.min(qty, Math.abs(this.qty));
    // Share of the cost basis released by the closed quantity (rounded; the remainder stays in cost).
    const released = Math.round((this.cost * closing) / Math.abs(this.qty));
    const proceeds = price * closing * this.factor * -side; // selling a long gives +, buying back a short gives -
    this.realized += proceeds - released;
    this.cost -= released;
    this.qty += side * closing;
    const opening = qty - closing;
    if (opening > 0) {
      this.qty += side * opening;
      this.cost += side * price * opening * this.factor;
    }
    if (this.qty === 0) this.cost = 0;
  }

  /** Unrealized PnL marked at `mark` (scaled price; may be a half tick). */
  unrealized(mark: number): number {
    if (this.qty === 0 || !(mark > 0)) return 0;
    return Math.round(this.qty * mark * this.factor) - this.cost;
  }

  /** Average entry price of the open quantity, scaled (float; display only). */
  get avgPrice(): number {
    return this.qty === 0 ? 0 : this.cost / this.qty / this.factor;
  }

  /** Net PnL = realized + unrealized - fees and taxes. */
  net(mark: number): number {
    return this.realized + this.unrealized(mark) - this.fees;
  }

  snapshot(mark: number, ts: number): PositionUpdate {
    return {
      strategyId: this.strategyId,
      symbolId: this.spec.id,
      qty: this.qty,
      avgPrice: this.avgPrice,
      realizedPnl: this.realized,
      unrealizedPnl: this.unrealized(mark),
      fees: this.fees,
      ts,
    };
  }
}

/** All positions, by strategy and symbol; a position is created on first use. */
export class PositionStore {
  private readonly byStrategy = new Map<string, (Position | undefined)[]>();
  /** Every position created so far, in creation order (hot loops iterate this: no iterator objects). */
  readonly list: Position[] = [];
  /** The strategy of the last `get` and its row (rows are never replaced in `byStrategy`). */
  private lastId: string | null = null;
  private lastRow: (Position | undefined)[] | null = null;

  constructor(private readonly symbols: readonly SymbolSpec[]) {}

  get(strategyId: string, symbolId: number): Position {
    // One strategy asks most of the time (risk per intent, the router per fill): no string-keyed lookup then.
    let row = strategyId === this.lastId ? this.lastRow : this.byStrategy.get(strategyId);
    if (row === undefined || row === null) {
      row = new Array<Position | undefined>(this.symbols.length);
      this.byStrategy.set(strategyId, row);
    }
    this.lastId = strategyId;
    this.lastRow = row;
    let p = row[symbolId];
    if (p === undefined) {
      p = row[symbolId] = new Position(strategyId, this.symbols[symbolId]);
      this.list.push(p);
    }
    return p;
  }

  /** Net quantity of a symbol over all strategies. */
  netQty(symbolId: number): number {
    let q = 0;
    const list = this.list;
    for (let i = 0; i < list.length; i++) if (list[i].spec.id === symbolId) q += list[i].qty;
    return q;
  }

  /** Positions that have traded (for reports). */
  *all(): IterableIterator<Position> {
    for (const p of this.list) if (p.fills > 0) yield p;
  }
}
