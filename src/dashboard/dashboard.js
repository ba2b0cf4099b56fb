// hft-platform ops dashboard: renders snapshots pushed over SSE (/api/stream); controls POST to
// /api/control/* with the control token. No framework, no build step, nothing from a CDN.
(() => {
  const $ = (id) => document.getElementById(id);
  const COLORS = ['#539bf5', '#f2cc60', '#c297ff', '#3fb27f', '#ff8f6b', '#56d4dd'];
  const view = { snap: null, history: null, symbol: null };

  const time = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });
  const num = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(d));
  const int = (v) => (v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en-US'));
  const sign = (v) => (v > 0 ? 'pos' : v < 0 ? 'neg' : '');

  /** Replaces a table body with one row per item; `cells` gives [text, className?] per column. */
  function rows(table, items, cells, rowClass) {
    const body = $(table).tBodies[0];
    const frag = document.createDocumentFragment();
    for (const item of items) {
      const tr = document.createElement('tr');
      if (rowClass) tr.className = rowClass(item);
      for (const c of cells(item)) {
        const td = document.createElement('td');
        const [text, cls] = Array.isArray(c) ? c : [c, ''];
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      frag.appendChild(tr);
    }
    body.replaceChildren(frag);
  }

  function text(id, value, cls) {
    const el = $(id);
    el.textContent = value;
    if (cls !== undefined) el.className = cls;
  }

  // Control token: from the URL fragment (#token=...) once, else what was typed this session.
  const tokenInput = $('token');
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem('hft-token', fromHash);
    history.replaceState(null, '', location.pathname);
  }
  tokenInput.value = sessionStorage.getItem('hft-token') ?? '';
  tokenInput.addEventListener('change', () => sessionStorage.setItem('hft-token', tokenInput.value.trim()));

  async function control(action, label) {
    const token = tokenInput.value.trim();
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const msg = $('control-msg');
    try {
      const res = await fetch(`/api/control/${action}`, { method: 'POST', headers });
      const body = await res.json().catch(() => ({}));
      if (res.status === 401) {
        msg.textContent = `${label} refused: control token required (401)`;
        msg.className = 'neg';
      } else if (!res.ok) {
        msg.textContent = `${label} failed: HTTP ${res.status}`;
        msg.className = 'neg';
      } else {
        msg.textContent = `${label} accepted${body.cancels ? `, ${body.cancels} cancels sent` : ''}`;
        msg.className = 'pos';
      }
    } catch (err) {
      msg.textContent = `${label} failed: ${err}`;
      msg.className = 'neg';
    }
  }
  $('btn-halt').addEventListener('click', () => control('halt', 'HALT'));
  $('btn-resume').addEventListener('click', () => control('resume', 'Resume'));
  $('btn-cancel-all').addEventListener('click', () => control('cancel-all', 'Cancel all'));

  function renderHeader(s) {
    const badge = $('state');
    badge.textContent = s.safety.level;
    badge.className = `badge level-${s.safety.level}`;
    badge.dataset.level = s.safety.level;
    text('reasons', s.safety.reasons.join(', '));
    text(
      'clock',
      `${s.clock.simulated ? 'sim time' : 'real time'} ${time(s.clock.nowMs)} · update #${s.seq}`,
    );
    const c = s.counters;
    text('c-events', int(c.events));
    text('c-rate', `${int(c.eventsPerS)}/s`);
    text('c-intents', int(c.intents));
    text('c-orders', int(c.orders));
    text('c-fills', int(c.fills));
    text('c-cancels', int(c.cancels));
    text('c-rejects', int(c.rejectsRisk + c.rejectsVenue + c.rejectsOrder));
    text('c-open', int(c.openOrders));
    text('pnl-total', num(s.pnlTotal), sign(s.pnlTotal));
  }

  function renderTabs(s) {
    const tabs = $('sym-tabs');
    if (view.symbol === null && s.symbols.length > 0) view.symbol = s.symbols[0].code;
    if (tabs.childElementCount !== s.symbols.length) {
      tabs.replaceChildren(
        ...s.symbols.map((sym) => {
          const b = document.createElement('button');
          b.type = 'button';
          b.textContent = sym.code;
          b.dataset.symbol = sym.code;
          b.addEventListener('click', () => {
            view.symbol = sym.code;
            render(view.snap);
          });
          return b;
        }),
      );
    }
    for (const b of tabs.children) b.classList.toggle('active', b.dataset.symbol === view.symbol);
  }

  function renderBook(s) {
    const sym = s.symbols.find((x) => x.code === view.symbol);
    if (!sym) return;
    const d = sym.decimals;
    const ladder = [
      ...sym.asks
        .slice()
        .reverse()
        .map((l) => ({ side: 'ask', px: l[0], qty: l[1], own: l[2] })),
      { side: 'spread', px: sym.mid, qty: sym.spread },
      ...sym.bids.map((l) => ({ side: 'bid', px: l[0], qty: l[1], own: l[2] })),
    ];
    rows(
      'ladder',
      ladder,
      (l) =>
        l.side === 'spread'
          ? ['', '', `mid ${num(l.px, d + 1)} · spread ${num(l.qty, d)}`, '', '']
          : l.side === 'ask'
            ? ['', '', [num(l.px, d), 'px'], int(l.qty), [l.own ? int(l.own) : '', 'own']]
            : [[l.own ? int(l.own) : '', 'own'], int(l.qty), [num(l.px, d), 'px'], '', ''],
      (l) => l.side,
    );
    rows('trades', sym.trades, (t) => [
      time(t.t),
      [num(t.price, d), t.side > 0 ? 'buy' : t.side < 0 ? 'sell' : ''],
      int(t.qty),
    ]);
    text(
      'book-meta',
      `${sym.bids.length} bid / ${sym.asks.length} ask levels shown; own working quantity in blue`,
    );
  }

  /** Line chart on a canvas: `series` = [{ label, values, color }] over timestamps `t`. */
  function chart(canvasId, t, series, unit) {
    const canvas = $(canvasId);
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || canvas.width;
    const h = canvas.clientHeight || canvas.height;
    if (canvas.width !== w * dpr) {
      canvas.width = w * dpr;
      canvas.height = h * dpr;
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = '11px system-ui, sans-serif';
    if (t.length < 2) {
      ctx.fillStyle = '#7d8895';
      ctx.fillText('collecting…', 8, 16);
      return;
    }
    let lo = 0;
    let hi = 0;
    for (const s of series)
      for (const v of s.values) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    if (hi === lo) hi = lo + 1;
    const pad = { l: 66, r: 8, t: 8, b: 16 };
    const x = (i) => pad.l + ((t[i] - t[0]) / (t[t.length - 1] - t[0] || 1)) * (w - pad.l - pad.r);
    const y = (v) => pad.t + (1 - (v - lo) / (hi - lo)) * (h - pad.t - pad.b);
    ctx.strokeStyle = '#2a323c';
    ctx.beginPath();
    ctx.moveTo(pad.l, y(0));
    ctx.lineTo(w - pad.r, y(0));
    ctx.stroke();
    ctx.fillStyle = '#7d8895';
    ctx.fillText(`${num(hi, unit ? 0 : 2)}${unit}`, 4, pad.t + 8);
    ctx.fillText(`${num(lo, unit ? 0 : 2)}${unit}`, 4, h - pad.b);
    ctx.fillText(time(t[0]), pad.l, h - 3);
    const last = time(t[t.length - 1]);
    ctx.fillText(last, w - pad.r - ctx.measureText(last).width, h - 3);
    for (const s of series) {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = s.width ?? 1.5;
      ctx.beginPath();
      for (let i = 0; i < s.values.length; i++) {
        if (i === 0) ctx.moveTo(x(i), y(s.values[i]));
        else ctx.lineTo(x(i), y(s.values[i]));
      }
      ctx.stroke();
    }
  }

  function renderPnl(s) {
    const hist = view.history;
    if (!hist) return;
    const symbols = Object.keys(hist.bySymbol);
    const pnlSeries = [{ label: 'total', values: hist.total, color: '#ffffff', width: 2 }];
    const posSeries = [];
    symbols.forEach((code, i) => {
      const color = COLORS[i % COLORS.length];
      pnlSeries.push({ label: code, values: hist.bySymbol[code].pnl, color });
      posSeries.push({ label: code, values: hist.bySymbol[code].pos, color });
    });
    chart('pnl-chart', hist.t, pnlSeries, '');
    chart('pos-chart', hist.t, posSeries, ' lots');
    const legend = $('chart-legend');
    legend.dataset.points = String(hist.t.length);
    legend.replaceChildren(
      ...pnlSeries.map((p) => {
        const span = document.createElement('span');
        const i = document.createElement('i');
        i.style.background = p.color;
        span.append(i, p.label === 'total' ? 'net PnL total' : p.label);
        return span;
      }),
    );
    rows('positions', s.positions, (p) => [
      p.strategy,
      p.symbol,
      [int(p.qty), sign(p.qty)],
      num(p.avg),
      [num(p.realized), sign(p.realized)],
      [num(p.unrealized), sign(p.unrealized)],
      num(p.fees),
      [num(p.net), sign(p.net)],
    ]);
  }

  function renderOrders(s) {
    text('open-count', `${s.openOrders.length} shown`);
    rows('open-orders', s.openOrders, (o) => [
      String(o.id),
      o.strategy,
      o.symbol,
      [o.side > 0 ? 'buy' : 'sell', o.side > 0 ? 'buy' : 'sell'],
      num(o.price),
      `${int(o.leaves)}/${int(o.qty)}`,
      o.status,
      `${num(o.ageMs / 1000, 1)} s`,
    ]);
    rows('fills', s.fills, (f) => [
      time(f.at),
      f.strategy,
      f.symbol,
      [f.side > 0 ? 'buy' : 'sell', f.side > 0 ? 'buy' : 'sell'],
      num(f.price),
      int(f.qty),
      num(f.fee),
    ]);
  }

  function renderRejections(s) {
    const entries = Object.entries(s.rejections.byReason).sort((a, b) => b[1] - a[1]);
    const max = entries.length ? entries[0][1] : 1;
    $('reject-reasons').replaceChildren(
      ...entries.map(([reason, n]) => {
        const row = document.createElement('div');
        const bar = document.createElement('span');
        bar.className = 'bar';
        bar.style.width = `${Math.max(2, (n / max) * 200)}px`;
        row.append(bar, `${reason} ${int(n)}`);
        return row;
      }),
    );
    rows('rejections', s.rejections.recent, (r) => [time(r.at), r.source, r.reason, int(r.count), r.detail]);
  }

  function renderGuard(s) {
    text('guard-level', s.safety.level, `level-${s.safety.level}`);
    text('guard-transitions', int(s.safety.transitions));
    text('guard-violations', int(s.safety.haltViolations));
    rows('guard-history', s.safety.history, (h) => [time(h.at), h.from, h.to, h.reason, h.source]);
  }

  function renderLatency(s) {
    text('latency-legend', `histogram bars: ${s.latencyBars.join(' · ')}`);
    rows('latency', s.latency, (r) => [
      r.stage,
      int(r.count),
      num(r.p50Us),
      num(r.p90Us),
      num(r.p99Us),
      num(r.maxUs),
      r.minute ? `${num(r.minute.p50Us)} / ${num(r.minute.p99Us)}` : '–',
      '',
    ]);
    const body = $('latency').tBodies[0];
    s.latency.forEach((r, i) => {
      const cell = body.rows[i].cells[7];
      const max = Math.max(1, ...r.bars);
      const hist = document.createElement('span');
      hist.className = 'hist';
      hist.title = r.bars.map((n, k) => `${s.latencyBars[k]}: ${n}`).join('\n');
      for (const n of r.bars) {
        const bar = document.createElement('span');
        bar.style.height = `${n === 0 ? 0 : Math.max(2, Math.round((Math.log1p(n) / Math.log1p(max)) * 22))}px`;
        hist.appendChild(bar);
      }
      cell.appendChild(hist);
    });
  }

  function renderHealth(s) {
    const r = s.recorder;
    const kv = r
      ? [
          ['mode / sink', `${r.mode ?? 'direct'} / ${r.sink ? r.sink.kind : 'chdb'}`],
          [
            'written (md / orders / trades)',
            `${int(r.written.market_data)} / ${int(r.written.orders)} / ${int(r.written.trades)}`,
          ],
          ['batches (pending)', `${int(r.batches)} (${int(r.pending)})`],
          ['shed market data', int(r.shed_market_data)],
          ['failed rows', int(r.failed_rows)],
          ['lost orders/trades', int(r.lost_orders_trades)],
          [
            'WAL backlog',
            r.wal ? `${int(r.wal.backlog_files)} files, ${int(r.wal.backlog_bytes)} bytes` : 'n/a',
          ],
          ['disk level', r.disk ? String(r.disk.level) : 'n/a'],
          [
            'worker',
            r.worker
              ? `${r.worker.state}${r.worker.restarts ? ` (${r.worker.restarts} restarts)` : ''}`
              : 'n/a',
          ],
          ['held rows (nothing takes them)', int(r.held_rows ?? 0)],
          ['holds trading', r.hold ?? 'no'],
          ['last error', r.lastError ?? '–'],
        ]
      : [['recorder', 'off']];
    rows('recorder', kv, (x) => x);
    text(
      'loop',
      `event-loop lag p99 ${num(s.loop.p99Ms)} ms, max ${num(s.loop.maxMs)} ms · feed idle ${num(s.loop.feedAgeMs / 1000, 1)} s` +
        (s.breakers.length
          ? ` · breakers ${s.breakers.map((b) => `${b.name}=${['closed', 'half-open', 'open'][b.state]}`).join(', ')}`
          : ''),
    );
    rows('services', s.services, (x) => [
      x.name,
      [x.up ? 'up' : 'DOWN', x.up ? 'up' : 'down'],
      `${num(x.heartbeatAgeMs / 1000, 1)} s ago`,
      int(x.restarts),
      x.detail,
    ]);
  }

  function render(s) {
    if (!s) return;
    renderHeader(s);
    renderTabs(s);
    renderBook(s);
    renderPnl(s);
    renderOrders(s);
    renderRejections(s);
    renderGuard(s);
    renderLatency(s);
    renderHealth(s);
  }

  function setConn(up) {
    text('conn', up ? 'live' : 'disconnected, retrying…', `conn ${up ? 'up' : 'down'}`);
  }

  const source = new EventSource('/api/stream');
  source.addEventListener('snapshot', (e) => {
    const s = JSON.parse(e.data);
    if (s.history) view.history = s.history;
    view.snap = s;
    render(s);
  });
  source.addEventListener('open', () => setConn(true));
  source.addEventListener('error', () => setConn(false));
})();
