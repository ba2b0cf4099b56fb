import type { Epoch } from '../core/clock.ts';
import { formatScaled, MONEY_SCALE } from '../core/money.ts';
import type { BacktestResult } from './runner.ts';

/** Most points drawn per series: longer series keep each pixel column's first, min, max and last. */
const MAX_POINTS = 2400;
/** Fills listed in the report's table (all of them are in fills.csv). */
const MAX_FILL_ROWS = 500;
const W = 960;
const PAD_L = 80;
const PAD_R = 16;

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const money = (v: number) => formatScaled(v, MONEY_SCALE);
const num = (v: number, digits = 2) => v.toFixed(digits);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const hhmm = (epoch: Epoch, t: number) => epoch.toIso(t).slice(11, 19);

/** The report as one self-contained HTML page: inline CSS and SVG, no script, no external resource. */
export function renderHtmlReport(r: BacktestResult): string {
  const s = r.summary;
  const e = r.tracker.equity;
  const currency = r.symbols.length > 0 ? r.symbols[0].currency : '';
  const metrics: [string, string][] = [
    ['Net PnL', `${num(s.pnl.net)} ${currency}`],
    ['Realized', num(s.pnl.realized)],
    ['Unrealized', num(s.pnl.unrealized)],
    ['Fees', num(s.pnl.fees)],
    ['Taxes', num(s.pnl.taxes)],
    ['Sharpe (annualized)', num(s.sharpe)],
    ['Sortino (annualized)', num(s.sortino)],
    ['Max drawdown', num(s.max_drawdown)],
    ['Longest drawdown', `${num(s.max_drawdown_duration_s, 0)} s`],
    ['Turnover', num(s.turnover, 0)],
    ['Volume', String(s.volume)],
    ['Trades (fills)', String(s.trades)],
    ['Orders', String(s.orders)],
    ['Fill ratio', pct(s.fill_ratio)],
    ['Maker / taker', `${pct(s.maker_share)} / ${pct(s.taker_share)}`],
    ['Position-limit hits', String(s.position_limit_hits)],
  ];
  const charts = [
    chart(
      'Equity (net PnL, after fees and taxes)',
      e.ts,
      e.equity.map((v) => v / MONEY_SCALE),
      260,
      false,
      r.epoch,
    ),
    ...r.symbols.map((spec, i) => chart(`Position ${spec.code}`, e.ts, e.position[i], 140, true, r.epoch)),
  ];
  const fills = r.tracker.fills.slice(0, MAX_FILL_ROWS).map((f) => {
    const spec = r.symbols[f.symbolId];
    return `<tr><td>${hhmm(r.epoch, f.exchTs)}</td><td>${esc(spec.code)}</td><td>${f.orderId}</td><td>${f.side === 1 ? 'buy' : 'sell'}</td><td>${formatScaled(f.price, spec.priceScale)}</td><td>${f.qty}</td><td>${f.taker ? 'taker' : 'maker'}</td><td>${money(f.fee)}</td><td>${money(f.tax)}</td><td>${f.position}</td><td>${money(f.equity)}</td></tr>`;
  });
  const more =
    r.tracker.fills.length > MAX_FILL_ROWS
      ? `<p class="note">First ${MAX_FILL_ROWS} of ${r.tracker.fills.length} fills; all are in fills.csv.</p>`
      : '';
  const lat = s.models.latency;
  const latency =
    'file' in lat
      ? `recorded (${esc(lat.file)})`
      : `order ${lat.order_us} µs, response ${lat.response_us} µs`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest ${esc(s.strategy.id)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:${W + 40}px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#555;margin:0 0 16px}
table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #e4e4e4;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.metrics{display:grid;grid-template-columns:repeat(4,1fr);gap:8px}
.metrics div{background:#f7f7f9;padding:8px;border-radius:4px}.metrics b{display:block;font-size:16px}
.note{color:#777}svg text{font:11px system-ui,sans-serif;fill:#555}
</style></head><body>
<h1>Backtest: ${esc(s.strategy.id)} (${esc(s.strategy.class)})</h1>
<p class="meta">${esc(s.symbols.join(', '))} · ${esc(s.period.start)} → ${esc(s.period.end)} (${num(s.period.data_s, 0)} s of data)<br>
Data: ${esc(s.data.join(', '))}<br>
Queue model: ${esc(s.models.queue)} · latency: ${latency} · feed latency ${s.models.feed_latency_us} µs</p>
<div class="metrics">${metrics.map(([k, v]) => `<div>${esc(k)}<b>${esc(v)}</b></div>`).join('')}</div>
<p class="note">Sharpe and Sortino: equity changes over ${s.ratio_bucket_s} s buckets with market data, annualized with √${num(s.periods_per_year, 0)} periods per year.</p>
<h2>Equity and position</h2>
${charts.join('\n')}
<h2>Strategy parameters</h2>
<table>${Object.entries(s.strategy.params)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(JSON.stringify(v))}</td></tr>`)
    .join('')}</table>
<h2>Fills</h2>
${more}<table><tr><th>time (UTC)</th><th>symbol</th><th>order</th><th>side</th><th>price</th><th>qty</th><th>liquidity</th><th>fee</th><th>tax</th><th>position</th><th>equity</th></tr>
${fills.join('\n')}</table>
</body></html>
`;
}

/** One line chart (step chart when `step`) as inline SVG, time on the x axis. */
function chart(
  title: string,
  ts: readonly number[],
  ys: readonly number[],
  h: number,
  step: boolean,
  epoch: Epoch,
): string {
  const top = 22;
  const bottom = 22;
  const pw = W - PAD_L - PAD_R;
  const ph = h - top - bottom;
  if (ts.length === 0)
    return `<svg width="${W}" height="${h}"><text x="${PAD_L}" y="16">${esc(title)}: no data</text></svg>`;
  const t0 = ts[0];
  const t1 = ts[ts.length - 1] > t0 ? ts[ts.length - 1] : t0 + 1;
  let lo = Math.min(0, ...sampleMinMax(ys));
  let hi = Math.max(0, ...sampleMinMax(ys));
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const x = (t: number) => PAD_L + ((t - t0) / (t1 - t0)) * pw;
  const y = (v: number) => top + (1 - (v - lo) / (hi - lo)) * ph;
  const pts = thin(ts, ys, pw);
  let d = '';
  for (let i = 0; i < pts.length; i += 2) {
    const px = x(pts[i]).toFixed(1);
    const py = y(pts[i + 1]).toFixed(1);
    if (i === 0) d = `M${px},${py}`;
    else d += step ? `H${px}V${py}` : `L${px},${py}`;
  }
  const grid: string[] = [];
  for (const v of niceTicks(lo, hi, 5)) {
    const gy = y(v).toFixed(1);
    grid.push(
      `<line x1="${PAD_L}" x2="${W - PAD_R}" y1="${gy}" y2="${gy}" stroke="${v === 0 ? '#999' : '#eee'}"/>` +
        `<text x="${PAD_L - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle">${fmtTick(v)}</text>`,
    );
  }
  for (let k = 0; k <= 6; k++) {
    const t = t0 + ((t1 - t0) * k) / 6;
    const anchor = k === 0 ? 'start' : k === 6 ? 'end' : 'middle';
    grid.push(`<text x="${x(t).toFixed(1)}" y="${h - 6}" text-anchor="${anchor}">${hhmm(epoch, t)}</text>`);
  }
  return `<svg width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(title)}">
<text x="${PAD_L}" y="14" style="font-weight:600;fill:#222">${esc(title)}</text>
${grid.join('\n')}
<path d="${d}" fill="none" stroke="${step ? '#b5651d' : '#1f5fa8'}" stroke-width="1.3"/>
</svg>`;
}

/** Min and max of a series without spreading it into call arguments. */
function sampleMinMax(ys: readonly number[]): [number, number] {
  let mn = Number.POSITIVE_INFINITY;
  let mx = Number.NEGATIVE_INFINITY;
  for (const v of ys) {
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  return ys.length === 0 ? [0, 0] : [mn, mx];
}

/** Flattened (t, y) pairs, at most ~MAX_POINTS: per pixel column the first, min, max and last point. */
function thin(ts: readonly number[], ys: readonly number[], columns: number): number[] {
  const n = ts.length;
  const out: number[] = [];
  if (n <= MAX_POINTS) {
    for (let i = 0; i < n; i++) out.push(ts[i], ys[i]);
    return out;
  }
  const t0 = ts[0];
  const span = ts[n - 1] - t0 || 1;
  let i = 0;
  while (i < n) {
    const col = Math.floor(((ts[i] - t0) / span) * columns);
    let j = i;
    let mn = i;
    let mx = i;
    while (j + 1 < n && Math.floor(((ts[j + 1] - t0) / span) * columns) === col) {
      j++;
      if (ys[j] < ys[mn]) mn = j;
      if (ys[j] > ys[mx]) mx = j;
    }
    for (const k of [...new Set([i, mn, mx, j])].sort((a, b) => a - b)) out.push(ts[k], ys[k]);
    i = j + 1;
  }
  return out;
}

/** About `n` round tick values covering [lo, hi]. */
function niceTicks(lo: number, hi: number, n: number): number[] {
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const stepSize = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / stepSize) * stepSize; v <= hi + 1e-9; v += stepSize)
    out.push(Math.round(v / stepSize) * stepSize);
  return out;
}

function fmtTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
