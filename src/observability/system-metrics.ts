import { collectDefaultMetrics, Registry } from 'prom-client';
import { AlphaStrategy } from '../alpha/alpha-strategy.ts';
import { MONEY_SCALE } from '../core/money.ts';
import { STAGE_NAMES, Stage, type StageId } from './latency-stages.ts';
import type { OpsView, RecorderStatsView } from './ops-view.ts';
import { counter, gauge, LATENCY_BUCKETS_NS, latencyHistogram, type Sample } from './prom-collector.ts';

const one = (value: number): Sample[] => [{ value }];
const byLabel = (label: string, rec: Readonly<Record<string, number | undefined>>): Sample[] =>
  Object.entries(rec).map(([k, v]) => ({ labels: { [label]: k }, value: v ?? 0 }));

/**
 * The Prometheus registry of one trading process: Node's default metrics (event-loop lag,
 * GC, heap, CPU) plus every `hft_*` metric, each read from the running system at scrape time.
 */
export function createMetricsRegistry(view: OpsView): Registry {
  const reg = new Registry();
  collectDefaultMetrics({ register: reg });
  // prom-client exports these gauges with a counter's `_total` suffix (promtool flags them);
  // nodejs_active_handles / _requests / _resources carry the same figures by type.
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ])
    reg.removeSingleMetric(name);
  const { sys } = view;

  // Market data and feed.
  counter(reg, 'hft_md_events_total', 'Market-data events processed by the hot path.', () =>
    one(sys.marketData.events),
  );
  counter(
    reg,
    'hft_feed_rejected_events_total',
    'Feed payloads refused or flagged by the normalizer.',
    () => {
      const c = sys.normalizer.counters;
      return byLabel('reason', {
        malformed: c.malformed,
        unknown_symbol: c.unknownSymbol,
        out_of_order: c.outOfOrder,
      });
    },
  );
  counter(reg, 'hft_book_crossed_total', 'Books found crossed or locked after an update.', () =>
    one(sys.lob.counters.crossed),
  );
  gauge(
    reg,
    'hft_book_last_update_age_seconds',
    'Run-clock age of the last valid book update per symbol.',
    () => {
      const now = sys.clock.nowNs();
      return sys.symbols
        .map((s) => ({ code: s.code, ts: sys.lob.stats(s.id).localTs }))
        .filter((x) => x.ts > 0)
        .map((x) => ({ labels: { symbol: x.code }, value: Math.max(0, (now - x.ts) / 1e9) }));
    },
  );
  gauge(
    reg,
    'hft_feed_last_event_age_seconds',
    'Wall time since the market-data event count last moved.',
    () => (view.supervision ? one(view.supervision.feedAgeMs / 1000) : []),
  );

  // Queues: the event bus, the scheduler's timer queue and the recorder rings.
  counter(reg, 'hft_queue_events_in_total', 'Items put into a bounded queue.', () => {
    const out: Sample[] = [{ labels: { queue: 'bus' }, value: sys.bus.published }];
    const r = recorderStats(view);
    if (r)
      for (const [t, v] of Object.entries(r.enqueued))
        out.push({ labels: { queue: `recorder_${t}` }, value: v });
    return out;
  });
  counter(
    reg,
    'hft_queue_events_out_total',
    'Items taken out of a bounded queue (recorder: rows acknowledged by the store).',
    () => {
      const out: Sample[] = [{ labels: { queue: 'bus' }, value: sys.bus.consumed }];
      const r = recorderStats(view);
      if (r)
        for (const [t, v] of Object.entries(r.written))
          out.push({ labels: { queue: `recorder_${t}` }, value: v });
      return out;
    },
  );
  counter(reg, 'hft_queue_events_dropped_total', 'Items dropped or refused by a full queue.', () => {
    const out: Sample[] = [{ labels: { queue: 'bus' }, value: sys.bus.dropped }];
    const r = recorderStats(view);
    if (r) {
      for (const [t, v] of Object.entries(r.shed)) out.push({ labels: { queue: `recorder_${t}` }, value: v });
      out.push({ labels: { queue: 'recorder_orders_trades_lost' }, value: r.lost_orders_trades });
    }
    return out;
  });
  gauge(reg, 'hft_queue_depth', 'Items waiting in a queue.', () => [
    { labels: { queue: 'bus' }, value: sys.bus.depth },
    { labels: { queue: 'scheduler' }, value: sys.scheduler.pending },
  ]);
  gauge(reg, 'hft_queue_high_water', 'Highest depth a queue has reached.', () => [
    { labels: { queue: 'bus' }, value: sys.bus.highWater },
  ]);
  gauge(reg, 'hft_queue_capacity', 'Slots of a bounded queue.', () => [
    { labels: { queue: 'bus' }, value: view.busCapacity },
  ]);

  // Decisions, orders and executions.
  counter(reg, 'hft_intents_total', 'Order intents formed by strategies.', () =>
    one(sys.runner.counters.intents),
  );
  counter(reg, 'hft_strategy_errors_total', 'Strategy callbacks that threw.', () =>
    one(sys.runner.counters.errors),
  );
  gauge(reg, 'hft_strategies_enabled', 'Strategies currently enabled.', () =>
    one(sys.runner.strategies.filter((s) => sys.runner.isEnabled(s.id)).length),
  );
  // Alphas traded as strategies (canaries): their weight now, and rollbacks by their guardrails.
  const alphas = () => sys.runner.strategies.filter((s): s is AlphaStrategy => s instanceof AlphaStrategy);
  gauge(
    reg,
    'hft_alpha_weight',
    'Weight of an alpha strategy (a canary: its tier; 0 after a rollback).',
    () => alphas().map((s) => ({ labels: { strategy: s.id, alpha: s.monitor.alphaId }, value: s.weight })),
  );
  counter(reg, 'hft_alpha_rollbacks_total', 'Alpha strategies rolled back by a live guardrail.', () =>
    alphas().map((s) => ({
      labels: { strategy: s.id, alpha: s.monitor.alphaId },
      value: s.monitor.rolledBack === null ? 0 : 1,
    })),
  );
  counter(reg, 'hft_risk_checks_total', 'Pre-trade risk checks run.', () => one(sys.risk.counters.checked));
  registerGatewayMetrics(reg, sys);
  counter(
    reg,
    'hft_rejects_total',
    'Rejected orders by source (risk, order adapter, venue) and reason.',
    () => {
      const bySource: [string, Partial<Record<string, number>>][] = [
        ['risk', sys.risk.counters.byReason],
        ['order', sys.orders.counters.byReason],
        ['venue', view.venueRejects],
      ];
      return bySource.flatMap(([source, rec]) =>
        byLabel('reason', rec).map((s) => ({ ...s, labels: { ...s.labels, source } })),
      );
    },
  );
  counter(reg, 'hft_orders_sent_total', 'Orders sent to the venue.', () => one(sys.orders.counters.sent));
  counter(reg, 'hft_order_cancels_sent_total', 'Cancel requests sent to the venue.', () =>
    one(sys.orders.counters.cancelsSent),
  );
  counter(reg, 'hft_order_acks_total', 'Orders acknowledged by the venue.', () =>
    one(sys.router.counters.acks),
  );
  counter(reg, 'hft_order_cancels_total', 'Orders confirmed canceled by the venue.', () =>
    one(sys.router.counters.canceled),
  );
  counter(reg, 'hft_fills_total', 'Own fills by kind (full: order complete, partial).', () => [
    { labels: { kind: 'full' }, value: sys.router.counters.fills },
    { labels: { kind: 'partial' }, value: sys.router.counters.partials },
  ]);
  counter(reg, 'hft_filled_qty_total', 'Quantity filled (contracts or shares).', () =>
    one(sys.router.counters.filledQty),
  );
  counter(
    reg,
    'hft_exec_orphans_total',
    'Execution callbacks for unknown orders (kept for reconciliation).',
    () => one(sys.router.counters.orphans),
  );
  gauge(reg, 'hft_open_orders', 'Orders working at the venue.', () => one(sys.orders.openCount));

  // Positions and PnL (currency units of the symbol, label `currency`).
  const positions = () => {
    const out: {
      labels: Record<string, string>;
      qty: number;
      realized: number;
      unrealized: number;
      fees: number;
    }[] = [];
    for (const p of sys.positions.all()) {
      out.push({
        labels: { strategy: p.strategyId, symbol: p.spec.code, currency: p.spec.currency },
        qty: p.qty,
        realized: p.realized / MONEY_SCALE,
        unrealized: p.unrealized(sys.lob.stats(p.spec.id).mid) / MONEY_SCALE,
        fees: p.fees / MONEY_SCALE,
      });
    }
    return out;
  };
  gauge(reg, 'hft_position_qty', 'Net position per strategy and symbol (contracts or shares).', () =>
    positions().map((p) => ({
      labels: { strategy: p.labels.strategy, symbol: p.labels.symbol },
      value: p.qty,
    })),
  );
  gauge(reg, 'hft_pnl_realized', 'Realized PnL in currency units, before fees.', () =>
    positions().map((p) => ({ labels: p.labels, value: p.realized })),
  );
  gauge(reg, 'hft_pnl_unrealized', 'Unrealized PnL at the mid, in currency units.', () =>
    positions().map((p) => ({ labels: p.labels, value: p.unrealized })),
  );
  gauge(reg, 'hft_pnl_fees', 'Fees and taxes paid, in currency units.', () =>
    positions().map((p) => ({ labels: p.labels, value: p.fees })),
  );
  gauge(reg, 'hft_pnl_net', 'Net PnL (realized + unrealized - fees), in currency units.', () =>
    positions().map((p) => ({ labels: p.labels, value: p.realized + p.unrealized - p.fees })),
  );

  // Latency.
  const lat = sys.latency;
  const pipeline = STAGE_NAMES.map((_, i) => i as StageId).filter((i) => i !== Stage.EventToIntent);
  latencyHistogram(reg, 'hft_stage_latency_seconds', 'Latency per pipeline stage (feed ... fill).', () =>
    lat
      ? pipeline.map((i) => ({
          labels: { stage: STAGE_NAMES[i] },
          summary: lat.summary(i, LATENCY_BUCKETS_NS),
        }))
      : [],
  );
  latencyHistogram(
    reg,
    'hft_event_to_intent_latency_seconds',
    'Market-data event arrival to order intent.',
    () => (lat ? [{ labels: {}, summary: lat.summary(Stage.EventToIntent, LATENCY_BUCKETS_NS) }] : []),
  );
  counter(reg, 'hft_latency_spans_sampled_total', 'Stage latencies sampled into latency spans.', () =>
    lat ? one(lat.spans.sampled) : [],
  );
  counter(
    reg,
    'hft_latency_spans_dropped_total',
    'Sampled spans overwritten before they were drained.',
    () => (lat ? one(lat.spans.dropped) : []),
  );

  // Safety.
  const safety = view.safety;
  gauge(reg, 'hft_stormguard_state', 'Safety state: 0 NORMAL, 1 WARM, 2 STORM, 3 HALT.', () =>
    one(safety.level),
  );
  gauge(
    reg,
    'hft_trading_halted',
    '1 while new orders are restricted (STORM: reduce-only) or blocked (HALT).',
    () => one(safety.halted ? 1 : 0),
  );
  counter(reg, 'hft_stormguard_transitions_total', 'Safety state changes.', () => one(safety.transitions));
  counter(reg, 'hft_halt_violations_total', 'Orders sent while HALT was in force (must stay 0).', () =>
    one(safety.haltViolations),
  );
  counter(reg, 'hft_control_requests_total', 'Dashboard control requests by action and result.', () =>
    Object.entries(safety.requests).map(([k, v]) => {
      const [action, result] = k.split(':');
      return { labels: { action, result }, value: v };
    }),
  );
  counter(reg, 'hft_ops_refused_total', 'Ops requests refused, by endpoint and reason.', () =>
    Object.entries(view.access?.refused ?? {}).map(([k, v]) => {
      const i = k.indexOf(':');
      return { labels: { endpoint: k.slice(0, i), reason: k.slice(i + 1) }, value: v };
    }),
  );
  counter(reg, 'hft_query_requests_total', 'Statements of /api/query by result.', () =>
    byLabel('result', view.access?.queries ?? {}),
  );
  gauge(reg, 'hft_circuit_breaker_state', 'Circuit breaker state: 0 closed, 1 half-open, 2 open.', () =>
    view.breakers().map((b) => ({ labels: { breaker: b.name }, value: b.state })),
  );

  // Supervision.
  const sup = view.supervision;
  gauge(reg, 'hft_service_up', '1 when a supervised service is alive and heartbeating.', () =>
    sup ? sup.services().map((s) => ({ labels: { service: s.name }, value: s.up ? 1 : 0 })) : [],
  );
  counter(reg, 'hft_service_restarts_total', 'Restarts of a supervised service.', () =>
    sup ? sup.services().map((s) => ({ labels: { service: s.name }, value: s.restarts })) : [],
  );
  gauge(reg, 'hft_service_heartbeat_age_seconds', 'Time since a service last heartbeated.', () =>
    sup ? sup.services().map((s) => ({ labels: { service: s.name }, value: s.heartbeatAgeMs / 1000 })) : [],
  );
  gauge(
    reg,
    'hft_supervisor_loop_lag_p99_seconds',
    'Event-loop delay p99 over the last supervision interval.',
    () => (sup ? one(sup.loopLagP99Ms / 1000) : []),
  );
  gauge(
    reg,
    'hft_supervisor_loop_lag_max_seconds',
    'Event-loop delay max over the last supervision interval.',
    () => (sup ? one(sup.loopLagMaxMs / 1000) : []),
  );
  counter(
    reg,
    'hft_supervisor_escalations_total',
    'Escalations to the safety state machine by reason.',
    () => (sup ? byLabel('reason', sup.escalations) : []),
  );

  // Recorder.
  const rec = (pick: (r: RecorderStatsView) => number) => () => {
    const r = recorderStats(view);
    return r ? one(pick(r)) : [];
  };
  counter(
    reg,
    'hft_recorder_batches_total',
    'Batches posted to the store.',
    rec((r) => r.batches),
  );
  gauge(
    reg,
    'hft_recorder_pending_batches',
    'Batches posted and not yet acknowledged.',
    rec((r) => r.pending),
  );
  gauge(
    reg,
    'hft_recorder_batch_rows_mean',
    'Mean rows per batch since start.',
    rec((r) => {
      const rows = Object.values(r.enqueued).reduce((a, b) => a + b, 0) - r.shed_market_data;
      return r.batches > 0 ? rows / r.batches : 0;
    }),
  );
  gauge(
    reg,
    'hft_recorder_backlog_rows',
    'Rows accepted and not yet written, shed or failed (recorder lag).',
    rec((r) => {
      const sum = (x: Record<string, number>) => Object.values(x).reduce((a, b) => a + b, 0);
      return Math.max(
        0,
        sum(r.enqueued) - sum(r.written) - r.shed_market_data - r.failed_rows - r.invalid_rows,
      );
    }),
  );
  counter(
    reg,
    'hft_recorder_failed_rows_total',
    'Rows the store failed to insert.',
    rec((r) => r.failed_rows),
  );
  counter(
    reg,
    'hft_recorder_invalid_rows_total',
    'Rows refused at encoding.',
    rec((r) => r.invalid_rows),
  );
  counter(
    reg,
    'hft_recorder_spills_total',
    'Full orders/trades rings drained synchronously.',
    rec((r) => r.spills),
  );
  gauge(
    reg,
    'hft_recorder_wal_backlog_bytes',
    'Bytes in the write-ahead log not yet loaded.',
    rec((r) => r.wal.backlog_bytes),
  );
  gauge(
    reg,
    'hft_recorder_wal_backlog_files',
    'WAL files not yet loaded.',
    rec((r) => r.wal.backlog_files),
  );
  gauge(
    reg,
    'hft_recorder_disk_level',
    'Disk pressure level of the WAL volume: 0 ok, 1 warn, 2 critical, 3 halt.',
    rec((r) => r.disk.level),
  );
  gauge(
    reg,
    'hft_recorder_held_rows',
    'Orders, fills and other never-shed rows neither the store nor the WAL takes, held in memory (trading halted).',
    rec((r) => r.held_rows),
  );
  gauge(
    reg,
    'hft_recorder_worker_up',
    'The recorder worker thread runs (0: dead or being restarted after a crash).',
    rec((r) => (r.worker.state === 'up' || r.worker.state === 'closed' ? 1 : 0)),
  );
  gauge(
    reg,
    'hft_recorder_holding_trading',
    'The recorder holds StormGuard HALT (disk at its HALT level, held rows, dead worker).',
    rec((r) => (r.hold === null ? 0 : 1)),
  );
  counter(
    reg,
    'hft_recorder_lost_orders_trades_total',
    'Orders and fills stored nowhere (also in hft_recorder_failed_rows_total).',
    rec((r) => r.lost_orders_trades),
  );
  gauge(
    reg,
    'hft_recorder_disk_free_bytes',
    'Free bytes on the data volume.',
    rec((r) => r.disk.free_bytes),
  );
  return reg;
}

/** Recorder stats read once per scrape (cheap: counters copied). */
function recorderStats(view: OpsView): RecorderStatsView | null {
  return view.sys.recorder?.stats() ?? null;
}

/** The order/risk gateway: decisions by outcome and reason; over NATS the lease, lag and ledger. */
function registerGatewayMetrics(reg: Registry, sys: OpsView['sys']): void {
  counter(
    reg,
    'hft_gateway_intents_total',
    'Intents the order/risk gateway decided (repeats included).',
    () => one(sys.gateway.counters.intents),
  );
  counter(
    reg,
    'hft_gateway_decisions_total',
    'Gateway decisions by outcome and reason (approved: the policy rule that let it pass).',
    () => {
      const c = sys.gateway.counters;
      return [
        ...Object.entries(c.approvedBy).map(([reason, v]) => ({
          labels: { outcome: 'approved', reason },
          value: v,
        })),
        ...Object.entries(c.byReason).map(([reason, v]) => ({
          labels: { outcome: 'rejected', reason },
          value: v,
        })),
      ];
    },
  );
  counter(
    reg,
    'hft_gateway_duplicates_total',
    'Repeated idempotency keys answered from the dedup window or the ledger (nothing sent again).',
    () => one(sys.gateway.counters.duplicates + (sys.gatewayService?.ledgerHits ?? 0)),
  );
  const svc = () => sys.gatewayService;
  gauge(reg, 'hft_gateway_leader', '1 while this gateway holds the account lease (NATS gateway).', () =>
    svc() === null ? [] : one(svc()!.leader ? 1 : 0),
  );
  gauge(reg, 'hft_gateway_lease_revision', 'Revision of the lease this gateway last held.', () =>
    svc() === null ? [] : one(svc()!.leaseRevision),
  );
  gauge(reg, 'hft_gateway_lag', 'Intents waiting in the stream behind the one being decided.', () =>
    svc() === null ? [] : one(svc()!.lag),
  );
  counter(reg, 'hft_gateway_terms_total', 'Leader terms this gateway won.', () =>
    svc() === null ? [] : one(svc()!.terms),
  );
  counter(reg, 'hft_gateway_malformed_total', 'Intent messages that were not envelopes (dropped).', () =>
    svc() === null ? [] : one(svc()!.malformed),
  );
}
