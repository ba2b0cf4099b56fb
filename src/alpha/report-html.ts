import { existsSync, readFileSync } from 'node:fs';
import { Epoch } from '../core/clock.ts';
import { type RunMeta, readSeries } from './ledger.ts';

/** What the page shows of one validation (report.json of the run). */
interface RunReport {
  alpha_id: string;
  passed: boolean;
  manifest?: Record<string, unknown>;
  gate_a: Gate;
  gate_b: Gate;
  gate_c: Gate;
  fills?: { exchTs: number; side: number; price: number; qty: number; taker: boolean; fee: number }[];
}
interface Gate {
  gate: string;
  passed: boolean;
  skipped?: boolean;
  details: Record<string, unknown>;
}

const W = 860;
const H = 220;
const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );
const fmt = (v: unknown) =>
  typeof v === 'number'
    ? Number.isInteger(v)
      ? v.toLocaleString('en-US')
      : v.toPrecision(4)
    : v === null
      ? '–'
      : String(v);

/**
 * One self-contained HTML page of an experiment run (no script, nothing from the network): the
 * gates' results and criteria, the equity with the in-sample/out-of-sample cut, the IC decay, the
 * distribution of the signal, and the fills.
 */
export function writeAlphaReport(meta: RunMeta, extra: readonly string[] = []): string {
  const report = JSON.parse(readFileSync(meta.report_path, 'utf8')) as RunReport;
  const c = report.gate_c.details as Record<string, unknown>;
  const sc = (c.scorecard ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  parts.push(
    `<h1>${esc(meta.alpha_id)} <span class="${report.passed ? 'ok' : 'bad'}">${report.passed ? 'PASSED' : 'NOT PASSED'}</span></h1>`,
  );
  parts.push(
    `<p class="meta">run ${esc(meta.run_id)} · config ${esc(meta.config_hash)} · ${esc(meta.timestamp)} · data ${meta.data_paths.map((p) => esc(p.split('/').pop())).join(', ')}</p>`,
  );
  if (report.manifest !== undefined)
    parts.push(
      `<p><b>Hypothesis.</b> ${esc(report.manifest.hypothesis)}<br><b>Formula.</b> <code>${esc(report.manifest.formula)}</code></p>`,
    );
  parts.push('<h2>Gates</h2><table><tr><th>gate</th><th>result</th><th>details</th></tr>');
  for (const g of [report.gate_a, report.gate_b, report.gate_c])
    parts.push(
      `<tr><td>${esc(g.gate)}</td><td class="${g.passed ? 'ok' : 'bad'}">${g.skipped ? 'skipped' : g.passed ? 'passed' : 'failed'}</td><td>${gateSummary(g)}</td></tr>`,
    );
  parts.push('</table>');

  if (meta.equity_path !== null && existsSync(meta.equity_path)) {
    const eq = readSeries(meta.equity_path, ['equity', 'position']);
    const epoch = eq.epoch ?? Epoch.ZERO;
    const split = typeof sc.split_ts === 'number' ? sc.split_ts : null;
    parts.push('<h2>Equity (net PnL, in sample | out of sample)</h2>');
    parts.push(lineChart([...eq.ts], [...(eq.columns.get('equity') ?? [])], split, epoch));
    parts.push('<h2>Position</h2>');
    parts.push(lineChart([...eq.ts], [...(eq.columns.get('position') ?? [])], split, epoch));
  }
  if (Object.keys(sc).length > 0) {
    parts.push('<h2>Scorecard</h2><table>');
    for (const k of Object.keys(sc).sort())
      if (typeof sc[k] !== 'object' || sc[k] === null)
        parts.push(`<tr><td>${esc(k)}</td><td>${esc(fmt(sc[k]))}</td></tr>`);
    parts.push(`<tr><td>regime_sharpe</td><td>${esc(JSON.stringify(sc.regime_sharpe))}</td></tr></table>`);
    const decay = (sc.ic_decay ?? {}) as Record<string, number | null>;
    const hs = Object.keys(decay).sort((a, b) => Number(a) - Number(b));
    parts.push('<h2>IC decay (out of sample)</h2>');
    parts.push(
      barChart(
        hs.map((h) => `${h} s`),
        hs.map((h) => decay[h] ?? 0),
      ),
    );
    const folds = (sc.folds ?? []) as {
      day: string;
      sharpe: number;
      pnl: number;
      ic: number | null;
      bars: number;
    }[];
    if (folds.length > 0) {
      parts.push(
        '<h2>Walk-forward folds</h2><table><tr><th>test day</th><th>Sharpe</th><th>PnL</th><th>IC</th><th>bars</th></tr>',
      );
      for (const f of folds)
        parts.push(
          `<tr><td>${esc(f.day)}</td><td>${fmt(f.sharpe)}</td><td>${fmt(f.pnl)}</td><td>${fmt(f.ic)}</td><td>${f.bars}</td></tr>`,
        );
      parts.push('</table>');
    }
  }
  if (meta.signals_path !== null && existsSync(meta.signals_path)) {
    const sig = readSeries(meta.signals_path, ['signal']).columns.get('signal') ?? new Float64Array(0);
    parts.push('<h2>Signal distribution (per second of data)</h2>');
    parts.push(histogram(sig));
  }
  parts.push(...extra);
  const fills = report.fills ?? [];
  parts.push(`<h2>Fills (${fills.length})</h2>`);
  if (fills.length > 0) {
    const epoch = readEpoch(meta);
    parts.push(
      '<table><tr><th>time (UTC)</th><th>side</th><th>price</th><th>qty</th><th>liquidity</th><th>fee+tax</th></tr>',
    );
    for (const f of fills.slice(0, 200))
      parts.push(
        `<tr><td>${esc(epoch.toIso(f.exchTs))}</td><td>${f.side > 0 ? 'buy' : 'sell'}</td><td>${fmt(f.price)}</td><td>${f.qty}</td><td>${f.taker ? 'taker' : 'maker'}</td><td>${fmt(f.fee)}</td></tr>`,
      );
    parts.push('</table>');
    if (fills.length > 200)
      parts.push(`<p class="meta">first 200 of ${fills.length}; all in fills.parquet of the run</p>`);
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(meta.alpha_id)} ${esc(meta.run_id)}</title><style>
body{font:14px system-ui,sans-serif;margin:24px;max-width:920px;color:#222}h1 span{font-size:60%;vertical-align:middle}
.ok{color:#17803d}.bad{color:#b42318}.meta{color:#666}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
code{background:#f4f4f4;padding:1px 4px}svg{background:#fafafa;border:1px solid #eee}</style></head><body>
${parts.join('\n')}
</body></html>
`;
}

function readEpoch(meta: RunMeta): Epoch {
  if (meta.signals_path === null || !existsSync(meta.signals_path)) return Epoch.ZERO;
  return readSeries(meta.signals_path, []).epoch ?? Epoch.ZERO;
}

function gateSummary(g: Gate): string {
  const d = g.details;
  if (g.skipped) return esc(d.reason);
  if (g.gate === 'Gate A')
    return `missing: ${esc(JSON.stringify(d.missing_fields))}; complexity ${esc(d.complexity)} (${d.complexity_ok ? 'ok' : 'invalid'}); warnings: ${esc((d.precision_warnings as string[]).length)}`;
  if (g.gate === 'Gate B') {
    const t = d.tests as Record<string, unknown>;
    const la = d.look_ahead as Record<string, unknown>;
    const de = d.determinism as Record<string, unknown>;
    return `tests ${t.skipped ? 'skipped' : t.passed ? 'passed' : `failed ${esc(t.error ?? `(exit ${t.returncode})`)}`}; look-ahead ${la.passed ? 'none found' : 'FOUND'}; determinism ${de.passed ? 'ok' : 'FAILED'}`;
  }
  const crit = (d.criteria ?? {}) as Record<
    string,
    { value: unknown; pass: boolean; min?: number; max?: number }
  >;
  return Object.entries(crit)
    .map(
      ([k, v]) =>
        `<span class="${v.pass ? 'ok' : 'bad'}">${esc(k)} ${esc(fmt(v.value))}${v.min !== undefined ? ` ≥ ${esc(fmt(v.min))}` : ` ≤ ${esc(fmt(v.max))}`}</span>`,
    )
    .join('<br>');
}

/** Polyline of y over time, thinned to the chart's width (min and max per pixel kept). */
function lineChart(ts: number[], ys: number[], split: number | null, epoch: Epoch): string {
  if (ts.length < 2) return '<p class="meta">no samples</p>';
  // Time with data only: gaps (closed sessions) are squeezed out of the axis.
  const x = ts.map((_, i) => i);
  // A loop, not Math.min(...ys): a trading day's equity rows overflow the call stack as arguments.
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of ys) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo || 1;
  const px = (i: number) => 40 + (x[i] / (x.length - 1)) * (W - 50);
  const py = (v: number) => 10 + (1 - (v - lo) / span) * (H - 30);
  const step = Math.max(1, Math.floor(ts.length / 2000));
  const pts: string[] = [];
  for (let i = 0; i < ts.length; i += step) pts.push(`${px(i).toFixed(1)},${py(ys[i]).toFixed(1)}`);
  let cut = '';
  if (split !== null) {
    const k = ts.findIndex((t) => t >= split);
    if (k > 0)
      cut = `<line x1="${px(k)}" x2="${px(k)}" y1="5" y2="${H - 20}" stroke="#b42318" stroke-dasharray="4"/><text x="${px(k) + 4}" y="16" fill="#b42318">OOS</text>`;
  }
  const zero =
    lo < 0 && hi > 0 ? `<line x1="40" x2="${W - 10}" y1="${py(0)}" y2="${py(0)}" stroke="#ccc"/>` : '';
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${zero}<polyline fill="none" stroke="#1d4ed8" stroke-width="1.2" points="${pts.join(' ')}"/>${cut}
<text x="2" y="14">${esc(fmt(hi))}</text><text x="2" y="${H - 22}">${esc(fmt(lo))}</text>
<text x="40" y="${H - 4}">${esc(epoch.toIso(ts[0]).slice(0, 16))}</text><text x="${W - 150}" y="${H - 4}">${esc(epoch.toIso(ts[ts.length - 1]).slice(0, 16))}</text></svg>`;
}

function barChart(labels: string[], values: number[]): string {
  if (values.length === 0) return '<p class="meta">no IC (no trade or no signal)</p>';
  const m = Math.max(1e-9, ...values.map(Math.abs));
  const bw = (W - 60) / values.length;
  const mid = H / 2;
  const bars = values
    .map((v, i) => {
      const h = (Math.abs(v) / m) * (mid - 20);
      const y = v >= 0 ? mid - h : mid;
      return `<rect x="${50 + i * bw + 4}" y="${y}" width="${bw - 8}" height="${h}" fill="${v >= 0 ? '#17803d' : '#b42318'}"/><text x="${50 + i * bw + 6}" y="${H - 4}">${esc(labels[i])}</text><text x="${50 + i * bw + 6}" y="${v >= 0 ? y - 3 : y + h + 12}">${esc(fmt(v))}</text>`;
    })
    .join('');
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><line x1="40" x2="${W - 10}" y1="${mid}" y2="${mid}" stroke="#999"/>${bars}</svg>`;
}

function histogram(v: Float64Array): string {
  const xs = [...v].filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return '<p class="meta">no finite signal</p>';
  // 1st to 99th percentile, so a few outliers do not flatten the picture.
  const lo = xs[Math.floor(0.01 * (xs.length - 1))];
  const hi = xs[Math.floor(0.99 * (xs.length - 1))];
  const bins = 40;
  const counts = new Array<number>(bins).fill(0);
  const w = hi - lo || 1;
  for (const x of xs) counts[Math.min(bins - 1, Math.max(0, Math.floor(((x - lo) / w) * bins)))]++;
  const m = Math.max(...counts);
  const bw = (W - 60) / bins;
  const rects = counts
    .map(
      (c, i) =>
        `<rect x="${50 + i * bw}" y="${H - 25 - (c / m) * (H - 40)}" width="${bw - 1}" height="${(c / m) * (H - 40)}" fill="#1d4ed8"/>`,
    )
    .join('');
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${rects}<text x="50" y="${H - 8}">${esc(fmt(lo))}</text><text x="${W - 90}" y="${H - 8}">${esc(fmt(hi))}</text><text x="${W / 2 - 60}" y="14">n = ${xs.length.toLocaleString('en-US')}, median ${esc(fmt(xs[Math.floor(xs.length / 2)]))}</text></svg>`;
}
