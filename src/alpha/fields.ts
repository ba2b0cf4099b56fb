import { MdKind } from '../contracts/market.ts';
import { FEATURE_SETS } from '../features/sets.ts';
import type { EventColumns } from '../venues/replay/event-columns.ts';

/** What a data source can give an alpha: a book (level updates), trades, trades with their aggressor. */
export interface DataContent {
  book: boolean;
  trades: boolean;
  tradeSides: boolean;
}

/** The event fields of AlphaEvent by their manifest names, and what each needs from the data. */
export const EVENT_FIELDS: Readonly<Record<string, keyof DataContent | null>> = {
  exch_ts: null,
  local_ts: null,
  bid_px: 'book',
  ask_px: 'book',
  bid_qty: 'book',
  ask_qty: 'book',
  current_mid: 'book',
  spread: 'book',
  imbalance: 'book',
  bid_depth_5: 'book',
  ask_depth_5: 'book',
  current_return: 'book',
  trade_px: 'trades',
  trade_vol: 'trades',
  trade_side: 'tradeSides',
};

/** The original's field aliases (and ours), alias -> field. */
export const FIELD_ALIASES: Readonly<Record<string, string>> = {
  best_bid: 'bid_px',
  bid_price: 'bid_px',
  bid: 'bid_px',
  best_ask: 'ask_px',
  ask_price: 'ask_px',
  ask: 'ask_px',
  bid_depth: 'bid_qty',
  bid_size: 'bid_qty',
  bqty: 'bid_qty',
  ask_depth: 'ask_qty',
  ask_size: 'ask_qty',
  aqty: 'ask_qty',
  qty: 'trade_vol',
  volume: 'trade_vol',
  trade_qty: 'trade_vol',
  mid: 'current_mid',
  mid_price: 'current_mid',
  price: 'current_mid',
  close: 'current_mid',
  mid_return: 'current_return',
  trade_price: 'trade_px',
  last_price: 'trade_px',
  side: 'trade_side',
  aggressor: 'trade_side',
};

/** What one stream of recorded events contains. */
export function dataContent(c: EventColumns): DataContent {
  const out: DataContent = { book: false, trades: false, tradeSides: false };
  for (let i = 0; i < c.n; i++) {
    const k = c.kind[i];
    if (k === MdKind.Level || k === MdKind.Depth) out.book = true;
    else if (k === MdKind.Trade) {
      out.trades = true;
      if (c.side[i] !== 0) out.tradeSides = true;
    }
    if (out.book && out.tradeSides) break;
  }
  return out;
}

/** Every field name (event fields, `<set>.<feature>`) a source with `content` provides. */
export function availableFields(content: DataContent): string[] {
  const out = Object.entries(EVENT_FIELDS)
    .filter(([, need]) => need === null || content[need])
    .map(([f]) => f);
  for (const set of Object.values(FEATURE_SETS)) {
    for (const f of set.features) {
      const need = f.kind === 'trade_imbalance' ? content.tradeSides : content.book;
      if (need) out.push(`${set.id}.${f.id}`);
    }
  }
  return out.sort();
}

/** The field a declared name means: itself, or the field it is an alias of (null: unknown name). */
export function resolveField(name: string): string | null {
  if (name in EVENT_FIELDS) return name;
  const alias = FIELD_ALIASES[name];
  if (alias !== undefined) return alias;
  const dot = name.indexOf('.');
  if (dot > 0) {
    const set = FEATURE_SETS[name.slice(0, dot)];
    if (set?.features.some((f) => f.id === name.slice(dot + 1))) return name;
  }
  return null;
}
