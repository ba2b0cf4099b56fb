// hft-platform ops dashboard: renders snapshots pushed over SSE (/api/stream); controls POST to
// /api/control/* with the control token. No framework, no build step, nothing from a CDN.
(() => {
  const $ = (id) => document.getElementById(id);
  const COLORS = ['#539bf5', '#f2cc60', '#c297ff', '#3fb27f', '#ff8f6b', '#56d4dd'];
  // `drawn*`: what the charts show now; they are redrawn only when the history (a point a second)
  // or the selected symbol changed, not on every update.
  const view = { snap: null, history: null, symbol: null, drawnPnl: null, drawnPrice: [null, ''] };

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

  /** POSTs a control with the token; says in #control-msg what came of it (`done` words a success). */
  async function post(path, label, done) {
    const token = tokenInput.value.trim();
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const msg = $('control-msg');
    try {
      const res = await fetch(path, { method: 'POST', headers });
      const body = await res.json().catch(() => ({}));
      if (res.status === 401) {
        msg.textContent = `${label} refused: control token required (401)`;
        msg.className = 'neg';
      } else if (!res.ok) {
        msg.textContent = `${label} failed: ${body.error ?? `HTTP ${res.status}`}`;
        msg.className = 'neg';
      } else {
        msg.textContent = `${label} accepted${done(body)}`;
        msg.className = 'pos';
      }
    } catch (err) {
      msg.textContent = `${label} failed: ${err}`;
      msg.className = 'neg';
    }
  }
  const cancels = (n) => (n ? `, ${n} cancel${n === 1 ? '' : 's'} sent` : '');
  const control = (action, label) => post(`/api/control/${action}`, label, (b) => cancels(b.cancels));

  /** enable / disable / flatten one strategy; flatten lists each reducing order or why risk refused it. */
  function strategyControl(id, action) {
    return post(`/api/strategy/${encodeURIComponent(id)}/${action}`, `${id} ${action}`, (b) => {
      const orders = (b.orders ?? []).map(
        (o) =>
          `${o.side > 0 ? 'buy' : 'sell'} ${int(o.qty)} ${o.symbol}: ${o.orderId ? `sent #${o.orderId}` : `refused ${o.reason}`}`,
      );
      const flat = action === 'flatten' && orders.length === 0 ? '; no position' : '';
      return `${cancels(b.cancels)}${orders.length ? `; ${orders.join('; ')}` : ''}${flat}`;
    });
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

  /**
   * Line chart on a canvas over timestamps `t`: `series` = [{ values, color, width }] (a null
   * value leaves a gap), `fmt` labels the axis, `marks` = [{ t, v, side }] are drawn as triangles
   * (buy up, sell down). `zero` keeps 0 on the axis. Returns the axis range and the marks drawn.
   */
  function chart(canvas, t, series, fmt, opts = {}) {
    const marks = opts.marks ?? [];
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || canvas.width;
    const h = canvas.clientHeight || canvas.height;
    if (canvas.width !== w * dpr || canvas.height !== h * dpr) {
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
      return null;
    }
    let lo = opts.zero ? 0 : Number.POSITIVE_INFINITY;
    let hi = opts.zero ? 0 : Number.NEGATIVE_INFINITY;
    const take = (v) => {
      if (v === null || !Number.isFinite(v)) return;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    };
    for (const s of series) for (const v of s.values) take(v);
    for (const m of marks) take(m.v);
    if (!Number.isFinite(lo)) return null;
    if (hi === lo) {
      hi += opts.zero ? 1 : Math.max(1e-9, Math.abs(hi) * 1e-4);
      if (!opts.zero) lo -= hi - lo;
    }
    const pad = { l: 74, r: 8, t: 8, b: 16 };
    const t0 = t[0];
    const span = t[t.length - 1] - t0 || 1;
    const xt = (ts) => pad.l + ((ts - t0) / span) * (w - pad.l - pad.r);
    const y = (v) => pad.t + (1 - (v - lo) / (hi - lo)) * (h - pad.t - pad.b);
    if (lo <= 0 && hi >= 0) {
      ctx.strokeStyle = '#2a323c';
      ctx.beginPath();
      ctx.moveTo(pad.l, y(0));
      ctx.lineTo(w - pad.r, y(0));
      ctx.stroke();
    }
    ctx.fillStyle = '#7d8895';
    ctx.fillText(fmt(hi), 4, pad.t + 8);
    ctx.fillText(fmt(lo), 4, h - pad.b);
    ctx.fillText(time(t0), pad.l, h - 3);
    const last = time(t[t.length - 1]);
    ctx.fillText(last, w - pad.r - ctx.measureText(last).width, h - 3);
    for (const s of series) {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = s.width ?? 1.5;
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < s.values.length && i < t.length; i++) {
        const v = s.values[i];
        if (v === null || !Number.isFinite(v)) {
          pen = false;
          continue;
        }
        if (pen) ctx.lineTo(xt(t[i]), y(v));
        else ctx.moveTo(xt(t[i]), y(v));
        pen = true;
      }
      ctx.stroke();
    }
    let drawn = 0;
    for (const m of marks) {
      if (m.t < t0 || m.t > t[t.length - 1] + 1000) continue;
      const x = Math.min(xt(m.t), w - pad.r);
      const yy = y(m.v);
      const d = m.side > 0 ? 1 : -1;
      ctx.fillStyle = m.side > 0 ? '#3fb27f' : '#e5534b';
      ctx.beginPath();
      ctx.moveTo(x, yy - 5 * d);
      ctx.lineTo(x - 4, yy + 3 * d);
      ctx.lineTo(x + 4, yy + 3 * d);
      ctx.closePath();
      ctx.fill();
      drawn++;
    }
    return { lo, hi, drawn };
  }

  /** Short form of a quantity unit for axis labels. */
  const unitShort = (unit) => (unit === 'shares' ? 'sh' : unit === 'contracts' ? 'ct' : '');
  const qtyText = (q, unit) => `${int(q)} ${unitShort(unit)}`.trim();

  /** The figure (caption + canvas) of one symbol's position chart, created once. */
  function positionFigure(code, unit) {
    const box = $('pos-charts');
    for (const f of box.children) if (f.dataset.symbol === code) return f;
    const fig = document.createElement('figure');
    fig.dataset.symbol = code;
    const cap = document.createElement('figcaption');
    cap.textContent = `${code} · net position (${unit})`;
    const canvas = document.createElement('canvas');
    canvas.width = 280;
    canvas.height = 90;
    canvas.setAttribute('aria-label', `${code} net position in ${unit}`);
    fig.append(cap, canvas);
    box.appendChild(fig);
    return fig;
  }

  function renderPnl(s) {
    const hist = view.history;
    if (!hist) return;
    const units = new Map(s.symbols.map((x) => [x.code, x.unit]));
    const pnlSeries = [{ label: 'total', values: hist.total, color: '#ffffff', width: 2 }];
    // In the run's symbol order (an object's integer-like keys such as "2330" would come first).
    const codes = s.symbols.map((x) => x.code).filter((code) => hist.bySymbol[code]);
    codes.forEach((code, i) => {
      pnlSeries.push({ label: code, values: hist.bySymbol[code].pnl, color: COLORS[i % COLORS.length] });
    });
    const redraw = view.drawnPnl !== hist;
    view.drawnPnl = hist;
    if (redraw) chart($('pnl-chart'), hist.t, pnlSeries, (v) => num(v), { zero: true });
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
    // One chart per symbol, each on its own axis in its own unit: 1 contract and 3,000 shares
    // never share a scale.
    codes.forEach((code, i) => {
      if (!redraw) return;
      const unit = units.get(code) ?? '';
      const fig = positionFigure(code, unit);
      const canvas = fig.querySelector('canvas');
      const series = [{ values: hist.bySymbol[code].pos, color: COLORS[i % COLORS.length] }];
      const r = chart(canvas, hist.t, series, (v) => qtyText(v, unit), { zero: true });
      canvas.dataset.unit = unit;
      if (r) {
        canvas.dataset.lo = String(r.lo);
        canvas.dataset.hi = String(r.hi);
      }
    });
    rows('positions', s.positions, (p) => [
      p.strategy,
      p.symbol,
      [qtyText(p.qty, units.get(p.symbol) ?? ''), sign(p.qty)],
      num(p.avg),
      [num(p.realized), sign(p.realized)],
      [num(p.unrealized), sign(p.unrealized)],
      num(p.fees),
      [num(p.net), sign(p.net)],
    ]);
  }

  /** Mid price of the selected symbol, with our own fills on it. */
  function renderPrice(s) {
    const hist = view.history;
    const sym = s.symbols.find((x) => x.code === view.symbol);
    if (!hist || !sym || !hist.bySymbol[sym.code]) return;
    if (view.drawnPrice[0] === hist && view.drawnPrice[1] === sym.code) return;
    view.drawnPrice = [hist, sym.code];
    const marks = hist.fills
      .filter((f) => f.symbol === sym.code)
      .map((f) => ({ t: f.t, v: f.price, side: f.side }));
    const canvas = $('price-chart');
    const mids = hist.bySymbol[sym.code].mid;
    const r = chart(canvas, hist.t, [{ values: mids, color: '#539bf5' }], (v) => num(v, sym.decimals + 1), {
      marks,
    });
    canvas.dataset.symbol = sym.code;
    canvas.dataset.points = String(mids.filter((v) => v !== null).length);
    canvas.dataset.fills = String(r ? r.drawn : 0);
    const buys = marks.filter((m) => m.side > 0).length;
    text('price-legend', `${sym.code} mid · ▲ ${buys} own buys · ▼ ${marks.length - buys} own sells`);
  }

  /** One row per strategy, updated in place (its buttons stay the same elements). */
  function renderStrategies(s) {
    const body = $('strategies').tBodies[0];
    const units = new Map(s.symbols.map((x) => [x.code, x.unit]));
    for (const st of s.strategies) {
      let tr = [...body.rows].find((r) => r.dataset.strategy === st.id);
      if (!tr) {
        tr = document.createElement('tr');
        tr.dataset.strategy = st.id;
        for (let i = 0; i < 6; i++) tr.appendChild(document.createElement('td'));
        tr.cells[0].textContent = st.id;
        tr.cells[5].className = 'actions';
        for (const [action, label] of [
          ['enable', 'Enable'],
          ['disable', 'Disable'],
          ['flatten', 'Flatten'],
        ]) {
          const b = document.createElement('button');
          b.type = 'button';
          b.dataset.action = action;
          b.textContent = label;
          if (action === 'flatten') b.className = 'danger';
          tr.cells[5].appendChild(b);
        }
        body.appendChild(tr);
      }
      tr.className = st.enabled ? '' : 'off';
      tr.cells[1].textContent = st.symbols.join(', ');
      tr.cells[2].textContent = st.enabled ? 'enabled' : 'disabled';
      tr.cells[3].textContent = int(st.errors);
      const pos = s.positions
        .filter((p) => p.strategy === st.id && p.qty !== 0)
        .map((p) => `${p.symbol} ${qtyText(p.qty, units.get(p.symbol) ?? '')}`);
      tr.cells[4].textContent = pos.length ? pos.join(', ') : 'flat';
    }
  }
  $('strategies').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    if (b) strategyControl(b.closest('tr').dataset.strategy, b.dataset.action);
  });

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
    renderPrice(s);
    renderStrategies(s);
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
  // A page that cannot keep up (a busy machine, a slow laptop, a tab in the background) renders
  // the latest snapshot once per frame instead of a render per update queued behind it.
  // data-updates / data-renders on <body> count both.
  let pending = false;
  let updates = 0;
  let renders = 0;
  source.addEventListener('snapshot', (e) => {
    const s = JSON.parse(e.data);
    if (s.history) view.history = s.history;
    view.snap = s;
    document.body.dataset.updates = String(++updates);
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render(view.snap);
      document.body.dataset.renders = String(++renders);
    });
  });
  source.addEventListener('open', () => setConn(true));
  source.addEventListener('error', () => setConn(false));
})();
