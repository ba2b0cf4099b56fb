import { formatScaled, MONEY_SCALE } from '../core/money.ts';
import { GUARD_STATES } from '../risk/storm-guard.ts';
import { duration, grouped, guardLine, money, taipei, taipeiIso } from './format.ts';
import type { BacktestResult } from './runner.ts';
import { SESSION_BREAK_S } from './summary.ts';
import { TimeAxis } from './time-axis.ts';
import { MARKOUT_HORIZONS_S } from './trade-stats.ts';

/** Most points drawn per series: longer series keep each pixel column's first, min, max and last. */
const MAX_POINTS = 2400;
/** Fills listed in the report's table (all of them are in fills.csv). */
const MAX_FILL_ROWS = 500;
/** StormGuard state changes listed (all of them are in summary.json). */
const MAX_GUARD_ROWS = 100;
const W = 960;
const PAD_L = 80;
const PAD_R = 16;
/** Band colours of WARM, STORM and HALT on the equity chart. */
const BAND = ['', '#fdf0c2', '#f9cfa5', '#f3a5a0'];

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** What the equity chart marks: StormGuard bands and refused orders per pixel column. */
interface Marks {
  /** Per pixel column of the plot, the highest guard level in it. */
  level: Uint8Array;
  /** Per pixel column, orders refused before the venue. */
  refused: Float64Array;
}

/**
 * The report as one self-contained HTML page: inline CSS and SVG, no script, no external
 * resource. Times are Taipei time (UTC+8); the charts' time axis leaves out the breaks between
 * sessions; the equity chart shades the time StormGuard spent in WARM, STORM and HALT (applied
 * or, in observe mode, what it would have done) and ticks the orders refused before the venue.
 */
export function renderHtmlReport(r: BacktestResult): string {
  const s = r.summary;
  const e = r.tracker.equity;
  const currency = r.symbols.length > 0 ? r.symbols[0].currency : '';
  const cur = (v: number) => money(v, currency);
  const metrics: [string, string][] = [
    ['Net PnL', cur(s.pnl.net)],
    ['Realized', cur(s.pnl.realized)],
    ['Unrealized', cur(s.pnl.unrealized)],
    ['Fees + taxes', cur(s.pnl.fees + s.pnl.taxes)],
    ['Sharpe (annualized)', s.sharpe.toFixed(2)],
    ['Sortino (annualized)', s.sortino.toFixed(2)],
    ['Max drawdown', cur(s.max_drawdown)],
    ['Longest drawdown', duration(s.max_drawdown_duration_s)],
    ['Turnover', cur(s.turnover)],
    ['Volume', grouped(s.volume, 0)],
    ['Trades (fills)', grouped(s.trades, 0)],
    ['Orders', grouped(s.orders, 0)],
    ['Fill ratio', pct(s.fill_ratio)],
    ['Maker / taker', `${pct(s.maker_share)} / ${pct(s.taker_share)}`],
    ['Refused before the venue', grouped(s.refused.total, 0)],
    ['Position-limit hits', grouped(s.position_limit_hits, 0)],
  ];
  const axis = new TimeAxis(e.ts, PAD_L, W - PAD_L - PAD_R, SESSION_BREAK_S * 1e9);
  const marks = equityMarks(r, axis);
  const charts = [
    chart(
      'Equity (net PnL after fees and taxes)',
      currency,
      axis,
      r,
      e.equity.map((v) => v / MONEY_SCALE),
      280,
      false,
      marks,
    ),
    ...r.symbols.map((spec, i) =>
      chart(
        `Position ${spec.code}`,
        spec.type === 'stock' ? 'shares' : 'lots',
        axis,
        r,
        e.position[i],
        140,
        true,
        null,
      ),
    ),
  ];
  const g = s.guard;
  const applied = g.mode === 'on';
  const legend =
    g.mode === 'off'
      ? 'StormGuard was off.'
      : `Shaded: StormGuard ${swatch(1)} WARM ${swatch(2)} STORM ${swatch(3)} HALT — ${
          applied
            ? 'applied (STORM reduce-only, HALT no orders)'
            : 'observed only: what the live guard would have done; nothing was gated'
        }. Red ticks at the bottom: orders refused before the venue.`;
  const guardRows = g.transitions
    .slice(0, MAX_GUARD_ROWS)
    .map(
      (t) =>
        `<tr><td>${taipeiIso(t.time)}</td><td>${t.from}</td><td>${t.to}</td><td>${esc(t.reason)}</td></tr>`,
    );
  const refusedRows = Object.entries(s.refused.by_reason).map(
    ([k, v]) =>
      `<tr><td>${esc(k)}</td><td>${grouped(v.count, 0)}</td><td>${taipeiIso(v.first)}</td><td>${taipeiIso(v.last)}</td></tr>`,
  );
  const markoutRows = s.markout.map(
    (m) =>
      `<tr><td>${m.horizon_s} s</td><td>${grouped(m.fills, 0)}</td><td>${m.avg_ticks.toFixed(2)}</td><td>${cur(m.total)}</td></tr>`,
  );
  const h = s.holding;
  const mo = r.tracker.trades.markouts;
  const fills = r.tracker.fills.slice(0, MAX_FILL_ROWS).map((f, i) => {
    const spec = r.symbols[f.symbolId];
    const cells = MARKOUT_HORIZONS_S.map((_, k) => {
      const v = mo.get(i, k);
      return `<td>${Number.isNaN(v) ? '' : v.toFixed(2)}</td>`;
    }).join('');
    return `<tr><td>${taipei(r.epoch, f.exchTs).slice(5)}</td><td>${esc(spec.code)}</td><td>${f.orderId}</td><td>${f.side === 1 ? 'buy' : 'sell'}</td><td>${grouped(Number(formatScaled(f.price, spec.priceScale)), decimals(spec.priceScale))}</td><td>${grouped(f.qty, 0)}</td><td>${f.taker ? 'taker' : 'maker'}</td><td>${grouped(f.fee / MONEY_SCALE)}</td><td>${grouped(f.tax / MONEY_SCALE)}</td><td>${grouped(f.position, 0)}</td><td>${grouped(f.equity / MONEY_SCALE)}</td>${cells}</tr>`;
  });
  const more =
    r.tracker.fills.length > MAX_FILL_ROWS
      ? `<p class="note">First ${MAX_FILL_ROWS} of ${grouped(r.tracker.fills.length, 0)} fills; all are in fills.csv.</p>`
      : '';
  const lat = s.models.latency;
  const latency =
    'file' in lat
      ? `recorded (${esc(lat.file)})`
      : `order ${lat.order_us} µs, response ${lat.response_us} µs`;
  const sessions = s.sessions.map((x) => `${taipeiIso(x.start)} → ${taipeiIso(x.end).slice(11)}`).join('; ');
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
.sw{display:inline-block;width:12px;height:12px;vertical-align:middle;border:1px solid #ccc}
</style></head><body>
<h1>Backtest: ${esc(s.strategy.id)} (${esc(s.strategy.class)})</h1>
<p class="meta">${esc(s.symbols.join(', '))} · ${duration(s.period.data_s)} of data in ${s.sessions.length} session${s.sessions.length === 1 ? '' : 's'} (Taipei time, UTC+8): ${esc(sessions)}<br>
Data: ${esc(s.data.join(', '))}<br>
Exchange: ${esc(s.models.exchange ?? 'l2')} · queue model: ${esc(s.models.queue)} · latency: ${latency} · feed latency ${s.models.feed_latency_us} µs</p>
<div class="metrics">${metrics.map(([k, v]) => `<div>${esc(k)}<b>${esc(v)}</b></div>`).join('')}</div>
<p class="note">Money in ${esc(currency || 'currency units')}. Sharpe and Sortino: equity changes over ${s.ratio_bucket_s} s buckets with market data, annualized with √${grouped(s.periods_per_year, 0)} periods per year.</p>
<h2>Equity and position</h2>
<p class="note">${legend} Time axis: Taipei time; breaks between sessions (no market data for ${SESSION_BREAK_S / 60} min or more) are cut out and marked // with their length.</p>
${charts.join('\n')}
<h2>StormGuard</h2>
<p>${esc(guardLine(g))}</p>
<p class="note">Capital for the drawdown thresholds: ${cur(g.capital)}; ${grouped(g.evaluations, 0)} evaluations; time in ${GUARD_STATES.map((k) => `${k} ${duration(g.seconds_in[k])}`).join(', ')}.${
    g.transitions.length > MAX_GUARD_ROWS
      ? ` First ${MAX_GUARD_ROWS} of ${g.transitions.length} state changes; all are in summary.json.`
      : ''
  }</p>
${guardRows.length > 0 ? `<table><tr><th>time</th><th>from</th><th>to</th><th>reason</th></tr>\n${guardRows.join('\n')}</table>` : ''}
<h2>Orders refused before the venue</h2>
${
  refusedRows.length > 0
    ? `<table><tr><th>reason</th><th>orders</th><th>first</th><th>last</th></tr>\n${refusedRows.join('\n')}</table>`
    : '<p>None: no risk limit, rate limit or guard refused an order.</p>'
}
<h2>Per-trade statistics</h2>
<p class="note">Markout: side × (mid − fill price) at each horizon after the fill (data time), mean weighted by quantity; positive is in our favour. Fills whose horizon is past the end of the data are not counted.</p>
<table><tr><th>horizon</th><th>fills</th><th>mean (ticks)</th><th>total</th></tr>
${markoutRows.join('\n')}</table>
<p>Holding time (FIFO per strategy and symbol, by quantity): ${grouped(h.closed_qty, 0)} closed, mean ${duration(h.avg_s)}, median ${duration(h.median_s)}, longest ${duration(h.max_s)}; ${grouped(h.open_qty, 0)} still open at the end.</p>
<h2>Strategy parameters</h2>
<table>${Object.entries(s.strategy.params)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(JSON.stringify(v))}</td></tr>`)
    .join('')}</table>
<h2>Fills</h2>
${more}<table><tr><th>time (Taipei)</th><th>symbol</th><th>order</th><th>side</th><th>price</th><th>qty</th><th>liquidity</th><th>fee</th><th>tax</th><th>position</th><th>equity</th>${MARKOUT_HORIZONS_S.map((x) => `<th>markout ${x} s</th>`).join('')}</tr>
${fills.join('\n')}</table>
</body></html>
`;
}

const swatch = (level: number) => `<span class="sw" style="background:${BAND[level]}"></span>`;

/** Decimals of a price scale (100 -> 2). */
function decimals(scale: number): number {
  return Math.max(0, Math.round(Math.log10(scale)));
}

/** Guard levels and refusals per pixel column of the plot. */
function equityMarks(r: BacktestResult, axis: TimeAxis): Marks {
  const t = r.tracker;
  const cols = W - PAD_L - PAD_R;
  const level = new Uint8Array(cols + 1);
  const refused = new Float64Array(cols + 1);
  const col = (ts: number) => Math.max(0, Math.min(cols, Math.floor(axis.x(ts) - PAD_L)));
  // Each state from its change to the next, per session (a break is not shaded).
  const changes = t.guard;
  for (let i = 0; i < changes.length; i++) {
    const lv = changes[i].level;
    if (lv === 0) continue;
    const a = changes[i].ts;
    const b = i + 1 < changes.length ? changes[i + 1].ts : t.endTs;
    for (const [s0, s1] of axis.sessions) {
      const from = Math.max(a, s0);
      const to = Math.min(b, s1);
      if (from > to) continue;
      for (let c = col(from); c <= col(to); c++) if (level[c] < lv) level[c] = lv;
    }
  }
  const e = t.equity;
  for (let i = 1; i < e.ts.length; i++) {
    const d = e.refused[i] - e.refused[i - 1];
    if (d > 0) refused[col(e.ts[i])] += d;
  }
  return { level, refused };
}

/** One line chart (step chart when `step`) as inline SVG over the session axis, with the equity chart's marks. */
function chart(
  title: string,
  unit: string,
  axis: TimeAxis,
  r: BacktestResult,
  ys: readonly number[],
  h: number,
  step: boolean,
  marks: Marks | null,
): string {
  const ts = r.tracker.equity.ts;
  const top = 22;
  const bottom = 22;
  const ph = h - top - bottom;
  const label = `${title}${unit ? ` (${unit})` : ''}`;
  if (ts.length === 0)
    return `<svg width="${W}" height="${h}"><text x="${PAD_L}" y="16">${esc(label)}: no data</text></svg>`;
  let lo = Math.min(0, ...sampleMinMax(ys));
  let hi = Math.max(0, ...sampleMinMax(ys));
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const y = (v: number) => top + (1 - (v - lo) / (hi - lo)) * ph;
  const pts = thin(ts, ys, axis);
  let d = '';
  let session = -2;
  for (let i = 0; i < pts.length; i += 2) {
    const px = axis.x(pts[i]).toFixed(1);
    const py = y(pts[i + 1]).toFixed(1);
    const sn = axis.session(pts[i]);
    // A new session starts a new line: nothing is drawn across a break.
    if (sn !== session) d += `M${px},${py}`;
    else d += step ? `H${px}V${py}` : `L${px},${py}`;
    session = sn;
  }
  const out: string[] = [];
  if (marks !== null) {
    const lv = marks.level;
    for (let c = 0; c < lv.length; ) {
      let e = c;
      while (e + 1 < lv.length && lv[e + 1] === lv[c]) e++;
      if (lv[c] > 0)
        out.push(
          `<rect x="${PAD_L + c}" y="${top}" width="${e - c + 1}" height="${ph}" fill="${BAND[lv[c]]}"><title>StormGuard ${GUARD_STATES[lv[c]]}</title></rect>`,
        );
      c = e + 1;
    }
    const rf = marks.refused;
    for (let c = 0; c < rf.length; c++)
      if (rf[c] > 0)
        out.push(
          `<line x1="${PAD_L + c + 0.5}" x2="${PAD_L + c + 0.5}" y1="${top + ph - 7}" y2="${top + ph}" stroke="#c0392b"><title>${grouped(rf[c], 0)} orders refused</title></line>`,
        );
  }
  for (const v of niceTicks(lo, hi, 5)) {
    const gy = y(v).toFixed(1);
    out.push(
      `<line x1="${PAD_L}" x2="${W - PAD_R}" y1="${gy}" y2="${gy}" stroke="${v === 0 ? '#999' : '#eee'}"/>` +
        `<text x="${PAD_L - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle">${fmtTick(v)}</text>`,
    );
  }
  for (const tk of axis.ticks(r.epoch))
    out.push(`<text x="${tk.x.toFixed(1)}" y="${h - 6}" text-anchor="start">${esc(tk.label)}</text>`);
  for (const b of axis.breaks())
    out.push(
      `<line x1="${b.x.toFixed(1)}" x2="${b.x.toFixed(1)}" y1="${top}" y2="${top + ph}" stroke="#888" stroke-dasharray="3,3"/>` +
        `<text x="${b.x.toFixed(1)}" y="${top - 4}" text-anchor="middle">// ${esc(b.label)}</text>`,
    );
  return `<svg width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(title)}">
<text x="${PAD_L}" y="14" style="font-weight:600;fill:#222">${esc(label)}</text>
${out.join('\n')}
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
function thin(ts: readonly number[], ys: readonly number[], axis: TimeAxis): number[] {
  const n = ts.length;
  const out: number[] = [];
  if (n <= MAX_POINTS) {
    for (let i = 0; i < n; i++) out.push(ts[i], ys[i]);
    return out;
  }
  let i = 0;
  while (i < n) {
    const col = Math.floor(axis.x(ts[i]));
    let j = i;
    let mn = i;
    let mx = i;
    while (j + 1 < n && Math.floor(axis.x(ts[j + 1])) === col) {
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

/** A y-axis label: grouped thousands below a million, then millions ("-1.25M"). */
function fmtTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2).replace(/\.?0+$/, '')}M`;
  return grouped(v, Number.isInteger(v) ? 0 : 1);
}
