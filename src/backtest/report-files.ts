import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatScaled, MONEY_SCALE } from '../core/money.ts';
import { deadLetterJson } from '../order/dead-letter-queue.ts';
import { renderHtmlReport } from './report-html.ts';
import type { BacktestResult } from './runner.ts';

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
 * Writes a backtest's report folder: summary.json, fills.csv, equity.csv, orders.csv,
 * dead_letters.jsonl and report.html depend only on data, strategy and models (equal runs give equal bytes);
 * timing.json holds the wall-clock figures. Times are integer ns since 1970 (UTC), exact.
 */
export function writeReport(dir: string, r: BacktestResult): void {
  mkdirSync(dir, { recursive: true });
  const t = r.tracker;
  const abs = (ts: number) => r.epoch.toAbs(ts);
  const syms = r.symbols;
  writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(r.summary, null, 2)}\n`);

  const fills = [
    'exch_ts,local_ts,strategy,symbol,order_id,side,price,qty,liquidity,fee,tax,position,equity',
  ];
  for (const f of t.fills) {
    const spec = syms[f.symbolId];
    fills.push(
      [
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
      ].join(','),
    );
  }
  writeFileSync(path.join(dir, 'fills.csv'), `${fills.join('\n')}\n`);

  const e = t.equity;
  const eq = [`ts,equity,realized,unrealized,fees${syms.map((s) => `,pos_${s.code}`).join('')}`];
  for (let i = 0; i < e.ts.length; i++) {
    let row = `${abs(e.ts[i])},${money(e.equity[i])},${money(e.realized[i])},${money(e.unrealized[i])},${money(e.fees[i])}`;
    for (let k = 0; k < syms.length; k++) row += `,${e.position[k][i]}`;
    eq.push(row);
  }
  writeFileSync(path.join(dir, 'equity.csv'), `${eq.join('\n')}\n`);

  const orders = ['ts,order_id,symbol,event,side,price,qty,cum_qty,leaves_qty,reason'];
  for (let i = 0; i < t.orders.length; i++) {
    const o = t.orders.row(i);
    const spec = syms[o.symbolId];
    orders.push(
      `${abs(o.ts)},${o.orderId},${spec.code},${o.event},${side(o.side)},${formatScaled(o.price, spec.priceScale)},` +
        `${o.qty},${o.cumQty},${o.leavesQty},${o.reason}`,
    );
  }
  writeFileSync(path.join(dir, 'orders.csv'), `${orders.join('\n')}\n`);
  writeFileSync(
    path.join(dir, 'dead_letters.jsonl'),
    r.deadLetters.map((d) => `${deadLetterJson(d, r.epoch)}\n`).join(''),
  );

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
