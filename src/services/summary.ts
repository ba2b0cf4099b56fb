import { fitAlphaReports } from '../alpha/report-budget.ts';
import { MONEY_SCALE } from '../core/money.ts';
import type { RecorderStats } from '../recorder/recorder.ts';
import { ReplayVenue } from '../venues/replay/replay-venue.ts';
import type { TradingSystem } from './trading-system.ts';

/** Money in the summary is shown in currency units (integers / MONEY_SCALE, exact to 4 decimals). */
const money = (v: number) => v / MONEY_SCALE;

export interface PositionSummary {
  strategy: string;
  symbol: string;
  qty: number;
  avg_price: number;
  realized: number;
  unrealized: number;
  fees: number;
  net: number;
  fills: number;
  volume: number;
}

export interface RunSummary {
  /** The run's id (core/run-id.ts) and kind: its row in hft.runs when it was recorded. */
  run_id: string;
  kind: string;
  duration_s: number;
  wall_s: number;
  clock: string;
  events: number;
  orders: number;
  fills: number;
  rejects: { risk: number; venue: number; total: number; by_reason: Record<string, number> };
  cancels: number;
  /** Live: orders still open at the end (live.on_stop leave, or cancels the venue did not confirm). */
  left_open: number;
  /** Net PnL per symbol and in total, currency units, after fees and taxes. */
  pnl: {
    total: number;
    by_symbol: Record<string, { realized: number; unrealized: number; fees: number; net: number }>;
  };
  positions: PositionSummary[];
  latency_us: { p50: number; p99: number; max: number; count: number };
  lob_update_ns: { p50: number; p99: number };
  recorded_rows: { market_data: number; orders: number; trades: number };
  recorder: RecorderStats | null;
  /** Feed and book health: refused input, ordering problems, crossed books and their repair. */
  feed: {
    malformed: number;
    bad_values: number;
    /** Broker payloads whose exchange time ran more than an hour ahead of the receive clock. */
    bad_time: number;
    unknown_symbol: number;
    out_of_order: number;
    stale_dropped: number;
    seq_gaps: number;
    lob_rejected: number;
    crossed_books: number;
    repaired_books: number;
    pruned_levels: number;
    /** Prices off the tick grid in a full-depth (price-indexed) book: its symbol's tick is wrong. */
    off_grid_prices: number;
    /** Replay venue: data events and messages delivered (null on the simulated exchange). */
    /**
     * Replayed data; indicative_*: call-auction (pre-open) prints and book events of the data, which
     * the exchange model used for the book but not for fills (feed.exclude_preopen).
     */
    replay: {
      events: number;
      messages: number;
      late_messages: number;
      indicative_trades: number;
      indicative_events: number;
      /** Records the data readers refused (bad values, off-tick prices, time outliers), all sources. */
      data_rejected: number;
      /** Sequence gaps the readers found (each clears the book until it is rebuilt; Binance). */
      data_gaps: number;
    } | null;
  };
  bus: { published: number; dropped: number; high_water: number };
  strategy_errors: number;
  /** Strategies in shadow mode: their orders were answered at the edge, never sent; their fills are counted above. */
  shadow: string[];
  /** What strategies measured of themselves (Strategy.report), by id: an alpha's shadow or canary evidence. */
  strategy_reports: Record<string, unknown>;
  /** Why orders stopped, if they did: StormGuard, rejections, order adapter, reconciliation. */
  risk: RiskSummary;
}

export interface RiskSummary {
  /** StormGuard state at the end, and what holds it. */
  state: string;
  reasons: readonly string[];
  transitions: { time: string; from: string; to: string; reason: string }[];
  /** Intents the strategies formed (new and replace), and those refused before the venue by reason. */
  intents: number;
  rejects_by_reason: Record<string, number>;
  adapter: { refused: number; queued: number; coalesced: number; ack_timeouts: number };
  dlq: { entries: number; dropped: number; by_reason: Record<string, number>; file: string };
  breaker: { state: string; opens: number };
  reconciliation: { checks: number; critical: number; last_critical: string; repaired_orders: number } | null;
  orphans: { parked: number; matched: number; booked: number; unresolved: number };
  strategies: { id: string; enabled: boolean; errors: number }[];
  halt_cancels: number;
}

/** Counts by key of two sources, added (a new object). */
function sumCounts(
  a: Partial<Record<string, number>>,
  b: Partial<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const src of [a, b]) for (const [k, v] of Object.entries(src)) out[k] = (out[k] ?? 0) + (v ?? 0);
  return out;
}

function riskSummary(sys: TradingSystem): RiskSummary {
  const g = sys.stormGuard;
  const a = sys.orders.counters;
  const byReason = sumCounts(sys.risk.counters.byReason, a.byReason);
  const rc = sys.router.counters;
  const recon = sys.reconciler;
  const dlq = sys.orders.dlq;
  return {
    state: g.stateName,
    reasons: g.reasons,
    transitions: g.history.map((t) => ({
      time: sys.clock.epoch.toIso(t.ts),
      from: t.from,
      to: t.to,
      reason: t.reason,
    })),
    intents: sys.runner.counters.intents,
    rejects_by_reason: byReason,
    adapter: { refused: a.rejected, queued: a.queued, coalesced: a.coalesced, ack_timeouts: a.ackTimeouts },
    dlq: { entries: dlq.total, dropped: dlq.dropped, by_reason: { ...dlq.byReason }, file: dlq.file },
    breaker: { state: sys.orders.breaker.state, opens: sys.orders.breaker.opens },
    reconciliation: recon
      ? {
          checks: recon.counters.checks,
          critical: recon.counters.critical,
          last_critical: recon.lastCritical,
          repaired_orders: recon.counters.repairedOrders,
        }
      : null,
    orphans: {
      parked: rc.orphans,
      matched: rc.orphansMatched,
      booked: rc.orphansBooked,
      unresolved: rc.orphansUnresolved,
    },
    strategies: sys.runner.status(),
    halt_cancels: g.haltCancels,
  };
}

function formatRisk(r: RiskSummary): string[] {
  const lines = [
    `  risk: StormGuard ${r.state}${r.reasons.length > 0 ? ` (${r.reasons.join('; ')})` : ''}, breaker ${r.breaker.state}` +
      `, dead letters ${r.dlq.entries}${r.dlq.file ? ` (${r.dlq.file})` : ''}`,
  ];
  for (const t of r.transitions) lines.push(`    ${t.time} ${t.from} -> ${t.to}: ${t.reason}`);
  const off = r.strategies.filter((s) => !s.enabled);
  if (off.length > 0)
    lines.push(`    disabled strategies: ${off.map((s) => `${s.id} (${s.errors} errors)`).join(', ')}`);
  if (Object.keys(r.rejects_by_reason).length > 0)
    lines.push(`    refused before the venue, by reason: ${JSON.stringify(r.rejects_by_reason)}`);
  return lines;
}

export function buildSummary(sys: TradingSystem, rec: RecorderStats | null, wallS: number): RunSummary {
  const positions: PositionSummary[] = [];
  const bySymbol: RunSummary['pnl']['by_symbol'] = {};
  let total = 0;
  for (const p of sys.positions.all()) {
    const mark = sys.lob.stats(p.spec.id).mid;
    const u = p.unrealized(mark);
    const net = p.realized + u - p.fees;
    positions.push({
      strategy: p.strategyId,
      symbol: p.spec.code,
      qty: p.qty,
      avg_price: p.avgPrice / p.spec.priceScale,
      realized: money(p.realized),
      unrealized: money(u),
      fees: money(p.fees),
      net: money(net),
      fills: p.fills,
      volume: p.volume,
    });
    const b = (bySymbol[p.spec.code] ??= { realized: 0, unrealized: 0, fees: 0, net: 0 });
    b.realized += money(p.realized);
    b.unrealized += money(u);
    b.fees += money(p.fees);
    b.net += money(net);
    total += net;
  }
  const rc = sys.router.counters;
  const riskRejects = sys.risk.counters.rejected;
  // Refused by risk or by the venue (its gates included, e.g. OUTSIDE_SESSION): the counts add up to `total`.
  const byReason = sumCounts(sys.risk.counters.byReason, sys.router.rejectsByReason);
  const lat = sys.intentLatency;
  const us = (ns: number) => Math.round(ns / 10) / 100;
  return {
    run_id: sys.identity.id,
    kind: sys.identity.kind,
    duration_s: sys.elapsedNs / 1e9,
    wall_s: Math.round(wallS * 1000) / 1000,
    clock: sys.clock.simulated ? 'sim' : 'real',
    events: sys.marketData.events,
    orders: sys.orders.counters.sent,
    fills: rc.fills + rc.partials,
    rejects: { risk: riskRejects, venue: rc.rejects, total: riskRejects + rc.rejects, by_reason: byReason },
    cancels: rc.canceled,
    left_open: sys.ordersLeftOpen,
    pnl: { total: money(total), by_symbol: bySymbol },
    positions,
    latency_us: {
      p50: us(lat.percentile(50)),
      p99: us(lat.percentile(99)),
      max: us(lat.max),
      count: lat.count,
    },
    lob_update_ns: { p50: sys.lobLatency.percentile(50), p99: sys.lobLatency.percentile(99) },
    recorded_rows: rec
      ? { market_data: rec.written.market_data, orders: rec.written.orders, trades: rec.written.trades }
      : { market_data: 0, orders: 0, trades: 0 },
    recorder: rec,
    feed: feedSummary(sys),
    bus: { published: sys.bus.published, dropped: sys.bus.dropped, high_water: sys.bus.highWater },
    strategy_errors: sys.runner.counters.errors,
    shadow: [...sys.shadowIds],
    strategy_reports: fitAlphaReports(sys.runner.reports()),
    risk: riskSummary(sys),
  };
}

function feedSummary(sys: TradingSystem): RunSummary['feed'] {
  const n = sys.normalizer.counters;
  const lob = sys.lob.counters;
  const v = sys.venue instanceof ReplayVenue ? sys.venue.counters : null;
  return {
    malformed: n.malformed,
    bad_values: n.badValue,
    bad_time: n.badTime,
    unknown_symbol: n.unknownSymbol + lob.unknownSymbol,
    out_of_order: n.outOfOrder,
    stale_dropped: n.staleDropped,
    seq_gaps: n.seqGaps,
    lob_rejected: lob.rejected,
    crossed_books: lob.crossed,
    repaired_books: lob.repaired,
    pruned_levels: lob.prunedLevels,
    off_grid_prices: sys.lob.offGridPrices(),
    replay:
      sys.venue instanceof ReplayVenue && v
        ? {
            events: v.events,
            messages: v.messages,
            late_messages: v.lateMessages,
            indicative_trades: sys.venue.indicative.trades,
            indicative_events: sys.venue.indicative.events,
            data_rejected: sys.replaySources.reduce((n, x) => n + x.rejected, 0),
            data_gaps: sys.replaySources.reduce((n, x) => n + x.gaps, 0),
          }
        : null,
  };
}

function formatFeed(f: RunSummary['feed']): string {
  const r = f.replay;
  const auction =
    r && r.indicative_events > 0
      ? ` (the data holds ${r.indicative_trades} pre-open prints and ${r.indicative_events - r.indicative_trades} pre-open book events: they set the book, never a fill)`
      : '';
  const read =
    r && r.data_rejected + r.data_gaps > 0
      ? ` (the data readers refused ${r.data_rejected} records and found ${r.data_gaps} sequence gaps)`
      : '';
  const replay = r ? `replayed ${r.events} events in ${r.messages} messages${auction}${read}; ` : '';
  return (
    `  feed: ${replay}refused: malformed ${f.malformed}, bad values ${f.bad_values}, bad time ${f.bad_time}, unknown symbol ${f.unknown_symbol}, ` +
    `book ${f.lob_rejected}, stale ${f.stale_dropped}; out of order ${f.out_of_order}, seq gaps ${f.seq_gaps}; ` +
    `crossed books ${f.crossed_books} (repaired ${f.repaired_books}, pruned levels ${f.pruned_levels})` +
    (f.off_grid_prices > 0
      ? `; ${f.off_grid_prices} prices off the tick grid (check the symbols' ticks)`
      : '')
  );
}

/** Human-readable summary printed at exit. */
export function formatSummary(s: RunSummary): string {
  const lines = [
    // A replay's run clock is the data's (paced or not); only the generator's sim and live runs are not.
    `run finished: ${s.duration_s.toFixed(1)} s of ${s.feed.replay ? 'data' : s.clock} time in ${s.wall_s.toFixed(1)} s wall` +
      (s.recorder?.close_ms ? ` (recorder close ${(s.recorder.close_ms / 1000).toFixed(1)} s of it)` : ''),
    `  run ${s.run_id} (${s.kind})`,
    `  events ${s.events}  orders ${s.orders}  fills ${s.fills}  cancels ${s.cancels}  rejects ${s.rejects.total} (risk ${s.rejects.risk}, venue ${s.rejects.venue})` +
      (s.risk.adapter.refused > 0 ? `, ${s.risk.adapter.refused} more refused by the order adapter` : ''),
    ...(s.left_open > 0
      ? [
          `  ${s.left_open} orders may still be working at the venue (not confirmed cancelled; see live.on_stop)`,
        ]
      : []),
    ...(s.shadow.length > 0
      ? [
          `  shadow: ${s.shadow.join(', ')}: orders answered at the edge and never sent; their fills and PnL below did not happen`,
        ]
      : []),
    s.latency_us.count > 0
      ? `  latency event->intent: p50 ${s.latency_us.p50} us  p99 ${s.latency_us.p99} us  (n=${s.latency_us.count})`
      : '  latency event->intent: no samples (no timed event led to an intent)',
    `  LOB update: p50 ${s.lob_update_ns.p50} ns  p99 ${s.lob_update_ns.p99} ns`,
    formatFeed(s.feed),
    `  recorded rows: market_data ${s.recorded_rows.market_data}  orders ${s.recorded_rows.orders}  trades ${s.recorded_rows.trades}`,
    '  positions:',
  ];
  for (const p of s.positions) {
    lines.push(
      `    ${p.strategy.padEnd(10)} ${p.symbol.padEnd(6)} qty ${String(p.qty).padStart(6)}  avg ${p.avg_price.toFixed(2).padStart(10)}  realized ${p.realized.toFixed(2)}  unrealized ${p.unrealized.toFixed(2)}  fees ${p.fees.toFixed(2)}  net ${p.net.toFixed(2)}`,
    );
  }
  if (s.positions.length === 0) lines.push('    (none)');
  lines.push(`  PnL total (net of fees and taxes): ${s.pnl.total.toFixed(2)}`);
  if (s.rejects.total > 0) lines.push(`  rejects by reason: ${JSON.stringify(s.rejects.by_reason)}`);
  lines.push(...formatRisk(s.risk));
  if (s.recorder) lines.push(...formatRecorder(s.recorder));
  return lines.join('\n');
}

/** The recorder's line: only when something needs saying (rows shed or lost, backlog left, an error). */
function formatRecorder(r: RecorderStats): string[] {
  const notes = [
    r.shed_market_data > 0 ? `shed ${r.shed_market_data} market-data rows` : '',
    r.failed_rows > 0 ? `lost ${r.failed_rows} rows (${r.lost_orders_trades} orders/fills)` : '',
    r.wal.backlog_files > 0
      ? `WAL backlog left for the next start: ${r.wal.backlog_files} segments (${r.wal.backlog_bytes} bytes)`
      : '',
    r.worker.restarts > 0 ? `worker restarted ${r.worker.restarts} times` : '',
  ].filter((x) => x !== '');
  const out = notes.length > 0 ? [`  recorder: ${notes.join(', ')}`] : [];
  if (r.lastError !== null) out.push(`  recorder last error: ${r.lastError}`);
  return out;
}
