import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { formatScaled, MONEY_SCALE } from '../core/money.ts';
import { deadLetterJson } from '../order/dead-letter-queue.ts';
import { renderHtmlReport } from './report-html.ts';
import type { BacktestResult } from './runner.ts';
import { MARKOUT_HORIZONS_S } from './trade-stats.ts';

/** Files of a report folder. */
export const REPORT_FILES = [
  'summary.json',
  'fills.csv',
  'equity.csv',
  'orders.csv',
  'dead_letters.jsonl',
  'report.html',
  'timing.json',
];

const money = (v: number) => formatScaled(v, MONEY_SCALE);
const side = (s: number) => (s === 1 ? 'buy' : 'sell');

/**
 * A text file written line by line through a 64 KiB buffer: a report of a long run never holds a
 * whole file in memory.
 */
class LineFile {
  private readonly fd: number;
  private buf = '';

  constructor(file: string) {
    this.fd = openSync(file, 'w');
  }

  line(s: string): void {
    this.buf += `${s}\n`;
    if (this.buf.length >= 65_536) this.flush();
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.buf.length > 0) writeSync(this.fd, this.buf);
    this.buf = '';
  }
}

/** A markout in ticks for fills.csv: 4 decimals at most, empty when it was not measured. */
const ticks = (v: number) => (Number.isNaN(v) ? '' : String(Math.round(v * 1e4) / 1e4));

/**
 * Writes a backtest's report folder: summary.json, fills.csv, equity.csv, orders.csv,
 * dead_letters.jsonl and report.html depend only on data, strategy and models (equal runs give
 * equal bytes); timing.json holds the wall-clock figures. Times are integer ns since 1970 (UTC),
 * exact. The CSV files are written as they are formatted (LineFile).
 */
export function writeReport(dir: string, r: BacktestResult): void {
  mkdirSync(dir, { recursive: true });
  const t = r.tracker;
  const abs = (ts: number) => r.epoch.toAbs(ts);
  const syms = r.symbols;
  writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(r.summary, null, 2)}\n`);

  const fills = new LineFile(path.join(dir, 'fills.csv'));
  fills.line(
    'exch_ts,local_ts,strategy,symbol,order_id,side,price,qty,liquidity,fee,tax,position,equity,' +
      MARKOUT_HORIZONS_S.map((h) => `markout_${h}s_ticks`).join(','),
  );
  const mo = t.trades.markouts;
  for (let i = 0; i < t.fills.length; i++) {
    const f = t.fills[i];
    const spec = syms[f.symbolId];
    let row = [
      abs(f.exchTs),
      abs(f.localTs),
      f.strategy,
      spec.code,
      f.orderId,
      side(f.side),
      formatScaled(f.price, spec.priceScale),
      f.qty,
      f.taker ? 'taker' : 'maker',
      money(f.fee),
      money(f.tax),
      f.position,
      money(f.equity),
    ].join(',');
    for (let k = 0; k < MARKOUT_HORIZONS_S.length; k++) row += `,${ticks(mo.get(i, k))}`;
    fills.line(row);
  }
  fills.close();

  const e = t.equity;
  const eq = new LineFile(path.join(dir, 'equity.csv'));
  eq.line(`ts,equity,realized,unrealized,fees,refused${syms.map((s) => `,pos_${s.code}`).join('')}`);
  for (let i = 0; i < e.ts.length; i++) {
    let row = `${abs(e.ts[i])},${money(e.equity[i])},${money(e.realized[i])},${money(e.unrealized[i])},${money(e.fees[i])},${e.refused[i]}`;
    for (let k = 0; k < syms.length; k++) row += `,${e.position[k][i]}`;
    eq.line(row);
  }
  eq.close();

  const orders = new LineFile(path.join(dir, 'orders.csv'));
  orders.line('ts,order_id,symbol,event,side,price,qty,cum_qty,leaves_qty,reason');
  for (let i = 0; i < t.orders.length; i++) {
    const o = t.orders.row(i);
    const spec = syms[o.symbolId];
    orders.line(
      `${abs(o.ts)},${o.orderId},${spec.code},${o.event},${side(o.side)},${formatScaled(o.price, spec.priceScale)},` +
        `${o.qty},${o.cumQty},${o.leavesQty},${o.reason}`,
    );
  }
  orders.close();
  t.orders.close(); // its spill file, if any: the rows are in orders.csv now
  const dead = new LineFile(path.join(dir, 'dead_letters.jsonl'));
  for (const d of r.deadLetters) dead.line(deadLetterJson(d, r.epoch));
  dead.close();

  writeFileSync(path.join(dir, 'report.html'), renderHtmlReport(r));
  const run = r.run;
  const timing = {
    wall_s: run.wall_s,
    events_per_s: run.wall_s > 0 ? Math.round(run.events / run.wall_s) : 0,
    latency_us: run.latency_us,
    lob_update_ns: run.lob_update_ns,
  };
  writeFileSync(path.join(dir, 'timing.json'), `${JSON.stringify(timing, null, 2)}\n`);
}
